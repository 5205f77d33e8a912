/* augkit._resize: any window of torch's uint8 bilinear resize, bit-exact, from only the input it reads.
 *
 * resize_window(src, dst, y0, x0, in_h, in_w, out_h, out_w, top, left, antialias) writes
 * crop(resize(image, (out_h, out_w)), top, left, H, W) into dst, an (H, W, C) uint8 buffer,
 * where resize is torch's CPU uint8 kernel (torch.ops.aten._upsample_bilinear2d_aa with
 * antialias, torch.ops.aten.upsample_bilinear2d with align_corners=False without) on the
 * whole in_h x in_w image. src holds the image's rows [y0, y0 + rows) and columns
 * [x0, x0 + cols) as an (rows, cols, C) uint8 buffer (C in 1..4, pixels contiguous, any row
 * stride); it must cover the input the window depends on (augkit.functional.geometry's
 * resize_window_region), else ValueError.
 *
 * The algorithm is torch's (itself Pillow-SIMD's): per axis, weights are computed in double
 * exactly as torch does (source centres scale * (i + 0.5) with scale = in / out, the
 * triangle filter widened by the scale when antialiasing and shrinking), then turned into
 * int16 with a precision chosen from the largest weight of the WHOLE axis; a horizontal pass
 * (rounded and clamped to uint8), then a vertical one. An axis whose input and output
 * sizes are equal is not resampled. Integer sums are exact, so the results do not depend
 * on how the loops are vectorized.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__)) && __GNUC__ >= 6
#define HOT __attribute__((target_clones("avx2", "default")))
#else
#define HOT
#endif
#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

/* One axis of the window: for each kept output index, the first input index it reads
 * and K int16 weights. */
typedef struct {
    int identity; /* input and output sizes are equal: no resampling */
    int K;        /* taps per output (zero-padded) */
    int prec;     /* fixed-point precision of the weights */
    long lo, hi;  /* input indices [lo, hi) the window reads */
    int *start;   /* per output: first input index read */
    int16_t *w;   /* per output: K weights */
} Axis;

static void axis_free(Axis *a) {
    free(a->start);
    free(a->w);
    a->start = NULL;
    a->w = NULL;
}

static double triangle(double x) {
    if (x < 0.0) x = -x;
    if (x < 1.0) return 1.0 - x;
    return 0.0;
}

/* Torch's bounds and double weights of output i (wt holds max_interp entries, zero past
 * *size); returns the largest weight. Mirrors HelperInterpBase::_compute_indices_min_size_
 * weights_aa / _compute_indices_min_size_weights for the linear filter. */
static double weights_at(long i, long in, double scale, int antialias, int max_interp, double *wt, long *min, long *size) {
    double wt_max = 0.0;
    if (antialias) {
        double support = scale >= 1.0 ? 1.0 * scale : 1.0;
        double center = scale * (i + 0.5);
        double invscale = scale >= 1.0 ? 1.0 / scale : 1.0;
        long xmin = (long)(int64_t)(center - support + 0.5);
        long xmax = (long)(int64_t)(center + support + 0.5);
        if (xmin < 0) xmin = 0;
        if (xmax > in) xmax = in;
        long xsize = xmax - xmin;
        if (xsize < 0) xsize = 0;
        if (xsize > max_interp) xsize = max_interp;
        double total = 0.0;
        long j;
        for (j = 0; j < xsize; j++) {
            double w = triangle(((double)(j + xmin) - center + 0.5) * invscale);
            wt[j] = w;
            total += w;
        }
        if (total != 0.0) {
            for (j = 0; j < xsize; j++) {
                wt[j] /= total;
                if (wt[j] > wt_max) wt_max = wt[j];
            }
        }
        for (; j < max_interp; j++) wt[j] = 0.0;
        *min = xmin;
        *size = xsize;
    } else {
        double real = scale * (i + 0.5) - 0.5;
        if (real < 0.0) real = 0.0;
        long index = (long)(int64_t)floorf((float)real);
        if (index > in - 1) index = in - 1;
        double lambda = real - (double)index;
        if (lambda < 0.0) lambda = 0.0;
        if (lambda > 1.0) lambda = 1.0;
        long xsize = (index + 2 < in ? index + 2 : in) - index;
        if (xsize < 0) xsize = 0;
        if (xsize > 2) xsize = 2;
        int w_index = 0;
        for (int j = 0; j < 2; j++) {
            wt[j] = 0.0;
            double w = triangle((double)j - lambda);
            if (index + j <= 0)
                w_index = 0;
            else if (index + j >= in - 1)
                w_index = (int)xsize - 1;
            wt[w_index] += w;
            if (wt[w_index] > wt_max) wt_max = wt[w_index];
            w_index++;
        }
        *min = index;
        *size = xsize;
    }
    return wt_max;
}

/* Weight precision per (in, out, antialias), packed into one word: in (24 bits), out (24),
 * antialias (1), precision (5). Read and written with the GIL held. */
#define CACHE_SIZE 512
static uint64_t precision_cache[CACHE_SIZE];

static int cached_precision(long in, long out, int antialias) {
    if (in >= (1L << 24) || out >= (1L << 24)) return -1;
    uint64_t key = ((uint64_t)in << 30) | ((uint64_t)out << 6) | ((uint64_t)antialias << 5);
    uint64_t slot = precision_cache[(key >> 5) * 2654435761u % CACHE_SIZE];
    return (slot & ~(uint64_t)31) == key ? (int)(slot & 31) : -1;
}

static void store_precision(long in, long out, int antialias, int prec) {
    if (in >= (1L << 24) || out >= (1L << 24)) return;
    uint64_t key = ((uint64_t)in << 30) | ((uint64_t)out << 6) | ((uint64_t)antialias << 5);
    precision_cache[(key >> 5) * 2654435761u % CACHE_SIZE] = key | (uint64_t)prec;
}

/* Plan outputs [first, first + count) of an in -> out axis. Returns 0, or -1 (no memory). */
static int axis_build(Axis *a, long in, long out, int antialias, long first, long count) {
    memset(a, 0, sizeof *a);
    if (in == out) {
        a->identity = 1;
        a->lo = first;
        a->hi = first + count;
        return 0;
    }
    double scale = (double)in / (double)out;
    int max_interp = antialias ? (int)ceil(scale >= 1.0 ? scale : 1.0) * 2 + 1 : 2;
    double *wd = malloc(sizeof(double) * (size_t)max_interp * (size_t)(count + 1));
    long *mins = malloc(sizeof(long) * (size_t)count * 2);
    if (wd == NULL || mins == NULL) {
        free(wd);
        free(mins);
        return -1;
    }
    long *sizes = mins + count;
    double wt_max = 0.0;
    double *scratch = wd + (size_t)max_interp * (size_t)count;
    int prec = cached_precision(in, out, antialias);
    long from = prec < 0 ? 0 : first, to = prec < 0 ? out : first + count;
    for (long i = from; i < to; i++) {
        int kept = i >= first && i < first + count;
        long m, s;
        double *wt = kept ? wd + (size_t)max_interp * (size_t)(i - first) : scratch;
        double mx = weights_at(i, in, scale, antialias, max_interp, wt, &m, &s);
        if (mx > wt_max) wt_max = mx;
        if (kept) {
            mins[i - first] = m;
            sizes[i - first] = s;
        }
    }
    if (prec < 0) {
        for (prec = 0; prec < 22; ++prec) {
            int next = (int)(0.5 + wt_max * (1 << (prec + 1)));
            if (next >= (1 << 15)) break;
        }
        store_precision(in, out, antialias, prec);
    }
    long lo = in, hi = 0, K = 0;
    for (long i = 0; i < count; i++) {
        if (sizes[i] > K) K = sizes[i];
        if (sizes[i] > 0) {
            if (mins[i] < lo) lo = mins[i];
            if (mins[i] + sizes[i] > hi) hi = mins[i] + sizes[i];
        }
    }
    if (hi <= lo) lo = hi = 0;
    a->K = (int)K;
    a->prec = prec;
    a->lo = lo;
    a->hi = hi;
    a->start = malloc(sizeof(int) * (size_t)count);
    a->w = calloc((size_t)count * (size_t)(K > 0 ? K : 1), sizeof(int16_t));
    if (a->start == NULL || a->w == NULL) {
        free(wd);
        free(mins);
        axis_free(a);
        return -1;
    }
    for (long i = 0; i < count; i++) {
        /* Read K inputs from every output; near the far end start earlier, with zero weights first. */
        long m = sizes[i] > 0 ? mins[i] : lo, shift = 0;
        if (m + K > hi) {
            shift = m + K - hi;
            m -= shift;
        }
        a->start[i] = (int)m;
        for (long j = 0; j < sizes[i]; j++) {
            double v = wd[(size_t)max_interp * (size_t)i + (size_t)j] * (1 << prec);
            a->w[(size_t)i * (size_t)K + (size_t)(j + shift)] = (int16_t)(v < 0 ? (int)(-0.5 + v) : (int)(0.5 + v));
        }
    }
    free(wd);
    free(mins);
    return 0;
}

/* Make an axis' input indices relative to `base`, the first input index of the buffer read. */
static void rebase(Axis *a, long count, long base) {
    for (long i = 0; i < count; i++) a->start[i] -= (int)base;
}

/* Bilinear weights are never negative, so sums are too: only the top needs clamping. */
INLINE uint8_t clamp_shift(int32_t acc, int prec) {
    uint32_t v = (uint32_t)acc >> prec;
    return (uint8_t)(v < 255 ? v : 255);
}

/* out[j] = sum_t rows[t][j] * k[t] + rounding, >> prec, clamped: one output row of a pass
 * that resamples whole rows (vectorizes over j). */
INLINE void mix_rows(const uint8_t *const *rows, uint8_t *restrict out, long bytes, const int16_t *k, const int K, int prec) {
    const int32_t init = (int32_t)1 << (prec - 1);
    int32_t w[8];
    for (int t = 0; t < K; t++) w[t] = k[t];
    for (long j = 0; j < bytes; j++) {
        int32_t acc = init;
        for (int t = 0; t < K; t++) acc += (int32_t)rows[t][j] * w[t];
        out[j] = clamp_shift(acc, prec);
    }
}

/* mix_rows for any K: groups of up to 8 taps summed in an int32 row. */
#define CHUNK 256
static void mix_many_rows(const uint8_t *const *rows, uint8_t *out, long bytes, const int16_t *k, int K, int prec) {
    const int32_t init = (int32_t)1 << (prec - 1);
    int32_t acc[CHUNK];
    for (long j0 = 0; j0 < bytes; j0 += CHUNK) {
        long m = bytes - j0 < CHUNK ? bytes - j0 : CHUNK;
        for (long j = 0; j < m; j++) acc[j] = init;
        for (int t = 0; t < K; t++) {
            const uint8_t *r = rows[t] + j0;
            const int32_t wt = k[t];
            for (long j = 0; j < m; j++) acc[j] += (int32_t)r[j] * wt;
        }
        for (long j = 0; j < m; j++) out[j0 + j] = clamp_shift(acc[j], prec);
    }
}

INLINE void mix(const uint8_t *const *rows, uint8_t *restrict out, long bytes, const int16_t *k, int K, int prec) {
    switch (K) {
    case 1: mix_rows(rows, out, bytes, k, 1, prec); break;
    case 2: mix_rows(rows, out, bytes, k, 2, prec); break;
    case 3: mix_rows(rows, out, bytes, k, 3, prec); break;
    case 4: mix_rows(rows, out, bytes, k, 4, prec); break;
    case 5: mix_rows(rows, out, bytes, k, 5, prec); break;
    case 6: mix_rows(rows, out, bytes, k, 6, prec); break;
    case 7: mix_rows(rows, out, bytes, k, 7, prec); break;
    case 8: mix_rows(rows, out, bytes, k, 8, prec); break;
    default: mix_many_rows(rows, out, bytes, k, K, prec); break;
    }
}

/* Vertical pass: out row y = sum_t in row (start[y] + t) * w[y][t], over `bytes` bytes a row. */
HOT static void vpass(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, long rows, long bytes, const int *start,
                      const int16_t *w, int K, int prec, const uint8_t **rp) {
    for (long y = 0; y < rows; y++) {
        for (int t = 0; t < K; t++) rp[t] = src + (ptrdiff_t)(start[y] + t) * ss;
        mix(rp, dst + y * ds, bytes, w + (ptrdiff_t)y * K, K, prec);
    }
}

/* The horizontal pass works on blocks of rows transposed, so that it too resamples whole
 * (transposed) rows: a block holds BLOCK_BYTES / C image rows; its transposed row p is
 * pixel column p of those rows (PITCH bytes apart, leaving room for 4-byte stores). */
#define BLOCK_BYTES 96
#define PITCH 128
#define TILE 32 /* pixels a transposing loop copies from one row before the next */

/* Copy one pixel: C constant. For C == 3 a 4-byte copy when `wide` (the byte after the
 * pixel may be read at the source and overwritten at the destination). */
INLINE void put_pixel(uint8_t *d, const uint8_t *s, const int C, int wide) {
    if (C == 3 && wide) {
        uint32_t v;
        memcpy(&v, s, 4);
        memcpy(d, &v, 4);
    } else {
        memcpy(d, s, (size_t)C);
    }
}

INLINE void hblocks(const uint8_t *src, ptrdiff_t ss, long src_cols, uint8_t *dst, ptrdiff_t ds, int dst_padded, long rows, long n,
                    const int *start, const int16_t *w, const int C, int K, int prec, long lo, long hi, uint8_t *tin, uint8_t *tout,
                    const uint8_t **rp) {
    const long R = BLOCK_BYTES / C;
    for (long r0 = 0; r0 < rows; r0 += R) {
        long m = rows - r0 < R ? rows - r0 : R;
        /* transpose columns [lo, hi) of rows [r0, r0 + m) into tin, TILE columns at a time */
        for (long p0 = lo; p0 < hi; p0 += TILE) {
            long p1 = hi - p0 < TILE ? hi : p0 + TILE;
            int wide = p1 < src_cols; /* the pixel after the last one read exists */
            for (long r = 0; r < m; r++) {
                const uint8_t *in = src + (r0 + r) * ss;
                uint8_t *col = tin + r * C - lo * PITCH;
                if (wide)
                    for (long p = p0; p < p1; p++) put_pixel(col + p * PITCH, in + p * C, C, 1);
                else
                    for (long p = p0; p < p1; p++) put_pixel(col + p * PITCH, in + p * C, C, 0);
            }
        }
        /* resample: transposed output row x mixes transposed input rows start[x] .. + K */
        for (long x = 0; x < n; x++) {
            for (int t = 0; t < K; t++) rp[t] = tin + (start[x] + t - lo) * PITCH;
            mix(rp, tout + x * PITCH, BLOCK_BYTES, w + (ptrdiff_t)x * K, K, prec);
        }
        /* transpose back into rows [r0, r0 + m) of dst, TILE columns at a time */
        for (long x0 = 0; x0 < n; x0 += TILE) {
            long x1 = n - x0 < TILE ? n : x0 + TILE;
            int wide = x1 < n || dst_padded; /* the byte after the last pixel written may be overwritten */
            for (long r = 0; r < m; r++) {
                uint8_t *out = dst + (r0 + r) * ds;
                const uint8_t *col = tout + r * C;
                if (wide)
                    for (long x = x0; x < x1; x++) put_pixel(out + x * C, col + x * PITCH, C, 1);
                else
                    for (long x = x0; x < x1; x++) put_pixel(out + x * C, col + x * PITCH, C, 0);
            }
        }
    }
}

/* Horizontal pass over `rows` rows: out pixel x = sum_t in pixel (start[x] + t) * w[x][t].
 * src_cols: pixels a source row has (reads stay inside); dst_padded: a destination row may be
 * written one byte past its end. tin, tout: (hi - lo) * PITCH and n * PITCH bytes. */
HOT static void hpass(const uint8_t *src, ptrdiff_t ss, long src_cols, uint8_t *dst, ptrdiff_t ds, int dst_padded, long rows, long n,
                      const int *start, const int16_t *w, int C, int K, int prec, long lo, long hi, uint8_t *tin, uint8_t *tout,
                      const uint8_t **rp) {
    switch (C) {
    case 1: hblocks(src, ss, src_cols, dst, ds, dst_padded, rows, n, start, w, 1, K, prec, lo, hi, tin, tout, rp); break;
    case 2: hblocks(src, ss, src_cols, dst, ds, dst_padded, rows, n, start, w, 2, K, prec, lo, hi, tin, tout, rp); break;
    case 3: hblocks(src, ss, src_cols, dst, ds, dst_padded, rows, n, start, w, 3, K, prec, lo, hi, tin, tout, rp); break;
    default: hblocks(src, ss, src_cols, dst, ds, dst_padded, rows, n, start, w, 4, K, prec, lo, hi, tin, tout, rp); break;
    }
}

static int get_hwc(PyObject *obj, Py_buffer *view, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0) return -1;
    const char *f = view->format;
    if (view->ndim != 3 || view->itemsize != 1 || (f != NULL && strcmp(f, "B") != 0) || view->shape[2] < 1 || view->shape[2] > 4 ||
        view->strides[2] != 1 || view->strides[1] != view->shape[2] || view->strides[0] < view->shape[1] * view->shape[2]) {
        PyErr_Format(PyExc_ValueError, "%s must be an (H, W, C) uint8 buffer with C in 1..4, pixels contiguous", name);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *resize_window(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj;
    long y0, x0, in_h, in_w, out_h, out_w, top, left;
    int antialias;
    if (!PyArg_ParseTuple(args, "OOllllllllp:resize_window", &src_obj, &dst_obj, &y0, &x0, &in_h, &in_w, &out_h, &out_w, &top,
                          &left, &antialias))
        return NULL;
    Py_buffer src, dst;
    if (get_hwc(src_obj, &src, 0, "src") < 0) return NULL;
    if (get_hwc(dst_obj, &dst, 1, "dst") < 0) {
        PyBuffer_Release(&src);
        return NULL;
    }
    long rows = (long)src.shape[0], cols = (long)src.shape[1], C = (long)src.shape[2];
    long height = (long)dst.shape[0], width = (long)dst.shape[1];
    Axis ay = {0}, ax = {0};
    PyObject *result = NULL;
    if (dst.shape[2] != C) {
        PyErr_SetString(PyExc_ValueError, "src and dst must have the same number of channels");
        goto done;
    }
    if (in_h < 1 || in_w < 1 || out_h < 1 || out_w < 1 || in_h >= INT_MAX || in_w >= INT_MAX || out_h >= INT_MAX || out_w >= INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "image and output sizes must be positive");
        goto done;
    }
    if (height < 1 || width < 1 || top < 0 || left < 0 || top + height > out_h || left + width > out_w) {
        PyErr_Format(PyExc_ValueError, "window (%ld, %ld, %ld, %ld) is not inside the %ldx%ld output", top, left, height, width, out_h,
                     out_w);
        goto done;
    }
    if (y0 < 0 || x0 < 0 || y0 + rows > in_h || x0 + cols > in_w) {
        PyErr_SetString(PyExc_ValueError, "src region is not inside the image");
        goto done;
    }
    if (axis_build(&ay, in_h, out_h, antialias, top, height) < 0 || axis_build(&ax, in_w, out_w, antialias, left, width) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if ((ay.hi > ay.lo && (ay.lo < y0 || ay.hi > y0 + rows)) || (ax.hi > ax.lo && (ax.lo < x0 || ax.hi > x0 + cols))) {
        PyErr_Format(PyExc_ValueError, "src region (rows %ld:%ld, cols %ld:%ld) lacks input the window reads (rows %ld:%ld, cols %ld:%ld)",
                     y0, y0 + rows, x0, x0 + cols, ay.lo, ay.hi, ax.lo, ax.hi);
        goto done;
    }
    {
        const uint8_t *s = src.buf;
        uint8_t *d = dst.buf;
        ptrdiff_t ss = src.strides[0], ds = dst.strides[0];
        uint8_t *scratch = NULL;
        int failed = 0;
        Py_BEGIN_ALLOW_THREADS
        /* scratch: transposed blocks, the horizontal pass's rows, the row pointers */
        long kmax = ax.K > ay.K ? ax.K : ay.K, span = ax.identity ? 0 : ax.hi - ax.lo;
        long n = (ax.identity || ay.identity) ? 0 : ay.hi - ay.lo;
        ptrdiff_t ts = (ptrdiff_t)(width * C) + 1;
        size_t tin_size = ax.identity ? 0 : (size_t)(span + 1) * PITCH, tout_size = ax.identity ? 0 : (size_t)width * PITCH;
        scratch = calloc(tin_size + tout_size + (size_t)n * (size_t)ts + sizeof(uint8_t *) * (size_t)(kmax + 1) + 64, 1);
        if (scratch == NULL) {
            failed = 1;
        } else {
            const uint8_t **rp = (const uint8_t **)scratch;
            uint8_t *tin = scratch + sizeof(uint8_t *) * (size_t)(kmax + 1), *tout = tin + tin_size, *tmp = tout + tout_size;
            if (ax.identity && ay.identity) {
                for (long y = 0; y < height; y++) memcpy(d + y * ds, s + (top + y - y0) * ss + (left - x0) * C, (size_t)(width * C));
            } else if (ay.identity) {
                rebase(&ax, width, x0);
                hpass(s + (top - y0) * ss, ss, cols, d, ds, 0, height, width, ax.start, ax.w, (int)C, ax.K, ax.prec, ax.lo - x0,
                      ax.hi - x0, tin, tout, rp);
            } else if (ax.identity) {
                rebase(&ay, height, y0);
                vpass(s + (left - x0) * C, ss, d, ds, height, width * C, ay.start, ay.w, ay.K, ay.prec, rp);
            } else {
                rebase(&ax, width, x0);
                rebase(&ay, height, ay.lo);
                hpass(s + (ay.lo - y0) * ss, ss, cols, tmp, ts, 1, n, width, ax.start, ax.w, (int)C, ax.K, ax.prec, ax.lo - x0,
                      ax.hi - x0, tin, tout, rp);
                vpass(tmp, ts, d, ds, height, width * C, ay.start, ay.w, ay.K, ay.prec, rp);
            }
            free(scratch);
        }
        Py_END_ALLOW_THREADS
        if (failed) {
            PyErr_NoMemory();
            goto done;
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    axis_free(&ay);
    axis_free(&ax);
    PyBuffer_Release(&src);
    PyBuffer_Release(&dst);
    return result;
}

static PyMethodDef methods[] = {
    {"resize_window", resize_window, METH_VARARGS,
     "resize_window(src, dst, y0, x0, in_h, in_w, out_h, out_w, top, left, antialias)\n\n"
     "Write the (H, W) window at (top, left) of torch's uint8 bilinear resize of the in_h x in_w image to\n"
     "(out_h, out_w) into dst, from src: the image's rows [y0, y0 + rows) and columns [x0, x0 + cols)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._resize", "Windows of torch's uint8 bilinear resize, bit-exact.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__resize(void) { return PyModule_Create(&module); }
