#!/usr/bin/env bash
# Distributed training: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node (see tools/torchrun.sh).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bash tools/dist_train.sh CONFIG GPUS [tools/train.py options], e.g. bash tools/dist_train.sh configs/orsanet_r50_rafdb.py 8" >&2; exit 2; }
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$DIR/torchrun.sh" "$2" "$DIR/train.py" "$1" --launcher pytorch "${@:3}"
