/* augkit._resize: any window of torch's uint8 bilinear resize, bit-exact, from only the input it reads.
 *
 * resize_window(src, dst, y0, x0, in_h, in_w, out_h, out_w, top, left, antialias) writes
 * crop(resize(image, (out_h, out_w)), top, left, H, W) into dst, an (H, W, C) uint8 buffer,
 * where resize is torch's CPU uint8 kernel (torch.ops.aten._upsample_bilinear2d_aa with
 * antialias, torch.ops.aten.upsample_bilinear2d with align_corners=False without) on the
 * whole in_h x in_w image. src holds the image's rows [y0, y0 + rows) and columns
 * [x0, x0 + cols) as an (rows, cols, C) uint8 buffer (C in 1..4, pixels contiguous, any row
 * stride); it must cover the input the window depends on (augkit.functional.geometry's
 * _resize_window_region), else ValueError.
 *
 * The algorithm is torch's (itself Pillow-SIMD's): per axis, weights are computed in double
 * exactly as torch does (source centres scale * (i + 0.5) with scale = in / out, the
 * triangle filter widened by the scale when antialiasing and shrinking), then turned into
 * int16 with a precision chosen from the largest weight of the WHOLE axis; a horizontal pass
 * (rounded and clamped to uint8), then a vertical one. An axis whose input and output
 * sizes are equal is not resampled. Integer sums are exact, so the results do not depend
 * on how the loops are vectorized.
 *
 * Levels (simd.h; AUGKIT_SIMD caps the level at import, simd_level() shows it):
 * - portable: both passes mix whole rows (the horizontal pass on transposed blocks of rows);
 * - sse2: pmaddwd on pairs of taps: the vertical pass 16 bytes of a row at a time, the
 *   horizontal pass for 3 and 4 channels one pixel at a time on 4 rows (1 and 2 channels
 *   take the portable blocks);
 * - avx2: the vertical pass 32 bytes at a time, the horizontal pass for 3 and 4 channels
 *   4 taps of a pixel per 16-byte load (pshufb); the rest as sse2, compiled for AVX2.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"

#define INLINE AUGKIT_INLINE

/* The level the passes use (simd.h), set at import. */
static augkit_simd simd = AUGKIT_PORTABLE;

/* ------------------------------------------------------------------------------ plans */

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

/* Torch's bounds and double weights of output i, antialiased (HelperInterpBase::
 * _compute_indices_min_size_weights_aa for the linear filter): wt holds max_interp entries,
 * zero past *size; returns the largest weight. */
static double weights_aa(long i, long in, double scale, int max_interp, double *wt, long *min, long *size) {
    double wt_max = 0.0;
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
    return wt_max;
}

/* The same without antialiasing (_compute_indices_min_size_weights): two taps. */
static double weights_linear(long i, long in, double scale, double *wt, long *min, long *size) {
    double wt_max = 0.0;
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

/* The double weights of outputs [first, first + count): per output, max_interp weights in wd,
 * the first input in mins and the tap count in sizes. The precision comes from the largest
 * weight of the whole axis (every output is visited unless the precision is cached). */
typedef struct {
    int max_interp;
    double *wd;
    long *mins, *sizes;
} Weights;

static int axis_weights(Weights *g, long in, long out, int antialias, long first, long count) {
    double scale = (double)in / (double)out;
    g->max_interp = antialias ? (int)ceil(scale >= 1.0 ? scale : 1.0) * 2 + 1 : 2;
    g->wd = malloc(sizeof(double) * (size_t)g->max_interp * (size_t)(count + 1));
    g->mins = malloc(sizeof(long) * (size_t)count * 2);
    if (g->wd == NULL || g->mins == NULL) return -1;
    g->sizes = g->mins + count;
    double wt_max = 0.0;
    double *scratch = g->wd + (size_t)g->max_interp * (size_t)count;
    int prec = cached_precision(in, out, antialias);
    long from = prec < 0 ? 0 : first, to = prec < 0 ? out : first + count;
    for (long i = from; i < to; i++) {
        int kept = i >= first && i < first + count;
        long m, s;
        double *wt = kept ? g->wd + (size_t)g->max_interp * (size_t)(i - first) : scratch;
        double mx = antialias ? weights_aa(i, in, scale, g->max_interp, wt, &m, &s) : weights_linear(i, in, scale, wt, &m, &s);
        if (mx > wt_max) wt_max = mx;
        if (kept) {
            g->mins[i - first] = m;
            g->sizes[i - first] = s;
        }
    }
    if (prec < 0) {
        for (prec = 0; prec < 22; ++prec) {
            int next = (int)(0.5 + wt_max * (1 << (prec + 1)));
            if (next >= (1 << 15)) break;
        }
        store_precision(in, out, antialias, prec);
    }
    return prec;
}

/* Turn the double weights into the axis' K int16 taps per output. Returns 0, or -1 (no memory). */
static int axis_quantize(Axis *a, const Weights *g, long count, int prec) {
    long lo = LONG_MAX, hi = 0, K = 0;
    for (long i = 0; i < count; i++) {
        if (g->sizes[i] > K) K = g->sizes[i];
        if (g->sizes[i] > 0) {
            if (g->mins[i] < lo) lo = g->mins[i];
            if (g->mins[i] + g->sizes[i] > hi) hi = g->mins[i] + g->sizes[i];
        }
    }
    if (hi <= lo) lo = hi = 0;
    a->K = (int)K;
    a->prec = prec;
    a->lo = lo;
    a->hi = hi;
    a->start = malloc(sizeof(int) * (size_t)count);
    a->w = calloc((size_t)count * (size_t)(K > 0 ? K : 1), sizeof(int16_t));
    if (a->start == NULL || a->w == NULL) return -1;
    for (long i = 0; i < count; i++) {
        /* Read K inputs from every output; near the far end start earlier, with zero weights first. */
        long m = g->sizes[i] > 0 ? g->mins[i] : lo, shift = 0;
        if (m + K > hi) {
            shift = m + K - hi;
            m -= shift;
        }
        a->start[i] = (int)m;
        for (long j = 0; j < g->sizes[i]; j++) {
            double v = g->wd[(size_t)g->max_interp * (size_t)i + (size_t)j] * (1 << prec);
            a->w[(size_t)i * (size_t)K + (size_t)(j + shift)] = (int16_t)(v < 0 ? (int)(-0.5 + v) : (int)(0.5 + v));
        }
    }
    return 0;
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
    Weights g = {0, NULL, NULL, NULL};
    int prec = axis_weights(&g, in, out, antialias, first, count);
    int status = prec < 0 ? -1 : axis_quantize(a, &g, count, prec);
    free(g.wd);
    free(g.mins);
    if (status < 0) axis_free(a);
    return status;
}

/* Make an axis' input indices relative to `base`, the first input index of the buffer read. */
static void rebase(Axis *a, long count, long base) {
    for (long i = 0; i < count; i++) a->start[i] -= (int)base;
}

/* ------------------------------------------------------------------------------ passes */

/* A horizontal pass over `rows` rows: out pixel x = sum_t in pixel (start[x] + t) * w[x][t]. */
typedef struct {
    const uint8_t *src;
    ptrdiff_t ss;
    long src_cols; /* pixels a source row has (reads stay inside) */
    uint8_t *dst;
    ptrdiff_t ds;
    int dst_padded; /* a destination row may be written one byte past its end */
    long rows, n;   /* rows, and output pixels per row */
    const int *start;
    const int16_t *w;
    int C, K, prec;
    long lo, hi;                /* input columns read (the blocks path) */
    uint8_t *tin, *tout;        /* blocks scratch: (hi - lo) * PITCH and n * PITCH bytes */
    const uint8_t **rp;         /* row pointers, K of them */
} HPass;

/* A vertical pass: out row y = sum_t in row (start[y] + t) * w[y][t], over `bytes` bytes a row. */
typedef struct {
    const uint8_t *src;
    ptrdiff_t ss;
    uint8_t *dst;
    ptrdiff_t ds;
    long rows, bytes;
    const int *start;
    const int16_t *w;
    int K, prec;
    const uint8_t **rp; /* row pointers, K of them */
} VPass;

/* Bilinear weights are never negative, so sums are too: only the top needs clamping. */
INLINE uint8_t clamp_shift(int32_t acc, int prec) {
    uint32_t v = (uint32_t)acc >> prec;
    return (uint8_t)(v < 255 ? v : 255);
}

/* ---------------------------------------------------------------- portable */

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

static void vpass_portable(const VPass *v) {
    for (long y = 0; y < v->rows; y++) {
        for (int t = 0; t < v->K; t++) v->rp[t] = v->src + (ptrdiff_t)(v->start[y] + t) * v->ss;
        mix(v->rp, v->dst + y * v->ds, v->bytes, v->w + (ptrdiff_t)y * v->K, v->K, v->prec);
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

/* Transpose columns [lo, hi) of rows [r0, r0 + m) into tin, TILE columns at a time. */
INLINE void transpose_in(const uint8_t *src, ptrdiff_t ss, long src_cols, long lo, long hi, uint8_t *tin, long m, const int C) {
    for (long p0 = lo; p0 < hi; p0 += TILE) {
        long p1 = hi - p0 < TILE ? hi : p0 + TILE;
        int wide = p1 < src_cols; /* the pixel after the last one read exists */
        for (long r = 0; r < m; r++) {
            const uint8_t *in = src + r * ss;
            uint8_t *col = tin + r * C - lo * PITCH;
            if (wide)
                for (long p = p0; p < p1; p++) put_pixel(col + p * PITCH, in + p * C, C, 1);
            else
                for (long p = p0; p < p1; p++) put_pixel(col + p * PITCH, in + p * C, C, 0);
        }
    }
}

/* Transpose tout back into m rows of dst, TILE columns at a time. */
INLINE void transpose_out(uint8_t *dst, ptrdiff_t ds, long n, int dst_padded, const uint8_t *tout, long m, const int C) {
    for (long x0 = 0; x0 < n; x0 += TILE) {
        long x1 = n - x0 < TILE ? n : x0 + TILE;
        int wide = x1 < n || dst_padded; /* the byte after the last pixel written may be overwritten */
        for (long r = 0; r < m; r++) {
            uint8_t *out = dst + r * ds;
            const uint8_t *col = tout + r * C;
            if (wide)
                for (long x = x0; x < x1; x++) put_pixel(out + x * C, col + x * PITCH, C, 1);
            else
                for (long x = x0; x < x1; x++) put_pixel(out + x * C, col + x * PITCH, C, 0);
        }
    }
}

INLINE void hblocks(const HPass *h, const int C) {
    const long R = BLOCK_BYTES / C, rows = h->rows, n = h->n, lo = h->lo;
    const int K = h->K, prec = h->prec;
    const int *start = h->start;
    const int16_t *w = h->w;
    uint8_t *tin = h->tin, *tout = h->tout;
    const uint8_t **rp = h->rp;
    for (long r0 = 0; r0 < rows; r0 += R) {
        long m = rows - r0 < R ? rows - r0 : R;
        transpose_in(h->src + r0 * h->ss, h->ss, h->src_cols, lo, h->hi, tin, m, C);
        /* resample: transposed output row x mixes transposed input rows start[x] .. + K */
        for (long x = 0; x < n; x++) {
            for (int t = 0; t < K; t++) rp[t] = tin + (start[x] + t - lo) * PITCH;
            mix(rp, tout + x * PITCH, BLOCK_BYTES, w + (ptrdiff_t)x * K, K, prec);
        }
        transpose_out(h->dst + r0 * h->ds, h->ds, n, h->dst_padded, tout, m, C);
    }
}

INLINE void hblocks_any(const HPass *h) {
    switch (h->C) {
    case 1: hblocks(h, 1); break;
    case 2: hblocks(h, 2); break;
    case 3: hblocks(h, 3); break;
    default: hblocks(h, 4); break;
    }
}

static void hpass_portable(const HPass *h) { hblocks_any(h); }

/* ---------------------------------------------------------------- sse2
 *
 * Pairs of taps are multiplied and summed by pmaddwd (_mm_madd_epi16: int16 x int16 pairs
 * added into int32); the sums are the same integers as the portable loops', so the results
 * are too. */
#if AUGKIT_HAVE_SSE2

/* Two int16 weights as the int32 pmaddwd pairs them with. */
INLINE __m128i weight_pair(const int16_t *k, int has_second) {
    uint32_t v = (uint16_t)k[0] | (has_second ? (uint32_t)(uint16_t)k[1] << 16 : 0u);
    return _mm_set1_epi32((int32_t)v);
}

/* acc[0..3] += the 16 bytes at a and b (bytes j of two rows) times weights wv (pairs). */
INLINE void madd16(__m128i acc[4], __m128i a, __m128i b, __m128i wv) {
    const __m128i zero = _mm_setzero_si128();
    __m128i lo = _mm_unpacklo_epi8(a, b), hi = _mm_unpackhi_epi8(a, b);
    acc[0] = _mm_add_epi32(acc[0], _mm_madd_epi16(_mm_unpacklo_epi8(lo, zero), wv));
    acc[1] = _mm_add_epi32(acc[1], _mm_madd_epi16(_mm_unpackhi_epi8(lo, zero), wv));
    acc[2] = _mm_add_epi32(acc[2], _mm_madd_epi16(_mm_unpacklo_epi8(hi, zero), wv));
    acc[3] = _mm_add_epi32(acc[3], _mm_madd_epi16(_mm_unpackhi_epi8(hi, zero), wv));
}

/* 16 int32 sums (never negative) >> prec, saturated to uint8. */
INLINE __m128i shift_pack16(const __m128i acc[4], int prec) {
    const __m128i s = _mm_cvtsi32_si128(prec);
    return _mm_packus_epi16(_mm_packs_epi32(_mm_sra_epi32(acc[0], s), _mm_sra_epi32(acc[1], s)),
                            _mm_packs_epi32(_mm_sra_epi32(acc[2], s), _mm_sra_epi32(acc[3], s)));
}

/* One output row of the vertical pass, 16 bytes at a time; K constant when small. */
INLINE void vrow_sse2(const uint8_t *r0, ptrdiff_t ss, uint8_t *out, long bytes, const int16_t *k, const int K, int prec) {
    const int32_t init = (int32_t)1 << (prec - 1);
    const int P = (K + 1) / 2;
    __m128i wv[(K + 1) / 2];
    for (int p = 0; p < P; p++) wv[p] = weight_pair(k + 2 * p, 2 * p + 1 < K);
    long j = 0;
    for (; j + 16 <= bytes; j += 16) {
        __m128i acc[4];
        acc[0] = acc[1] = acc[2] = acc[3] = _mm_set1_epi32(init);
        const uint8_t *r = r0 + j;
        for (int p = 0; p < P; p++) {
            __m128i a = _mm_loadu_si128((const __m128i *)(r + (ptrdiff_t)(2 * p) * ss));
            __m128i b = 2 * p + 1 < K ? _mm_loadu_si128((const __m128i *)(r + (ptrdiff_t)(2 * p + 1) * ss)) : _mm_setzero_si128();
            madd16(acc, a, b, wv[p]);
        }
        _mm_storeu_si128((__m128i *)(out + j), shift_pack16(acc, prec));
    }
    for (; j < bytes; j++) {
        int32_t acc = init;
        for (int t = 0; t < K; t++) acc += (int32_t)r0[(ptrdiff_t)t * ss + j] * k[t];
        out[j] = clamp_shift(acc, prec);
    }
}

/* The same for any K: the first taps 8 at a time summed in int32 rows of CHUNK bytes. */
static void vrow_sse2_many(const uint8_t *r0, ptrdiff_t ss, uint8_t *out, long bytes, const int16_t *k, int K, int prec) {
    const int32_t init = (int32_t)1 << (prec - 1);
    int32_t accbuf[CHUNK] __attribute__((aligned(16)));
    for (long j0 = 0; j0 < bytes; j0 += CHUNK) {
        long m = bytes - j0 < CHUNK ? bytes - j0 : CHUNK, m16 = m & ~15L;
        for (long j = 0; j < m; j++) accbuf[j] = init;
        for (int t = 0; t < K; t += 2) {
            const uint8_t *a = r0 + (ptrdiff_t)t * ss + j0;
            const uint8_t *b = t + 1 < K ? a + ss : NULL;
            __m128i wv = weight_pair(k + t, b != NULL);
            for (long j = 0; j < m16; j += 16) {
                __m128i acc[4];
                for (int q = 0; q < 4; q++) acc[q] = _mm_load_si128((const __m128i *)(accbuf + j + 4 * q));
                madd16(acc, _mm_loadu_si128((const __m128i *)(a + j)), b ? _mm_loadu_si128((const __m128i *)(b + j)) : _mm_setzero_si128(),
                       wv);
                for (int q = 0; q < 4; q++) _mm_store_si128((__m128i *)(accbuf + j + 4 * q), acc[q]);
            }
            for (long j = m16; j < m; j++) accbuf[j] += (int32_t)a[j] * k[t] + (b ? (int32_t)b[j] * k[t + 1] : 0);
        }
        for (long j = 0; j < m; j++) out[j0 + j] = clamp_shift(accbuf[j], prec);
    }
}

static void vpass_sse2(const VPass *v) {
    const int K = v->K, prec = v->prec;
    for (long y = 0; y < v->rows; y++) {
        const uint8_t *r0 = v->src + (ptrdiff_t)v->start[y] * v->ss;
        const int16_t *k = v->w + (ptrdiff_t)y * K;
        uint8_t *out = v->dst + y * v->ds;
        switch (K) {
        case 1: vrow_sse2(r0, v->ss, out, v->bytes, k, 1, prec); break;
        case 2: vrow_sse2(r0, v->ss, out, v->bytes, k, 2, prec); break;
        case 3: vrow_sse2(r0, v->ss, out, v->bytes, k, 3, prec); break;
        case 4: vrow_sse2(r0, v->ss, out, v->bytes, k, 4, prec); break;
        case 5: vrow_sse2(r0, v->ss, out, v->bytes, k, 5, prec); break;
        case 6: vrow_sse2(r0, v->ss, out, v->bytes, k, 6, prec); break;
        case 7: vrow_sse2(r0, v->ss, out, v->bytes, k, 7, prec); break;
        case 8: vrow_sse2(r0, v->ss, out, v->bytes, k, 8, prec); break;
        default: vrow_sse2_many(r0, v->ss, out, v->bytes, k, K, prec); break;
        }
    }
}

/* Direct horizontal pass for 3 and 4 channels: a pixel is loaded as 4 bytes (for C == 3 the
 * 4th, the next pixel's first byte, is a lane whose sum is never kept), pixels t and t + 1
 * are interleaved byte by byte and widened to int16, so that pmaddwd with the weight pair
 * (w_t, w_t+1) sums both taps of each channel into that channel's int32 lane. Four rows at a
 * time share each output's weights. */

/* 4 bytes at p; for C == 3 where the byte after the pixel may not exist (`tight`), 3. */
INLINE __m128i load_pixel(const uint8_t *p, const int C, int tight) {
    uint32_t v;
    if (C == 3 && tight)
        v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    else
        memcpy(&v, p, 4);
    return _mm_cvtsi32_si128((int32_t)v);
}

/* Taps (t, t + 1) of one row at p (pixel t) as 8 int16: c0(t), c0(t+1), c1(t), c1(t+1), ... */
INLINE __m128i tap_pair(const uint8_t *p, const int C, int second, int tight) {
    __m128i a = load_pixel(p, C, tight && !second);
    __m128i b = second ? load_pixel(p + C, C, tight) : _mm_setzero_si128();
    return _mm_unpacklo_epi8(_mm_unpacklo_epi8(a, b), _mm_setzero_si128());
}

/* Store one pixel's bytes (lane 0 of v); 4 bytes when `wide` (the byte after may be written). */
INLINE void store_pixel(uint8_t *d, uint32_t v, const int C, int wide) {
    if (C == 4 || wide) {
        memcpy(d, &v, 4);
    } else {
        d[0] = (uint8_t)v;
        d[1] = (uint8_t)(v >> 8);
        d[2] = (uint8_t)(v >> 16);
    }
}

/* One output pixel's sums for R rows from pixel pairs: acc[r] = init + sum_t taps * weights. */
INLINE void pair_sums(__m128i acc[4], const uint8_t *p, ptrdiff_t ss, const int16_t *k, const int R, const int C, const int K, int tight,
                      __m128i init) {
    for (int r = 0; r < R; r++) acc[r] = init;
    for (int t = 0; t < K; t += 2) {
        const int second = t + 1 < K, last = t + 2 >= K;
        __m128i wv = weight_pair(k + t, second);
        for (int r = 0; r < R; r++) acc[r] = _mm_add_epi32(acc[r], _mm_madd_epi16(tap_pair(p + r * ss + t * C, C, second, last && tight), wv));
    }
}

/* Shift R rows' sums of one output pixel and store them (d: the pixel in the first row). */
INLINE void store_sums(uint8_t *d, ptrdiff_t ds, __m128i acc[4], __m128i sh, const int R, const int C, int wide) {
    for (int r = 0; r < R; r++) acc[r] = _mm_sra_epi32(acc[r], sh);
    if (R == 4) {
        __m128i v = _mm_packus_epi16(_mm_packs_epi32(acc[0], acc[1]), _mm_packs_epi32(acc[2], acc[3]));
        store_pixel(d, (uint32_t)_mm_cvtsi128_si32(v), C, wide);
        store_pixel(d + ds, (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(v, 4)), C, wide);
        store_pixel(d + 2 * ds, (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(v, 8)), C, wide);
        store_pixel(d + 3 * ds, (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(v, 12)), C, wide);
    } else {
        for (int r = 0; r < R; r++) {
            __m128i v = _mm_packs_epi32(acc[r], acc[r]);
            store_pixel(d + r * ds, (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(v, v)), C, wide);
        }
    }
}

/* Rows [r0, r0 + R) (R = 1..4): out pixel x of row r = sum_t in pixel (start[x] + t) of row r *
 * w[x][t]. C and Kc constant (Kc = 0: any K, read from the pass). */
INLINE void hrows_sse2(const HPass *h, long r0, const int R, const int C, const int Kc) {
    const int K = Kc ? Kc : h->K;
    const uint8_t *src = h->src + r0 * h->ss;
    uint8_t *dst = h->dst + r0 * h->ds;
    const ptrdiff_t ss = h->ss, ds = h->ds;
    const long n = h->n, src_cols = h->src_cols;
    const int *start = h->start;
    const int16_t *w = h->w;
    const int dst_padded = h->dst_padded;
    const __m128i init = _mm_set1_epi32((int32_t)1 << (h->prec - 1)), sh = _mm_cvtsi32_si128(h->prec);
    for (long x = 0; x < n; x++) {
        const long s0 = start[x];
        /* C == 3: the last tap's 4th byte exists unless it is a row's last pixel */
        const int tight = C == 3 && s0 + K >= src_cols;
        __m128i acc[4];
        pair_sums(acc, src + s0 * C, ss, w + x * K, R, C, K, tight, init);
        store_sums(dst + x * C, ds, acc, sh, R, C, x + 1 < n || dst_padded);
    }
}

INLINE void hdirect(const HPass *h, const int C, const int Kc) {
    const long rows = h->rows;
    long r = 0;
    for (; r + 4 <= rows; r += 4) hrows_sse2(h, r, 4, C, Kc);
    for (; r < rows; r++) hrows_sse2(h, r, 1, C, Kc);
}

/* hdirect with K constant where it is small. */
INLINE void hdirect_k(const HPass *h, const int C) {
    switch (h->K) {
    case 1: hdirect(h, C, 1); break;
    case 2: hdirect(h, C, 2); break;
    case 3: hdirect(h, C, 3); break;
    case 4: hdirect(h, C, 4); break;
    case 5: hdirect(h, C, 5); break;
    case 6: hdirect(h, C, 6); break;
    default: hdirect(h, C, 0); break;
    }
}

/* 3 and 4 channels directly, 1 and 2 channels (and K = 0) in transposed blocks. */
INLINE void hpass_direct_or_blocks(const HPass *h) {
    if (h->C == 3 && h->K > 0)
        hdirect_k(h, 3);
    else if (h->C == 4 && h->K > 0)
        hdirect_k(h, 4);
    else
        hblocks_any(h);
}

static void hpass_sse2(const HPass *h) { hpass_direct_or_blocks(h); }
#endif

/* ---------------------------------------------------------------- avx2 */
#if AUGKIT_HAVE_AVX2
#define AVX2 AUGKIT_TARGET_AVX2

/* vrow_sse2 32 bytes at a time (unpacking and packing within 128-bit lanes keeps the order). */
AVX2 INLINE void vrow_avx2(const uint8_t *r0, ptrdiff_t ss, uint8_t *out, long bytes, const int16_t *k, const int K, int prec) {
    const int P = (K + 1) / 2;
    const __m256i zero = _mm256_setzero_si256(), init = _mm256_set1_epi32((int32_t)1 << (prec - 1));
    const __m128i sh = _mm_cvtsi32_si128(prec);
    __m256i wv[(K + 1) / 2];
    for (int p = 0; p < P; p++) wv[p] = _mm256_broadcastsi128_si256(weight_pair(k + 2 * p, 2 * p + 1 < K));
    long j = 0;
    for (; j + 32 <= bytes; j += 32) {
        __m256i acc0 = init, acc1 = init, acc2 = init, acc3 = init;
        const uint8_t *r = r0 + j;
        for (int p = 0; p < P; p++) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(r + (ptrdiff_t)(2 * p) * ss));
            __m256i b = 2 * p + 1 < K ? _mm256_loadu_si256((const __m256i *)(r + (ptrdiff_t)(2 * p + 1) * ss)) : zero;
            __m256i lo = _mm256_unpacklo_epi8(a, b), hi = _mm256_unpackhi_epi8(a, b);
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi8(lo, zero), wv[p]));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi8(lo, zero), wv[p]));
            acc2 = _mm256_add_epi32(acc2, _mm256_madd_epi16(_mm256_unpacklo_epi8(hi, zero), wv[p]));
            acc3 = _mm256_add_epi32(acc3, _mm256_madd_epi16(_mm256_unpackhi_epi8(hi, zero), wv[p]));
        }
        __m256i v = _mm256_packus_epi16(_mm256_packs_epi32(_mm256_sra_epi32(acc0, sh), _mm256_sra_epi32(acc1, sh)),
                                        _mm256_packs_epi32(_mm256_sra_epi32(acc2, sh), _mm256_sra_epi32(acc3, sh)));
        _mm256_storeu_si256((__m256i *)(out + j), v);
    }
    if (j < bytes) vrow_sse2(r0 + j, ss, out + j, bytes - j, k, K, prec);
}

AVX2 static void vpass_avx2(const VPass *v) {
    const int K = v->K, prec = v->prec;
    for (long y = 0; y < v->rows; y++) {
        const uint8_t *r0 = v->src + (ptrdiff_t)v->start[y] * v->ss;
        const int16_t *k = v->w + (ptrdiff_t)y * K;
        uint8_t *out = v->dst + y * v->ds;
        switch (K) {
        case 1: vrow_avx2(r0, v->ss, out, v->bytes, k, 1, prec); break;
        case 2: vrow_avx2(r0, v->ss, out, v->bytes, k, 2, prec); break;
        case 3: vrow_avx2(r0, v->ss, out, v->bytes, k, 3, prec); break;
        case 4: vrow_avx2(r0, v->ss, out, v->bytes, k, 4, prec); break;
        case 5: vrow_avx2(r0, v->ss, out, v->bytes, k, 5, prec); break;
        case 6: vrow_avx2(r0, v->ss, out, v->bytes, k, 6, prec); break;
        case 7: vrow_avx2(r0, v->ss, out, v->bytes, k, 7, prec); break;
        case 8: vrow_avx2(r0, v->ss, out, v->bytes, k, 8, prec); break;
        default: vrow_sse2_many(r0, v->ss, out, v->bytes, k, K, prec); break;
        }
    }
}

/* The horizontal pass for 3 and 4 channels: 4 taps a load. 16 bytes from tap t's pixel are
 * shuffled (pshufb) to c0(t), c0(t+1), c1(t), c1(t+1), ... | the same for taps t + 2, t + 3,
 * widened to 16 int16, and pmaddwd with (w_t, w_t+1) x 4 | (w_t+2, w_t+3) x 4 sums them into
 * 8 int32 lanes: two partial sums of each channel, added at the end. Lanes past K have zero
 * weights; an output whose 16-byte loads would pass the end of the row takes the pixel-pair
 * path. */
AVX2 INLINE __m256i group_weights(const int16_t *k, int t, int K) {
    int16_t q[4];
    for (int i = 0; i < 4; i++) q[i] = t + i < K ? k[t + i] : 0;
    __m128i lo = weight_pair(q, 1), hi = weight_pair(q + 2, 1);
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

/* Rows [r0, r0 + R) as hrows_sse2, with wg: each output's weights as G = ceil(K / 4) vectors. */
AVX2 INLINE void hrows_avx2(const HPass *h, const __m256i *wg, long r0, const int R, const int C, const int Kc) {
    const int K = Kc ? Kc : h->K;
    const int G = (K + 3) / 4;
    const uint8_t *src = h->src + r0 * h->ss;
    uint8_t *dst = h->dst + r0 * h->ds;
    const ptrdiff_t ss = h->ss, ds = h->ds;
    const long n = h->n, src_cols = h->src_cols;
    const int *start = h->start;
    const int16_t *w = h->w;
    const int dst_padded = h->dst_padded;
    const __m128i init = _mm_set1_epi32((int32_t)1 << (h->prec - 1)), sh = _mm_cvtsi32_si128(h->prec);
    const __m128i mask = C == 3 ? _mm_setr_epi8(0, 3, 1, 4, 2, 5, -1, -1, 6, 9, 7, 10, 8, 11, -1, -1)
                                : _mm_setr_epi8(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15);
    /* the 16 bytes read from the last group's first pixel end inside the row */
    const long limit = src_cols * C - 16 - (long)(G - 1) * 4 * C;
    for (long x = 0; x < n; x++) {
        const long s0 = start[x];
        const uint8_t *p = src + s0 * C;
        __m128i acc[4];
        if (s0 * C <= limit) {
            __m256i a8[4];
            for (int r = 0; r < R; r++) a8[r] = _mm256_setzero_si256();
            for (int g = 0; g < G; g++) {
                __m256i wv = _mm256_loadu_si256(wg + x * G + g);
                for (int r = 0; r < R; r++) {
                    __m128i b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + r * ss + 4 * g * C)), mask);
                    a8[r] = _mm256_add_epi32(a8[r], _mm256_madd_epi16(_mm256_cvtepu8_epi16(b), wv));
                }
            }
            for (int r = 0; r < R; r++)
                acc[r] = _mm_add_epi32(init, _mm_add_epi32(_mm256_castsi256_si128(a8[r]), _mm256_extracti128_si256(a8[r], 1)));
        } else {
            pair_sums(acc, p, ss, w + x * K, R, C, K, C == 3 && s0 + K >= src_cols, init);
        }
        store_sums(dst + x * C, ds, acc, sh, R, C, x + 1 < n || dst_padded);
    }
}

AVX2 INLINE void hall_avx2(const HPass *h, const __m256i *wg, const int C, const int Kc) {
    const long rows = h->rows;
    long r = 0;
    for (; r + 4 <= rows; r += 4) hrows_avx2(h, wg, r, 4, C, Kc);
    for (; r < rows; r++) hrows_avx2(h, wg, r, 1, C, Kc);
}

AVX2 INLINE void hall_avx2_k(const HPass *h, const __m256i *wg, const int C) {
    switch (h->K) {
    case 2: hall_avx2(h, wg, C, 2); break;
    case 3: hall_avx2(h, wg, C, 3); break;
    case 4: hall_avx2(h, wg, C, 4); break;
    default: hall_avx2(h, wg, C, 0); break;
    }
}

/* 3 and 4 channels with K > 1; each output's weights as G vectors, made once for all rows. */
AVX2 static void hdirect_avx2(const HPass *h) {
    const int K = h->K, G = (K + 3) / 4;
    __m256i *wg = malloc(sizeof(__m256i) * (size_t)(h->n * G + 1));
    if (wg == NULL) {
        hpass_direct_or_blocks(h);
        return;
    }
    for (long x = 0; x < h->n; x++)
        for (int g = 0; g < G; g++) _mm256_storeu_si256(wg + x * G + g, group_weights(h->w + x * K, 4 * g, K));
    if (h->C == 3)
        hall_avx2_k(h, wg, 3);
    else
        hall_avx2_k(h, wg, 4);
    free(wg);
}

/* The SSE2 choices compiled for AVX2, with the 4-taps-a-load kernel where it applies. */
AVX2 static void hpass_avx2(const HPass *h) {
    if ((h->C == 3 || h->C == 4) && h->K > 1)
        hdirect_avx2(h);
    else
        hpass_direct_or_blocks(h);
}
#undef AVX2
#endif

/* ---------------------------------------------------------------- dispatch */

static void vpass(const VPass *v) {
    switch (simd) {
#if AUGKIT_HAVE_AVX2
    case AUGKIT_AVX2: vpass_avx2(v); return;
#endif
#if AUGKIT_HAVE_SSE2
    case AUGKIT_SSE2: vpass_sse2(v); return;
#endif
    default: vpass_portable(v); return;
    }
}

static void hpass(const HPass *h) {
    switch (simd) {
#if AUGKIT_HAVE_AVX2
    case AUGKIT_AVX2: hpass_avx2(h); return;
#endif
#if AUGKIT_HAVE_SSE2
    case AUGKIT_SSE2: hpass_sse2(h); return;
#endif
    default: hpass_portable(h); return;
    }
}

/* ------------------------------------------------------------------------------ resize_window */

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

/* parse: the call's arguments, the source and destination buffers held. */
typedef struct {
    Py_buffer src, dst;
    long y0, x0, in_h, in_w, out_h, out_w, top, left;
    int antialias;
    long rows, cols, C;   /* the source region */
    long height, width;   /* the window (dst) */
} Request;

static int parse_request(PyObject *args, Request *q) {
    PyObject *src_obj, *dst_obj;
    if (!PyArg_ParseTuple(args, "OOllllllllp:resize_window", &src_obj, &dst_obj, &q->y0, &q->x0, &q->in_h, &q->in_w, &q->out_h, &q->out_w,
                          &q->top, &q->left, &q->antialias))
        return -1;
    if (get_hwc(src_obj, &q->src, 0, "src") < 0) return -1;
    if (get_hwc(dst_obj, &q->dst, 1, "dst") < 0) {
        PyBuffer_Release(&q->src);
        return -1;
    }
    q->rows = (long)q->src.shape[0], q->cols = (long)q->src.shape[1], q->C = (long)q->src.shape[2];
    q->height = (long)q->dst.shape[0], q->width = (long)q->dst.shape[1];
    return 0;
}

/* plan: check the geometry and build both axes. Returns 0, or -1 with an error set. */
static int plan_window(const Request *q, Axis *ay, Axis *ax) {
    if (q->dst.shape[2] != q->C) {
        PyErr_SetString(PyExc_ValueError, "src and dst must have the same number of channels");
        return -1;
    }
    if (q->in_h < 1 || q->in_w < 1 || q->out_h < 1 || q->out_w < 1 || q->in_h >= INT_MAX || q->in_w >= INT_MAX || q->out_h >= INT_MAX ||
        q->out_w >= INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "image and output sizes must be positive");
        return -1;
    }
    if (q->height < 1 || q->width < 1 || q->top < 0 || q->left < 0 || q->top + q->height > q->out_h || q->left + q->width > q->out_w) {
        PyErr_Format(PyExc_ValueError, "window (%ld, %ld, %ld, %ld) is not inside the %ldx%ld output", q->top, q->left, q->height, q->width,
                     q->out_h, q->out_w);
        return -1;
    }
    if (q->y0 < 0 || q->x0 < 0 || q->y0 + q->rows > q->in_h || q->x0 + q->cols > q->in_w) {
        PyErr_SetString(PyExc_ValueError, "src region is not inside the image");
        return -1;
    }
    if (axis_build(ay, q->in_h, q->out_h, q->antialias, q->top, q->height) < 0 ||
        axis_build(ax, q->in_w, q->out_w, q->antialias, q->left, q->width) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if ((ay->hi > ay->lo && (ay->lo < q->y0 || ay->hi > q->y0 + q->rows)) || (ax->hi > ax->lo && (ax->lo < q->x0 || ax->hi > q->x0 + q->cols))) {
        PyErr_Format(PyExc_ValueError, "src region (rows %ld:%ld, cols %ld:%ld) lacks input the window reads (rows %ld:%ld, cols %ld:%ld)",
                     q->y0, q->y0 + q->rows, q->x0, q->x0 + q->cols, ay->lo, ay->hi, ax->lo, ax->hi);
        return -1;
    }
    return 0;
}

/* run: the passes the axes need, on scratch memory (no Python calls: the GIL is released).
 * Returns 0, or -1 when the scratch memory cannot be allocated. */
static int run_window(const Request *q, Axis *ay, Axis *ax) {
    const uint8_t *s = q->src.buf;
    uint8_t *d = q->dst.buf;
    const ptrdiff_t ss = q->src.strides[0], ds = q->dst.strides[0];
    const long C = q->C, width = q->width, height = q->height;
    /* scratch: the row pointers, transposed blocks, and the horizontal pass's rows */
    long kmax = ax->K > ay->K ? ax->K : ay->K, span = ax->identity ? 0 : ax->hi - ax->lo;
    long n = (ax->identity || ay->identity) ? 0 : ay->hi - ay->lo;
    ptrdiff_t ts = (ptrdiff_t)(width * C) + 1;
    size_t tin_size = ax->identity ? 0 : (size_t)(span + 1) * PITCH, tout_size = ax->identity ? 0 : (size_t)width * PITCH;
    uint8_t *scratch = calloc(tin_size + tout_size + (size_t)n * (size_t)ts + sizeof(uint8_t *) * (size_t)(kmax + 1) + 64, 1);
    if (scratch == NULL) return -1;
    const uint8_t **rp = (const uint8_t **)scratch;
    uint8_t *tin = scratch + sizeof(uint8_t *) * (size_t)(kmax + 1), *tout = tin + tin_size, *tmp = tout + tout_size;
    if (ax->identity && ay->identity) {
        for (long y = 0; y < height; y++) memcpy(d + y * ds, s + (q->top + y - q->y0) * ss + (q->left - q->x0) * C, (size_t)(width * C));
        free(scratch);
        return 0;
    }
    HPass h = {s, ss, q->cols, d, ds, 0, height, width, ax->start, ax->w, (int)C, ax->K, ax->prec, ax->lo - q->x0, ax->hi - q->x0, tin, tout, rp};
    VPass v = {s + (q->left - q->x0) * C, ss, d, ds, height, width * C, ay->start, ay->w, ay->K, ay->prec, rp};
    if (!ax->identity) rebase(ax, width, q->x0);
    if (ay->identity) {
        h.src = s + (q->top - q->y0) * ss;
        hpass(&h);
    } else if (ax->identity) {
        rebase(ay, height, q->y0);
        vpass(&v);
    } else {
        rebase(ay, height, ay->lo);
        h.src = s + (ay->lo - q->y0) * ss, h.dst = tmp, h.ds = ts, h.dst_padded = 1, h.rows = n;
        hpass(&h);
        v.src = tmp, v.ss = ts;
        vpass(&v);
    }
    free(scratch);
    return 0;
}

static PyObject *resize_window(PyObject *self, PyObject *args) {
    Request q;
    if (parse_request(args, &q) < 0) return NULL;
    Axis ay = {0}, ax = {0};
    PyObject *result = NULL;
    if (plan_window(&q, &ay, &ax) == 0) {
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = run_window(&q, &ay, &ax);
        Py_END_ALLOW_THREADS
        if (status < 0)
            PyErr_NoMemory();
        else
            result = Py_NewRef(Py_None);
    }
    axis_free(&ay);
    axis_free(&ax);
    PyBuffer_Release(&q.src);
    PyBuffer_Release(&q.dst);
    return result;
}

static PyObject *simd_level(PyObject *self, PyObject *args) { return augkit_simd_call(&simd, 0, args); }

static PyMethodDef methods[] = {
    {"resize_window", resize_window, METH_VARARGS,
     "resize_window(src, dst, y0, x0, in_h, in_w, out_h, out_w, top, left, antialias)\n\n"
     "Write the (H, W) window at (top, left) of torch's uint8 bilinear resize of the in_h x in_w image to\n"
     "(out_h, out_w) into dst, from src: the image's rows [y0, y0 + rows) and columns [x0, x0 + cols)."},
    {"simd_level", simd_level, METH_VARARGS, AUGKIT_SIMD_DOC},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._resize", "Windows of torch's uint8 bilinear resize, bit-exact.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__resize(void) {
    if (augkit_simd_init(&simd, 0) < 0) return NULL;
    return PyModule_Create(&module);
}
