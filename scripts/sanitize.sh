#!/usr/bin/env bash
# Build augkit's C extensions with AddressSanitizer and UndefinedBehaviorSanitizer in a
# temporary copy of the tree, and run the native and windowed-decode tests against them.
#
# Usage: scripts/sanitize.sh [pytest arguments...]   (default: the tests below, every SIMD level)
# Any sanitizer report fails the run (ASan aborts on the first error, UBSan halts). Python
# itself is not instrumented, so the ASan runtime is preloaded; leak checking is off (the
# interpreter keeps memory until exit by design).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
python="${PYTHON:-python}"
work="$(mktemp -d "${TMPDIR:-/tmp}/augkit-sanitize.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A copy of what the tests need, without the regular builds of the extensions.
cp -r augkit tests setup.py pyproject.toml README.md "$work/"
[ -d samples ] && cp -r samples "$work/"
find "$work" \( -name '*.so' -o -name '__pycache__' \) -prune -exec rm -rf {} +

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"
(cd "$work" && CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" "$python" setup.py -q build_ext --inplace >build.log 2>&1) || {
    cat "$work/build.log"
    exit 1
}

cc="${CC:-gcc}"
export LD_PRELOAD="$("$cc" -print-file-name=libasan.so) $("$cc" -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export PYTHONDONTWRITEBYTECODE=1
cd "$work"
# The extensions are optional in setup.py: make sure the sanitized ones were built.
"$python" -c "import augkit._resize, augkit._color, augkit._jpeg, augkit._warp, augkit._sharpness"

tests=(tests/test_resize_native.py tests/test_color_native.py tests/test_warp_native.py tests/test_sharpness_native.py tests/test_encoded.py)
if [ "$#" -gt 0 ]; then
    "$python" -m pytest -q -p no:cacheprovider "$@"
    exit
fi
start=$SECONDS
"$python" -m pytest -q -p no:cacheprovider "${tests[@]}"
# The lower SIMD levels run the kernels' other code paths.
for level in sse2 portable; do
    AUGKIT_SIMD=$level "$python" -m pytest -q -p no:cacheprovider tests/test_resize_native.py tests/test_color_native.py tests/test_warp_native.py tests/test_sharpness_native.py
done
echo "sanitize.sh: clean ($((SECONDS - start)) s of tests, sources from $repo)"
