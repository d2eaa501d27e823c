#!/usr/bin/env bash
# Training on a Slurm cluster (one task per GPU; several nodes when GPUS > GPUS_PER_NODE):
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG GPUS [train.py options]
# e.g. 16 GPUs on 2 nodes: GPUS_PER_NODE=8 bash tools/slurm_train.sh gpu orsanet \
#        configs/orsanet_r50_rafdb.py 16 --auto-scale-lr
# MMEngine reads the Slurm variables (SLURM_PROCID, SLURM_NTASKS, SLURM_NODELIST) under
# --launcher slurm; PORT sets the rendezvous port (default 29500).
set -euo pipefail
if [ $# -lt 4 ]; then
  echo "usage: bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG GPUS [tools/train.py options]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=$4
if ! [[ $GPUS =~ ^[1-9][0-9]*$ ]]; then
  echo "error: GPUS must be a positive integer, got '$GPUS'" >&2
  exit 2
fi
shift 4
GPUS_PER_NODE=${GPUS_PER_NODE:-$(( GPUS < 8 ? GPUS : 8 ))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV_PYTHON=$DIR/../.venv/bin/python
[ -x "$VENV_PYTHON" ] || VENV_PYTHON=python
PYTHON=${PYTHON:-$VENV_PYTHON}  # the repo's .venv unless PYTHON is set
export MASTER_PORT=${PORT:-29500}

# shellcheck disable=SC2086  # SRUN_ARGS holds several options
srun -p "$PARTITION" \
  --job-name="$JOB_NAME" \
  --gres=gpu:"$GPUS_PER_NODE" \
  --ntasks="$GPUS" \
  --ntasks-per-node="$GPUS_PER_NODE" \
  --cpus-per-task="$CPUS_PER_TASK" \
  --kill-on-bad-exit=1 \
  $SRUN_ARGS \
  "$PYTHON" -u "$DIR/train.py" "$CONFIG" --launcher slurm "$@"
