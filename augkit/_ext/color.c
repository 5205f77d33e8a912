/* augkit._color: ColorJitter on one uint8 RGB image, bit-exact with torchvision v2.
 *
 * torchvision works on uint8 images in float32 and ends every operation with a clamp
 * and a truncation to uint8 (hue: ``x * 255.999`` truncated). Its CPU kernels (AVX2 and
 * up, and NEON) compute ``a.add_(b, alpha=k)`` with a fused multiply-add, so the gray
 * image and the contrast/saturation blends are ``fma(b, k, a)``: one float32 rounding.
 * This module reproduces each float32 operation in the same order:
 *
 * - a product of two float32 values plus a float32 value is exact in double whenever the
 *   terms' bits span at most 53 bits; rounding that double to float32 once then equals the
 *   fused result. The gray weights meet this for all 16.7M colours (measured); the
 *   saturation blend is checked per factor (a libm ``fmaf`` path covers the rest); the
 *   contrast blend, a point operation, is checked on all 256 levels (else a table).
 * - the hue round trip follows ``_rgb_to_hsv`` / ``_hsv_to_rgb`` operation by operation.
 *
 * The image is processed in blocks of pixels held as planar float32 (every value an
 * integer 0..255 between operations), so each operation is a loop the compiler
 * vectorizes with baseline SIMD. Contrast needs the mean gray of the image as it is when
 * contrast runs: the operations before it run in a first pass that also sums the gray.
 *
 * Levels (simd.h; AUGKIT_SIMD caps the level at import, simd_level() shows it):
 * - portable: the block passes above, bytes split into planes and merged back in plain C;
 * - sse2: the same, splitting and merging 16 pixels at a time with SSE2;
 * - avx2 (AVX2 and FMA): a pass that computes the fused operations with the FMA instruction
 *   itself, reads and writes the interleaved bytes directly and keeps the floats in
 *   registers within an operation (run_pass_fast).
 * Every level is checked against torchvision on all 2^24 colours by
 * scripts/check_color_exhaustive.py. The GIL is released around the pixel loops. Only
 * Python.h and the buffer protocol.
 */
/* Vectorizing the clamps and selects needs this; it changes no result (no reassociation,
 * no contraction), only stops GCC from keeping floating-point exception flags exact. It comes
 * first, so that the SIMD intrinsics (simd.h) are compiled with it too. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "simd.h"


/* Everything a pass runs is inlined into it, so compiled for its level. */
#define KERNEL AUGKIT_INLINE

/* The level the passes use (simd.h), set at import; its AVX2 kernels also use FMA. */
static augkit_simd simd = AUGKIT_PORTABLE;
#define NEEDS_FMA 1

#define BLOCK 512
#define MAX_OPS 16

enum { BRIGHTNESS = 0, CONTRAST = 1, SATURATION = 2, HUE = 3 };

/* torchvision's constants, as its float32 kernels see them. */
#define W_R ((float)0.2989)
#define W_G ((float)0.587)
#define W_B ((float)0.114)
#define INV255 ((float)(1.0 / 255.0))
#define SIXTH ((float)(1.0 / 6.0))
#define TO_U8 ((float)255.999)

typedef struct {
    int op;
    float f;       /* float32(factor) */
    float a;       /* float32(1 - factor) (blends) */
    double ad;     /* (double)a */
    int exact;     /* saturation: the double blend is exact; contrast: the affine form is */
    float mean;    /* contrast: the mean gray */
    double c;      /* contrast: (double)mean * (double)a */
    uint8_t table[256]; /* contrast: the exact table (used when !exact) */
} Op;

typedef struct {
    float r[BLOCK], g[BLOCK], b[BLOCK], gray[BLOCK];
    uint8_t planes[3][BLOCK]; /* interleaved pixels pass through these byte planes */
} Block;

/* ---------------------------------------------------------------- per-block operations */

/* trunc(clamp(y, 0, 255)) as a whole number, for |y| < 2^31 (blend_is_exact and
 * prepare_contrast make sure of it); int compares keep the loops free of float branches. */
KERNEL float clamp255(float y) {
    int v = (int)y;
    v = v < 0 ? 0 : v;
    return (float)(v > 255 ? 255 : v);
}

KERNEL void gray_floor(const Block *k, float *gray, int n) {
    /* floor(fma(b, w_b, fma(g, w_g, r * w_r))): both fused sums are exact in double. */
    for (int i = 0; i < n; i++) {
        float s1 = (float)((double)(k->r[i] * W_R) + (double)k->g[i] * (double)W_G);
        float s2 = (float)((double)s1 + (double)k->b[i] * (double)W_B);
        gray[i] = (float)(int)s2;
    }
}

KERNEL void brightness(float *c, int n, float f) {
    for (int i = 0; i < n; i++)
        c[i] = clamp255(c[i] * f);
}

KERNEL void contrast(float *c, int n, const Op *op) {
    if (op->exact) {
        for (int i = 0; i < n; i++)
            c[i] = clamp255((float)((double)(c[i] * op->f) + op->c));
    } else {
        for (int i = 0; i < n; i++)
            c[i] = (float)op->table[(int)c[i]];
    }
}

KERNEL void saturation_channel(float *c, const float *gray, int n, const Op *op) {
    if (op->exact) {
        for (int i = 0; i < n; i++)
            c[i] = clamp255((float)((double)(c[i] * op->f) + (double)gray[i] * op->ad));
    } else {
        for (int i = 0; i < n; i++) {
            float y = fmaf(gray[i], op->a, c[i] * op->f);
            c[i] = y <= 0.0f ? 0.0f : (y >= 255.0f ? 255.0f : (float)(int)y);
        }
    }
}

KERNEL float clamp01(float y) {
    y = y < 0.0f ? 0.0f : y;
    return y > 1.0f ? 1.0f : y;
}

/* Hue runs as two loops (to H, S, V in place, then back), each small enough for GCC to vectorize. */
KERNEL void hue_to_hsv(Block *k, int n) {
    float *R = k->r, *G = k->g, *B = k->b;
    for (int i = 0; i < n; i++) {
        /* _rgb_to_hsv on x * float32(1 / 255) */
        float r = R[i] * INV255, g = G[i] * INV255, b = B[i] * INV255;
        float mx = r > g ? r : g;
        mx = mx > b ? mx : b;
        float mn = r < g ? r : g;
        mn = mn < b ? mn : b;
        int eqc = mx == mn;
        float range = mx - mn;
        float s = range / (eqc ? 1.0f : mx);
        float div = eqc ? 1.0f : range;
        /* h = bc - gc (max is r), (rc + 2) - bc (max is g), (gc + 4) - rc (else) */
        int is_r = mx == r, is_g = (mx != r) & (mx == g);
        float first = is_r ? b : (is_g ? r : g);
        float second = is_r ? g : (is_g ? b : r);
        float offset = is_r ? 0.0f : (is_g ? 2.0f : 4.0f);
        float h = ((mx - first) / div + offset) - (mx - second) / div;
        h = h * SIXTH + 1.0f;
        h = h >= 1.0f ? h - 1.0f : h;
        R[i] = h;
        G[i] = s;
        B[i] = mx;
    }
}

KERNEL void hue_from_hsv(Block *k, int n, float shift) {
    float *R = k->r, *G = k->g, *B = k->b;
    for (int i = 0; i < n; i++) {
        float h = R[i], s = G[i], v = B[i];
        /* (h + shift) remainder 1, h in [0, 1) and shift in [-1, 1]. Where torch's
         * remainder rounds up to 1.0 this gives 0.0: both land in sector 0 with f = 0. */
        h = h + shift;
        h = h < 0.0f ? h + 1.0f : h;
        h = h >= 1.0f ? h - 1.0f : h; /* h + 1 rounds to 1 for h > -2^-25: 0 then */
        /* _hsv_to_rgb; the sector as a float keeps every select in one vector width */
        float h6 = h * 6.0f;
        float sector = (float)(int)h6;
        float f = h6 - sector;
        sector = sector == 6.0f ? 0.0f : sector;
        float sxf = s * f;
        float oms = 1.0f - s;
        float q = clamp01((1.0f - sxf) * v);
        float t = clamp01((sxf + oms) * v);
        float p = clamp01(oms * v);
        /* torchvision's select table: r = v q p p t v, g = t v v q p p, b = p p t v v q */
        float ro = sector == 4.0f ? t : p;
        ro = sector == 1.0f ? q : ro;
        ro = sector == 0.0f ? v : ro;
        ro = sector == 5.0f ? v : ro;
        float go = sector == 3.0f ? q : p;
        go = sector <= 2.0f ? v : go;
        go = sector == 0.0f ? t : go;
        float bo = sector == 5.0f ? q : v;
        bo = sector == 2.0f ? t : bo;
        bo = sector <= 1.0f ? p : bo;
        R[i] = (float)(int)(ro * TO_U8);
        G[i] = (float)(int)(go * TO_U8);
        B[i] = (float)(int)(bo * TO_U8);
    }
}

KERNEL void apply_op(Block *k, int n, const Op *op) {
    switch (op->op) {
    case BRIGHTNESS:
        brightness(k->r, n, op->f);
        brightness(k->g, n, op->f);
        brightness(k->b, n, op->f);
        break;
    case CONTRAST:
        contrast(k->r, n, op);
        contrast(k->g, n, op);
        contrast(k->b, n, op);
        break;
    case SATURATION:
        gray_floor(k, k->gray, n);
        saturation_channel(k->r, k->gray, n, op);
        saturation_channel(k->g, k->gray, n, op);
        saturation_channel(k->b, k->gray, n, op);
        break;
    default:
        hue_to_hsv(k, n);
        hue_from_hsv(k, n, op->f);
    }
}

/* ---------------------------------------------------------------- load / store */

typedef struct {
    const uint8_t *src;
    uint8_t *dst;
    Py_ssize_t pixels;
    int planar; /* 1: [3, H, W] planes, 0: [H, W, 3] interleaved */
} Image;

#if AUGKIT_HAVE_SSE2
/* (a, b, c) -> (zip(a.lo, b.hi), zip(a.hi, c.lo), zip(b.lo, c.hi)) on bytes; four rounds turn
 * 16 interleaved RGB pixels into R, G and B planes (OpenCV's SSE2 v_load_deinterleave). */
KERNEL void split_round(__m128i *a, __m128i *b, __m128i *c) {
    __m128i x = _mm_unpacklo_epi8(*a, _mm_unpackhi_epi64(*b, *b));
    __m128i y = _mm_unpacklo_epi8(_mm_unpackhi_epi64(*a, *a), *c);
    __m128i z = _mm_unpacklo_epi8(*b, _mm_unpackhi_epi64(*c, *c));
    *a = x, *b = y, *c = z;
}

/* The inverse round: even and odd bytes back into halves. */
KERNEL void merge_round(__m128i *a, __m128i *b, __m128i *c) {
    const __m128i low = _mm_set1_epi16(0xff);
    __m128i x = _mm_packus_epi16(_mm_and_si128(*a, low), _mm_and_si128(*b, low));
    __m128i y = _mm_packus_epi16(_mm_and_si128(*c, low), _mm_srli_epi16(*a, 8));
    __m128i z = _mm_packus_epi16(_mm_srli_epi16(*b, 8), _mm_srli_epi16(*c, 8));
    *a = x, *b = y, *c = z;
}
#endif

/* Interleaved RGB bytes <-> three byte planes; with `sse2`, 16 pixels at a time first. */
KERNEL void split_rgb(const uint8_t *p, uint8_t *r, uint8_t *g, uint8_t *b, int n, const int sse2) {
    int i = 0;
#if AUGKIT_HAVE_SSE2
    for (; sse2 && i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(p + 3 * i));
        __m128i y = _mm_loadu_si128((const __m128i *)(p + 3 * i + 16));
        __m128i z = _mm_loadu_si128((const __m128i *)(p + 3 * i + 32));
        for (int round = 0; round < 4; round++)
            split_round(&x, &y, &z);
        _mm_storeu_si128((__m128i *)(r + i), x);
        _mm_storeu_si128((__m128i *)(g + i), y);
        _mm_storeu_si128((__m128i *)(b + i), z);
    }
#endif
    for (; i < n; i++) {
        r[i] = p[3 * i];
        g[i] = p[3 * i + 1];
        b[i] = p[3 * i + 2];
    }
}

KERNEL void merge_rgb(uint8_t *p, const uint8_t *r, const uint8_t *g, const uint8_t *b, int n, const int sse2) {
    int i = 0;
#if AUGKIT_HAVE_SSE2
    for (; sse2 && i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(r + i));
        __m128i y = _mm_loadu_si128((const __m128i *)(g + i));
        __m128i z = _mm_loadu_si128((const __m128i *)(b + i));
        for (int round = 0; round < 4; round++)
            merge_round(&x, &y, &z);
        _mm_storeu_si128((__m128i *)(p + 3 * i), x);
        _mm_storeu_si128((__m128i *)(p + 3 * i + 16), y);
        _mm_storeu_si128((__m128i *)(p + 3 * i + 32), z);
    }
#endif
    for (; i < n; i++) {
        p[3 * i] = r[i];
        p[3 * i + 1] = g[i];
        p[3 * i + 2] = b[i];
    }
}

KERNEL void load(const uint8_t *data, const Image *im, Py_ssize_t start, int n, Block *k, const int sse2) {
    const uint8_t *r, *g, *b;
    if (im->planar) {
        r = data + start, g = r + im->pixels, b = g + im->pixels;
    } else {
        split_rgb(data + 3 * start, k->planes[0], k->planes[1], k->planes[2], n, sse2);
        r = k->planes[0], g = k->planes[1], b = k->planes[2];
    }
    for (int i = 0; i < n; i++) {
        k->r[i] = r[i];
        k->g[i] = g[i];
        k->b[i] = b[i];
    }
}

KERNEL void store(const Image *im, Py_ssize_t start, int n, Block *k, const int sse2) {
    int planar = im->planar;
    uint8_t *r = planar ? im->dst + start : k->planes[0];
    uint8_t *g = planar ? r + im->pixels : k->planes[1];
    uint8_t *b = planar ? g + im->pixels : k->planes[2];
    for (int i = 0; i < n; i++) {
        r[i] = (uint8_t)(int)k->r[i];
        g[i] = (uint8_t)(int)k->g[i];
        b[i] = (uint8_t)(int)k->b[i];
    }
    if (!planar)
        merge_rgb(im->dst + 3 * start, r, g, b, n, sse2);
}

/* One pass: load from ``data``, apply ops[0:count], store to dst; with ``gray_sum``, also
 * sum the floored gray of the result (for the contrast that follows). */
KERNEL void run_pass(const uint8_t *data, const Image *im, const Op *ops, int count, int64_t *gray_sum, Block *k, const int sse2) {
    int64_t total = 0;
    for (Py_ssize_t start = 0; start < im->pixels; start += BLOCK) {
        int n = (int)(im->pixels - start < BLOCK ? im->pixels - start : BLOCK);
        load(data, im, start, n, k, sse2);
        for (int j = 0; j < count; j++)
            apply_op(k, n, &ops[j]);
        if (gray_sum) {
            gray_floor(k, k->gray, n);
            int32_t part = 0;
            for (int i = 0; i < n; i++)
                part += (int32_t)k->gray[i];
            total += part;
        }
        if (count > 0 || (!gray_sum && data != im->dst))
            store(im, start, n, k, sse2);
    }
    if (gray_sum)
        *gray_sum = total;
}

static void run_pass_portable(const uint8_t *data, const Image *im, const Op *ops, int count, int64_t *gray_sum, Block *k) {
    run_pass(data, im, ops, count, gray_sum, k, 0);
}

#if AUGKIT_HAVE_SSE2
static void run_pass_sse2(const uint8_t *data, const Image *im, const Op *ops, int count, int64_t *gray_sum, Block *k) {
    run_pass(data, im, ops, count, gray_sum, k, 1);
}
#endif

/* ---------------------------------------------------------------- AVX2 + FMA pass
 *
 * With FMA in hardware the fused operations need no emulation: ``_mm256_fmadd_ps`` rounds
 * once, as torch's kernels do, and every other float32 operation is the same IEEE
 * operation, so this pass computes torchvision's arithmetic directly, eight pixels per
 * vector, all operations of a pass on registers (the image is read and written once per
 * pass, through byte planes). Picked at load time where the CPU has AVX2 and FMA. */
#if AUGKIT_HAVE_AVX2
#define FAST AUGKIT_TARGET_AVX2_FMA
#define FAST_KERNEL AUGKIT_TARGET_AVX2_FMA AUGKIT_INLINE
#define TRUNC (_MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC)

/* trunc(clamp(y, 0, 255)); a NaN gives 0. */
FAST_KERNEL __m256 v_clamp255(__m256 y) {
    y = _mm256_round_ps(y, TRUNC);
    return _mm256_min_ps(_mm256_max_ps(y, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
}

/* floor(fma(b, w_b, fma(g, w_g, r * w_r))): torchvision's floored gray (never negative). */
FAST_KERNEL __m256 v_gray(__m256 r, __m256 g, __m256 b) {
    __m256 s = _mm256_mul_ps(r, _mm256_set1_ps(W_R));
    s = _mm256_fmadd_ps(g, _mm256_set1_ps(W_G), s);
    s = _mm256_fmadd_ps(b, _mm256_set1_ps(W_B), s);
    return _mm256_round_ps(s, TRUNC);
}

/* Comparisons on the bits (integer compares issue on more ports than float ones): for floats
 * that are not NaN and not -0, == is equality of the bits, and x >= 1 is bits(x) > bits(1) - 1
 * (negative floats are negative integers). */
FAST_KERNEL __m256 v_eq(__m256 x, __m256 y) {
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_castps_si256(x), _mm256_castps_si256(y)));
}

FAST_KERNEL __m256 v_ge1(__m256 x) {
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_castps_si256(x), _mm256_set1_epi32(0x3f7fffff)));
}

/* cond ? x : y */
FAST_KERNEL __m256 v_sel(__m256 cond, __m256 x, __m256 y) { return _mm256_blendv_ps(y, x, cond); }

typedef struct {
    __m256 r, g, b;
} V3;

/* _rgb_to_hsv: (r, g, b) levels -> (h, s, v). Hue runs as two loops over a block (each short
 * enough for the out-of-order core to overlap several vectors' long dependency chains). */
FAST_KERNEL V3 v_to_hsv(V3 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 inv255 = _mm256_set1_ps(INV255);
    /* on x * float32(1 / 255) */
    __m256 r = _mm256_mul_ps(x.r, inv255), g = _mm256_mul_ps(x.g, inv255), b = _mm256_mul_ps(x.b, inv255);
    __m256 mx = _mm256_max_ps(_mm256_max_ps(r, g), b);
    __m256 mn = _mm256_min_ps(_mm256_min_ps(r, g), b);
    __m256 eqc = v_eq(mx, mn);
    __m256 range = _mm256_sub_ps(mx, mn);
    __m256 s = _mm256_div_ps(range, v_sel(eqc, one, mx));
    __m256 div = v_sel(eqc, one, range);
    /* h = bc - gc (max is r), (rc + 2) - bc (max is g), (gc + 4) - rc (else) */
    __m256 is_r = v_eq(mx, r);
    __m256 is_g = _mm256_andnot_ps(is_r, v_eq(mx, g));
    __m256 first = v_sel(is_r, b, v_sel(is_g, r, g));
    __m256 second = v_sel(is_r, g, v_sel(is_g, b, r));
    __m256 offset = _mm256_andnot_ps(is_r, v_sel(is_g, _mm256_set1_ps(2.0f), _mm256_set1_ps(4.0f)));
    __m256 h = _mm256_add_ps(_mm256_div_ps(_mm256_sub_ps(mx, first), div), offset);
    h = _mm256_sub_ps(h, _mm256_div_ps(_mm256_sub_ps(mx, second), div));
    h = _mm256_add_ps(_mm256_mul_ps(h, _mm256_set1_ps(SIXTH)), one);
    h = v_sel(v_ge1(h), _mm256_sub_ps(h, one), h);
    V3 hsv = {h, s, mx};
    return hsv;
}

/* (h + shift) remainder 1 (see hue()), then _hsv_to_rgb and the truncation to levels. */
FAST_KERNEL V3 v_from_hsv(V3 x, __m256 shift) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 h = _mm256_add_ps(x.r, shift), s = x.g, v = x.b;
    /* h < 0: the sign bit (h is never -0: h before the shift is not, and +0 + -0 is +0) */
    h = _mm256_blendv_ps(h, _mm256_add_ps(h, one), h);
    h = v_sel(v_ge1(h), _mm256_sub_ps(h, one), h);
    __m256 h6 = _mm256_mul_ps(h, _mm256_set1_ps(6.0f));
    __m256 f = _mm256_sub_ps(h6, _mm256_round_ps(h6, TRUNC));
    __m256i sector = _mm256_cvttps_epi32(h6); /* 0..6, 6 (h6 rounded up to 6) is sector 0 */
    __m256 sxf = _mm256_mul_ps(s, f);
    __m256 oms = _mm256_sub_ps(one, s);
    /* torchvision's select table r = v q p p t v, g = t v v q p p, b = p p t v v q: each channel
     * takes v, p or the sector's other value (q in odd sectors, t in even ones). A mask is a
     * constant shifted left by the sector, bit 31 - k set for the sectors k it holds in
     * (blendv reads the sign bit). */
#define IN(set) _mm256_castsi256_ps(_mm256_sllv_epi32(_mm256_set1_epi32((int)(set)), sector))
#define K(k) (1u << (31 - (k)))
    /* q = (1 - s * f) * v, t = (s * f + (1 - s)) * v, p = (1 - s) * v. torchvision clamps them
     * to [0, 1]; they never leave it: v = x * float32(1 / 255) <= 1 for x <= 255, s = range / v
     * is in [0, 1] (rounding is monotone), f in [0, 1), so 1 - s * f, s * f + (1 - s) (<= s +
     * (1 - s) rounded, i.e. 1) and 1 - s are in [0, 1] (checked on all 2^24 colours by
     * scripts/check_color_exhaustive.py). */
    __m256 other = _mm256_mul_ps(v_sel(IN(K(1) | K(3) | K(5)), _mm256_sub_ps(one, sxf), _mm256_add_ps(sxf, oms)), v);
    __m256 p = _mm256_mul_ps(oms, v);
    __m256 ro = v_sel(IN(K(0) | K(5) | K(6)), v, v_sel(IN(K(1) | K(4)), other, p));
    __m256 go = v_sel(IN(K(1) | K(2)), v, v_sel(IN(K(0) | K(3) | K(6)), other, p));
    __m256 bo = v_sel(IN(K(3) | K(4)), v, v_sel(IN(K(2) | K(5)), other, p));
#undef K
#undef IN
    const __m256 to_u8 = _mm256_set1_ps(TO_U8);
    /* x * 255.999 in [0, 256): truncated by v_levels or by the conversion to bytes */
    V3 rgb = {_mm256_mul_ps(ro, to_u8), _mm256_mul_ps(go, to_u8), _mm256_mul_ps(bo, to_u8)};
    return rgb;
}

/* trunc of each channel (values in [0, 256)) */
FAST_KERNEL V3 v_levels(V3 x) {
    x.r = _mm256_round_ps(x.r, TRUNC), x.g = _mm256_round_ps(x.g, TRUNC), x.b = _mm256_round_ps(x.b, TRUNC);
    return x;
}

/* y, or min(y, 255) where only the conversion to bytes follows (it truncates, and its
 * saturating packs take negative values and NaN to 0). */
FAST_KERNEL __m256 v_clamp(__m256 y, int to_bytes) {
    return to_bytes ? _mm256_min_ps(_mm256_set1_ps(255.0f), y) : v_clamp255(y);
}

/* Brightness, contrast, saturation; ``to_bytes``: only the conversion to bytes follows. */
FAST_KERNEL V3 v_point(V3 x, const Op *op, int to_bytes) {
    const __m256 f = _mm256_set1_ps(op->f), a = _mm256_set1_ps(op->a);
    if (op->op == BRIGHTNESS) {
        x.r = v_clamp(_mm256_mul_ps(x.r, f), to_bytes);
        x.g = v_clamp(_mm256_mul_ps(x.g, f), to_bytes);
        x.b = v_clamp(_mm256_mul_ps(x.b, f), to_bytes);
    } else if (op->op == CONTRAST) {
        const __m256 mean = _mm256_set1_ps(op->mean);
        x.r = v_clamp(_mm256_fmadd_ps(mean, a, _mm256_mul_ps(x.r, f)), to_bytes);
        x.g = v_clamp(_mm256_fmadd_ps(mean, a, _mm256_mul_ps(x.g, f)), to_bytes);
        x.b = v_clamp(_mm256_fmadd_ps(mean, a, _mm256_mul_ps(x.b, f)), to_bytes);
    } else {
        const __m256 gray = v_gray(x.r, x.g, x.b);
        x.r = v_clamp(_mm256_fmadd_ps(gray, a, _mm256_mul_ps(x.r, f)), to_bytes);
        x.g = v_clamp(_mm256_fmadd_ps(gray, a, _mm256_mul_ps(x.g, f)), to_bytes);
        x.b = v_clamp(_mm256_fmadd_ps(gray, a, _mm256_mul_ps(x.b, f)), to_bytes);
    }
    return x;
}

/* Where a block's pixels come from and go to: interleaved [H, W, 3] bytes (``planar`` 0;
 * reading 8 pixels reads 32 bytes, so the caller keeps 8 readable bytes after each vector) or
 * three planes ``stride`` bytes apart; pointers at the block's first pixel. */
typedef struct {
    const uint8_t *in;
    uint8_t *out;
    Py_ssize_t stride;
    int planar;
} Io;

FAST_KERNEL __m256 v_load8(const uint8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* Pixels i..i+7 of the block: from the image's bytes (the first operation of a pass) or the
 * block's float planes (the others). */
FAST_KERNEL V3 v_in(const Block *k, const Io *io, int i, int bytes) {
    V3 x;
    if (bytes && io->planar) {
        const uint8_t *p = io->in + i;
        x.r = v_load8(p), x.g = v_load8(p + io->stride), x.b = v_load8(p + 2 * io->stride);
    } else if (bytes) {
        /* 24 bytes -> lanes (pixels 0-3 | 4-7) -> each channel's bytes into 32-bit slots */
        __m256i v = _mm256_loadu_si256((const __m256i *)(io->in + 3 * i));
        v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0));
#define PICK(c) _mm256_setr_epi8(c, -1, -1, -1, c + 3, -1, -1, -1, c + 6, -1, -1, -1, c + 9, -1, -1, -1, \
                                 c, -1, -1, -1, c + 3, -1, -1, -1, c + 6, -1, -1, -1, c + 9, -1, -1, -1)
        x.r = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, PICK(0)));
        x.g = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, PICK(1)));
        x.b = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, PICK(2)));
#undef PICK
    } else {
        x.r = _mm256_loadu_ps(k->r + i), x.g = _mm256_loadu_ps(k->g + i), x.b = _mm256_loadu_ps(k->b + i);
    }
    return x;
}

/* And back (levels); with ``sum``, also add the floored gray of the n - i valid pixels. */
FAST_KERNEL void v_out(Block *k, const Io *io, int i, int bytes, V3 x, __m256i *sum, int n) {
    if (sum) {
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), lanes);
        *sum = _mm256_add_epi32(*sum, _mm256_and_si256(_mm256_cvttps_epi32(v_gray(x.r, x.g, x.b)), valid));
    }
    if (bytes && io->planar) {
        /* 8 levels per channel back to bytes: r0-3 g0-3 b0-3 b0-3 | r4-7 g4-7 b4-7 b4-7 */
        __m256i ri = _mm256_cvttps_epi32(x.r), gi = _mm256_cvttps_epi32(x.g), bi = _mm256_cvttps_epi32(x.b);
        __m256i words = _mm256_packus_epi16(_mm256_packus_epi32(ri, gi), _mm256_packus_epi32(bi, bi));
        __m256i v = _mm256_permutevar8x32_epi32(words, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
        uint8_t *p = io->out + i;
        _mm_storel_epi64((__m128i *)p, lo);
        _mm_storel_epi64((__m128i *)(p + io->stride), _mm_unpackhi_epi64(lo, lo));
        _mm_storel_epi64((__m128i *)(p + 2 * io->stride), hi);
    } else if (bytes) {
        /* saturating packs: r0-3 g0-3 b0-3 b0-3 | r4-7 g4-7 b4-7 b4-7, interleaved (12 bytes per
         * lane), the lanes joined: 24 bytes */
        __m256i ri = _mm256_cvttps_epi32(x.r), gi = _mm256_cvttps_epi32(x.g), bi = _mm256_cvttps_epi32(x.b);
        __m256i v = _mm256_packus_epi16(_mm256_packus_epi32(ri, gi), _mm256_packus_epi32(bi, bi));
        v = _mm256_shuffle_epi8(v, _mm256_setr_epi8(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, -1, -1, -1, -1, 0, 4, 8, 1, 5,
                                                    9, 2, 6, 10, 3, 7, 11, -1, -1, -1, -1));
        v = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
        uint8_t *p = io->out + 3 * i;
        _mm_storeu_si128((__m128i *)p, _mm256_castsi256_si128(v));
        _mm_storel_epi64((__m128i *)(p + 16), _mm256_extracti128_si256(v, 1));
    } else {
        _mm256_storeu_ps(k->r + i, x.r);
        _mm256_storeu_ps(k->g + i, x.g);
        _mm256_storeu_ps(k->b + i, x.b);
    }
}

/* One operation over the block's n pixels (nv rounded up to 8), reading the image's bytes
 * (in_bytes) or the float planes, writing bytes (out_bytes, summing the gray with ``sum``) or
 * the float planes. */
FAST_KERNEL void v_apply(Block *k, const Io *io, int n, int nv, const Op *op, int in_bytes, int out_bytes, __m256i *sum) {
    int to_bytes = out_bytes && !sum; /* the levels need not be exact floats */
    if (op->op == HUE) {
        for (int i = 0; i < nv; i += 8)
            v_out(k, io, i, 0, v_to_hsv(v_in(k, io, i, in_bytes)), NULL, n);
        const __m256 shift = _mm256_set1_ps(op->f);
        for (int i = 0; i < nv; i += 8) {
            V3 y = v_from_hsv(v_in(k, io, i, 0), shift);
            v_out(k, io, i, out_bytes, to_bytes ? y : v_levels(y), sum, n);
        }
    } else if (op->op == BRIGHTNESS) {
        for (int i = 0; i < nv; i += 8)
            v_out(k, io, i, out_bytes, v_point(v_in(k, io, i, in_bytes), op, to_bytes), sum, n);
    } else if (op->op == CONTRAST) {
        for (int i = 0; i < nv; i += 8)
            v_out(k, io, i, out_bytes, v_point(v_in(k, io, i, in_bytes), op, to_bytes), sum, n);
    } else {
        for (int i = 0; i < nv; i += 8)
            v_out(k, io, i, out_bytes, v_point(v_in(k, io, i, in_bytes), op, to_bytes), sum, n);
    }
}

/* The operations on one block of n <= BLOCK pixels; returns the sum of the floored gray of the
 * result where ``want_sum``. */
FAST_KERNEL int64_t v_block(Block *k, const Io *io, int n, const Op *ops, int count, int want_sum) {
    int nv = (n + 7) & ~7;
    __m256i sum = _mm256_setzero_si256();
    __m256i *sump = want_sum ? &sum : NULL;
    /* constant flags per call, so each variant is its own loop */
    for (int j = 0; j < count; j++) {
        const Op *op = &ops[j];
        int in = j == 0, out = j == count - 1;
        if (in && out)
            sump ? v_apply(k, io, n, nv, op, 1, 1, &sum) : v_apply(k, io, n, nv, op, 1, 1, NULL);
        else if (in)
            v_apply(k, io, n, nv, op, 1, 0, NULL);
        else if (out)
            sump ? v_apply(k, io, n, nv, op, 0, 1, &sum) : v_apply(k, io, n, nv, op, 0, 1, NULL);
        else
            v_apply(k, io, n, nv, op, 0, 0, NULL);
    }
    if (!want_sum)
        return 0;
    if (count == 0) {
        const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for (int i = 0; i < nv; i += 8) {
            V3 x = v_in(k, io, i, 1);
            __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), lanes);
            sum = _mm256_add_epi32(sum, _mm256_and_si256(_mm256_cvttps_epi32(v_gray(x.r, x.g, x.b)), valid));
        }
    }
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
    return _mm_cvtsi128_si32(s4);
}

/* As run_pass, eight pixels per vector: whole vectors where 32 bytes can be read from each
 * (interleaved) or 8 from each plane; the last (at most 18) pixels through padded copies. */
FAST static void run_pass_fast(const uint8_t *data, const Image *im, const Op *ops, int count, int64_t *gray_sum, Block *k) {
    Py_ssize_t N = im->pixels;
    int64_t total = 0;
    if (count == 0 && !gray_sum) {
        if (data != im->dst)
            memcpy(im->dst, data, (size_t)(3 * N));
        return;
    }
    Py_ssize_t whole = im->planar ? N & ~(Py_ssize_t)7 : (N >= 11 ? ((N - 11) / 8 + 1) * 8 : 0);
    for (Py_ssize_t start = 0; start < whole; start += BLOCK) {
        int n = (int)(whole - start < BLOCK ? whole - start : BLOCK);
        Io io = {data + (im->planar ? start : 3 * start), im->dst + (im->planar ? start : 3 * start), N, im->planar};
        total += v_block(k, &io, n, ops, count, gray_sum != NULL);
    }
    int rest = (int)(N - whole);
    if (rest > 0) {
        uint8_t in[3 * 24 + 8] = {0}, out[3 * 24];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < rest; i++)
                in[3 * i + c] = im->planar ? data[c * N + whole + i] : data[3 * (whole + i) + c];
        Io io = {in, out, 0, 0};
        total += v_block(k, &io, rest, ops, count, gray_sum != NULL);
        if (count > 0)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < rest; i++) {
                    if (im->planar)
                        im->dst[c * N + whole + i] = out[3 * i + c];
                    else
                        im->dst[3 * (whole + i) + c] = out[3 * i + c];
                }
    }
    if (gray_sum)
        *gray_sum = total;
}
#endif

static void pass(augkit_simd level, const uint8_t *data, const Image *im, const Op *ops, int count, int64_t *gray_sum, Block *k) {
    switch (level) {
#if AUGKIT_HAVE_AVX2
    case AUGKIT_AVX2: run_pass_fast(data, im, ops, count, gray_sum, k); return;
#endif
#if AUGKIT_HAVE_SSE2
    case AUGKIT_SSE2: run_pass_sse2(data, im, ops, count, gray_sum, k); return;
#endif
    default: run_pass_portable(data, im, ops, count, gray_sum, k); return;
    }
}

/* ---------------------------------------------------------------- exactness checks */

static int exponent(float v) {
    int e;
    frexpf(v, &e);
    return e;
}

/* Is (double)(x * f) + (double)g * a exact for all integers x, g in 0..255? The terms are
 * multiples of ulp(f) and ulp(a) below 256 * (|f| + |a|): exact if that spans <= 53 bits. */
static int blend_is_exact(float f, float a) {
    if (f == 0.0f || a == 0.0f)
        return 1;
    if (!(fabsf(f) < 1048576.0f && fabsf(a) < 1048576.0f))
        return 0; /* also keeps |x * f + g * a| below 2^31 for the int clamp */
    int ef = exponent(f), ea = exponent(a);
    int hi = ef > ea ? ef : ea, lo = ef < ea ? ef : ea;
    return (hi + 9) - (lo - 24) <= 53;
}

static void prepare_contrast(Op *op, int64_t gray_sum, Py_ssize_t pixels) {
    /* torch.mean of the float32 gray: the sum (exact below 2^24) divided by the count. */
    float mean = (float)gray_sum / (float)pixels;
    op->mean = mean;
    op->c = (double)mean * (double)op->a; /* exact: 24 x 24 bits */
    op->exact = fabsf(op->f) < 1048576.0f && fabsf(op->a) < 1048576.0f;
    for (int x = 0; x < 256; x++) {
        float fx = (float)x * op->f;
        float exact = fmaf(mean, op->a, fx);
        op->table[x] = exact <= 0.0f ? 0 : (exact >= 255.0f ? 255 : (uint8_t)(int)exact);
        if (op->exact && (uint8_t)(int)clamp255((float)((double)fx + op->c)) != op->table[x])
            op->exact = 0;
    }
}

/* ---------------------------------------------------------------- Python entry point */

static const double NEUTRAL[4] = {1.0, 1.0, 1.0, 0.0};

static int check_buffer(Py_buffer *view, const char *name, int planar) {
    if (view->ndim != 3 || view->itemsize != 1 || (view->format && strcmp(view->format, "B") != 0)) {
        PyErr_Format(PyExc_ValueError, "%s must be a 3-dimensional uint8 array", name);
        return -1;
    }
    if ((planar ? view->shape[0] : view->shape[2]) != 3) {
        PyErr_Format(PyExc_ValueError, "%s must have 3 channels (%s)", name, planar ? "[3, H, W]" : "[H, W, 3]");
        return -1;
    }
    return 0;
}

/* parse: a call's images, factors (a None or neutral one is inactive) and order. */
typedef struct {
    PyObject *src, *dst;
    double factor[4];
    int active[4];
    long order[MAX_OPS];
    Py_ssize_t length;
    int planar;
} Request;

static int parse_order(PyObject *order_obj, Request *q) {
    PyObject *seq = PySequence_Fast(order_obj, "order must be a sequence of operation indices");
    if (!seq)
        return -1;
    q->length = PySequence_Fast_GET_SIZE(seq);
    int status = 0;
    if (q->length > MAX_OPS) {
        PyErr_Format(PyExc_ValueError, "order must have at most %d entries, got %zd", MAX_OPS, q->length);
        status = -1;
    }
    for (Py_ssize_t i = 0; status == 0 && i < q->length; i++) {
        long index = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (index == -1 && PyErr_Occurred()) {
            status = -1;
        } else if (index < 0 || index > 3) {
            PyErr_Format(PyExc_ValueError, "order entries must be 0..3, got %ld", index);
            status = -1;
        }
        q->order[i] = index;
    }
    Py_DECREF(seq);
    return status;
}

static int parse_request(PyObject *args, PyObject *kwargs, Request *q) {
    static char *keywords[] = {"image", "out", "brightness", "contrast", "saturation", "hue", "order", "planar", NULL};
    PyObject *factor_obj[4], *order_obj;
    q->planar = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO|p:jitter", keywords, &q->src, &q->dst, &factor_obj[0], &factor_obj[1],
                                     &factor_obj[2], &factor_obj[3], &order_obj, &q->planar))
        return -1;
    for (int i = 0; i < 4; i++) {
        q->active[i] = factor_obj[i] != Py_None;
        if (q->active[i]) {
            q->factor[i] = PyFloat_AsDouble(factor_obj[i]);
            if (q->factor[i] == -1.0 && PyErr_Occurred())
                return -1;
            q->active[i] = q->factor[i] != NEUTRAL[i];
        }
    }
    return parse_order(order_obj, q);
}

/* plan: the active operations in order, with their float32 constants; returns their count. */
static int plan_ops(const Request *q, Op *ops) {
    int count = 0;
    for (Py_ssize_t i = 0; i < q->length; i++) {
        long index = q->order[i];
        if (!q->active[index])
            continue;
        Op *op = &ops[count++];
        op->op = (int)index;
        double value = q->factor[index];
        if (index == HUE && !(value >= -1.0 && value <= 1.0))
            value = fmod(value, 1.0); /* a shift is taken modulo one turn */
        if (index == BRIGHTNESS && value > 1048576.0)
            value = 1048576.0; /* any x >= 1 saturates either way; keeps x * f below 2^31 */
        op->f = (float)value;
        op->a = (float)(1.0 - value);
        op->ad = (double)op->a;
        op->exact = index == SATURATION ? blend_is_exact(op->f, op->a) : 1;
    }
    return count;
}

/* The image and out buffers, checked; on failure none is held. */
static int get_buffers(const Request *q, Py_buffer *src, Py_buffer *dst) {
    if (PyObject_GetBuffer(q->src, src, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "image must be a C-contiguous uint8 array (use numpy.ascontiguousarray)");
        return -1;
    }
    if (PyObject_GetBuffer(q->dst, dst, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(src);
        PyErr_Clear();
        PyErr_SetString(PyExc_ValueError, "out must be a writable C-contiguous uint8 array");
        return -1;
    }
    int status = 0;
    if (check_buffer(src, "image", q->planar) < 0 || check_buffer(dst, "out", q->planar) < 0) {
        status = -1;
    } else if (src->shape[0] != dst->shape[0] || src->shape[1] != dst->shape[1] || src->shape[2] != dst->shape[2]) {
        PyErr_SetString(PyExc_ValueError, "out must have the shape of image");
        status = -1;
    }
    if (status < 0) {
        PyBuffer_Release(src);
        PyBuffer_Release(dst);
    }
    return status;
}

/* run: each contrast ends a pass over the operations before it (summing the gray), then
 * starts the next one; the last pass runs the operations after the last contrast. No Python
 * calls: the GIL is released. */
static void run_ops(const Image *im, Op *ops, int count, Block *k, augkit_simd level) {
    const uint8_t *data = im->src;
    int first = 0;
    for (int j = 0; j < count && im->pixels > 0; j++) {
        if (ops[j].op != CONTRAST)
            continue;
        int64_t gray_sum = 0;
        pass(level, data, im, ops + first, j - first, &gray_sum, k);
        if (j > first)
            data = im->dst;
        prepare_contrast(&ops[j], gray_sum, im->pixels);
        first = j;
    }
    pass(level, data, im, ops + first, count - first, NULL, k);
}

static PyObject *jitter(PyObject *self, PyObject *args, PyObject *kwargs) {
    Request q;
    Op ops[MAX_OPS];
    Py_buffer src, dst;
    if (parse_request(args, kwargs, &q) < 0)
        return NULL;
    int count = plan_ops(&q, ops);
    if (get_buffers(&q, &src, &dst) < 0)
        return NULL;
    Image im = {(const uint8_t *)src.buf, (uint8_t *)dst.buf, src.len / 3, q.planar};
    Block *k = PyMem_RawMalloc(sizeof(Block));
    if (k != NULL) {
        memset(k->planes, 0, sizeof(k->planes)); /* the vector pass reads whole vectors past a block's end */
        augkit_simd level = simd;
        Py_BEGIN_ALLOW_THREADS
        run_ops(&im, ops, count, k, level);
        Py_END_ALLOW_THREADS
        PyMem_RawFree(k);
    }
    PyBuffer_Release(&src);
    PyBuffer_Release(&dst);
    return k != NULL ? Py_NewRef(Py_None) : PyErr_NoMemory();
}

static PyObject *simd_level(PyObject *self, PyObject *args) { return augkit_simd_call(&simd, NEEDS_FMA, args); }

/* The level chosen at import (the CPU's best, capped by AUGKIT_SIMD). */
static augkit_simd imported = AUGKIT_PORTABLE;

/* _simd([enable]): the older switch, kept for tests: True selects the level chosen at import,
 * False the best level below AVX2 (never above the one chosen at import). */
static PyObject *simd_switch(PyObject *self, PyObject *args) {
    int enable = -1;
    if (!PyArg_ParseTuple(args, "|p:_simd", &enable))
        return NULL;
    if (enable >= 0) {
        augkit_simd below = AUGKIT_HAVE_SSE2 ? AUGKIT_SSE2 : AUGKIT_PORTABLE;
        simd = enable || imported < below ? imported : below;
    }
    return PyBool_FromLong(simd == AUGKIT_AVX2);
}

static PyMethodDef methods[] = {
    {"jitter", (PyCFunction)(void (*)(void))jitter, METH_VARARGS | METH_KEYWORDS,
     "jitter(image, out, brightness, contrast, saturation, hue, order, planar=False)\n--\n\n"
     "torchvision v2 ColorJitter on one uint8 RGB image, written to ``out``.\n\n"
     "image and out: C-contiguous uint8 [H, W, 3] (or [3, H, W] with planar=True), may be\n"
     "the same buffer. Factors: float or None (skipped, as is a neutral one). order: the\n"
     "operation indices (0 brightness, 1 contrast, 2 saturation, 3 hue) in order."},
    {"simd_level", simd_level, METH_VARARGS, AUGKIT_SIMD_DOC},
    {"_simd", simd_switch, METH_VARARGS,
     "_simd([enable]) -> bool\n--\n\n"
     "Whether the AVX2 + FMA pass is used; with ``enable``, switch it: on selects the level chosen\n"
     "at import, off the SSE2 pass (or the portable one where that was chosen). See simd_level."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._color",
                                    "Native uint8 ColorJitter kernel (torchvision v2 arithmetic).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__color(void) {
    if (augkit_simd_init(&simd, NEEDS_FMA) < 0)
        return NULL;
    imported = simd;
    return PyModule_Create(&module);
}
