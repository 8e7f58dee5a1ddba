#!/bin/sh
# The tarball of the tfjs_bundle holds the whole web bundle as regular files: model.json, every
# shard it names (the very files of the model directory MODEL_DIR), the bundle's page, loader
# and service worker, TF.js, and an integrity.json whose SHA-256 sums match the files.
#   web_models_tar_test.sh TAR MODEL_DIR
set -eu
tar="$1"
model="$2"
dir=models/sensor_bundle
[ -z "$(tar -tvf "$tar" | grep '^l')" ] || { echo "$tar holds symlinks, not files" >&2; exit 1; }
listing=$(tar -tf "$tar")
echo "$listing"
for f in model.json integrity.json index.html tfjs-bundle-loader.js tfjs-bundle-sw.js tfjs/tf.min.js \
         tfjs/tf-backend-wasm.min.js tfjs/tfjs-backend-wasm.wasm; do
  echo "$listing" | grep -qx "$dir/$f" || { echo "no $f in $tar" >&2; exit 1; }
done
shards=$(tar -xOf "$tar" $dir/model.json | grep -o 'group[0-9]*-shard[0-9]*of[0-9]*[.]bin' | sort -u)
[ -n "$shards" ] || { echo "model.json names no shards" >&2; exit 1; }
[ "$(echo "$shards" | wc -l)" -gt 1 ] || { echo "expected several 128-byte shards" >&2; exit 1; }
out="${TEST_TMPDIR:-$(mktemp -d)}/x"
mkdir -p "$out" && tar -xf "$tar" -C "$out"
for s in model.json $shards; do
  want=$(grep -A2 "\"$s\"" "$out/$dir/integrity.json" | grep -o '"sha256": "[0-9a-f]*"' | cut -d'"' -f4)
  got=$(sha256sum "$out/$dir/$s" | cut -d' ' -f1)
  [ -n "$want" ] && [ "$want" = "$got" ] || { echo "$s: sha256 $got, integrity.json says '$want'" >&2; exit 1; }
  cmp "$out/$dir/$s" "$model/$s" || { echo "$s differs from $model/$s" >&2; exit 1; }
done
echo "ok: model.json + $(echo "$shards" | wc -l) shards (= $model's), all in integrity.json, + page, loader, TF.js"
