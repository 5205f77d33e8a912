/* augkit/_ext/simd.h: one way for augkit's C extensions to choose between their SIMD paths.
 *
 * An extension compiles each kernel for up to three levels:
 *
 *   AUGKIT_PORTABLE  plain C, the only level off x86-64 (the compiler may still vectorize it);
 *   AUGKIT_SSE2      SSE2 intrinsics: the x86-64 baseline, so always there on x86-64;
 *   AUGKIT_AVX2      AVX2 intrinsics (and FMA where the extension asks for it) in functions
 *                    compiled with AUGKIT_TARGET_AVX2 / AUGKIT_TARGET_AVX2_FMA, so the rest of
 *                    the build stays plain x86-64 and runs on any x86-64 CPU.
 *
 * At import, augkit_simd_init() picks the best level the build and the CPU have, capped by the
 * environment variable AUGKIT_SIMD (portable, sse2 or avx2; read once), so CI can run the lower
 * levels on an AVX2 machine. The level lives in one module global; each kernel dispatches on it
 * with a switch, calling a function per level. augkit_simd_call() implements the
 * ``simd_level([name])`` method that shows the level and switches it (tests).
 *
 * Every level computes the same integers or the same IEEE float32 operations, so the pixels
 * never depend on the level (see augkit/_ext/README.md for the invariants and tests).
 */
#ifndef AUGKIT_SIMD_H
#define AUGKIT_SIMD_H

#include <Python.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define AUGKIT_HAVE_SSE2 1
#else
#define AUGKIT_HAVE_SSE2 0
#endif

/* AVX2 kernels need a compiler that takes target attributes and __builtin_cpu_supports. */
#if defined(__x86_64__) && AUGKIT_HAVE_SSE2 && (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 6)) && !defined(AUGKIT_NO_AVX2)
#include <immintrin.h>
#define AUGKIT_HAVE_AVX2 1
#define AUGKIT_TARGET_AVX2 __attribute__((target("avx2")))
#define AUGKIT_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
#else
#define AUGKIT_HAVE_AVX2 0
#endif

/* Kernel helpers are inlined into each level's function, and so compiled for its target. */
#if defined(__GNUC__)
#define AUGKIT_INLINE static inline __attribute__((always_inline))
#else
#define AUGKIT_INLINE static inline
#endif

typedef enum { AUGKIT_PORTABLE = 0, AUGKIT_SSE2 = 1, AUGKIT_AVX2 = 2 } augkit_simd;

static const char *const augkit_simd_names[] = {"portable", "sse2", "avx2"};

/* The best level of this build on this CPU; with `fma`, AVX2 also needs FMA instructions. */
static inline augkit_simd augkit_simd_best(int fma) {
#if AUGKIT_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && (!fma || __builtin_cpu_supports("fma"))) return AUGKIT_AVX2;
#endif
    (void)fma;
    return AUGKIT_HAVE_SSE2 ? AUGKIT_SSE2 : AUGKIT_PORTABLE;
}

/* The level named `name`, at most `best`; -1 with ValueError set for an unknown name. */
static inline int augkit_simd_capped(const char *name, augkit_simd best, const char *what) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, augkit_simd_names[i]) == 0) return i < (int)best ? i : (int)best;
    PyErr_Format(PyExc_ValueError, "%s must be one of portable, sse2, avx2, got '%s'", what, name);
    return -1;
}

/* At import: the best level, capped by $AUGKIT_SIMD. Returns 0, or -1 with ValueError set. */
static inline int augkit_simd_init(augkit_simd *level, int fma) {
    augkit_simd best = augkit_simd_best(fma);
    const char *env = getenv("AUGKIT_SIMD");
    int chosen = env == NULL || env[0] == '\0' ? (int)best : augkit_simd_capped(env, best, "the environment variable AUGKIT_SIMD");
    if (chosen < 0) return -1;
    *level = (augkit_simd)chosen;
    return 0;
}

/* simd_level([name]) -> the name of the level in use; with a name, switch to it first
 * (capped by what the CPU has). */
static inline PyObject *augkit_simd_call(augkit_simd *level, int fma, PyObject *args) {
    const char *name = NULL;
    if (!PyArg_ParseTuple(args, "|s:simd_level", &name)) return NULL;
    if (name != NULL) {
        int chosen = augkit_simd_capped(name, augkit_simd_best(fma), "level");
        if (chosen < 0) return NULL;
        *level = (augkit_simd)chosen;
    }
    return PyUnicode_FromString(augkit_simd_names[*level]);
}

#define AUGKIT_SIMD_DOC                                                                                                           \
    "simd_level([name]) -> str\n--\n\n"                                                                                           \
    "The SIMD level the kernels use: 'portable', 'sse2' or 'avx2' (the best the CPU has, capped by the\n"                        \
    "environment variable AUGKIT_SIMD at import). With a name, switch to it first (capped by the CPU)."

#endif
