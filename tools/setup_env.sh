#!/usr/bin/env bash
# Creates the ORSANet-MM environment at .venv/ in one command:
#   bash tools/setup_env.sh
# Caches (outside the repo, under $ORSANET_CACHE, default ~/.cache/orsanet):
#   wheels/py<X.Y>-torch<V>/  the mmcv 2.1.0 wheel built from source (the ~9 min step), keyed by
#                             Python and torch versions so it is never reused across them;
#   venvs/py<X.Y>-torch<V>-<hash>/  the finished venv, keyed also by requirements/env.txt and ENV_REV.
# .venv itself is a thin per-checkout venv on top of the cached one (see make_checkout_venv); a
# second run on the same machine only remakes it (seconds).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.14.1
MMCV_VERSION=2.1.0
MMPOSE_VERSION=1.3.2
XTCOCOTOOLS_VERSION=1.14.3
ENV_REV=1  # bump when this script changes what it installs

PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
CACHE=${ORSANET_CACHE:-$HOME/.cache/orsanet}
KEY=py$PY_VERSION-torch$TORCH_VERSION
REQ_HASH=$( (cat "$ROOT/requirements/env.txt"; echo "$ENV_REV $MMCV_VERSION $MMPOSE_VERSION") \
  | sha256sum | cut -c1-12)
WHEELS=$CACHE/wheels/$KEY
VENV=$CACHE/venvs/$KEY-$REQ_HASH
pipq() { "$VENV/bin/pip" "$@" 2> >(grep -v "is ignored: it is neither a file" >&2); }
log() { echo "[setup_env $(date +%T)] $*"; }

build_mmcv_wheel() {
  # mmcv 2.1.0's setup.py forces -std=c++17, torch 2.14's headers need C++20: patch and build.
  local src
  src=$(mktemp -d)
  log "building mmcv $MMCV_VERSION with CPU ops (about 9 min on 2 cores) into $WHEELS"
  pipq download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$src"
  tar -xzf "$src"/mmcv-"$MMCV_VERSION".tar.gz -C "$src"
  sed -i 's/-std=c++17/-std=c++20/g' "$src/mmcv-$MMCV_VERSION/setup.py"
  grep -q -- '-std=c++20' "$src/mmcv-$MMCV_VERSION/setup.py" \
    || { echo "mmcv setup.py has no -std flag to patch" >&2; exit 1; }
  mkdir -p "$WHEELS"
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} pipq wheel -q \
    --no-build-isolation --no-deps --no-cache-dir "$src/mmcv-$MMCV_VERSION" -w "$WHEELS.tmp"
  mv "$WHEELS.tmp"/mmcv-*.whl "$WHEELS/"
  rm -rf "$src" "$WHEELS.tmp"
}

build_venv() {
  log "creating $VENV"
  rm -rf "$VENV"  # a half-built one from an interrupted run
  "$PYTHON" -m venv "$VENV"
  pipq install -q --upgrade "pip<27"
  pipq install -q -r "$ROOT/requirements/env.txt"
  ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1 || build_mmcv_wheel
  pipq install -q --no-deps "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl
  # xtcocotools' binary wheel is built for numpy 1; build it against numpy 2.
  pipq install -q --no-build-isolation --no-binary xtcocotools \
    "xtcocotools==$XTCOCOTOOLS_VERSION" "mmpose==$MMPOSE_VERSION"
  "$VENV/bin/python" -c "import mmcv.ops, mmpretrain, mmseg, mmdet, mmpose; \
from mmcv.ops import nms; import torch; print('mmcv ops OK, torch', torch.__version__)"
  touch "$VENV/.complete"  # only a finished venv is reused
}

# .venv: a thin venv of this checkout on top of the cached one, made in a second. It reaches the
# cached packages through a .pth and this checkout's projects/ (the `orsanet` package) through
# another, so checkouts sharing the cache never see each other's code and the cache is not written.
make_checkout_venv() {
  local cached_site site
  cached_site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  rm -rf "$ROOT/.venv"
  "$VENV/bin/python" -m venv --without-pip "$ROOT/.venv"
  site=$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$cached_site')" > "$site/orsanet-env.pth"
  echo "$ROOT/projects" > "$site/orsanet-checkout.pth"
  echo "$VENV" > "$ROOT/.venv/cached-env"
  ln -s "$VENV/bin/ruff" "$ROOT/.venv/bin/ruff"  # a binary: no interpreter involved
  printf '#!/bin/sh\nexec "%s" -m pytest "$@"\n' "$ROOT/.venv/bin/python" > "$ROOT/.venv/bin/pytest"
  chmod +x "$ROOT/.venv/bin/pytest"
}

mkdir -p "$CACHE/venvs"
if [ ! -f "$VENV/.complete" ]; then
  build_venv
else
  log "cached venv $VENV"
fi
if [ -e "$ROOT/.venv" ] && [ ! -L "$ROOT/.venv" ] && [ ! -f "$ROOT/.venv/cached-env" ]; then
  echo "$ROOT/.venv exists and was not made by this script; remove it first" >&2
  exit 1
fi
make_checkout_venv
"$ROOT/.venv/bin/python" -c "import importlib.util as u; o = u.find_spec('orsanet').origin; \
assert o.startswith('$ROOT/'), o; assert u.find_spec('mmcv._ext'), 'mmcv without compiled ops'"
log "ready: $ROOT/.venv/bin/python (packages from $VENV)"
