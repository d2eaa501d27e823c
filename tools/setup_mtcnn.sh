#!/usr/bin/env bash
# Adds the optional MTCNN extra (requirements/mtcnn.txt: facenet-pytorch's MTCNN face detector,
# its weights inside the wheel) to the .venv made by tools/setup_env.sh, in one command:
#   bash tools/setup_mtcnn.sh       (what `make env-mtcnn` runs; `make test` runs it too)
# facenet-pytorch pins an old torch, so it goes in WITHOUT its dependencies (--no-deps), once per
# machine into $ORSANET_CACHE/extras/mtcnn-<hash>/ (keyed by Python and requirements/mtcnn.txt);
# .venv reaches it through a .pth, so a remade .venv costs seconds.
# Outside this venv: pip install '.[mtcnn]' && pip install --no-deps -r requirements/mtcnn.txt
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || { echo "$PY is missing: run make env (tools/setup_env.sh) first" >&2; exit 1; }
CACHE=${ORSANET_CACHE:-$HOME/.cache/orsanet}
PY_VERSION=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
HASH=$(sha256sum "$ROOT/requirements/mtcnn.txt" | cut -c1-12)
EXTRA=$CACHE/extras/mtcnn-py$PY_VERSION-$HASH
log() { echo "[setup_mtcnn $(date +%T)] $*"; }

mkdir -p "$CACHE/extras"
exec 9>"$CACHE/extras/.mtcnn.lock"
flock 9  # two checkouts installing at once wait for each other
if [ ! -f "$EXTRA/.complete" ]; then
  log "installing requirements/mtcnn.txt into $EXTRA (--no-deps)"
  rm -rf "$EXTRA" "$EXTRA.tmp"  # a half-installed one from an interrupted run
  "$PY" -m pip install -q --no-deps --target "$EXTRA.tmp" -r "$ROOT/requirements/mtcnn.txt" \
    2> >(grep -v "is ignored: it is neither a file" >&2)
  mv "$EXTRA.tmp" "$EXTRA"
  touch "$EXTRA/.complete"
fi
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$EXTRA" > "$SITE/orsanet-mtcnn.pth"
"$PY" -c "from orsanet.faces.mtcnn import import_mtcnn; import_mtcnn()"
log "mtcnn extra ready in .venv ($EXTRA)"
