"""Class names for a classifier's outputs (`--labels FILE` of `convert` and `bundle`).

A labels file holds one class name per line, in the order of the model's output units (UTF-8;
a trailing newline and a final empty line are fine, blank lines inside are not: they would shift
every later name). The names are kept in model.json as `userDefinedMetadata.labels` (a list of
strings), where TF.js exposes them (`model.metadata` / `getUserDefinedMetadata()`) and the
bundle's demo page reads them to label its bars.
"""

import json
import os

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.small_files import read_small_file

MAX_LABELS = 100000
MAX_BYTES = 16 << 20


def add_labels_option(parser):
    """The --labels option (shared by `convert` and `bundle`)."""
    parser.add_argument("--labels", metavar="FILE", default=None,
                        help="class names, one per line in output order, kept in model.json's "
                             "userDefinedMetadata.labels (the demo page labels its bars with them)")


def read_labels(path):
    """The class names in a labels file; ConversionError naming the file for a bad one."""
    data = read_small_file(path, "labels file", MAX_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConversionError(f"labels file is not UTF-8 text (byte {err.start})", path) from None
    labels = text.splitlines()
    if labels and labels[-1] == "":
        labels.pop()
    if not labels:
        raise ConversionError("labels file is empty (one class name per line)", path)
    if len(labels) > MAX_LABELS:
        raise ConversionError(f"labels file has {len(labels):,} lines (at most {MAX_LABELS:,})", path)
    for number, label in enumerate(labels, 1):
        if not label.strip():
            raise ConversionError(f"labels file line {number} is blank (one class name per line)", path)
    return [label.strip() for label in labels]


def write_labels(model_dir, labels):
    """Set model.json's userDefinedMetadata.labels, keeping the rest of the file as it was
    written (key order; compact separators; sorted keys for a graph model, as its writer does)."""
    path = os.path.join(model_dir, "model.json")
    with open(path, encoding="utf-8") as f:
        model = json.load(f)
    metadata = model.get("userDefinedMetadata")
    model["userDefinedMetadata"] = dict(metadata if isinstance(metadata, dict) else {}, labels=list(labels))
    tmp = os.path.join(model_dir, ".model.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(model, f, separators=(",", ":"), sort_keys=model.get("format") == "graph-model",
                  allow_nan=False)
    os.replace(tmp, path)
