#!/usr/bin/env bash
# What a GPU session runs (on a machine with CUDA, cupy, PyTorch and pytest-xdist installed):
# the cuda-marked tests of every package, the core/nn/optim suites on the GPU, and the GPU
# benchmarks. Logs go to ${OUT:-/tmp/ember-gpu}. Each step has its own time limit.
set -u
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/ember-gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/core/src:$PWD/vision/src${PYTHONPATH:+:$PYTHONPATH}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import numpy, cupy, torch; print('numpy', numpy.__version__, 'cupy', cupy.__version__, 'torch', torch.__version__)"
workers=${WORKERS:-12}
pt() { timeout "$1" python3 -m pytest -q -p no:cacheprovider -p no:benchmark -o addopts="--import-mode=importlib" \
         -n "$workers" --timeout 120 "${@:2}"; }
echo "== cuda-marked tests (all packages)"
EMBER_TEST_DEVICE=cuda pt 120 -m cuda tests/core tests/vision 2>&1 | tee "$out/cuda_marked.log" | tail -25
echo "== GPU benchmarks"
[ -n "${SKIP_BENCH:-}" ] || timeout 150 python3 bench/run.py --device cuda -r 10 --no-import-time --out "$out/RESULTS_gpu.md" \
  2>&1 | tee "$out/bench_gpu.log" | tail -20
echo "== core suites with EMBER_TEST_DEVICE=cuda"
EMBER_TEST_DEVICE=cuda pt "${SUITE_LIMIT:-230}" tests/core/nn tests/core/optim tests/core/autograd \
  tests/core/ops tests/core/linalg tests/core/test_tensor.py tests/core/test_views.py \
  2>&1 | tee "$out/core_cuda.log" | tail -40
