/* augkit._sharpness: torchvision v2's adjust_sharpness on uint8 images, bit-exact.
 *
 * sharpen(src, dst, weights) writes into dst, a [B, C, H, W] uint8 buffer (any strides, not
 * overlapping src), the sharpened src (same shape, any strides): weights holds one blend
 * weight per image, 1 - factor as the float32 torchvision uses (passed as float64 values).
 *
 * torchvision (transforms/v2/functional/_color.py, adjust_sharpness_image) on uint8:
 *   blurred = round(conv2d(float32(x), [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13)) on the interior,
 *   x + (blurred - x) * weight  (torch's add with alpha: one fused multiply-add), clamped to
 *   [0, 255] and truncated to uint8; the one-pixel border is kept.
 * Here the 3x3 sum S is an exact integer and round(S / 13) = (2 S + 13) / 26: S / 13 is never
 * within 1/26 of a tie, far beyond float32's error in torch's convolution, so this is
 * torchvision's rounded value whatever order its convolution sums in. The blend is
 * fmaf(blurred - x, weight, x): at the avx2 level (simd.h) the FMA instruction on 16 pixels at
 * a time (blend_avx2, intrinsics); at the portable and sse2 levels, when the weight's bits allow
 * (2^-20 <= |weight| <= 2^40, or 0), the same value as one rounding of the exact double
 * x + (blurred - x) * weight (vectorized too), else libm's fmaf.
 * Images of 2 rows or columns or fewer are copied unchanged.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "simd.h"

typedef struct {
    const uint8_t *src;
    uint8_t *dst;
    Py_ssize_t H, W;
    Py_ssize_t sy, sx, dy, dx; /* byte strides of one plane's rows and columns */
} Plane;

/* Whether x + d * weight (|d| < 2^9, 0 <= x < 2^8) is exact in double: then one rounding to
 * float equals fmaf(d, weight, x). */
static int double_is_exact(double weight) {
    double magnitude = fabs(weight);
    return weight == 0.0 || (magnitude >= 0x1p-20 && magnitude <= 0x1p40);
}

AUGKIT_INLINE uint8_t to_uint8(float v) { return v <= 0.0f ? 0 : (v >= 255.0f ? 255 : (uint8_t)v); }

/* The level blend_run runs at (simd.h): avx2 has the FMA instruction, so fmaf vectorizes. */
static augkit_simd simd = AUGKIT_PORTABLE;
#define NEEDS_FMA 1

/* One interior run of n bytes whose 3x3 neighbours lie `o` bytes apart (o = 1: a plane's row;
 * o = C: an HWC row, all channels at once); contiguous, so compilers vectorize it. */
AUGKIT_INLINE void blend_fmaf(const uint8_t *up, const uint8_t *s, const uint8_t *down, uint8_t *d, Py_ssize_t n, Py_ssize_t o, float w) {
    for (Py_ssize_t i = 0; i < n; i++) {
        int sum = up[i - o] + up[i] + up[i + o] + s[i - o] + 5 * s[i] + s[i + o] + down[i - o] + down[i] + down[i + o];
        int value = s[i], blurred = (2 * sum + 13) / 26;
        d[i] = to_uint8(fmaf((float)(blurred - value), w, (float)value));
    }
}

static void blend_portable(const uint8_t *up, const uint8_t *s, const uint8_t *down, uint8_t *d, Py_ssize_t n, Py_ssize_t o, double weight) {
    if (!double_is_exact(weight)) {
        blend_fmaf(up, s, down, d, n, o, (float)weight); /* libm's fmaf: exact, not vectorized */
        return;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int sum = up[i - o] + up[i] + up[i + o] + s[i - o] + 5 * s[i] + s[i + o] + down[i - o] + down[i] + down[i + o];
        int value = s[i], blurred = (2 * sum + 13) / 26;
        d[i] = to_uint8((float)((double)value + (double)(blurred - value) * weight));
    }
}

#if AUGKIT_HAVE_AVX2
/* 16 bytes widened to 16-bit lanes. */
AUGKIT_TARGET_AVX2_FMA AUGKIT_INLINE __m256i load16(const uint8_t *p) { return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p)); }

/* fmaf(d, w, x) of 8 16-bit lanes (one half of a register), clamped and truncated as to_uint8, as int32. */
AUGKIT_TARGET_AVX2_FMA AUGKIT_INLINE __m256i blend8(__m128i d, __m128i x, __m256 w) {
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(d)), w, _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(x)));
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255.0f));
    return _mm256_cvttps_epi32(v);
}

/* 16 pixels: the 3x3 sum in 16-bit lanes, round(S / 13) = (S + 6) / 13 (the same integer as
 * (2 S + 13) / 26) as a multiply-high by 5042 (exact for S + 6 <= 3321), the blend as the FMA
 * instruction on float32 lanes. */
AUGKIT_TARGET_AVX2_FMA AUGKIT_INLINE void blend16(const uint8_t *up, const uint8_t *s, const uint8_t *down, uint8_t *d, Py_ssize_t o, __m256 w) {
    __m256i x = load16(s);
    __m256i sum = _mm256_add_epi16(_mm256_add_epi16(load16(up - o), load16(up)), load16(up + o));
    sum = _mm256_add_epi16(sum, _mm256_add_epi16(load16(s - o), load16(s + o)));
    sum = _mm256_add_epi16(sum, _mm256_add_epi16(_mm256_add_epi16(load16(down - o), load16(down)), load16(down + o)));
    sum = _mm256_add_epi16(sum, _mm256_mullo_epi16(x, _mm256_set1_epi16(5)));
    __m256i blurred = _mm256_mulhi_epu16(_mm256_add_epi16(sum, _mm256_set1_epi16(6)), _mm256_set1_epi16(5042));
    __m256i diff = _mm256_sub_epi16(blurred, x);
    __m256i low = blend8(_mm256_castsi256_si128(diff), _mm256_castsi256_si128(x), w);
    __m256i high = blend8(_mm256_extracti128_si256(diff, 1), _mm256_extracti128_si256(x, 1), w);
    __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(low, high), 0xD8); /* 16 int16, in order */
    _mm_storeu_si128((__m128i *)d, _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1)));
}

/* 16 pixels at a time; a run's last pixels as the 16 ending there (recomputed where they
 * overlap: dst never aliases src), runs shorter than 16 pixel by pixel. */
AUGKIT_TARGET_AVX2_FMA static void blend_avx2(const uint8_t *up, const uint8_t *s, const uint8_t *down, uint8_t *d, Py_ssize_t n, Py_ssize_t o, double weight) {
    if (n < 16) {
        blend_fmaf(up, s, down, d, n, o, (float)weight);
        return;
    }
    const __m256 w = _mm256_set1_ps((float)weight);
    for (Py_ssize_t i = 0; i + 16 <= n; i += 16) blend16(up + i, s + i, down + i, d + i, o, w);
    if (n % 16) blend16(up + n - 16, s + n - 16, down + n - 16, d + n - 16, o, w);
}
#endif

static void blend_run(const uint8_t *up, const uint8_t *s, const uint8_t *down, uint8_t *d, Py_ssize_t n, Py_ssize_t o, double weight) {
#if AUGKIT_HAVE_AVX2
    if (simd == AUGKIT_AVX2) {
        blend_avx2(up, s, down, d, n, o, weight);
        return;
    }
#endif
    blend_portable(up, s, down, d, n, o, weight);
}

/* The image's border, copied. */
static void copy_border(const Plane *p) {
    for (Py_ssize_t y = 0; y < p->H; y++) {
        const uint8_t *s = p->src + y * p->sy;
        uint8_t *d = p->dst + y * p->dy;
        if (y == 0 || y == p->H - 1 || p->W <= 2 || p->H <= 2) {
            for (Py_ssize_t x = 0; x < p->W; x++) d[x * p->dx] = s[x * p->sx];
        } else {
            d[0] = s[0];
            d[(p->W - 1) * p->dx] = s[(p->W - 1) * p->sx];
        }
    }
}

/* One plane, any strides: the interior pixel by pixel. */
static void sharpen_plane(const Plane *p, double weight) {
    copy_border(p);
    for (Py_ssize_t y = 1; y + 1 < p->H && p->W > 2; y++) {
        const uint8_t *s = p->src + y * p->sy;
        uint8_t *d = p->dst + y * p->dy;
        if (p->sx == 1 && p->dx == 1) {
            blend_run(s - p->sy + 1, s + 1, s + p->sy + 1, d + 1, p->W - 2, 1, weight);
            continue;
        }
        for (Py_ssize_t x = 1; x + 1 < p->W; x++) blend_run(s - p->sy + x * p->sx, s + x * p->sx, s + p->sy + x * p->sx, d + x * p->dx, 1, p->sx, weight);
    }
}

/* An image whose pixels' C channels are contiguous (HWC) in src and dst: each row's interior
 * as one run of (W - 2) * C bytes. */
static void sharpen_interleaved(const Plane *p, Py_ssize_t C, double weight) {
    for (Py_ssize_t c = 0; c < C; c++) {
        Plane plane = *p;
        plane.src += c, plane.dst += c;
        copy_border(&plane);
    }
    for (Py_ssize_t y = 1; y + 1 < p->H && p->W > 2; y++) {
        const uint8_t *s = p->src + y * p->sy + C;
        blend_run(s - p->sy, s, s + p->sy, p->dst + y * p->dy + C, (p->W - 2) * C, C, weight);
    }
}

static int is_uint8(const Py_buffer *view) {
    const char *f = view->format ? view->format : "B";
    return view->itemsize == 1 && (strcmp(f, "B") == 0 || strcmp(f, "=B") == 0 || strcmp(f, "<B") == 0);
}

static PyObject *sharpen(PyObject *self, PyObject *args) {
    PyObject *src_obj, *dst_obj, *weights_obj;
    if (!PyArg_ParseTuple(args, "OOO:sharpen", &src_obj, &dst_obj, &weights_obj)) return NULL;
    Py_buffer src = {0}, dst = {0}, weights = {0};
    int have_src = 0, have_dst = 0, have_weights = 0;
    PyObject *result = NULL;
    if (PyObject_GetBuffer(src_obj, &src, PyBUF_STRIDES | PyBUF_FORMAT) < 0) goto done;
    have_src = 1;
    if (PyObject_GetBuffer(dst_obj, &dst, PyBUF_STRIDES | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) goto done;
    have_dst = 1;
    if (PyObject_GetBuffer(weights_obj, &weights, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
    have_weights = 1;
    if (src.ndim != 4 || dst.ndim != 4 || !is_uint8(&src) || !is_uint8(&dst)) {
        PyErr_SetString(PyExc_ValueError, "src and dst must be 4-dimensional [B, C, H, W] uint8 buffers");
        goto done;
    }
    for (int k = 0; k < 4; k++) {
        if (src.shape[k] != dst.shape[k]) {
            PyErr_SetString(PyExc_ValueError, "src and dst must have the same shape");
            goto done;
        }
    }
    const char *wf = weights.format ? weights.format : "B";
    if (weights.ndim != 1 || weights.shape[0] != src.shape[0] || weights.itemsize != 8 || strchr(wf, 'd') == NULL) {
        PyErr_SetString(PyExc_ValueError, "weights must be a float64 array with one weight per image");
        goto done;
    }
    const double *w = (const double *)weights.buf;
    for (Py_ssize_t b = 0; b < src.shape[0]; b++) {
        if (!isfinite(w[b])) {
            PyErr_SetString(PyExc_ValueError, "weights must be finite");
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    const Py_ssize_t C = src.shape[1];
    const int interleaved = src.strides[1] == 1 && dst.strides[1] == 1 && src.strides[3] == C && dst.strides[3] == C;
    for (Py_ssize_t b = 0; b < src.shape[0]; b++) {
        for (Py_ssize_t c = 0; c < (interleaved ? 1 : C); c++) {
            Plane p = {(const uint8_t *)src.buf + b * src.strides[0] + c * src.strides[1],
                       (uint8_t *)dst.buf + b * dst.strides[0] + c * dst.strides[1],
                       src.shape[2],
                       src.shape[3],
                       src.strides[2],
                       src.strides[3],
                       dst.strides[2],
                       dst.strides[3]};
            if (interleaved)
                sharpen_interleaved(&p, C, w[b]);
            else
                sharpen_plane(&p, w[b]);
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    if (have_weights) PyBuffer_Release(&weights);
    if (have_dst) PyBuffer_Release(&dst);
    if (have_src) PyBuffer_Release(&src);
    return result;
}

static PyObject *simd_level(PyObject *self, PyObject *args) { return augkit_simd_call(&simd, NEEDS_FMA, args); }

static PyMethodDef methods[] = {
    {"sharpen", sharpen, METH_VARARGS,
     "sharpen(src, dst, weights)\n--\n\n"
     "torchvision v2's adjust_sharpness of uint8 [B, C, H, W] src into dst (any strides); weights: float64 [B],\n"
     "each 1 - factor as a float32 value. Bit-exact."},
    {"simd_level", simd_level, METH_VARARGS, AUGKIT_SIMD_DOC},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._sharpness", "torchvision's uint8 sharpness, bit-exact.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__sharpness(void) {
    if (augkit_simd_init(&simd, NEEDS_FMA) < 0) return NULL;
    return PyModule_Create(&module);
}
