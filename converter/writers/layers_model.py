"""Writer for the TF.js Layers format: `model.json` + weight shards, for tf.loadLayersModel."""

import json
import os

from tfjs_export import codec

from tfjs_export.converter.version import CONVERTED_BY
from tfjs_export.converter.writers.atomic_dir import atomic_output_dir

DEFAULT_SHARD_SIZE = 4 * 1024 * 1024  # the official converter's default (4 MiB)


def write_layers_model(spec, out_dir, plan, shard_size=DEFAULT_SHARD_SIZE, overwrite=False,
                       progress=None, user_metadata=None):
    """Write `spec` as a Layers model into `out_dir` (atomically); return (files written,
    manifest group). `progress(bytes_written, total)` follows the shard writing;
    `user_metadata(group)`, if given, returns model.json's userDefinedMetadata."""
    with atomic_output_dir(out_dir, overwrite) as tmp:
        group = codec.write_weights(
            [(w.name, w.array, plan.dtype_for(w.name, w.array)) for w in spec.weights],
            tmp, shard_size=shard_size, progress=progress)
        model_json = {
            "format": spec.format,
            "generatedBy": spec.generated_by,
            "convertedBy": CONVERTED_BY,
            "modelTopology": spec.topology,
            "weightsManifest": [group] if group["weights"] else [],
        }
        if user_metadata:
            model_json["userDefinedMetadata"] = user_metadata(group)
        # Written last: a directory with a model.json is a complete model.
        with open(os.path.join(tmp, "model.json"), "w", encoding="utf-8") as f:
            json.dump(model_json, f, separators=(",", ":"), allow_nan=False)
        files = ["model.json"] + list(group["paths"])
    return files, group
