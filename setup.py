"""Optional C accelerators; the package metadata lives in pyproject.toml.

Each extension is optional: where it cannot be built (no compiler, no libjpeg headers) the
install still succeeds and augkit uses its pure-Python paths, which give the same pixels.
"""

from setuptools import Extension, setup

COMPILE_ARGS = ["-O3", "-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter"]
#: The SIMD dispatch shared by the extensions (augkit/_ext/README.md).
SIMD = ["augkit/_ext/simd.h"]

setup(
    ext_modules=[
        Extension("augkit._jpeg", ["augkit/_ext/jpeg.c"], libraries=["jpeg"], extra_compile_args=COMPILE_ARGS, optional=True),
        Extension("augkit._color", ["augkit/_ext/color.c"], depends=SIMD, extra_compile_args=COMPILE_ARGS, optional=True),
        Extension("augkit._resize", ["augkit/_ext/resize.c"], depends=SIMD, extra_compile_args=COMPILE_ARGS, optional=True),
        Extension(
            "augkit._sharpness",
            ["augkit/_ext/sharpness.c"],
            depends=SIMD,
            extra_compile_args=COMPILE_ARGS + ["-ffp-contract=off"],
            optional=True,
        ),
        # torch's float32 operations in torch's order: fused multiply-adds only where the source asks (fmaf)
        Extension(
            "augkit._warp", ["augkit/_ext/warp.c"], depends=SIMD, extra_compile_args=COMPILE_ARGS + ["-ffp-contract=off"], optional=True
        ),
    ]
)
