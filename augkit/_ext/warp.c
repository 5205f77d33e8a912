/* augkit._warp: torch's grid_sample (align_corners=False, zeros padding) at a given grid, bit-exact.
 *
 * sample(src, dst, grid, bilinear, fill) resamples src, a [B, C, H, W] buffer (any strides, so
 * an HWC array is passed as a permuted view without a copy), at grid, a C-contiguous float32
 * [B, oh, ow, 2] of normalized positions, into dst, a [B, C, oh, ow] buffer (any strides).
 *
 * The arithmetic is torch's CPU kernel (aten/src/ATen/native/cpu/GridSamplerKernel.cpp) as its
 * x86-64 build runs it (AVX2, with the multiply-adds fused by the compiler): the same IEEE
 * float32 operations in the same order, fused exactly where torch's are (fmaf) and nowhere else
 * (this file is compiled with -ffp-contract=off), so the results are the same bits:
 *   x = fma(gx + 1, W / 2, -0.5), likewise y;
 *   nearest: the pixel at (rint(x), rint(y)) (ties to even), or fill / 0 outside the image;
 *   bilinear: the four neighbours' values (0 outside) weighted by
 *     nw = (1 - n)(1 - w), ne = (1 - n) w, sw = n (1 - w), se = n w with w = x - floor(x),
 *     n = y - floor(y), summed fma(se, ., fma(sw, ., fma(ne, ., nw * .))).
 * With a fill, bilinear blends as torchvision's _apply_grid_transform does:
 * (value - fill) * coverage + fill, coverage being the same sum over an image of ones. uint8
 * results are rounded half to even and clamped, as torchvision's round_() then cast.
 *
 * Nearest copies pixels of any item size (1, 2, 4 or 8 bytes: masks of any integer type, bool,
 * float); bilinear takes uint8 ('B') or float32 ('f'). fill is None or a C-contiguous buffer of
 * C values: float32 for bilinear, the image's own type for nearest.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simd.h"

/* The level the kernels run at (simd.h): avx2 (with FMA) inlines fmaf, floorf and rintf as single
 * instructions; portable and sse2 call libm for them, with the same results. */
static augkit_simd simd = AUGKIT_PORTABLE;
#define NEEDS_FMA 1

/* The float32 pixel values a bilinear call reads and writes. */
typedef enum { U8, F32 } Kind;

typedef struct {
    const char *src;
    char *dst;
    const float *grid;  /* [B, oh, ow, 2], or NULL: rows built from coef (affine) */
    const float *coef;  /* [B, 6] affine coefficients (ax, bx, cx, ay, by, cy), or NULL */
    float x0, y0;       /* the affine base grid's first column and row */
    float *row;         /* scratch for one row of an affine grid (2 * ow floats) */
    const char *fill; /* NULL: none */
    Py_ssize_t B, C, H, W, oh, ow, itemsize;
    Py_ssize_t ss[4], ds[4]; /* byte strides of src and dst */
    Kind kind;
} Warp;

/* Reads and writes through memcpy: strides need not keep floats aligned. */
AUGKIT_INLINE float read_value(const char *p, Kind kind) {
    if (kind == U8) return (float)*(const uint8_t *)p;
    float v;
    memcpy(&v, p, sizeof(v));
    return v;
}

AUGKIT_INLINE void write_value(char *p, float v, Kind kind) {
    if (kind == F32) {
        memcpy(p, &v, sizeof(v));
        return;
    }
    v = rintf(v);                                                   /* ties to even, as torch's round_() */
    *(uint8_t *)p = v >= 255.0f ? 255 : (v > 0.0f ? (uint8_t)v : 0); /* NaN -> 0 */
}

/* torch's unnormalize, (g + 1) * (size / 2) - 0.5, one fused multiply-add as torch's build has it. */
AUGKIT_INLINE float unnormalize(float g, float half) { return fmaf(g + 1.0f, half, -0.5f); }

/* One output pixel of the bilinear kernel: g its grid entry, dp its first channel in dst. */
AUGKIT_INLINE void bilinear_pixel(const Warp *q, const char *sb, const float *g, char *dp, float sx, float sy) {
    const float wmax = (float)(q->W - 1), hmax = (float)(q->H - 1);
    const float *fill = (const float *)q->fill;
    const Kind kind = q->kind;
    float x = unnormalize(g[0], sx), y = unnormalize(g[1], sy);
    float xw = floorf(x), yn = floorf(y);
    float w = x - xw, e = 1.0f - w, n = y - yn, s = 1.0f - n;
    float nw = s * e, ne = s * w, sw = n * e, se = n * w;
    int w_ok = xw >= 0.0f && xw <= wmax, e_ok = xw >= -1.0f && xw <= wmax - 1.0f;
    int n_ok = yn >= 0.0f && yn <= hmax, s_ok = yn >= -1.0f && yn <= hmax - 1.0f;
    int nw_ok = w_ok && n_ok, ne_ok = e_ok && n_ok, sw_ok = w_ok && s_ok, se_ok = e_ok && s_ok;
    /* the taps' offsets (xw, yn are in [-1, size - 1] when any tap is read) */
    Py_ssize_t off = 0;
    if (nw_ok || ne_ok || sw_ok || se_ok) off = (Py_ssize_t)yn * q->ss[2] + (Py_ssize_t)xw * q->ss[3];
    float coverage = 0.0f;
    if (fill != NULL) /* grid_sample of an image of ones */
        coverage = fmaf(se_ok ? 1.0f : 0.0f, se, fmaf(sw_ok ? 1.0f : 0.0f, sw, fmaf(ne_ok ? 1.0f : 0.0f, ne, (nw_ok ? 1.0f : 0.0f) * nw)));
    for (Py_ssize_t c = 0; c < q->C; c++, dp += q->ds[1]) {
        Py_ssize_t at = off + c * q->ss[1];
        float vnw = nw_ok ? read_value(sb + at, kind) : 0.0f;
        float vne = ne_ok ? read_value(sb + (at + q->ss[3]), kind) : 0.0f;
        float vsw = sw_ok ? read_value(sb + (at + q->ss[2]), kind) : 0.0f;
        float vse = se_ok ? read_value(sb + (at + q->ss[2] + q->ss[3]), kind) : 0.0f;
        float v = fmaf(vse, se, fmaf(vsw, sw, fmaf(vne, ne, vnw * nw)));
        if (fill != NULL) /* torchvision: three separate tensor operations, no fusing */
            v = (v - fill[c]) * coverage + fill[c];
        write_value(dp, v, kind);
    }
}

/* One output pixel of the nearest kernel. */
AUGKIT_INLINE void nearest_pixel(const Warp *q, const char *sb, const float *g, char *dp, float sx, float sy) {
    const float wmax = (float)(q->W - 1), hmax = (float)(q->H - 1);
    const size_t size = (size_t)q->itemsize;
    float x = rintf(unnormalize(g[0], sx)), y = rintf(unnormalize(g[1], sy));
    if (x >= 0.0f && x <= wmax && y >= 0.0f && y <= hmax) {
        const char *p = sb + ((Py_ssize_t)y * q->ss[2] + (Py_ssize_t)x * q->ss[3]);
        for (Py_ssize_t c = 0; c < q->C; c++, p += q->ss[1], dp += q->ds[1])
            memcpy(dp, p, size);
    } else {
        for (Py_ssize_t c = 0; c < q->C; c++, dp += q->ds[1]) {
            if (q->fill != NULL)
                memcpy(dp, q->fill + (size_t)c * size, size);
            else
                memset(dp, 0, size);
        }
    }
}

/* One row of torchvision's affine grid (_affine_grid: the base grid (x, y, 1) times the
 * rescaled matrix) as torch's CPU matmul computes it: fl(fma(y, b, x * a)) + c, per coordinate. */
AUGKIT_INLINE void affine_row_scalar(const float *c, float x0, float y, Py_ssize_t ow, float *out) {
    for (Py_ssize_t j = 0; j < ow; j++) {
        float x = x0 + (float)j;
        out[2 * j] = fmaf(y, c[1], x * c[0]) + c[2];
        out[2 * j + 1] = fmaf(y, c[4], x * c[3]) + c[5];
    }
}

/* Every pixel of every sample, one at a time (the portable and sse2 levels). */
AUGKIT_INLINE void each_pixel(const Warp *q, int bilinear) {
    const float sx = (float)q->W / 2.0f, sy = (float)q->H / 2.0f;
    for (Py_ssize_t b = 0; b < q->B; b++) {
        const char *sb = q->src + b * q->ss[0];
        for (Py_ssize_t i = 0; i < q->oh; i++) {
            char *drow = q->dst + b * q->ds[0] + i * q->ds[2];
            const float *g = q->row;
            if (q->coef == NULL) {
                g = q->grid + 2 * (b * q->oh + i) * q->ow;
            } else {
                affine_row_scalar(q->coef + 6 * b, q->x0, q->y0 + (float)i, q->ow, q->row);
                g = q->row;
            }
            for (Py_ssize_t j = 0; j < q->ow; j++, g += 2) {
                if (bilinear)
                    bilinear_pixel(q, sb, g, drow + j * q->ds[3], sx, sy);
                else
                    nearest_pixel(q, sb, g, drow + j * q->ds[3], sx, sy);
            }
        }
    }
}

static void run_portable(const Warp *q, int bilinear) { each_pixel(q, bilinear); }

#if AUGKIT_HAVE_AVX2
/* The offset of a sample's last byte from its first (strides >= 0). */
static Py_ssize_t last_byte(const Warp *q) { return (q->H - 1) * q->ss[2] + (q->W - 1) * q->ss[3] + (q->C - 1) * q->ss[1] + q->itemsize - 1; }

/* avx2: 8 output pixels of a row at a time. The coordinates, weights and sums are vectors
 * (the same operations as bilinear_pixel, lane by lane). No gather instructions (slow on CPUs
 * with the gather-data-sampling mitigation): nearest copies each pixel's bytes, bilinear reads
 * a pixel's two tap rows with two 8-byte loads and spreads the bytes with pshufb. Blocks that
 * touch a border, or whose loads would pass the image's last byte, and the last pixels of a
 * row take bilinear_pixel / nearest_pixel. */

/* The x and y vectors of 8 grid entries (x0 y0 x1 y1 ...). */
AUGKIT_TARGET_AVX2_FMA static inline void load_xy(const float *g, __m256 *x, __m256 *y) {
    __m256 a = _mm256_loadu_ps(g), b = _mm256_loadu_ps(g + 8);
    __m256 xs = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), ys = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *x = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(xs), _MM_SHUFFLE(3, 1, 2, 0)));
    *y = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ys), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* lo <= v <= hi, lane by lane, as an all-ones / zero float mask (NaN: zero). */
AUGKIT_TARGET_AVX2_FMA static inline __m256 within(__m256 v, float lo, float hi) {
    return _mm256_and_ps(_mm256_cmp_ps(v, _mm256_set1_ps(lo), _CMP_GE_OQ), _mm256_cmp_ps(v, _mm256_set1_ps(hi), _CMP_LE_OQ));
}

/* Byte offsets yn * sy + xw * sx of in-range lanes (others clamped first: never read). */
AUGKIT_TARGET_AVX2_FMA static inline void offsets(__m256 xw, __m256 yn, const Warp *q, int32_t *out) {
    __m256 lo = _mm256_set1_ps(-1.0f);
    __m256i ix = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(xw, lo), _mm256_set1_ps((float)q->W)));
    __m256i iy = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_max_ps(yn, lo), _mm256_set1_ps((float)q->H)));
    __m256i o = _mm256_add_epi32(_mm256_mullo_epi32(iy, _mm256_set1_epi32((int32_t)q->ss[2])),
                                 _mm256_mullo_epi32(ix, _mm256_set1_epi32((int32_t)q->ss[3])));
    _mm256_storeu_si256((__m256i *)out, o);
}

/* Whether 8 offsets step by one byte. */
AUGKIT_INLINE int consecutive(const int32_t *off) {
    for (int k = 1; k < 8; k++)
        if (off[k] != off[0] + k) return 0;
    return 1;
}

/* Whether a pixel and its east neighbour, all channels, lie within 8 bytes (HWC, up to 4 channels). */
static int interleaved(const Warp *q) { return q->C <= 4 && q->ss[3] + (q->C - 1) * q->ss[1] + 1 <= 8; }

/* Whether bilinear_row_avx2 takes this image: uint8, interleaved or one plane per channel. */
static int vector_rows(const Warp *q) { return q->kind == U8 && (interleaved(q) || q->ss[3] + 1 <= 8); }

/* The pshufb masks that move byte `pos` of each 8-byte load into 32-bit lanes: `lo` for the
 * loads of pixels 0-3 (to lanes 0, 1 | 4, 5), `hi` for pixels 4-7 (to lanes 2, 3 | 6, 7). */
AUGKIT_TARGET_AVX2_FMA static inline void byte_masks(int pos, __m256i *lo, __m256i *hi) {
    int8_t m[2][32];
    memset(m, 0x80, sizeof(m));
    for (int half = 0; half < 2; half++) {
        m[0][16 * half + 0] = (int8_t)pos, m[0][16 * half + 4] = (int8_t)(8 + pos);
        m[1][16 * half + 8] = (int8_t)pos, m[1][16 * half + 12] = (int8_t)(8 + pos);
    }
    *lo = _mm256_loadu_si256((const __m256i *)m[0]);
    *hi = _mm256_loadu_si256((const __m256i *)m[1]);
}

/* Byte `pos` of the 8 loads (pixels 0-3 in `a`, 4-7 in `b`) as floats, in pixel order. */
AUGKIT_TARGET_AVX2_FMA static inline __m256 pick(__m256i a, __m256i b, __m256i lo, __m256i hi) {
    __m256i mixed = _mm256_or_si256(_mm256_shuffle_epi8(a, lo), _mm256_shuffle_epi8(b, hi));
    return _mm256_cvtepi32_ps(_mm256_permutevar8x32_epi32(mixed, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)));
}

AUGKIT_INLINE uint64_t load8(const char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* The 8 bytes at each pixel's north-west tap (p[k]) and one row below (+ sy), pixels 0-3 in
 * the `a` vectors, 4-7 in the `b` ones. */
AUGKIT_TARGET_AVX2_FMA static inline void load_rows(const char *const *p, Py_ssize_t sy, __m256i *na, __m256i *nb, __m256i *sa, __m256i *sb) {
    *na = _mm256_setr_epi64x((long long)load8(p[0]), (long long)load8(p[1]), (long long)load8(p[2]), (long long)load8(p[3]));
    *nb = _mm256_setr_epi64x((long long)load8(p[4]), (long long)load8(p[5]), (long long)load8(p[6]), (long long)load8(p[7]));
    *sa = _mm256_setr_epi64x((long long)load8(p[0] + sy), (long long)load8(p[1] + sy), (long long)load8(p[2] + sy), (long long)load8(p[3] + sy));
    *sb = _mm256_setr_epi64x((long long)load8(p[4] + sy), (long long)load8(p[5] + sy), (long long)load8(p[6] + sy), (long long)load8(p[7] + sy));
}

/* A row of a uint8 image whose pixel and its east neighbour, all channels, span at most 8
 * bytes (HWC with up to 4 channels, or one plane): blocks of 8 pixels whose taps are all inside
 * the image read each pixel's two rows with two 8-byte loads; the other blocks (borders) and
 * the last pixels take bilinear_pixel. */
AUGKIT_TARGET_AVX2_FMA static void bilinear_row_avx2(const Warp *q, const char *sb, const float *g, char *drow, float sx, float sy) {
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
    const __m256 vsx = _mm256_set1_ps(sx), vsy = _mm256_set1_ps(sy), half = _mm256_set1_ps(-0.5f);
    const float wmax = (float)(q->W - 1), hmax = (float)(q->H - 1);
    const float *fill = (const float *)q->fill;
    const Py_ssize_t sx3 = q->ss[3], sy2 = q->ss[2];
    /* interleaved channels share the loads; planes (CHW) are loaded one by one */
    const int planar = !interleaved(q);
    /* the largest offset whose two 8-byte loads (of every plane) stay inside the image */
    const Py_ssize_t safe = last_byte(q) - 7 - sy2 - (planar ? (q->C - 1) * q->ss[1] : 0);
    __m256i mask_lo[2][4], mask_hi[2][4]; /* [west, east][channel] */
    for (Py_ssize_t c = 0; c < (planar ? 1 : q->C); c++) {
        byte_masks((int)(c * q->ss[1]), &mask_lo[0][c], &mask_hi[0][c]);
        byte_masks((int)(sx3 + c * q->ss[1]), &mask_lo[1][c], &mask_hi[1][c]);
    }
    Py_ssize_t j = 0;
    for (; j + 8 <= q->ow; j += 8, g += 16) {
        __m256 gx, gy;
        load_xy(g, &gx, &gy);
        __m256 x = _mm256_fmadd_ps(_mm256_add_ps(gx, one), vsx, half), y = _mm256_fmadd_ps(_mm256_add_ps(gy, one), vsy, half);
        __m256 xw = _mm256_floor_ps(x), yn = _mm256_floor_ps(y);
        __m256 inside = _mm256_and_ps(within(xw, 0.0f, wmax - 1.0f), within(yn, 0.0f, hmax - 1.0f)); /* all four taps */
        int32_t off[8];
        offsets(xw, yn, q, off);
        int fast = _mm256_movemask_ps(inside) == 0xFF;
        for (int k = 0; fast && k < 8; k++) fast = off[k] <= safe;
        __m256 any = _mm256_or_ps(_mm256_and_ps(within(xw, -1.0f, wmax), within(yn, -1.0f, hmax)), _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        if (!fast && _mm256_movemask_ps(any) == 0 && _mm256_movemask_ps(within(y, -16777216.0f, 16777216.0f)) == 0xFF &&
            _mm256_movemask_ps(within(x, -16777216.0f, 16777216.0f)) == 0xFF) {
            /* no tap inside, finite weights: every value is 0, so fill (or 0) */
            for (Py_ssize_t c = 0; c < q->C; c++) {
                char *dp = drow + j * q->ds[3] + c * q->ds[1];
                float v = fill != NULL ? (0.0f - fill[c]) * 0.0f + fill[c] : 0.0f;
                for (int k = 0; k < 8; k++) write_value(dp + k * q->ds[3], v, U8);
            }
            continue;
        }
        if (!fast) {
            for (int k = 0; k < 8; k++) bilinear_pixel(q, sb, g + 2 * k, drow + (j + k) * q->ds[3], sx, sy);
            continue;
        }
        __m256 w = _mm256_sub_ps(x, xw), e = _mm256_sub_ps(one, w), n = _mm256_sub_ps(y, yn), s = _mm256_sub_ps(one, n);
        __m256 nw = _mm256_mul_ps(s, e), ne = _mm256_mul_ps(s, w), sw = _mm256_mul_ps(n, e), se = _mm256_mul_ps(n, w);
        __m256 coverage = zero;
        if (fill != NULL)
            coverage = _mm256_fmadd_ps(one, se, _mm256_fmadd_ps(one, sw, _mm256_fmadd_ps(one, ne, _mm256_mul_ps(one, nw))));
        const char *p[8];
        for (int k = 0; k < 8; k++) p[k] = sb + off[k];
        __m256i north_a = _mm256_setzero_si256(), north_b = north_a, south_a = north_a, south_b = north_a;
        for (Py_ssize_t c = 0; c < q->C; c++) {
            if (c == 0 || planar) {
                if (c > 0)
                    for (int k = 0; k < 8; k++) p[k] += q->ss[1];
                load_rows(p, sy2, &north_a, &north_b, &south_a, &south_b);
            }
            const int m = planar ? 0 : (int)c;
            __m256 v = _mm256_mul_ps(pick(north_a, north_b, mask_lo[0][m], mask_hi[0][m]), nw);
            v = _mm256_fmadd_ps(pick(north_a, north_b, mask_lo[1][m], mask_hi[1][m]), ne, v);
            v = _mm256_fmadd_ps(pick(south_a, south_b, mask_lo[0][m], mask_hi[0][m]), sw, v);
            v = _mm256_fmadd_ps(pick(south_a, south_b, mask_lo[1][m], mask_hi[1][m]), se, v);
            if (fill != NULL) {
                __m256 f = _mm256_set1_ps(fill[c]);
                v = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(v, f), coverage), f);
            }
            /* round half to even, then clamp (max first: NaN -> 0) */
            v = _mm256_min_ps(_mm256_max_ps(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zero), top);
            __m256i r = _mm256_cvtps_epi32(v);
            __m128i packed = _mm_packus_epi16(_mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1)), _mm_setzero_si128());
            char *dp = drow + j * q->ds[3] + c * q->ds[1];
            if (q->ds[3] == 1) {
                _mm_storel_epi64((__m128i *)dp, packed);
            } else {
                uint8_t bytes[16];
                _mm_storeu_si128((__m128i *)bytes, packed);
                for (int k = 0; k < 8; k++) dp[k * q->ds[3]] = (char)bytes[k];
            }
        }
    }
    for (; j < q->ow; j++, g += 2) bilinear_pixel(q, sb, g, drow + j * q->ds[3], sx, sy);
}

AUGKIT_TARGET_AVX2_FMA static void nearest_row_avx2(const Warp *q, const char *sb, const float *g, char *drow, float sx, float sy) {
    const __m256 one = _mm256_set1_ps(1.0f), half = _mm256_set1_ps(-0.5f);
    const __m256 vsx = _mm256_set1_ps(sx), vsy = _mm256_set1_ps(sy);
    const float wmax = (float)(q->W - 1), hmax = (float)(q->H - 1);
    /* locals: the stores through char pointers could otherwise alias the struct's fields */
    const size_t size = (size_t)q->itemsize;
    const Py_ssize_t C = q->C, ss1 = q->ss[1], ds1 = q->ds[1], ds3 = q->ds[3], ow = q->ow;
    const char *fill = q->fill;
    Py_ssize_t j = 0;
    for (; j + 8 <= ow; j += 8, g += 16) {
        __m256 gx, gy;
        load_xy(g, &gx, &gy);
        __m256 x = _mm256_round_ps(_mm256_fmadd_ps(_mm256_add_ps(gx, one), vsx, half), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 y = _mm256_round_ps(_mm256_fmadd_ps(_mm256_add_ps(gy, one), vsy, half), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const int inside = _mm256_movemask_ps(_mm256_and_ps(within(x, 0.0f, wmax), within(y, 0.0f, hmax)));
        int32_t off[8];
        offsets(x, y, q, off);
        char *dj = drow + j * ds3;
        if (size == 1) {
            /* 8 consecutive source bytes (shears along x, small rotations on planes): one copy */
            const int run = inside == 0xFF && ds3 == 1 && consecutive(off);
            for (Py_ssize_t c = 0; c < C; c++) {
                const char *sc = sb + c * ss1;
                char *dc = dj + c * ds1;
                const char outside = fill != NULL ? fill[c] : 0;
                if (run) {
                    memcpy(dc, sc + off[0], 8);
                } else if (ds3 == 1) {
                    char bytes[8];
                    for (int k = 0; k < 8; k++) bytes[k] = inside >> k & 1 ? sc[off[k]] : outside;
                    memcpy(dc, bytes, 8);
                } else {
                    for (int k = 0; k < 8; k++) dc[k * ds3] = inside >> k & 1 ? sc[off[k]] : outside;
                }
            }
            continue;
        }
        for (int k = 0; k < 8; k++) {
            char *dp = dj + k * ds3;
            for (Py_ssize_t c = 0; c < C; c++) {
                if (inside >> k & 1)
                    memcpy(dp + c * ds1, sb + off[k] + c * ss1, size);
                else if (fill != NULL)
                    memcpy(dp + c * ds1, fill + (size_t)c * size, size);
                else
                    memset(dp + c * ds1, 0, size);
            }
        }
    }
    for (; j < ow; j++, g += 2) nearest_pixel(q, sb, g, drow + j * ds3, sx, sy);
}

/* The vector rows gather at 32-bit offsets from a sample's first byte: for sources with
 * non-negative strides whose offsets fit. */
static int offsets_fit(const Warp *q) {
    if (q->ss[1] < 0 || q->ss[2] < 0 || q->ss[3] < 0) return 0;
    return (q->H + 1) * q->ss[2] + (q->W + 1) * q->ss[3] + q->C * q->ss[1] < ((Py_ssize_t)1 << 30);
}

/* Rows [first, last) of one sample, g the first one's grid entries. */
AUGKIT_TARGET_AVX2_FMA static void rows_avx2(const Warp *q, const char *sb, const float *g, Py_ssize_t first, Py_ssize_t last, char *db, int bilinear) {
    const float sx = (float)q->W / 2.0f, sy = (float)q->H / 2.0f;
    for (Py_ssize_t i = first; i < last; i++, g += 2 * q->ow) {
        char *drow = db + i * q->ds[2];
        if (!bilinear)
            nearest_row_avx2(q, sb, g, drow, sx, sy);
        else if (vector_rows(q))
            bilinear_row_avx2(q, sb, g, drow, sx, sy);
        else
            for (Py_ssize_t j = 0; j < q->ow; j++) bilinear_pixel(q, sb, g + 2 * j, drow + j * q->ds[3], sx, sy);
    }
}

/* affine_row_scalar, 8 columns at a time (the same operations, lane by lane), interleaved. */
AUGKIT_TARGET_AVX2_FMA static void affine_row_avx2(const float *c, float x0, float y, Py_ssize_t ow, float *out) {
    const __m256 ax = _mm256_set1_ps(c[0]), bx = _mm256_set1_ps(c[1]), cx = _mm256_set1_ps(c[2]);
    const __m256 ay = _mm256_set1_ps(c[3]), by = _mm256_set1_ps(c[4]), cy = _mm256_set1_ps(c[5]);
    const __m256 vy = _mm256_set1_ps(y), steps = _mm256_setr_ps(0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f);
    Py_ssize_t j = 0;
    for (; j + 8 <= ow; j += 8) {
        __m256 x = _mm256_add_ps(_mm256_set1_ps(x0 + (float)j), steps); /* exact: integers and halves below 2^23 */
        __m256 gx = _mm256_add_ps(_mm256_fmadd_ps(vy, bx, _mm256_mul_ps(x, ax)), cx);
        __m256 gy = _mm256_add_ps(_mm256_fmadd_ps(vy, by, _mm256_mul_ps(x, ay)), cy);
        __m256 lo = _mm256_unpacklo_ps(gx, gy), hi = _mm256_unpackhi_ps(gx, gy);
        _mm256_storeu_ps(out + 2 * j, _mm256_permute2f128_ps(lo, hi, 0x20));
        _mm256_storeu_ps(out + 2 * j + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
    }
    for (; j < ow; j++) {
        float x = x0 + (float)j;
        out[2 * j] = fmaf(y, c[1], x * c[0]) + c[2];
        out[2 * j + 1] = fmaf(y, c[4], x * c[3]) + c[5];
    }
}

AUGKIT_TARGET_AVX2_FMA static void run_avx2(const Warp *q, int bilinear) {
    for (Py_ssize_t b = 0; b < q->B; b++) {
        const char *sb = q->src + b * q->ss[0];
        if (q->coef == NULL) {
            rows_avx2(q, sb, q->grid + 2 * b * q->oh * q->ow, 0, q->oh, q->dst + b * q->ds[0], bilinear);
            continue;
        }
        for (Py_ssize_t i = 0; i < q->oh; i++) {
            affine_row_avx2(q->coef + 6 * b, q->x0, q->y0 + (float)i, q->ow, q->row);
            rows_avx2(q, sb, q->row, i, i + 1, q->dst + b * q->ds[0], bilinear);
        }
    }
}
#endif

static void run(const Warp *q, int bilinear, augkit_simd level) {
#if AUGKIT_HAVE_AVX2
    if (level == AUGKIT_AVX2 && offsets_fit(q)) {
        run_avx2(q, bilinear);
        return;
    }
#endif
    (void)level;
    run_portable(q, bilinear);
}

/* ------------------------------------------------------------------------------ Python entry point */

static int same_format(const Py_buffer *a, const Py_buffer *b) {
    const char *fa = a->format ? a->format : "B", *fb = b->format ? b->format : "B";
    return a->itemsize == b->itemsize && strcmp(fa, fb) == 0;
}

static int is_format(const Py_buffer *view, const char *format) {
    const char *f = view->format ? view->format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    return strcmp(f, format) == 0;
}

/* A call's images and fill, checked; release() gives them back. */
typedef struct {
    Py_buffer src, dst, fill;
    int have_src, have_dst, have_fill;
    Warp q;
} Request;

static void release(Request *r) {
    if (r->have_fill) PyBuffer_Release(&r->fill);
    if (r->have_dst) PyBuffer_Release(&r->dst);
    if (r->have_src) PyBuffer_Release(&r->src);
}

/* The images of a call into r->q (grid left unset); 0, or -1 with an error set. */
static int prepare(PyObject *src_obj, PyObject *dst_obj, int bilinear, PyObject *fill_obj, Request *r) {
    memset(r, 0, sizeof(*r));
    if (PyObject_GetBuffer(src_obj, &r->src, PyBUF_STRIDES | PyBUF_FORMAT) < 0) return -1;
    r->have_src = 1;
    if (PyObject_GetBuffer(dst_obj, &r->dst, PyBUF_STRIDES | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) return -1;
    r->have_dst = 1;
    Py_buffer *src = &r->src, *dst = &r->dst;
    if (src->ndim != 4 || dst->ndim != 4) {
        PyErr_SetString(PyExc_ValueError, "src and dst must be 4-dimensional [B, C, H, W] buffers");
        return -1;
    }
    if (!same_format(src, dst)) {
        PyErr_SetString(PyExc_ValueError, "src and dst must have the same item type");
        return -1;
    }
    if (dst->shape[0] != src->shape[0] || dst->shape[1] != src->shape[1]) {
        PyErr_SetString(PyExc_ValueError, "src [B, C, H, W] and dst [B, C, oh, ow] do not agree");
        return -1;
    }
    Kind kind = U8;
    if (bilinear) {
        if (is_format(src, "B"))
            kind = U8;
        else if (is_format(src, "f"))
            kind = F32;
        else {
            PyErr_SetString(PyExc_ValueError, "bilinear sampling takes uint8 or float32 images");
            return -1;
        }
    } else if (src->itemsize != 1 && src->itemsize != 2 && src->itemsize != 4 && src->itemsize != 8) {
        PyErr_SetString(PyExc_ValueError, "nearest sampling takes items of 1, 2, 4 or 8 bytes");
        return -1;
    }
    if (fill_obj != Py_None) {
        if (PyObject_GetBuffer(fill_obj, &r->fill, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
        r->have_fill = 1;
        int ok = r->fill.ndim == 1 && r->fill.shape[0] == src->shape[1] && (bilinear ? is_format(&r->fill, "f") : same_format(&r->fill, src));
        if (!ok) {
            PyErr_SetString(PyExc_ValueError, "fill must hold one value per channel (float32 for bilinear, the image's type for nearest)");
            return -1;
        }
    }
    Warp q = {src->buf, dst->buf, NULL, NULL, 0.0f, 0.0f, NULL, r->have_fill ? r->fill.buf : NULL, src->shape[0], src->shape[1],
              src->shape[2], src->shape[3], dst->shape[2], dst->shape[3], src->itemsize, {0}, {0}, kind};
    for (int k = 0; k < 4; k++) q.ss[k] = src->strides[k], q.ds[k] = dst->strides[k];
    if (!(q.H > 0 && q.W > 0 && q.H < (1 << 24) && q.W < (1 << 24)) && q.B * q.C * q.oh * q.ow > 0) {
        PyErr_SetString(PyExc_ValueError, "src must have 1 to 2^24 - 1 rows and columns");
        return -1;
    }
    r->q = q;
    return 0;
}

/* Resample r->q (its grid or its coefficients set), without the GIL. */
static PyObject *execute(Request *r, int bilinear) {
    Warp *q = &r->q;
    if (q->B * q->C * q->oh * q->ow == 0) return Py_NewRef(Py_None);
    if (q->coef != NULL && (q->row = PyMem_RawMalloc(sizeof(float) * 2 * (size_t)q->ow)) == NULL) return PyErr_NoMemory();
    augkit_simd level = simd;
    Py_BEGIN_ALLOW_THREADS
    run(q, bilinear, level);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(q->row);
    q->row = NULL;
    return Py_NewRef(Py_None);
}

static PyObject *sample(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj, *grid_obj, *fill_obj, *result = NULL;
    int bilinear;
    if (!PyArg_ParseTuple(args, "OOOpO:sample", &src_obj, &dst_obj, &grid_obj, &bilinear, &fill_obj)) return NULL;
    Request r;
    Py_buffer grid = {0};
    int have_grid = 0;
    if (prepare(src_obj, dst_obj, bilinear, fill_obj, &r) < 0) goto done;
    if (PyObject_GetBuffer(grid_obj, &grid, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
    have_grid = 1;
    if (grid.ndim != 4 || !is_format(&grid, "f") || grid.shape[3] != 2) {
        PyErr_SetString(PyExc_ValueError, "grid must be a C-contiguous float32 [B, oh, ow, 2] buffer");
        goto done;
    }
    if (grid.shape[0] != r.q.B || grid.shape[1] != r.q.oh || grid.shape[2] != r.q.ow) {
        PyErr_SetString(PyExc_ValueError, "src [B, C, H, W], dst [B, C, oh, ow] and grid [B, oh, ow, 2] do not agree");
        goto done;
    }
    r.q.grid = grid.buf;
    result = execute(&r, bilinear);
done:
    if (have_grid) PyBuffer_Release(&grid);
    release(&r);
    return result;
}

/* The [B, 6] float32 affine coefficients of a call, checked against B; 0, or -1 with an error set. */
static int get_coefficients(PyObject *obj, Py_ssize_t batch, Py_buffer *view) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (view->ndim != 2 || !is_format(view, "f") || view->shape[1] != 6 || view->shape[0] != batch) {
        PyErr_SetString(PyExc_ValueError, "coefficients must be a C-contiguous float32 [B, 6] buffer, one row per image");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *sample_affine(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj, *coef_obj, *fill_obj, *result = NULL;
    float x0, y0;
    int bilinear;
    if (!PyArg_ParseTuple(args, "OOOffpO:sample_affine", &src_obj, &dst_obj, &coef_obj, &x0, &y0, &bilinear, &fill_obj)) return NULL;
    Request r;
    Py_buffer coef = {0};
    int have_coef = 0;
    if (prepare(src_obj, dst_obj, bilinear, fill_obj, &r) < 0) goto done;
    if (get_coefficients(coef_obj, r.q.B, &coef) < 0) goto done;
    have_coef = 1;
    r.q.coef = coef.buf, r.q.x0 = x0, r.q.y0 = y0;
    result = execute(&r, bilinear);
done:
    if (have_coef) PyBuffer_Release(&coef);
    release(&r);
    return result;
}

static PyObject *affine_grid(PyObject *self, PyObject *args) {
    PyObject *coef_obj, *out_obj;
    float x0, y0;
    if (!PyArg_ParseTuple(args, "OffO:affine_grid", &coef_obj, &x0, &y0, &out_obj)) return NULL;
    Py_buffer out = {0}, coef = {0};
    if (PyObject_GetBuffer(out_obj, &out, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) return NULL;
    if (out.ndim != 4 || !is_format(&out, "f") || out.shape[3] != 2) {
        PyErr_SetString(PyExc_ValueError, "out must be a C-contiguous float32 [B, oh, ow, 2] buffer");
        PyBuffer_Release(&out);
        return NULL;
    }
    if (get_coefficients(coef_obj, out.shape[0], &coef) < 0) {
        PyBuffer_Release(&out);
        return NULL;
    }
    const float *c = coef.buf;
    float *g = out.buf;
    const Py_ssize_t batch = out.shape[0], oh = out.shape[1], ow = out.shape[2];
    augkit_simd level = simd;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        for (Py_ssize_t i = 0; i < oh; i++) {
            float *row = g + 2 * (b * oh + i) * ow;
#if AUGKIT_HAVE_AVX2
            if (level == AUGKIT_AVX2) {
                affine_row_avx2(c + 6 * b, x0, y0 + (float)i, ow, row);
                continue;
            }
#endif
            affine_row_scalar(c + 6 * b, x0, y0 + (float)i, ow, row);
        }
    }
    Py_END_ALLOW_THREADS
    (void)level;
    PyBuffer_Release(&coef);
    PyBuffer_Release(&out);
    return Py_NewRef(Py_None);
}

static PyObject *simd_level(PyObject *self, PyObject *args) { return augkit_simd_call(&simd, NEEDS_FMA, args); }

static PyMethodDef methods[] = {
    {"sample", sample, METH_VARARGS,
     "sample(src, dst, grid, bilinear, fill)\n--\n\n"
     "torch's grid_sample (align_corners=False, zeros padding) of src [B, C, H, W] at grid [B, oh, ow, 2]\n"
     "into dst [B, C, oh, ow], with torchvision's fill; bit-exact."},
    {"sample_affine", sample_affine, METH_VARARGS,
     "sample_affine(src, dst, coefficients, x0, y0, bilinear, fill)\n--\n\n"
     "sample() at the affine grid of coefficients [B, 6] (built row by row, as affine_grid), never stored whole."},
    {"affine_grid", affine_grid, METH_VARARGS,
     "affine_grid(coefficients, x0, y0, out)\n--\n\n"
     "torchvision's affine grid into out [B, oh, ow, 2]: for the base point (x0 + j, y0 + i),\n"
     "fl(fma(y, b, x * a)) + c per coordinate, (a, b, c) = coefficients[:, 0:3] for x and [:, 3:6] for y,\n"
     "the rescaled matrix as torch's CPU matmul multiplies it."},
    {"simd_level", simd_level, METH_VARARGS, AUGKIT_SIMD_DOC},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._warp", "torch's grid_sample at a given grid, bit-exact, without copies.",
                                    -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__warp(void) {
    if (augkit_simd_init(&simd, NEEDS_FMA) < 0) return NULL;
    return PyModule_Create(&module);
}
