#!/bin/sh
# The suite (browser tests left out) as other CPUs run it. By hand only, never part of
# `make test`: an emulated ARM run takes hours. docs/architecture.md, "Other CPUs".
#
#   bench/platforms.sh x86-64-v3 [PYTEST ARGS]   AVX2 and FMA, no AVX-512
#   bench/platforms.sh x86-64    [PYTEST ARGS]   no AVX at all (numpy: its SSE4.2 baseline)
#   bench/platforms.sh arm64-setup               a Debian arm64 root and aarch64 wheels in
#                                                $ARM64_ROOT (default /tmp/descentlab-arm64; root)
#   bench/platforms.sh arm64     [PYTEST ARGS]   the suite on that root under qemu-user
#
# PYTEST ARGS default to `tests --ignore=tests/browser`. Run from the repository's root; the
# venv is $VENV (default .venv). On x86-64 the CPU is limited where each library picks its
# code: numpy's dispatch (NPY_DISABLE_CPU_FEATURES, with numpy >= 2.4's names: older names
# are ignored with only an ImportWarning, so the script checks what numpy found), the target
# numba compiles for (NUMBA_CPU_NAME; NUMBA_CPU_FEATURES empty, else the host's AVX-512
# features are added back), PyTorch's kernels (ATEN_CPU_CAPABILITY) and OpenBLAS's.
set -eu

VENV=${VENV:-.venv}
ROOT=${ARM64_ROOT:-/tmp/descentlab-arm64}
TORCH_ARM=torch==2.9.1  # an aarch64 CPU build that runs under qemu-user
# As pyproject.toml's dependencies and its `test` extra, less what drives a browser.
ARM_PACKAGES="numpy scipy numba autograd fastapi pydantic uvicorn[standard] orjson plotly
threadpoolctl fastapi-offline pytest httpx httpx2 hypothesis pyyaml schemathesis anywidget
pillow imageio-ffmpeg"

binfmt() {
    # arm64 programs run through binfmt_misc (debootstrap's second stage, the subprocesses the
    # tests start); it may need mounting.
    [ -e /proc/sys/fs/binfmt_misc/register ] ||
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
}

x86() {
    cpu=$1
    shift
    case $cpu in
        x86-64-v3) npy="X86_V4 AVX512_ICL AVX512_SPR" aten=avx2 blas=Haswell ;;
        x86-64) npy="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" aten=default blas=Nehalem ;;
    esac
    export NPY_DISABLE_CPU_FEATURES="$npy" NUMBA_CPU_NAME="$cpu" NUMBA_CPU_FEATURES=""
    export ATEN_CPU_CAPABILITY="$aten" OPENBLAS_CORETYPE="$blas"
    "$VENV/bin/python" - <<'EOF'
from numpy._core._multiarray_umath import __cpu_features__ as found
from numba.core import config
import os
off = os.environ["NPY_DISABLE_CPU_FEATURES"].split()
assert not any(found.get(f) for f in off), "numpy ignored NPY_DISABLE_CPU_FEATURES"
print("numpy dispatches to:", [f for f in ("X86_V3", "X86_V4", "AVX512_ICL") if found.get(f)])
print("numba compiles for:", config.CPU_NAME, repr(config.CPU_FEATURES))
EOF
    PYTHONPATH="$PWD/backend" nice -n 19 "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
}

arm64_setup() {
    apt-get install -y -q qemu-user-static debootstrap binfmt-support
    if [ ! -x "$ROOT/usr/bin/python3" ]; then
        debootstrap --arch=arm64 --foreign --variant=minbase --include=python3 bookworm "$ROOT"
        binfmt
        chroot "$ROOT" /debootstrap/debootstrap --second-stage
    fi
    # The host's pip fetches aarch64 wheels of the versions the venv has (torch aside).
    "$VENV/bin/pip" freeze --exclude-editable | grep -v '^torch' >"$ROOT/constraints.txt"
    pick="--platform manylinux2014_aarch64 --platform manylinux_2_28_aarch64
          --only-binary=:all: --python-version 3.11 --implementation cp"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $pick -c "$ROOT/constraints.txt" --target "$ROOT/site" \
        $ARM_PACKAGES
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $pick --target "$ROOT/torch" "$TORCH_ARM" filelock sympy \
        networkx jinja2 fsspec typing-extensions
}

arm64() {
    binfmt
    # QEMU_LD_PREFIX gives the subprocesses the tests start the root's libraries, as -L does.
    export QEMU_LD_PREFIX="$ROOT" PYTHONPATH="$ROOT/site:$ROOT/torch:$PWD/backend"
    export NUMBA_CACHE_DIR="$ROOT/numba-cache"
    nice -n 19 qemu-aarch64-static -L "$ROOT" "$ROOT/usr/bin/python3" -m pytest -q \
        -p no:cacheprovider "$@"
}

what=${1:-}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- tests --ignore=tests/browser
case $what in
    x86-64-v3 | x86-64) x86 "$what" "$@" ;;
    arm64-setup) arm64_setup ;;
    arm64) arm64 "$@" ;;
    *) sed -n '2,12p' "$0" >&2 && exit 2 ;;
esac
