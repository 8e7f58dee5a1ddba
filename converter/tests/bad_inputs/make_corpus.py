"""The bad-input corpus: broken and hostile inputs derived from good models built in code.

`make_good_models(folder)` saves the good sources (a tiny functional `.keras`, the same model as
`.h5`, its weights-only `.h5`, a SavedModel, and a converted TF.js model directory);
`make_corpus(good, folder)` then writes one sub-directory per case and returns the cases. Each
`Case` holds the CLI arguments to run and a fragment its one-line error must contain. Nothing
binary is committed: `python -m tfjs_export.converter.tests.bad_inputs.make_corpus OUT_DIR` writes the corpus
for a look by hand; converter/tests/test_bad_inputs.py runs every case through the CLI.
"""

import dataclasses
import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib


@dataclasses.dataclass
class Case:
    """One bad input: `argv` for the CLI (paths inside `folder`), the fragments the error line
    must contain, and whether it needs TensorFlow (the Graph path: slower, more memory)."""

    name: str
    folder: str
    argv: list
    expect: tuple
    needs_tf: bool = False
    read_only: str = None  # a directory the case makes unwritable (restored after the run)


# ----------------------------------------------------------------------------- good models

def make_good_models(folder, saved_model=True):
    """Save the good sources under `folder`; return {kind: path} (without a SavedModel, TensorFlow
    itself is not needed, only Keras)."""
    import keras
    import numpy as np

    os.makedirs(folder, exist_ok=True)
    keras.utils.set_random_seed(7)
    inputs = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, name="d1")(inputs)
    outputs = keras.layers.Dense(2, name="d2")(hidden)
    model = keras.Model(inputs, outputs, name="tiny")
    model.set_weights([np.random.default_rng(7).normal(size=w.shape).astype("float32")
                       for w in model.weights])
    good = {"keras": os.path.join(folder, "tiny.keras"), "h5": os.path.join(folder, "tiny.h5"),
            "weights_h5": os.path.join(folder, "tiny.weights.h5"),
            "saved_model": os.path.join(folder, "tiny_saved_model"),
            "tfjs": os.path.join(folder, "tiny_tfjs")}
    model.save(good["keras"])
    model.save(good["h5"])
    model.save_weights(good["weights_h5"])
    if saved_model:
        _save_saved_model(good["saved_model"])
    from tfjs_export.converter import convert
    convert(good["keras"], good["tfjs"], weight_shard_size_bytes=24)  # several shards
    return good


def _save_saved_model(path):
    import tensorflow as tf

    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])

        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x):
            return {"y": tf.matmul(x, self.w)}

    module = Scale()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})


# ----------------------------------------------------------------------------- helpers

def _zip_members(path):
    with zipfile.ZipFile(path) as z:
        return [(info, z.read(info.filename)) for info in z.infolist()]


def _write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)


def _patched_keras(src, dst, config=None, weights=None, extra=(), drop=()):
    """Copy of the .keras `src` with config.json / model.weights.h5 replaced, members added or
    dropped."""
    members = []
    for info, data in _zip_members(src):
        if info.filename in drop:
            continue
        if info.filename == "config.json" and config is not None:
            data = config if isinstance(config, bytes) else json.dumps(config).encode()
        if info.filename == "model.weights.h5" and weights is not None:
            data = weights
        members.append((info.filename, data))
    _write_zip(dst, members + list(extra))


def _config(src):
    with zipfile.ZipFile(src) as z:
        return json.loads(z.read("config.json"))


def _weights_bytes(src):
    with zipfile.ZipFile(src) as z:
        return z.read("model.weights.h5")


def _edit_h5_bytes(data, edit):
    """Apply `edit(h5py.File)` to an in-memory copy of HDF5 bytes; return the new bytes."""
    import h5py
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as h5:
        edit(h5)
    return buffer.getvalue()


def _edit_h5_file(src, dst, edit):
    shutil.copyfile(src, dst)
    import h5py
    with h5py.File(dst, "r+") as h5:
        edit(h5)


def _bomb_member(name, size):
    """A deflated zip member that inflates to `size` zero bytes (compressed ~size/1000)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 24)
    parts, crc, left = [], 0, size
    while left:
        piece = chunk[:min(left, len(chunk))]
        parts.append(compressor.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(compressor.flush())
    return name, b"".join(parts), crc, size, zipfile.ZIP_DEFLATED


def _write_raw_zip(path, members):
    """Write a zip by hand: `members` are (name, stored bytes, crc, uncompressed size, method).
    Lets a case declare anything (duplicates, `..` names, a bomb's sizes)."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size, method in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(data), size,
                           len(encoded), 0) + encoded + data
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc, len(data),
                               size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(bytes(out) + bytes(central) + end)


def _stored(name, data):
    return name, data, zlib.crc32(data), len(data), 0


# ----------------------------------------------------------------------------- the corpus

def make_corpus(good, folder):
    """Write every case under `folder` (one directory each); return [Case]."""
    cases = []

    def case(name, expect, argv=None, src_name=None, out="out", needs_tf=False, command="convert",
             extra_args=()):
        where = os.path.join(folder, name)
        os.makedirs(where, exist_ok=True)
        src = os.path.join(where, src_name) if src_name else None
        if argv is None:
            argv = [command, src, os.path.join(where, out), *extra_args]
        cases.append(Case(name, where, argv, tuple(expect), needs_tf))
        return where, src

    keras_file, h5_file = good["keras"], good["h5"]
    keras_bytes = open(keras_file, "rb").read()

    # .keras zips cut short at several offsets.
    for cut in (4, 30, 100, len(keras_bytes) // 4, len(keras_bytes) // 2, len(keras_bytes) * 9 // 10,
                len(keras_bytes) - 30, len(keras_bytes) - 1):
        where, src = case(f"keras_truncated_at_{cut}", ["cut.keras", "corrupt or truncated"], src_name="cut.keras")
        open(src, "wb").write(keras_bytes[:cut])

    # config.json: not JSON, wrong shape, unknown class, cycles, missing references.
    config = _config(keras_file)
    layers = config["config"]["layers"]

    def config_case(name, new_config, *expect):
        where, src = case(f"config_{name}", ["bad.keras", *expect], src_name="bad.keras")
        _patched_keras(keras_file, src, config=new_config)

    config_case("not_json", b"{not json", "config.json is not valid JSON")
    config_case("not_utf8", b"\xff\xfe{}", "config.json is not valid JSON")
    config_case("deeply_nested", b"[" * 100000 + b"]" * 100000, "config.json")
    config_case("a_list", [1, 2, 3], "config.json: expected a JSON object")
    config_case("no_config", {"class_name": "Functional"}, "model config")
    config_case("layers_not_a_list", dict(config, config=dict(config["config"], layers="d1")), "layers")
    config_case("layer_not_an_object", dict(config, config=dict(config["config"], layers=[7] + layers[1:])),
                "layer")
    config_case("config_is_a_string", dict(config, config="tiny"), "model config")
    config_case("unknown_model_class", dict(config, class_name="Hologram"), "Hologram")
    unknown = json.loads(json.dumps(config))
    unknown["config"]["layers"][1]["class_name"] = "TotallyCustomLayer"
    config_case("unknown_layer_class", unknown, "TotallyCustomLayer")
    cycle = json.loads(json.dumps(config))
    cycle["config"]["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "d2"
    config_case("cycle_in_inbound_nodes", cycle, "cycle")
    self_loop = json.loads(json.dumps(config))
    self_loop["config"]["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "d1"
    config_case("layer_feeds_itself", self_loop, "cycle")
    missing = json.loads(json.dumps(config))
    missing["config"]["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "ghost"
    config_case("inbound_missing_layer", missing, "ghost")
    bad_node = json.loads(json.dumps(config))
    bad_node["config"]["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["d1", -1, 0]
    config_case("inbound_negative_node_index", bad_node, "negative")
    garbage_node = json.loads(json.dumps(config))
    garbage_node["config"]["layers"][2]["inbound_nodes"] = "nonsense"
    config_case("inbound_nodes_garbage", garbage_node, "d2")
    missing_out = json.loads(json.dumps(config))
    missing_out["config"]["output_layers"] = [["ghost", 0, 0]]
    config_case("output_missing_layer", missing_out, "ghost")
    missing_in = json.loads(json.dumps(config))
    missing_in["config"]["input_layers"] = [["ghost", 0, 0]]
    config_case("input_missing_layer", missing_in, "ghost")
    duplicate = json.loads(json.dumps(config))
    duplicate["config"]["layers"][2]["config"]["name"] = "d1"
    duplicate["config"]["layers"][2]["name"] = "d1"
    config_case("duplicate_layer_names", duplicate, "two layers are named 'd1'")
    huge_units = json.loads(json.dumps(config))
    huge_units["config"]["layers"][2]["config"]["units"] = 10 ** 12
    config_case("huge_units", huge_units, "d2")

    # model.weights.h5: missing / wrong-shaped / wrong-dtype / extra datasets, huge declared shape.
    weights = _weights_bytes(keras_file)

    def weights_case(name, edit, *expect):
        where, src = case(f"weights_{name}", ["bad.keras", *expect], src_name="bad.keras")
        _patched_keras(keras_file, src, weights=_edit_h5_bytes(weights, edit))

    def replace(h5, path, value, **kwargs):
        del h5[path]
        h5.create_dataset(path, data=value, **kwargs)

    import numpy as np
    weights_case("missing_dataset", lambda h5: h5.__delitem__("layers/dense/vars/0"), "vars/0 is missing")
    weights_case("missing_layer_group", lambda h5: h5.__delitem__("layers/dense_1"), "d2")
    weights_case("wrong_shape", lambda h5: replace(h5, "layers/dense/vars/0", np.zeros((4, 5), "f4")), "d1")
    weights_case("wrong_rank", lambda h5: replace(h5, "layers/dense/vars/1", np.zeros((3, 3), "f4")), "d1")
    weights_case("string_dtype", lambda h5: replace(h5, "layers/dense/vars/0", np.array([b"ab"] * 12).reshape(4, 3)),
                 "vars/0 holds")
    weights_case("int16_dtype", lambda h5: replace(h5, "layers/dense/vars/0", np.zeros((4, 3), "i2")), "d1")
    weights_case("extra_dataset", lambda h5: h5.create_dataset("layers/dense/vars/2", data=np.zeros(3, "f4")), "d1")
    weights_case("extra_layer", lambda h5: h5.create_dataset("layers/dense_9/vars/0", data=np.zeros(3, "f4")),
                 "dense_9")
    weights_case("huge_declared_shape",
                 lambda h5: replace(h5, "layers/dense/vars/0", None, shape=(4, 3 * 10 ** 10), dtype="f4",
                                    chunks=(4, 1024)),
                 "vars/0 declares shape")
    where, src = case("weights_not_hdf5", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _patched_keras(keras_file, src, weights=b"this is not HDF5 at all" * 10)
    where, src = case("weights_truncated", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _patched_keras(keras_file, src, weights=weights[:len(weights) // 2])
    where, src = case("weights_garbage_superblock", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _patched_keras(keras_file, src, weights=weights[:8] + b"\xa5" * 64 + weights[72:])

    # The archive itself: missing members, hostile names, a bomb, duplicates.
    where, src = case("zip_without_config", ["bad.keras", "config.json"], src_name="bad.keras")
    _patched_keras(keras_file, src, drop=("config.json",))
    where, src = case("zip_without_weights", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _patched_keras(keras_file, src, drop=("model.weights.h5",))
    members = [(info.filename, data) for info, data in _zip_members(keras_file)]
    for name, evil in (("absolute", "/tfjs-export-evil.txt"), ("dotdot", "../../evil.txt"),
                       ("dotdot_inside", "assets/../../evil.txt"), ("backslash", "..\\evil.txt")):
        where, src = case(f"zip_slip_{name}", ["bad.keras", "unsafe"], src_name="bad.keras")
        _write_raw_zip(src, [_stored(n, d) for n, d in members] + [_stored(evil, b"owned")])
    where, src = case("zip_bomb_config", ["bad.keras", "config.json"], src_name="bad.keras")
    _write_raw_zip(src, [_stored(n, d) for n, d in members if n != "config.json"]
                   + [_bomb_member("config.json", 3 << 30)])
    where, src = case("zip_bomb_weights", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _write_raw_zip(src, [_stored(n, d) for n, d in members if n != "model.weights.h5"]
                   + [_bomb_member("model.weights.h5", 3 << 30)])
    where, src = case("zip_lying_size", ["bad.keras", "config.json"], src_name="bad.keras")
    lying = [_stored(n, d) for n, d in members]
    lying = [(n, d, c, (1 << 32) - 1 if n == "config.json" else s, m) for n, d, c, s, m in lying]
    _write_raw_zip(src, lying)
    where, src = case("zip_duplicate_config", ["bad.keras", "config.json"], src_name="bad.keras")
    _write_raw_zip(src, [_stored(n, d) for n, d in members] + [_stored("config.json", b"{}")])
    where, src = case("zip_duplicate_weights", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _write_raw_zip(src, [_stored(n, d) for n, d in members] + [_stored("model.weights.h5", weights)])
    where, src = case("zip_bad_crc", ["bad.keras", "model.weights.h5"], src_name="bad.keras")
    _write_raw_zip(src, [(n, d, c ^ 1 if n == "model.weights.h5" else c, s, m)
                         for n, d, c, s, m in (_stored(n, d) for n, d in members)])

    # Whole-model .h5: truncated, garbage superblock, weights only, broken config / datasets.
    h5_bytes = open(h5_file, "rb").read()
    for cut in (8, 512, len(h5_bytes) // 2, len(h5_bytes) - 16):
        where, src = case(f"h5_truncated_at_{cut}", ["cut.h5"], src_name="cut.h5")
        open(src, "wb").write(h5_bytes[:cut])
    where, src = case("h5_garbage_superblock", ["bad.h5", "HDF5"], src_name="bad.h5")
    open(src, "wb").write(h5_bytes[:8] + b"\x5a" * 88 + h5_bytes[96:])
    where, src = case("h5_weights_only", ["model.weights.h5", "only weights"], src_name="model.weights.h5")
    shutil.copyfile(good["weights_h5"], src)

    def h5_case(name, edit, *expect):
        where, src = case(f"h5_{name}", ["bad.h5", *expect], src_name="bad.h5")
        _edit_h5_file(h5_file, src, edit)

    def set_config(value):
        return lambda h5: h5.attrs.__setitem__("model_config", value)

    h5_case("config_not_json", set_config("{nope"), "model_config is not valid JSON")
    h5_case("config_a_number", set_config("42"), "model_config")
    h5_case("config_unknown_class", set_config(json.dumps(dict(config, class_name="Hologram"))), "Hologram")
    h5_case("config_cycle", set_config(json.dumps(cycle)), "cycle")
    h5_case("no_model_weights", lambda h5: h5.__delitem__("model_weights"), "model_weights")
    h5_case("missing_dataset", lambda h5: h5.__delitem__("model_weights/d1/d1/kernel"), "d1")
    h5_case("wrong_shape", lambda h5: replace(h5, "model_weights/d1/d1/kernel", np.zeros((2, 2), "f4")), "d1")
    h5_case("huge_declared_shape",
            lambda h5: replace(h5, "model_weights/d1/d1/kernel", None, shape=(4, 3 * 10 ** 10), dtype="f4",
                               chunks=(4, 1024)), "d1")
    h5_case("weight_names_garbage",
            lambda h5: h5["model_weights/d1"].attrs.__setitem__("weight_names", [b"../../x", b"\xff"]), "d1")

    # Not a model at all.
    where, src = case("empty_file", ["empty.keras", "empty"], src_name="empty.keras")
    open(src, "wb").close()
    where, src = case("random_bytes", ["noise.bin", "not a model"], src_name="noise.bin")
    open(src, "wb").write(bytes(range(256)) * 4)
    where, src = case("directory_not_saved_model", ["folder", "neither a SavedModel"], src_name="folder")
    os.makedirs(src)
    where, src = case("missing_input", ["nope.keras", "no such file"], src_name="nope.keras")

    # TF.js models as input (TF.js -> Keras / TF.js) and the Keras outputs.
    where, src = case("json_not_a_tfjs_model", ["model.json", "modelTopology"], src_name="model.json",
                      extra_args=("--output_format", "keras_keras"))
    open(src, "w").write('{"hello": "world"}')
    where, src = case("tfjs_model_json_truncated", ["model.json", "not valid JSON"], src_name="model.json",
                      extra_args=("--output_format", "keras"))
    open(src, "w").write('{"format": "layers-model", "modelTopology": {"class_name": ')
    where, src = case("tfjs_dir_shard_missing", ["group1-shard1of1.bin", "missing"], src_name="web",
                      extra_args=("--output_format", "keras"))
    from tfjs_export.converter import convert as _convert
    _convert(keras_file, src)
    os.unlink(os.path.join(src, "group1-shard1of1.bin"))
    where, src = case("tfjs_graph_to_keras", ["web", "holds a TensorFlow graph"], src_name="web",
                      extra_args=("--input_format", "tfjs_graph_model", "--output_format", "keras"))
    _convert(keras_file, src)
    where, src = case("frozen_pb_garbage", ["frozen.pb", "GraphDef"], src_name="frozen.pb", needs_tf=True,
                      extra_args=("--output_format", "tfjs_graph_model", "--output_node_names", "y"))
    open(src, "wb").write(b"\xff\xfe not a protobuf " * 10)
    where, src = case("keras_output_is_a_directory", ["out.h5", "not a regular file"], src_name="m.keras",
                      out="out.h5", extra_args=("--output_format", "keras"))
    shutil.copy(keras_file, src)
    os.makedirs(os.path.join(where, "out.h5"))

    # SavedModel (Graph path, needs TensorFlow).
    where, src = case("saved_model_corrupt_pb", ["sm", "SavedModel"], src_name="sm", needs_tf=True,
                      extra_args=("--output_format", "tfjs_graph_model"))
    shutil.copytree(good["saved_model"], src)
    with open(os.path.join(src, "saved_model.pb"), "r+b") as f:
        f.seek(10)
        f.write(b"\xff" * 64)
    where, src = case("saved_model_no_variables", ["sm"], src_name="sm", needs_tf=True,
                      extra_args=("--output_format", "tfjs_graph_model"))
    shutil.copytree(good["saved_model"], src)
    shutil.rmtree(os.path.join(src, "variables"))
    where, src = case("saved_model_empty_pb", ["sm"], src_name="sm", needs_tf=True,
                      extra_args=("--output_format", "tfjs_graph_model"))
    shutil.copytree(good["saved_model"], src)
    open(os.path.join(src, "saved_model.pb"), "wb").close()
    # Its checkpoint, which our own reader parses (converter/graph/tensor_bundle.py).
    where, src = case("saved_model_index_cut", ["variables.index", "checkpoint index"], src_name="sm",
                      needs_tf=True, extra_args=("--output_format", "tfjs_graph_model"))
    shutil.copytree(good["saved_model"], src)
    index = os.path.join(src, "variables", "variables.index")
    open(index, "r+b").truncate(os.path.getsize(index) - 9)
    where, src = case("saved_model_index_garbled", ["variables.index", "checkpoint"], src_name="sm",
                      needs_tf=True, extra_args=("--output_format", "tfjs_graph_model"))
    shutil.copytree(good["saved_model"], src)
    index = os.path.join(src, "variables", "variables.index")
    with open(index, "r+b") as f:
        f.write(b"\xff" * (os.path.getsize(index) - 48))  # every block; the footer stays intact
    where, src = case("saved_model_data_cut", ["variables.data", "truncated"], src_name="sm",
                      needs_tf=True, extra_args=("--output_format", "tfjs_graph_model"))
    shutil.copytree(good["saved_model"], src)
    data = os.path.join(src, "variables", "variables.data-00000-of-00001")
    open(data, "r+b").truncate(os.path.getsize(data) // 2)

    # Output paths that cannot be used.
    where, _ = case("output_is_a_file", ["taken", "not a directory"],
                    argv=["convert", keras_file, None])
    taken = os.path.join(where, "taken")
    open(taken, "w").write("keep me")
    cases[-1].argv[2] = taken
    where, _ = case("output_under_a_file", ["taken", "Not a directory"], argv=["convert", keras_file, None])
    open(os.path.join(where, "taken"), "w").write("keep me")
    cases[-1].argv[2] = os.path.join(where, "taken", "web")
    where, _ = case("output_unwritable_dir", ["cannot create"], argv=["convert", keras_file, None])
    if os.geteuid() == 0:  # root writes anywhere but on a read-only file system such as /proc
        cases[-1].argv[2] = "/proc/tfjs-export-bad-input/web"
    else:
        locked = os.path.join(where, "locked")
        os.makedirs(locked)
        cases[-1].argv[2] = os.path.join(locked, "web")
        cases[-1].read_only = locked
    where, _ = case("output_not_empty", ["not empty"], argv=["convert", keras_file, None])
    os.makedirs(os.path.join(where, "web"))
    open(os.path.join(where, "web", "model.json"), "w").write("{}")
    cases[-1].argv[2] = os.path.join(where, "web")
    where, src = case("output_inside_input_dir", ["inside the input"], src_name="sm", needs_tf=True,
                      argv=[])
    shutil.copytree(good["saved_model"], src)
    cases[-1].argv = ["convert", src, os.path.join(src, "web"), "--output_format", "tfjs_graph_model"]
    where, src = case("output_is_the_input", ["bad", "not a directory"], argv=[])
    shutil.copyfile(keras_file, os.path.join(where, "bad"))
    cases[-1].argv = ["convert", os.path.join(where, "bad"), os.path.join(where, "bad")]

    # Converted model directories handed to inspect / bundle.
    manifest_shards = sorted(n for n in os.listdir(good["tfjs"]) if n.endswith(".bin"))

    def model_dir_case(name, edit, *expect):
        for command in ("inspect", "bundle"):
            where, _ = case(f"{command}_{name}", expect, argv=[])
            model_dir = os.path.join(where, "web")
            shutil.copytree(good["tfjs"], model_dir)
            edit(model_dir)
            cases[-1].argv = [command, model_dir]

    def edit_manifest(change):
        def edit(model_dir):
            path = os.path.join(model_dir, "model.json")
            model = json.load(open(path))
            change(model)
            open(path, "w").write(json.dumps(model))
        return edit

    def set_shape(model):
        model["weightsManifest"][0]["weights"][0]["shape"] = [4, 4]

    def huge_shape(model):
        model["weightsManifest"][0]["weights"][0]["shape"] = [10 ** 9, 10 ** 9]

    def escape_path(model):
        model["weightsManifest"][0]["paths"][0] = "../../" + manifest_shards[0]

    model_dir_case("missing_shard", lambda d: os.remove(os.path.join(d, manifest_shards[1])),
                   manifest_shards[1], "missing")
    model_dir_case("short_shard", lambda d: open(os.path.join(d, manifest_shards[-1]), "r+b").truncate(3),
                   manifest_shards[-1])
    model_dir_case("long_shard", lambda d: open(os.path.join(d, manifest_shards[-1]), "ab").write(b"\0" * 8),
                   manifest_shards[-1])
    model_dir_case("manifest_bytes_disagree", edit_manifest(set_shape), "need")
    model_dir_case("manifest_huge_shape", edit_manifest(huge_shape), "need")
    model_dir_case("manifest_path_escapes", edit_manifest(escape_path), "leaves the model directory")
    model_dir_case("model_json_not_json", lambda d: open(os.path.join(d, "model.json"), "w").write("{"),
                   "model.json")
    from tfjs_export.converter.tests.bad_inputs.hostile_cases import make_hostile_corpus
    return cases + make_hostile_corpus(good, folder, Case)


def main(argv):
    if len(argv) == 3 and argv[1] == "--good":  # the fuzz test's seeds, built in a subprocess
        make_good_models(argv[2], saved_model=False)
        return 0
    if len(argv) != 2:
        print("usage: python -m tfjs_export.converter.tests.bad_inputs.make_corpus OUT_DIR", file=sys.stderr)
        return 2
    good = make_good_models(os.path.join(argv[1], "_good"))
    cases = make_corpus(good, argv[1])
    for c in cases:
        print(f"{c.name}: tfjs-export {' '.join(str(a) for a in c.argv)}")
    print(f"{len(cases)} cases", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
