#!/usr/bin/env bash
# Adds the optional dlib extra (requirements/dlib.txt: dlib's trained face detector and landmark
# models) to the .venv made by tools/setup_env.sh, in one command:
#   bash tools/setup_dlib.sh        (what `make env-dlib` runs; `make test` runs it too)
# The packages go once per machine into $ORSANET_CACHE/extras/dlib-<hash>/ (keyed by Python and
# requirements/dlib.txt); .venv reaches them through a .pth, so a remade .venv costs seconds.
# Outside this venv: pip install '.[dlib]'.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || { echo "$PY is missing: run make env (tools/setup_env.sh) first" >&2; exit 1; }
CACHE=${ORSANET_CACHE:-$HOME/.cache/orsanet}
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
HASH=$(sha256sum "$ROOT/requirements/dlib.txt" | cut -c1-12)
EXTRA=$CACHE/extras/dlib-py$PY_VERSION-$HASH
log() { echo "[setup_dlib $(date +%T)] $*"; }

if [ ! -f "$EXTRA/.complete" ]; then
  log "installing requirements/dlib.txt into $EXTRA"
  rm -rf "$EXTRA" "$EXTRA.tmp"  # a half-installed one from an interrupted run
  "$PY" -m pip install -q --no-deps --target "$EXTRA.tmp" -r "$ROOT/requirements/dlib.txt" \
    2> >(grep -v "is ignored: it is neither a file" >&2)
  mv "$EXTRA.tmp" "$EXTRA"
  touch "$EXTRA/.complete"
fi
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$EXTRA" > "$SITE/orsanet-dlib.pth"
"$PY" -c "from orsanet.faces.dlib_backends import dlib_model_file, import_dlib; \
import_dlib(); [dlib_model_file(n) for n in ('cnn', 'landmarks68', 'landmarks5')]"
log "dlib extra ready in .venv ($EXTRA)"
