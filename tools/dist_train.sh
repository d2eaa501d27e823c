#!/usr/bin/env bash
# Distributed training: bash tools/dist_train.sh CONFIG GPUS [train.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node (see tools/torchrun.sh).
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONFIG=$1
GPUS=$2
shift 2
exec bash "$DIR/torchrun.sh" "$GPUS" "$DIR/train.py" "$CONFIG" --launcher pytorch "$@"
