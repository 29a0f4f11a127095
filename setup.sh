#!/usr/bin/env bash
# Installs sleuth, its pinned dependencies and the bundled models into ./.venv. Safe to re-run.
#
# llama-cpp-python is built from source with portable CPU flags: its default build enables AMX
# instructions that some VMs advertise but cannot run (it segfaults). A built wheel is kept in
# $SLEUTH_WHEEL_CACHE (default ~/.cache/sleuth-wheels) and reused when present.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
WHEELS=${SLEUTH_WHEEL_CACHE:-$HOME/.cache/sleuth-wheels}

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
pip=(.venv/bin/python -m pip --disable-pip-version-check)
"${pip[@]}" install -q --upgrade pip
# torch first, pinned: any other spec pulls a multi-GB CUDA build.
"${pip[@]}" install -q -c constraints.txt torch==2.13.0

if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
    wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        echo "Building llama-cpp-python $LLAMA_VERSION from source (about 5 minutes)..."
        mkdir -p "$WHEELS"
        CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
            "${pip[@]}" wheel -q --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
        wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n 1)
    fi
    "${pip[@]}" install -q --no-deps "$wheel"
fi

"${pip[@]}" install -q -c constraints.txt -e ".[local,dev]"
echo "sleuth is installed in .venv (try: .venv/bin/sleuth --help)"
