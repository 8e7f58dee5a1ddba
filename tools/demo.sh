#!/usr/bin/env bash
# The main job, from a fresh clone: set up (if needed), convert the shipped example model with
# the CLI, load it in tfjs-node and print its predictions next to Keras' with the max error.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh
echo "== bazel run //converter:cli -- convert examples/bars_cnn.keras out/bars_cnn --overwrite"
bazel run //converter:cli -- convert examples/bars_cnn.keras out/bars_cnn --overwrite
echo "== bazel run //tools:demo -- out/bars_cnn"
bazel run //tools:demo -- out/bars_cnn
