#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: apt packages (Bazel 4.2.3, JDK 17, Chromium, nginx-light:
# the remote-cache test's HTTP cache), the Python venv (.venv, from requirements.lock), the Node
# packages of runtime_tests/ (from package-lock.json, with tfjs-node built offline) and the
# machine-local user.bazelrc. A second run checks stamps and
# returns in seconds. Any failure names the step and exits non-zero. (Chromium: the browser tests
# drive Debian's /usr/bin/chromium through playwright-core; no browser is ever downloaded.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STEP="start"
trap 'rc=$?; [ $rc -ne 0 ] && echo "tools/setup.sh: FAILED at step \"$STEP\" (exit $rc)" >&2' EXIT
log() { printf '[setup] %s\n' "$*" >&2; }
sha() { sha256sum "$@" | sha256sum | cut -c1-64; }

# ---- 1. system packages -------------------------------------------------------------------
STEP="apt packages"
APT_PACKAGES=(bazel-bootstrap bazel-rules-java openjdk-17-jdk-headless build-essential chromium nginx-light)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ---- 2. Python venv -------------------------------------------------------------------------
STEP="python venv"
PY=${PYTHON:-$(command -v python3.11 || true)}
[ -n "$PY" ] || { echo "python3.11 not found on PATH (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
want=$(sha requirements.lock)
if [ "$(cat .venv/.lock-sha256 2>/dev/null)" != "$want" ]; then
  log "creating .venv from requirements.lock (TensorFlow etc., ~2 min cold)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  STEP="pip install -r requirements.lock"
  # (The grep drops pip's warnings about this machine's unused local find-links folders.)
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock \
    2> >(grep -v "^WARNING: Location 'file://" >&2)
  echo "$want" > .venv/.lock-sha256
fi

# ---- 3. Node packages (tfjs-node built from source, offline) -------------------------------
STEP="npm packages (runtime_tests)"
want=$(sha runtime_tests/package.json runtime_tests/package-lock.json tools/install_tfjs_node.sh)
if [ "$(cat runtime_tests/node_modules/.lock-sha256 2>/dev/null)" != "$want" ]; then
  log "installing runtime_tests/node_modules from package-lock.json (~1-2 min cold)"
  bash tools/install_tfjs_node.sh runtime_tests "$ROOT/.venv/bin/python"
  echo "$want" > runtime_tests/node_modules/.lock-sha256
fi

# ---- 3b. what the pip-install tests install offline ------------------------------------------
# The light TF.js runtime (converter/runtime/light: TF.js + WASM, no native build) as
# `tfjs-export install-runtime` installs it, and the [verify] extra's wheels (requirements-verify.lock),
# so that runtime_tests/pip_install_test.py installs the wheel into a fresh venv without a network.
STEP="light TF.js runtime (.cache/light-runtime)"
want=$(sha converter/runtime/light/package.json converter/runtime/light/package-lock.json)
if [ "$(cat .cache/light-runtime/.lock-sha256 2>/dev/null)" != "$want" ]; then
  log "installing the light TF.js runtime into .cache/light-runtime (~10 s)"
  rm -rf .cache/light-runtime && mkdir -p .cache/light-runtime
  cp converter/runtime/light/package.json converter/runtime/light/package-lock.json .cache/light-runtime/
  (cd .cache/light-runtime && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" > .cache/light-runtime/.lock-sha256
fi
STEP="wheelhouse for the [verify] extra (.cache/wheelhouse)"
want=$(sha requirements-verify.lock)
if [ "$(cat .cache/wheelhouse/.lock-sha256 2>/dev/null)" != "$want" ]; then
  log "downloading the [verify] extra's wheels into .cache/wheelhouse (~10 s)"
  mkdir -p .cache/wheelhouse
  .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r requirements-verify.lock -d .cache/wheelhouse \
    2> >(grep -v "^WARNING: Location 'file://" >&2)
  echo "$want" > .cache/wheelhouse/.lock-sha256
fi

# ---- 4. machine-local Bazel settings --------------------------------------------------------
STEP="user.bazelrc"
rc="# Written by tools/setup.sh for this clone; not committed.
startup --output_user_root=$ROOT/.cache/bazel
common --repo_env=PYTHON_BIN_PATH=$ROOT/.venv/bin/python3
test --test_env=TFJS_EXPORT_ROOT=$ROOT"
[ "$(cat user.bazelrc 2>/dev/null)" = "$rc" ] || { echo "$rc" > user.bazelrc; log "wrote user.bazelrc"; }
# The example consumer workspace (examples/consumer) gets the same settings: the same output
# root (one Bazel install base), our venv, and where our runtime_tests/node_modules are.
[ "$(cat examples/consumer/user.bazelrc 2>/dev/null)" = "$rc" ] \
  || { echo "$rc" > examples/consumer/user.bazelrc; log "wrote examples/consumer/user.bazelrc"; }

STEP="done"
log "ok"
