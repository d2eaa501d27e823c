#!/usr/bin/env bash
# Adds an optional extra (requirements/<name>.txt) to the .venv made by tools/setup_env.sh:
#   bash tools/setup_extra.sh dlib|openvino|mtcnn|mim   (make env-dlib / env-openvino / env-mtcnn /
#                                                        env-mim; `make test` runs them all)
# The packages go once per machine into $ORSANET_CACHE/extras/<name>-py<version>-<hash>/ (keyed
# by Python and the requirements file), installed without their dependencies: each file lists
# what its extra needs beyond requirements/env.txt, and an extra's own declared dependencies
# would move the environment's pins (facenet-pytorch pins torch<2.3 and numpy<2; openmim's
# opendatalab pins requests and setuptools). .venv reaches them through a .pth, so a remade .venv costs seconds and the cached venv's key
# (requirements/env.txt) is unchanged. Outside this venv: pip install '.[<name>]' (for mtcnn see
# requirements/mtcnn.txt).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NAME=${1:-}
case "$NAME" in  # what proves each extra usable once installed
  dlib) CHECK="from orsanet.faces.dlib_backends import dlib_model_file, import_dlib; \
import_dlib(); [dlib_model_file(n) for n in ('cnn', 'landmarks68', 'landmarks5')]" ;;
  openvino) CHECK="import openvino as ov; ov.Core().available_devices; \
print('openvino', ov.__version__)" ;;
  mtcnn) CHECK="from orsanet.faces.mtcnn import import_mtcnn; import_mtcnn()" ;;
  mim) CHECK="import mim.commands.train; from importlib.metadata import version; \
print('openmim', version('openmim'))" ;;
  *) echo "setup_extra.sh: unknown extra '$NAME' (dlib, openvino, mtcnn or mim)" >&2; exit 2 ;;
esac
REQ=$ROOT/requirements/$NAME.txt
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || { echo "$PY is missing: run make env (tools/setup_env.sh) first" >&2; exit 1; }
CACHE=${ORSANET_CACHE:-$HOME/.cache/orsanet}
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
EXTRA=$CACHE/extras/$NAME-py$PY_VERSION-$(sha256sum "$REQ" | cut -c1-12)
log() { echo "[setup_extra $NAME $(date +%T)] $*"; }

mkdir -p "$CACHE/extras"
exec 9>"$CACHE/extras/.$NAME.lock"
flock 9  # two checkouts installing at once wait for each other
if [ ! -f "$EXTRA/.complete" ]; then
  log "installing requirements/$NAME.txt into $EXTRA"
  rm -rf "$EXTRA" "$EXTRA.tmp"  # a half-installed one from an interrupted run
  "$PY" -m pip install -q --no-deps --target "$EXTRA.tmp" -r "$REQ" \
    2> >(grep -v "is ignored: it is neither a file" >&2)
  mv "$EXTRA.tmp" "$EXTRA"
  touch "$EXTRA/.complete"
fi
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$EXTRA" > "$SITE/orsanet-$NAME.pth"
"$PY" -W ignore -c "$CHECK"
log "ready in .venv ($EXTRA)"
