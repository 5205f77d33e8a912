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
 * The GIL is released around the pixel loops. Only Python.h and the buffer protocol.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Vectorizing the clamps and selects needs this; it changes no result (no reassociation,
 * no contraction), only stops GCC from keeping floating-point exception flags exact. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

/* x86-64: a pass is also compiled for AVX2 and picked at load time where the CPU has it
 * (GCC's ifunc clones; everything it runs is inlined into it); the baseline build stays
 * plain x86-64. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
#define PASS_CLONES __attribute__((target_clones("avx2", "default")))
#define KERNEL static inline __attribute__((always_inline))
#else
#define PASS_CLONES
#define KERNEL static inline
#endif

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

KERNEL void hue(Block *k, int n, float shift) {
    float *R = k->r, *G = k->g, *B = k->b;
    /* Two loops (to H, S, V in place, then back), each small enough for GCC to vectorize. */
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
    for (int i = 0; i < n; i++) {
        float h = R[i], s = G[i], v = B[i];
        /* (h + shift) remainder 1, h in [0, 1) and shift in [-1, 1]. Where torch's
         * remainder rounds up to 1.0 this gives 0.0: both land in sector 0 with f = 0. */
        h = h + shift;
        float up = h + 1.0f, down = h - 1.0f;
        h = h < 0.0f ? up : h;
        h = h >= 1.0f ? down : h;
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
        hue(k, n, op->f);
    }
}

/* ---------------------------------------------------------------- load / store */

typedef struct {
    const uint8_t *src;
    uint8_t *dst;
    Py_ssize_t pixels;
    int planar; /* 1: [3, H, W] planes, 0: [H, W, 3] interleaved */
} Image;

#if defined(__SSE2__)
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

/* Interleaved RGB bytes <-> three byte planes. */
KERNEL void split_rgb(const uint8_t *p, uint8_t *r, uint8_t *g, uint8_t *b, int n) {
    int i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
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

KERNEL void merge_rgb(uint8_t *p, const uint8_t *r, const uint8_t *g, const uint8_t *b, int n) {
    int i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
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

KERNEL void load(const uint8_t *data, const Image *im, Py_ssize_t start, int n, Block *k) {
    const uint8_t *r, *g, *b;
    if (im->planar) {
        r = data + start, g = r + im->pixels, b = g + im->pixels;
    } else {
        split_rgb(data + 3 * start, k->planes[0], k->planes[1], k->planes[2], n);
        r = k->planes[0], g = k->planes[1], b = k->planes[2];
    }
    for (int i = 0; i < n; i++) {
        k->r[i] = r[i];
        k->g[i] = g[i];
        k->b[i] = b[i];
    }
}

KERNEL void store(const Image *im, Py_ssize_t start, int n, Block *k) {
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
        merge_rgb(im->dst + 3 * start, r, g, b, n);
}

/* One pass: load from ``data``, apply ops[0:count], store to dst; with ``gray_sum``, also
 * sum the floored gray of the result (for the contrast that follows). */
PASS_CLONES static void run_pass(const uint8_t *data, const Image *im, const Op *ops, int count, int64_t *gray_sum, Block *k) {
    int64_t total = 0;
    for (Py_ssize_t start = 0; start < im->pixels; start += BLOCK) {
        int n = (int)(im->pixels - start < BLOCK ? im->pixels - start : BLOCK);
        load(data, im, start, n, k);
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
            store(im, start, n, k);
    }
    if (gray_sum)
        *gray_sum = total;
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

static PyObject *jitter(PyObject *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"image", "out", "brightness", "contrast", "saturation", "hue", "order", "planar", NULL};
    PyObject *src_obj, *dst_obj, *factor_obj[4], *order_obj;
    int planar = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO|p:jitter", keywords, &src_obj, &dst_obj, &factor_obj[0],
                                     &factor_obj[1], &factor_obj[2], &factor_obj[3], &order_obj, &planar))
        return NULL;

    double factor[4];
    int active[4];
    for (int i = 0; i < 4; i++) {
        active[i] = factor_obj[i] != Py_None;
        if (active[i]) {
            factor[i] = PyFloat_AsDouble(factor_obj[i]);
            if (factor[i] == -1.0 && PyErr_Occurred())
                return NULL;
            active[i] = factor[i] != NEUTRAL[i];
        }
    }
    PyObject *seq = PySequence_Fast(order_obj, "order must be a sequence of operation indices");
    if (!seq)
        return NULL;
    Py_ssize_t length = PySequence_Fast_GET_SIZE(seq);
    if (length > MAX_OPS) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "order must have at most %d entries, got %zd", MAX_OPS, length);
    }
    Op ops[MAX_OPS];
    int count = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        long index = PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
        if (index == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        if (index < 0 || index > 3) {
            Py_DECREF(seq);
            return PyErr_Format(PyExc_ValueError, "order entries must be 0..3, got %ld", index);
        }
        if (!active[index])
            continue;
        Op *op = &ops[count++];
        op->op = (int)index;
        double value = factor[index];
        if (index == HUE && !(value >= -1.0 && value <= 1.0))
            value = fmod(value, 1.0); /* a shift is taken modulo one turn */
        if (index == BRIGHTNESS && value > 1048576.0)
            value = 1048576.0; /* any x >= 1 saturates either way; keeps x * f below 2^31 */
        op->f = (float)value;
        op->a = (float)(1.0 - value);
        op->ad = (double)op->a;
        op->exact = index == SATURATION ? blend_is_exact(op->f, op->a) : 1;
    }
    Py_DECREF(seq);

    Py_buffer src, dst;
    if (PyObject_GetBuffer(src_obj, &src, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError, "image must be a C-contiguous uint8 array (use numpy.ascontiguousarray)");
    }
    if (PyObject_GetBuffer(dst_obj, &dst, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&src);
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError, "out must be a writable C-contiguous uint8 array");
    }
    PyObject *result = NULL;
    if (check_buffer(&src, "image", planar) < 0 || check_buffer(&dst, "out", planar) < 0)
        goto done;
    if (src.shape[0] != dst.shape[0] || src.shape[1] != dst.shape[1] || src.shape[2] != dst.shape[2]) {
        PyErr_SetString(PyExc_ValueError, "out must have the shape of image");
        goto done;
    }
    Image im = {(const uint8_t *)src.buf, (uint8_t *)dst.buf, src.len / 3, planar};
    Block *k = PyMem_RawMalloc(sizeof(Block));
    if (!k) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    /* Each contrast ends a pass over the operations before it (summing the gray), then
     * starts the next one; the last pass runs the operations after the last contrast. */
    const uint8_t *data = im.src;
    int first = 0;
    for (int j = 0; j < count && im.pixels > 0; j++) {
        if (ops[j].op != CONTRAST)
            continue;
        int64_t gray_sum = 0;
        run_pass(data, &im, ops + first, j - first, &gray_sum, k);
        if (j > first)
            data = im.dst;
        prepare_contrast(&ops[j], gray_sum, im.pixels);
        first = j;
    }
    run_pass(data, &im, ops + first, count - first, NULL, k);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(k);
    Py_INCREF(Py_None);
    result = Py_None;
done:
    PyBuffer_Release(&src);
    PyBuffer_Release(&dst);
    return result;
}

static PyMethodDef methods[] = {
    {"jitter", (PyCFunction)(void (*)(void))jitter, METH_VARARGS | METH_KEYWORDS,
     "jitter(image, out, brightness, contrast, saturation, hue, order, planar=False)\n--\n\n"
     "torchvision v2 ColorJitter on one uint8 RGB image, written to ``out``.\n\n"
     "image and out: C-contiguous uint8 [H, W, 3] (or [3, H, W] with planar=True), may be\n"
     "the same buffer. Factors: float or None (skipped, as is a neutral one). order: the\n"
     "operation indices (0 brightness, 1 contrast, 2 saturation, 3 hue) in order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._color",
                                    "Native uint8 ColorJitter kernel (torchvision v2 arithmetic).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__color(void) { return PyModule_Create(&module); }
