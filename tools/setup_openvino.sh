#!/usr/bin/env bash
# Adds the optional OpenVINO extra (requirements/openvino.txt: a backend of orsanet.runtime) to
# the .venv made by tools/setup_env.sh, in one command:
#   bash tools/setup_openvino.sh    (what `make env-openvino` runs; `make test` runs it too)
# The wheel (about 60 MB) goes once per machine into $ORSANET_CACHE/extras/openvino-<hash>/
# (keyed by Python and requirements/openvino.txt); .venv reaches it through a .pth, so a remade
# .venv costs seconds and the cached venv's key (requirements/env.txt) is unchanged.
# Outside this venv: pip install '.[openvino]'.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || { echo "$PY is missing: run make env (tools/setup_env.sh) first" >&2; exit 1; }
CACHE=${ORSANET_CACHE:-$HOME/.cache/orsanet}
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
HASH=$(sha256sum "$ROOT/requirements/openvino.txt" | cut -c1-12)
EXTRA=$CACHE/extras/openvino-py$PY_VERSION-$HASH
log() { echo "[setup_openvino $(date +%T)] $*"; }

mkdir -p "$CACHE/extras"
exec 9>"$CACHE/extras/.openvino.lock"
flock 9  # two checkouts installing at once wait for each other
if [ ! -f "$EXTRA/.complete" ]; then
  log "installing requirements/openvino.txt into $EXTRA"
  rm -rf "$EXTRA" "$EXTRA.tmp"  # a half-installed one from an interrupted run
  "$PY" -m pip install -q --no-deps --target "$EXTRA.tmp" -r "$ROOT/requirements/openvino.txt" \
    2> >(grep -v "is ignored: it is neither a file" >&2)
  mv "$EXTRA.tmp" "$EXTRA"
  touch "$EXTRA/.complete"
fi
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$EXTRA" > "$SITE/orsanet-openvino.pth"
"$PY" -c "import openvino as ov; ov.Core().available_devices; print('openvino', ov.__version__)"
log "openvino extra ready in .venv ($EXTRA)"
