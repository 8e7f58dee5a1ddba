#!/bin/sh
# The tarball of a tfjs_model holds the whole model directory: model.json and every shard it names.
set -eu
tar="$1"
[ -z "$(tar -tvf "$tar" | grep '^l')" ] || { echo "$tar holds symlinks, not files" >&2; exit 1; }
listing=$(tar -tf "$tar")
echo "$listing"
echo "$listing" | grep -qx "models/sensor_web_small/model.json" || { echo "no model.json in $tar" >&2; exit 1; }
shards=$(tar -xOf "$tar" models/sensor_web_small/model.json | grep -o 'group[0-9]*-shard[0-9]*of[0-9]*[.]bin' | sort -u)
[ -n "$shards" ] || { echo "model.json names no shards" >&2; exit 1; }
[ "$(echo "$shards" | wc -l)" -gt 1 ] || { echo "expected several 128-byte shards" >&2; exit 1; }
for s in $shards; do
  echo "$listing" | grep -qx "models/sensor_web_small/$s" || { echo "$s missing from $tar" >&2; exit 1; }
done
echo "ok: model.json + $(echo "$shards" | wc -l) shards"
