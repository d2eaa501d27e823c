#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node.
# On CPU (tests, no GPU), torchrun starts GPUS processes that use the gloo backend.
set -euo pipefail
CONFIG=$1
GPUS=$2
shift 2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV_PYTHON=$DIR/../.venv/bin/python
[ -x "$VENV_PYTHON" ] || VENV_PYTHON=python
PYTHON=${PYTHON:-$VENV_PYTHON}  # the repo's .venv unless PYTHON is set

exec "$PYTHON" -m torch.distributed.run \
  --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
  --nproc_per_node="$GPUS" --master_port="$PORT" \
  "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
