"""Reader for Keras 3 `.keras` files: a zip of config.json, metadata.json, model.weights.h5.

Imports neither TensorFlow nor Keras (zipfile + json + h5py + numpy): that is what makes the
Layers path fast and light. Keras 3 stores each layer's variables under
`layers/<snake_case class name>[_N]/vars/<i>`; the `vars` group's `name` attribute is the layer
name, which is how we match groups to layers.
"""

import io
import json
import re
import struct
import zipfile
import zlib

import h5py

from tfjs_export.converter.errors import ConversionError, brief
from tfjs_export.converter.layers_config.layer_table import MODEL_CLASSES, RULES
from tfjs_export.converter.readers.hdf5_check import HEAD_BYTES, check_hdf5_size
from tfjs_export.converter.readers.topology_check import translate_checked, translation_extra
from tfjs_export.converter.readers.weights import ReadMeter, pair_weights, read_dataset
from tfjs_export.converter.spec import ModelSpec

_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError)


def check_member_names(names, path):
    """Refuse an archive with an entry named by an absolute path or with a `..` part (zip-slip):
    whatever later extracts it (Keras does, on the Graph path) would write outside its folder."""
    for name in names:
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise ConversionError(f"unsafe zip entry {brief(name)} points outside the archive (absolute "
                                  "path or '..'): refusing this .keras file", path)


def read_keras_zip(path, allow_custom_layers=False, progress=None):
    """Read a Keras 3 `.keras` archive into a Layers-format ModelSpec (allow_custom_layers: see
    translate_model; `progress(done, total)` follows the reading of model.weights.h5's bytes)."""
    try:
        archive = zipfile.ZipFile(path)
        names = set(archive.namelist())
    except _ZIP_ERRORS as err:
        raise ConversionError(f"not a valid .keras archive (corrupt or truncated zip: {err})", path) from None
    with archive:
        _check_members(archive, path)
        for required in ("config.json", "model.weights.h5"):
            if required not in names:
                raise ConversionError(f"not a Keras 3 .keras archive: it has no {required}", path)
        config = _read_json(archive, "config.json", path)
        metadata = _read_json(archive, "metadata.json", path) if "metadata.json" in names else {}
        if not isinstance(config, dict):
            raise ConversionError("config.json: expected a JSON object", path)
        translation = translate_checked(config, path, "config.json", str(metadata.get("keras_version", "3")),
                                        allow_custom_layers=allow_custom_layers)
        size = archive.getinfo("model.weights.h5").file_size
        meter = ReadMeter(progress, size, passes=2) if progress else None  # CRC pass, then h5py
        try:
            with _open_member(archive, "model.weights.h5", path, meter) as raw:
                check_hdf5_size(raw.read(HEAD_BYTES), size, path,
                                "model.weights.h5")
                raw.seek(0)
                with h5py.File(raw, "r") as h5:
                    weights = _read_weights(h5, config, translation, path, meter)
            if meter:
                meter.finish()
        except ConversionError:
            raise
        except _ZIP_ERRORS as err:
            raise ConversionError(f"model.weights.h5 is unreadable (corrupt or truncated: {err})", path) from None

    keras_version = str(metadata.get("keras_version", "3"))
    topology = dict(translation.topology, keras_version=keras_version, backend="tensorflow")
    spec = ModelSpec(format="layers-model", topology=topology, weights=weights,
                     generated_by=f"keras v{keras_version}", notices=translation.notices,
                     extra=translation_extra(translation))
    return spec


class _StoredMember(io.RawIOBase):
    """A seekable read-only view of an uncompressed (ZIP_STORED) zip member, straight from the
    file. zipfile's own member objects re-read and re-checksum from the start on every backward
    seek, which h5py does constantly: 2.4 s of 3.4 s for ResNet50 before this view."""

    def __init__(self, path, start, size):
        super().__init__()
        self._file = open(path, "rb")
        self._start, self._size, self._pos = start, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer):
        n = max(0, min(len(buffer), self._size - self._pos))
        self._file.seek(self._start + self._pos)
        got = self._file.readinto(memoryview(buffer)[:n])
        self._pos += got
        return got

    def close(self):
        self._file.close()
        super().close()


def _open_member(archive, member, path, meter=None):
    """A seekable reader of `member`: a direct view when stored uncompressed (Keras writes it
    so) after checking its CRC in one streaming pass; zipfile's reader otherwise. `meter`
    counts the CRC pass."""
    info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        if meter:
            meter.add(info.file_size)  # zipfile checks the CRC as h5py reads: no pass of its own
        return archive.open(member)
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {member}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        f.seek(start)
        crc, left = 0, info.file_size
        while left:
            chunk = f.read(min(left, 1 << 22))
            if not chunk:
                raise zipfile.BadZipFile(f"{member} is truncated")
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
            if meter:
                meter.add(len(chunk))
    if crc != info.CRC:
        raise zipfile.BadZipFile(f"bad CRC-32 for {member}")
    return _StoredMember(path, start, info.file_size)


# Refused before reading: a JSON member larger than this, or a compressed member inflating more
# than _MAX_RATIO times (a zip bomb). Keras stores model.weights.h5 uncompressed.
_MAX_JSON_BYTES = 64 << 20
_MAX_RATIO = 200
_MIN_BOMB_BYTES = 16 << 20


def _check_members(archive, path):
    """Refuse unsafe or ambiguous archives before reading any member: names that leave the
    archive (absolute, `..`), duplicated names, sizes no real model has (zip bombs)."""
    check_member_names(archive.namelist(), path)
    seen = set()
    for info in archive.infolist():
        name = info.filename
        if name in seen:
            raise ConversionError(f"member {name} occurs twice in the archive (ambiguous)", path)
        seen.add(name)
        if name.endswith(".json") and info.file_size > _MAX_JSON_BYTES:
            raise ConversionError(f"{name} declares {info.file_size:,} bytes (over {_MAX_JSON_BYTES:,}): "
                                  "refused", path)
        if info.file_size > _MIN_BOMB_BYTES and info.file_size > _MAX_RATIO * max(1, info.compress_size):
            raise ConversionError(f"{name} declares {info.file_size:,} bytes from {info.compress_size:,} "
                                  "compressed (a zip bomb?): refused", path)
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise ConversionError(f"{name}: stored member declares {info.file_size:,} bytes but holds "
                                  f"{info.compress_size:,} (corrupt or truncated zip)", path)


def _read_json(archive, member, path):
    try:
        data = archive.read(member)
    except _ZIP_ERRORS as err:
        raise ConversionError(f"{member} is unreadable (corrupt or truncated zip: {err})", path) from None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else err
        raise ConversionError(f"{member} is not valid JSON ({reason})", path) from None


def _snake_case(name):
    # Keras 3's naming.to_snake_case: the fallback key of a layer's group in model.weights.h5.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _container_keys(specs):
    """The group keys Keras' saving gives a list of layers (or cells), in list order: the snake-case
    class name, then `_1`, `_2`, ... for the next of the same class."""
    keys, counters = [], {}
    for spec in specs:
        key = _snake_case(spec.get("class_name", ""))
        counters[key] = counters.get(key, -1) + 1
        keys.append(key if counters[key] == 0 else f"{key}_{counters[key]}")
    return keys


def _layer_groups(root, layer_specs):
    """Map layer name -> its group under a `layers` group (top level or a nested model's)."""
    groups = {}
    if root is None:
        return groups
    # Keras' own key order, for files without name attrs
    by_key = {key: spec.get("config", {}).get("name") for key, spec in zip(_container_keys(layer_specs), layer_specs)}
    for key, group in root.items():
        if not isinstance(group, h5py.Group):
            continue
        variables = group.get("vars")
        name = variables.attrs.get("name", by_key.get(key)) if variables is not None else by_key.get(key)
        if isinstance(name, bytes):
            name = name.decode()
        groups[name] = (key, group)
    return groups


def _ordered_arrays(group, spec, where, meter=None):
    """A layer's arrays in Keras' creation order: its own `vars`, then its sub-layers' (an RNN's
    `cell`, a wrapper's `layer`, Bidirectional's forward then backward layer, a nested model's
    layers in model order)."""
    arrays = []
    variables = group.get("vars")
    if variables is not None:
        for index in range(len(variables)):
            dataset = variables.get(str(index))
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(f"{where}/vars/{index} is missing")
            arrays.append(read_dataset(dataset, f"{where}/vars/{index}", meter))
    class_name, config = spec.get("class_name"), spec.get("config") or {}
    if class_name in MODEL_CLASSES:
        inner_specs = config.get("layers") or []
        groups = _layer_groups(group.get("layers"), inner_specs)
        for inner in inner_specs:
            key, inner_group = groups.get((inner.get("config") or {}).get("name"), (None, None))
            if inner_group is not None:
                arrays += _ordered_arrays(inner_group, inner, f"{where}/layers/{key}", meter)
        return arrays
    if class_name == "Bidirectional":
        children = [("forward_layer", config.get("layer") or {}),
                    ("backward_layer", config.get("backward_layer") or config.get("layer") or {})]
    elif class_name in RULES and RULES[class_name].sublayers:  # sub-layers in creation order
        children = [(key, {}) for key in RULES[class_name].sublayers]
    elif class_name == "StackedRNNCells":  # an RNN's stack of cells, in stack order
        cells = config.get("cells") or []
        children = [(f"cells/{key}", cell) for key, cell in zip(_container_keys(cells), cells)]
    else:  # (a wrapper's `layer`, an RNN's `cell`: their specs say what they hold)
        children = [(key, config.get(key) or {} if key in ("layer", "cell") else {})
                    for key in sorted(group) if key != "vars"]
    for key, child_spec in children:
        child = group.get(key)
        if isinstance(child, h5py.Group):
            arrays += _ordered_arrays(child, child_spec, f"{where}/{key}", meter)
    return arrays


def _read_weights(h5, config, translation, path, meter=None):
    where = "model.weights.h5"
    specs = {(s.get("config") or {}).get("name"): s for s in config["config"]["layers"]}
    groups = _layer_groups(h5.get("layers"), config["config"]["layers"])
    found = {}
    try:
        for layer_name, entries in translation.layer_weights.items():
            key, group = groups.pop(layer_name, (None, None))
            arrays = _ordered_arrays(group, specs[layer_name], f"layers/{key}", meter) if group is not None else []
            found[layer_name] = (entries, arrays)
    except ValueError as err:
        raise ConversionError(f"{where}: {err}", path) from None
    leftovers = [key for key, group in groups.values() if _ordered_arrays(group, {}, key)]
    if leftovers:
        raise ConversionError(f"{where}: weights for layers not in config.json: "
                              f"{', '.join(sorted(leftovers))}", path)
    return pair_weights(translation, found, path, where)
