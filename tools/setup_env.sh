#!/usr/bin/env bash
# Creates the ORSANet-MM environment at .venv/ in one command:
#   bash tools/setup_env.sh [--mmcv lite|full] [--cached-python]
#   (`make env`, `make env MMCV=full`)
# --mmcv lite (the default): mmcv-lite 2.1.0, no compiled ops; orsanet serves the ops the toolboxes'
#   common models call with torchvision / PyTorch (projects/orsanet/mmcv_ops/). About 2 min fresh.
# --mmcv full: mmcv 2.1.0 built from source with its compiled CPU ops (about 10 min on 2 cores, once
#   a machine: the wheel is cached).
# Without --mmcv, the flavour of the existing .venv is kept (lite for a new checkout).
# --cached-python: only make sure the cached venv of that flavour exists and print its python on
#   stdout (the tests use it to reach the compiled mmcv); .venv is left alone.
# Caches (outside the repo, under $ORSANET_CACHE, default ~/.cache/orsanet):
#   wheels/py<X.Y>-torch<V>/  the full mmcv 2.1.0 wheel built from source (the ~9 min step), keyed
#                             by Python and torch versions so it is never reused across them;
#   venvs/py<X.Y>-torch<V>-mmcv-<flavour>-<hash>/  the finished venv of each flavour, keyed also by
#                             requirements/env.txt and ENV_REV; the two flavours never share one.
# .venv itself is a thin per-checkout venv on top of the cached one (see make_checkout_venv); a
# second run on the same machine only remakes it (seconds). Concurrent runs wait for each other's
# build of the same cached venv (flock) instead of building it twice.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
TORCH_VERSION=2.14.1
MMCV_VERSION=2.1.0
MMPOSE_VERSION=1.3.2
XTCOCOTOOLS_VERSION=1.14.3
UV_VERSION=0.13.9
ENV_REV=2  # bump when this script changes what it installs

FLAVOUR=""
PRINT_CACHED_PYTHON=0
while [ $# -gt 0 ]; do
  case "$1" in
    --mmcv) FLAVOUR=${2:-?}; shift $(($# > 1 ? 2 : 1)) ;;
    --mmcv=*) FLAVOUR=${1#--mmcv=}; shift ;;
    --cached-python) PRINT_CACHED_PYTHON=1; shift ;;
    *) echo "setup_env.sh: unknown argument $1 (use --mmcv lite|full, --cached-python)" >&2
       exit 2 ;;
  esac
done
if [ -z "$FLAVOUR" ]; then  # keep the checkout's flavour
  FLAVOUR=$(cat "$ROOT/.venv/mmcv-flavour" 2>/dev/null || echo lite)
fi
case "$FLAVOUR" in
  lite|full) ;;
  *) echo "setup_env.sh: --mmcv must be lite or full, not '$FLAVOUR'" >&2; exit 2 ;;
esac

PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
CACHE=${ORSANET_CACHE:-$HOME/.cache/orsanet}
KEY=py$PY_VERSION-torch$TORCH_VERSION
REQ_HASH=$( (cat "$ROOT/requirements/env.txt"
             echo "$ENV_REV $MMCV_VERSION $MMPOSE_VERSION $XTCOCOTOOLS_VERSION $FLAVOUR") \
  | sha256sum | cut -c1-12)
WHEELS=$CACHE/wheels/$KEY
VENV=$CACHE/venvs/$KEY-mmcv-$FLAVOUR-$REQ_HASH
pipq() { "$VENV/bin/pip" "$@" 2> >(grep -v "is ignored: it is neither a file" >&2); }
log() { echo "[setup_env $(date +%T)] $*" >&2; }

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

# requirements/env.txt into $VENV. uv installs the same versions as pip about twice as fast
# (parallel downloads and unpacking, bytecode compiled on every core: 70-107 s against 163 s here),
# with pip's configured indexes, find-links and constraints (the machine's cap on torch included;
# tools/uv_options_from_pip.py).
# ORSANET_INSTALLER=pip, or uv failing, installs with pip alone.
install_requirements() {
  local req=$ROOT/requirements/env.txt opts
  if [ "${ORSANET_INSTALLER:-uv}" = uv ] && pipq install -q "uv==$UV_VERSION"; then
    log "installing requirements/env.txt (uv $UV_VERSION)"
    mapfile -t opts < <("$VENV/bin/pip" config list | "$VENV/bin/python" \
                          "$ROOT/tools/uv_options_from_pip.py")
    if "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --compile-bytecode \
        "${opts[@]}" -r "$req"; then
      return 0
    fi
    log "uv could not install requirements/env.txt (above); installing with pip instead"
  fi
  log "installing requirements/env.txt (pip)"
  pipq install -q -r "$req"
}

build_venv() {
  log "creating $VENV"
  rm -rf "$VENV"  # a half-built one from an interrupted run
  "$PYTHON" -m venv "$VENV"
  pipq install -q --upgrade "pip<27"
  install_requirements
  log "installing mmcv ($FLAVOUR)"
  if [ "$FLAVOUR" = full ]; then
    ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1 || build_mmcv_wheel
    pipq install -q --no-deps "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl
  else
    pipq install -q "mmcv-lite==$MMCV_VERSION"
  fi
  # xtcocotools' binary wheel is built for numpy 1; build it against numpy 2.
  log "building xtcocotools, installing mmpose"
  pipq install -q --no-build-isolation --no-binary xtcocotools \
    "xtcocotools==$XTCOCOTOOLS_VERSION" "mmpose==$MMPOSE_VERSION"
  "$VENV/bin/python" -c "import importlib.util as u, mmcv, mmpretrain, mmseg, mmdet, mmpose, torch; \
assert (u.find_spec('mmcv._ext') is not None) == ('$FLAVOUR' == 'full'), 'wrong mmcv flavour'; \
print('mmcv', mmcv.__version__, '($FLAVOUR), torch', torch.__version__)" >&2
  touch "$VENV/.complete"  # only a finished venv is reused
}

# The cached venv of this flavour, built under a lock so that two set-ups never build it at once.
ensure_cached_venv() {
  mkdir -p "$CACHE/venvs"
  exec 9>"$CACHE/venvs/.$(basename "$VENV").lock"
  if ! flock -n 9; then
    log "waiting for another set-up that is building $VENV"
    flock 9
  fi
  if [ ! -f "$VENV/.complete" ]; then
    build_venv
  else
    log "cached venv $VENV"
  fi
  exec 9>&-
}

# the cached folder tools/setup_extra.sh installs extra $1 into (its key: Python and the
# requirements file)
extra_folder() {
  echo "$CACHE/extras/$1-py$PY_VERSION-$(sha256sum "$ROOT/requirements/$1.txt" | cut -c1-12)"
}

# .venv: a thin venv of this checkout on top of the cached one, made in a second. It reaches the
# cached packages through a .pth and this checkout's projects/ (the `orsanet` package) through
# another, so checkouts sharing the cache never see each other's code and the cache is not written.
make_checkout_venv() {
  local cached_site site pth name folder kept=()
  cached_site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  # the extras added before stay (`make env-dlib` then `make env-mtcnn` leaves both) while their
  # .pth points at the complete folder of `extra_folder` now; after a pin change it is dropped,
  # and `make env-<name>` installs the new one
  for pth in "$ROOT"/.venv/lib/python*/site-packages/orsanet-*.pth; do
    name=$(basename "$pth" .pth); name=${name#orsanet-}
    case "$name" in env|checkout|'*') continue ;; esac
    folder=$(head -n1 "$pth")
    if [ -f "$ROOT/requirements/$name.txt" ] && [ -f "$folder/.complete" ] \
        && [ "$folder" = "$(extra_folder "$name")" ]; then
      kept+=("$name")
    else
      log "dropped extra $name ($folder is not the current one): make env-$name adds it again"
    fi
  done
  rm -rf "$ROOT/.venv"
  "$VENV/bin/python" -m venv --without-pip "$ROOT/.venv"
  site=$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "import site; site.addsitedir('$cached_site')" > "$site/orsanet-env.pth"
  echo "$ROOT/projects" > "$site/orsanet-checkout.pth"
  for name in "${kept[@]}"; do
    extra_folder "$name" > "$site/orsanet-$name.pth"
    log "kept extra $name ($(cat "$site/orsanet-$name.pth"))"
  done
  echo "$VENV" > "$ROOT/.venv/cached-env"
  echo "$FLAVOUR" > "$ROOT/.venv/mmcv-flavour"
  ln -s "$VENV/bin/ruff" "$ROOT/.venv/bin/ruff"  # a binary: no interpreter involved
  printf '#!/bin/sh\nexec "%s" -m pytest "$@"\n' "$ROOT/.venv/bin/python" > "$ROOT/.venv/bin/pytest"
  chmod +x "$ROOT/.venv/bin/pytest"
}

ensure_cached_venv >&2  # stdout carries only what --cached-python prints
if [ "$PRINT_CACHED_PYTHON" = 1 ]; then
  echo "$VENV/bin/python"
  exit 0
fi
if [ -e "$ROOT/.venv" ] && [ ! -L "$ROOT/.venv" ] && [ ! -f "$ROOT/.venv/cached-env" ]; then
  echo "$ROOT/.venv exists and was not made by this script; remove it first" >&2
  exit 1
fi
make_checkout_venv
# this checkout's orsanet, and the mmcv of this flavour (compiled ops or none)
"$ROOT/.venv/bin/python" -c "import importlib.util as u; o = u.find_spec('orsanet').origin; \
assert o.startswith('$ROOT/'), o; \
assert (u.find_spec('mmcv._ext') is not None) == ('$FLAVOUR' == 'full'), 'wrong mmcv flavour'"
log "ready ($FLAVOUR mmcv): $ROOT/.venv/bin/python (packages from $VENV)"
