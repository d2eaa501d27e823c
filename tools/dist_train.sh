#!/usr/bin/env bash
# Distributed training: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node (see tools/torchrun.sh).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash tools/dist_train.sh CONFIG GPUS [tools/train.py options], e.g. bash tools/dist_train.sh configs/orsanet_r50_rafdb.py 8" >&2
  exit 2
fi
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONFIG=$1
GPUS=$2
shift 2
exec bash "$DIR/torchrun.sh" "$GPUS" "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
