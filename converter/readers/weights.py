"""Pairing of a translation's weight names with the arrays a reader found, layer by layer.

Readers deliver, per top-level layer, the arrays in the order their file stores them; the
translation says which TF.js name each one takes (layer_table.py). Counts are checked per layer,
and the shapes that the config determines (a Dense kernel's units, a bias length, ...) are checked
against the config, so a file whose weights do not fit its config is an error here, not in TF.js.
"""

import numpy as np

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.layers_config import keras_quantized
from tfjs_export.converter.layers_config.layer_table import RULES
from tfjs_export.converter.spec import Weight

# A dataset declaring more than this many bytes must store at least 1/_MAX_RATIO of them: an
# unallocated (fill-value) or absurdly compressed dataset is refused before it is read.
_SMALL_BYTES = 16 << 20
_MAX_RATIO = 200


class ReadMeter:
    """Counts the bytes a reader has gone through, for a progress bar: `progress(done, total)`
    with `total` the weight file's size. A reader that goes through the file in `passes` passes
    (the `.keras` reader checks the CRC in one, then h5py reads the datasets) counts each pass
    as 1/passes of the file, so the bar runs once from 0 to 100%."""

    def __init__(self, progress, total, passes=1):
        self.progress, self.total, self.passes = progress, total, passes
        self.counted = 0

    def add(self, nbytes):
        """Count `nbytes` more bytes of one pass."""
        self.counted += nbytes
        self.progress(min(self.counted // self.passes, self.total), self.total)

    def finish(self):
        """The file is read (datasets never add up to the whole file: HDF5 has metadata too)."""
        self.progress(self.total, self.total)


def _is_bfloat16(dataset):
    """Keras writes bfloat16 arrays (ml_dtypes) as an HDF5 opaque 2-byte type: in `.keras`
    weights with a `dtype="bfloat16"` attribute, in legacy `.h5` files with no mark at all (no
    other opaque 2-byte type occurs in Keras files)."""
    if dataset.dtype.kind != "V" or dataset.dtype.itemsize != 2 or dataset.dtype.fields:
        return False
    mark = dataset.attrs.get("dtype")
    mark = mark.decode() if isinstance(mark, bytes) else mark
    return mark in (None, "bfloat16")


def read_dataset(dataset, where, meter=None):
    """The array of an h5py dataset holding a weight; ValueError (naming `where`) for a dtype
    that is not a number or bool, or a declared size the file does not back (checked before
    anything is allocated). bfloat16 is widened to float32 from its raw 16 bits (exact: they are
    a float32's upper half). `meter` (a ReadMeter) counts the bytes read."""
    bfloat16 = _is_bfloat16(dataset)
    if not bfloat16 and (dataset.dtype.kind not in "fiub" or dataset.dtype.itemsize > 8):
        raise ValueError(f"{where} holds {dataset.dtype} data, not numbers")
    declared = int(np.prod(dataset.shape, dtype=object)) * dataset.dtype.itemsize
    if declared > _SMALL_BYTES and declared > _MAX_RATIO * dataset.id.get_storage_size():
        raise ValueError(f"{where} declares shape {list(dataset.shape)} ({declared:,} bytes) but the file "
                         f"stores {dataset.id.get_storage_size():,}: refused")
    array = np.asarray(dataset[()])
    if bfloat16:
        array = (np.ascontiguousarray(array).view("<u2").astype(np.uint32) << 16).view(np.float32)
    if meter is not None:
        meter.add(array.nbytes)
    return array


def legacy_order(entries):
    """The order Keras' `.h5` writers use: trainable weights first, then non-trainable ones."""
    return [e for e in entries if e[1]] + [e for e in entries if not e[1]]


def pair_weights(translation, arrays_by_layer, path, where):
    """[Weight] in manifest order from {layer: [arrays]} (already in the matching entry order).

    `arrays_by_layer` values are (entries, arrays): `entries` the (name, trainable) pairs in the
    order the arrays are in. `where` names the weights' location in messages.
    """
    weights = []
    for layer_name, (entries, arrays) in arrays_by_layer.items():
        if layer_name in translation.custom_layers:  # names unknown to the file: file order
            entries = [(f"{layer_name}/{index}", True) for index in range(len(arrays))]
        if len(arrays) != len(entries):
            expected = ", ".join(n.rsplit("/", 1)[-1] for n, _ in entries if n) or "none"
            raise ConversionError(f"{where}: layer '{layer_name}' has {len(arrays)} weights, "
                                  f"expected {len(entries)} ({expected})", path)
        for (name, _), array in zip(entries, arrays):
            if name is not None:
                weights.append(Weight(name, array))
    if translation.quantized:
        weights = _dequantized(weights, translation.quantized, path, where)
    weights.extend(translation.constants)
    check_shapes(translation.topology, weights, path, where)
    return weights


def _dequantized(weights, quantized, path, where):
    """`weights` with each Keras-quantised layer's variables replaced by its float32 weights
    (keras_quantized.dequantize), in place of the layer's first variable."""
    out, pending = [], {}
    for weight in weights:
        prefix, _, suffix = weight.name.rpartition("/")
        if prefix not in quantized:
            out.append(weight)
            continue
        if prefix not in pending:
            pending[prefix] = {}
            out.append(prefix)  # a placeholder: the layer's weights go here
        pending[prefix][suffix] = weight.array
    result = []
    for item in out:
        if isinstance(item, Weight):
            result.append(item)
            continue
        try:
            arrays = keras_quantized.dequantize(quantized[item], pending[item], f"{where}: layer '{item}'")
        except ValueError as err:
            raise ConversionError(str(err), path) from None
        result.extend(Weight(f"{item}/{suffix}", array) for suffix, array in arrays.items())
    return result


def check_shapes(topology, weights, path, where):
    """Check the weight shapes the layer configs fix (output sizes); raise on a mismatch."""
    expected = {}
    _collect_expected(topology, expected)
    for weight in weights:
        rule = expected.get(weight.name)
        if rule is None:
            continue
        axis, size = rule
        shape = weight.array.shape
        if len(shape) == 0 or shape[axis] != size or (weight.name.endswith("/bias") and len(shape) != 1):
            raise ConversionError(f"{where}: weight '{weight.name}' has shape {list(shape)}, which "
                                  f"does not fit the config (its last axis must be {size})", path)


def _collect_expected(layer, expected, prefix=""):
    class_name, config = layer.get("class_name"), layer.get("config") or {}
    if isinstance(config.get("layers"), list):
        for inner in config["layers"]:
            _collect_expected(inner, expected)
        return
    name = config.get("name")
    if class_name in ("Bidirectional", "TimeDistributed"):
        inner = config.get("layer") or {}
        inner_name = (inner.get("config") or {}).get("name")
        if class_name == "TimeDistributed":
            _collect_expected(dict(inner, config=dict(inner.get("config") or {}, name=name)), expected, prefix)
        else:
            for direction in ("forward", "backward"):
                renamed = dict(inner, config=dict(inner.get("config") or {}, name=f"{direction}_{inner_name}"))
                _collect_expected(renamed, expected, f"{prefix}{name}/")
        return
    rule = RULES.get(class_name)
    if rule is not None and rule.sized and isinstance(config.get(rule.sized[0]), int):
        key, factor, names = rule.sized
        for weight in names:
            expected[f"{prefix}{name}/{weight}"] = (-1, factor * config[key])
