#!/usr/bin/env bash
# Offline-friendly install of @tensorflow/tfjs-node (native TF backend) using ONLY the
# npm registry and PyPI (no storage.googleapis.com, no nodejs.org header download).
#
# How: tfjs-node's install script (scripts/install.js) downloads
#   ${TFJS_NODE_BASE_URI}cpu-linux-x86_64-2.9.1.tar.gz   (libtensorflow C library + headers)
# and then runs `node-pre-gyp install --fallback-to-build`, which would try to download a
# prebuilt addon from storage.googleapis.com. We
#   1. take libtensorflow_cc.so.2 + libtensorflow_framework.so.2 + the C-API headers out of
#      the PyPI `tensorflow-cpu` wheel (libtensorflow_cc.so.2 exports the TF_*/TFE_* C API),
#   2. repack them in the layout of the official libtensorflow tarball,
#   3. serve that tarball from a throw-away HTTP server on 127.0.0.1 and point
#      TFJS_NODE_BASE_URI at it,
#   4. force node-pre-gyp to compile the addon locally (npm_config_build_from_source=<pkg>)
#      against the local Node headers (npm_config_nodedir=/usr -> /usr/include/node).
#
# Usage:  bash tools/install_tfjs_node.sh APP_DIR [PYTHON]
#   Installs APP_DIR's package-lock.json with `npm ci` (or, with no lock yet, adds tfjs-node and
#   writes one). PYTHON (default python3) is only used for `pip download` and the loopback server.
# Env:    TFJS_NODE_VERSION (4.22.0)  TF_WHEEL_VERSION (2.12.1; 2.21.0 also tested)  CACHE_DIR  STRIP (1)
#         NPM_CACHE (optional: use a separate npm cache dir, e.g. to time a cold install)
set -euo pipefail

APP_DIR=$(mkdir -p "${1:-$PWD}" && cd "${1:-$PWD}" && pwd)
PYTHON=${2:-python3}
TFJS_NODE_VERSION=${TFJS_NODE_VERSION:-4.22.0}
TF_WHEEL_VERSION=${TF_WHEEL_VERSION:-2.12.1}   # 2.12.x = oldest wheel with a Python-free libtensorflow_cc.so.2
CACHE_DIR=${CACHE_DIR:-$HOME/.cache/tfjs-node-offline}
STRIP=${STRIP:-1}
# Name that tfjs-node 4.x asks for (LIBTENSORFLOW_VERSION in scripts/deps-constants.js).
LIBTF_NAME=libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz

log() { printf "\n[install.sh +%ss] %s\n" "$SECONDS" "$*" >&2; }

# ---- 0. prerequisites -------------------------------------------------------------
for t in node npm python3 g++ make tar gzip; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (apt-get install -y build-essential python3)"; exit 1; }
done
NODE_PREFIX=$(dirname "$(dirname "$(command -v node)")")   # /usr for /usr/bin/node
if [ ! -f "$NODE_PREFIX/include/node/node_api.h" ]; then
  echo "Node headers not found at $NODE_PREFIX/include/node; node-gyp would try to download them." >&2
  exit 1
fi
[ "$(uname -m)" = x86_64 ] || { echo "only linux x86_64 handled here"; exit 1; }

WHEEL_DIR="$CACHE_DIR/wheels"
SERVE_DIR="$CACHE_DIR/serve-tf$TF_WHEEL_VERSION-strip$STRIP"
mkdir -p "$WHEEL_DIR" "$SERVE_DIR"

# ---- 1. get the TensorFlow wheel from PyPI (only its native libs + headers are used) --
if [ ! -s "$SERVE_DIR/$LIBTF_NAME" ]; then
  log "pip download tensorflow-cpu==$TF_WHEEL_VERSION"
  "$PYTHON" -m pip download --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 "tensorflow-cpu==$TF_WHEEL_VERSION" -d "$WHEEL_DIR" \
    2> >(grep -v "WARNING: Location" >&2)
  WHEEL=$(ls "$WHEEL_DIR"/tensorflow_cpu-"$TF_WHEEL_VERSION"-*.whl | head -n1)

  # ---- 2. assemble a libtensorflow tarball in the official layout -------------------
  log "repacking $(basename "$WHEEL") -> $LIBTF_NAME"
  STAGE=$(mktemp -d "$CACHE_DIR/stage.XXXXXX")
  "$PYTHON" - "$WHEEL" "$STAGE" <<'PY'
import fnmatch, os, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
inc = 'tensorflow/include/'
# C API headers (+ the ctstring/tsl_status headers they include); paths moved between TF
# versions (tensorflow/tsl/... in 2.12-2.16, tsl/... and xla/tsl/... later), so take all.
pats = ['tensorflow/c/*.h', 'tensorflow/core/platform/ctstring*.h',
        'tensorflow/tsl/platform/ctstring*.h', 'tsl/platform/ctstring*.h',
        'tensorflow/tsl/c/*.h', 'tsl/c/*.h', 'xla/tsl/c/*.h']
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
z = zipfile.ZipFile(whl)
found = set()
for n in z.namelist():
    if n in libs:
        dst = os.path.join(out, 'lib', os.path.basename(n)); found.add(n)
    elif n.startswith(inc) and any(fnmatch.fnmatch(n[len(inc):], p) for p in pats):
        dst = os.path.join(out, 'include', n[len(inc):])
    else:
        continue
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with z.open(n) as s, open(dst, 'wb') as d:
        shutil.copyfileobj(s, d, 1 << 20)
missing = libs - found
if missing:
    sys.exit(f'wheel lacks {missing}: this TF version has no libtensorflow_cc.so.2 (use TF >= 2.12)')
PY
  (
    cd "$STAGE/lib"
    if [ "$STRIP" = 1 ] && command -v strip >/dev/null; then
      strip --strip-unneeded libtensorflow_cc.so.2 libtensorflow_framework.so.2   # -~220 MB, .dynsym kept
    fi
    # binding.gyp links -ltensorflow -ltensorflow_framework; the addon then records the
    # SONAMEs libtensorflow_cc.so.2 / libtensorflow_framework.so.2 and finds them through
    # its RUNPATH $ORIGIN/../../deps/lib. The *.so.2.9.1 names make install.js's
    # "already downloaded" check (deps/lib/libtensorflow.so.2.9.1) pass on a rebuild.
    ln -sf libtensorflow_cc.so.2 libtensorflow.so
    ln -sf libtensorflow_cc.so.2 libtensorflow.so.2
    ln -sf libtensorflow_cc.so.2 libtensorflow.so.2.9.1
    ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so
    ln -sf libtensorflow_framework.so.2 libtensorflow_framework.so.2.9.1
  )
  echo "libtensorflow_cc/framework from PyPI tensorflow-cpu==$TF_WHEEL_VERSION" > "$STAGE/SOURCE.txt"
  tar -C "$STAGE" -cf - include lib SOURCE.txt | gzip -1 > "$SERVE_DIR/$LIBTF_NAME.part"
  mv "$SERVE_DIR/$LIBTF_NAME.part" "$SERVE_DIR/$LIBTF_NAME"
  rm -rf "$STAGE"
else
  log "reusing $SERVE_DIR/$LIBTF_NAME"
fi

# ---- 3. throw-away HTTP server on loopback for install.js ------------------------------
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$PYTHON" -m http.server "$PORT" --bind 127.0.0.1 --directory "$SERVE_DIR" >"$CACHE_DIR/http.log" 2>&1 &
HTTP_PID=$!
trap 'kill "$HTTP_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  node -e "require('http').get('http://127.0.0.1:$PORT/$LIBTF_NAME',r=>process.exit(r.statusCode==200?0:1)).on('error',()=>process.exit(1))" && break
  sleep 0.2
done

# ---- 4. npm install with the overrides --------------------------------------------------
cd "$APP_DIR"
export TFJS_NODE_BASE_URI="http://127.0.0.1:$PORT/libtensorflow-"   # read by scripts/install.js
export npm_config_build_from_source=@tensorflow/tfjs-node  # node-pre-gyp: compile this package, no prebuilt-addon download
export npm_config_nodedir="$NODE_PREFIX"    # node-gyp: use /usr/include/node, no header download
NPM_ARGS=(--no-audit --no-fund --foreground-scripts)
[ -n "${NPM_CACHE:-}" ] && NPM_ARGS+=(--cache "$NPM_CACHE")
if [ -f package-lock.json ]; then
  log "npm ci in $APP_DIR (tfjs-node compiled locally)"
  npm ci "${NPM_ARGS[@]}"
else
  log "npm install (no package-lock.json yet: writing one) in $APP_DIR"
  npm install "${NPM_ARGS[@]}"
fi

# ---- 5. smoke test -----------------------------------------------------------------------
BINDING=$(ls node_modules/@tensorflow/tfjs-node/lib/napi-v*/tfjs_binding.node 2>/dev/null | head -n1 || true)
[ -n "$BINDING" ] || { echo "addon was not built (node_modules/@tensorflow/tfjs-node/lib/napi-v*/tfjs_binding.node missing)"; exit 1; }
TF_CPP_MIN_LOG_LEVEL=2 node -e "
const tf = require('@tensorflow/tfjs-node');
const y = tf.conv2d(tf.ones([1,5,5,1]), tf.ones([3,3,1,2]), 1, 'same').sum().dataSync()[0];
if (tf.getBackend() !== 'tensorflow' || y !== 338) { console.error('smoke test FAILED', tf.getBackend(), y); process.exit(1); }
console.log('tfjs-node OK: backend=' + tf.getBackend() + ' tfjs-node=' + tf.version['tfjs-node'] + ' conv2d check=' + y);
"
log "done: $BINDING"
