#!/usr/bin/env bash
# Distributed testing: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# Multi-node: set NNODES, NODE_RANK, MASTER_ADDR and PORT on every node (see tools/torchrun.sh).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options]" >&2
  exit 2
fi
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
shift 3
exec bash "$DIR/torchrun.sh" "$GPUS" "$DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "$@"
