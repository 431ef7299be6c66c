#!/usr/bin/env bash
# The GPU check of issue 22, prepared on a CPU to run once on a lent GPU machine.
#
# That machine has PyTorch with CUDA, click, rich, numpy and pyarrow, but not
# pytorch-crf, seqeval or GloVe, and it cannot reach ../shared. Once, here, in the
# repository's root:
#
#   echo /.whl/ >> .git/info/exclude; echo /.gpu-data/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#       --implementation cp --platform manylinux2014_x86_64 -d .whl pytorch-crf==0.7.2
#   mkdir -p .gpu-data && cp ../shared/data/conll2003/{train,valid,test}.txt .gpu-data/
#
# then run it through the device tool with carry [".whl", ".gpu-data"] and a timeout
# of about 540 s:   bash benchmarks/device_check.sh
# What it prints (and leaves in $OUT/device_check.md): the CUDA tests, then
# bench_device.py's tables, CPU (one thread) beside CUDA, without GloVe on both.
# Locally (no CUDA) it runs the same on the CPU rows alone: PYTHON=.venv/bin/python
# WHEELS=none bash benchmarks/device_check.sh
set -euo pipefail
PYTHON=${PYTHON:-python3}
OUT=${OUT:-/tmp/device_check}
DATA=${DATA:-.gpu-data}
mkdir -p "$OUT"
if [ "${WHEELS:-.whl}" != none ]; then
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
else
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
{
    "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
torch.cuda.get_device_name() if torch.cuda.is_available() else "")'
    # the scan against pytorch-crf, and the CUDA test (tagging on the GPU as on the CPU)
    "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_decoding.py tests/test_model.py \
        tests/test_checkpoints.py tests/test_meter.py -k "scan or cuda or device or meter or read" 2>&1 | tail -5
    "$PYTHON" benchmarks/bench_device.py --data "$DATA" --embeddings none
} 2>&1 | tee "$OUT/device_check.md"
