#!/usr/bin/env bash
# torchrun with the multi-node variables of the environment, for dist_train.sh / dist_test.sh:
#   bash tools/torchrun.sh NPROC SCRIPT [args]
# NNODES, NODE_RANK, MASTER_ADDR and PORT (defaults 1, 0, 127.0.0.1, 29500); PYTHON defaults to
# the repo's .venv. Without CUDA the processes use the gloo backend on CPU.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash tools/torchrun.sh NPROC SCRIPT [script options] (tools/dist_train.sh and tools/dist_test.sh call it)" >&2
  exit 2
fi
NPROC=$1
if ! [[ $NPROC =~ ^[1-9][0-9]*$ ]]; then
  echo "error: the number of processes (GPUS) must be a positive integer, got '$NPROC'" >&2
  exit 2
fi
SCRIPT=$2
shift 2
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV_PYTHON=$DIR/../.venv/bin/python
[ -x "$VENV_PYTHON" ] || VENV_PYTHON=python
PYTHON=${PYTHON:-$VENV_PYTHON}

exec "$PYTHON" -m torch.distributed.run \
  --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" --master_addr="${MASTER_ADDR:-127.0.0.1}" \
  --nproc_per_node="$NPROC" --master_port="${PORT:-29500}" \
  "$SCRIPT" "$@"
