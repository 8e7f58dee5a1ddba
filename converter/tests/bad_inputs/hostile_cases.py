"""The second round of the bad-input corpus: output paths that would destroy the input or the
user's files, damaged SavedModels and checkpoints, hostile model directories for `inspect`,
`bundle` and `verify`, and paths that are symlink loops, directories where files belong or pipes.

`make_hostile_corpus(good, folder)` writes one sub-directory per case and returns the cases
(converter/tests/bad_inputs/make_corpus.py's `Case`); converter/tests/test_bad_inputs.py runs
them through the CLI with the first round's checks (exit code, one stderr line naming the file,
no traceback, nothing changed on disk, bounded time and memory).
"""

import json
import os
import shutil
import struct

GRAPH = ("--output_format", "tfjs_graph_model")


# ----------------------------------------------------------------------------- checkpoint index

def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _block(items):
    """A LevelDB table block of (key, value) pairs, without prefix compression, one restart."""
    body = b"".join(_varint(0) + _varint(len(k)) + _varint(len(v)) + k + v for k, v in items)
    return body + struct.pack("<II", 0, 1)


def write_index(path, items):
    """Write a checkpoint index (a LevelDB table: one data block, an index block, a footer) holding
    `items` (sorted (key, value) pairs): what TF's BundleWriter writes, for a case to declare any
    entry."""
    data = _block(items)
    table = data + b"\0\0\0\0\0"  # block trailer: no compression + a crc32c our reader ignores
    metaindex = _block([])
    meta_at = len(table)
    table += metaindex + b"\0" * 5
    index = _block([(items[-1][0] + b"\xff", _varint(0) + _varint(len(data)))])
    index_at = len(table)
    table += index + b"\0" * 5
    handles = _varint(meta_at) + _varint(len(metaindex)) + _varint(index_at) + _varint(len(index))
    table += handles.ljust(40, b"\0") + struct.pack("<Q", 0xDB4775248B80FB57)
    with open(path, "wb") as f:
        f.write(table)


def edit_checkpoint_entry(prefix, edit):
    """Rewrite `prefix`.index with `edit(key, BundleEntryProto)` applied to every tensor entry."""
    from tfjs_export.converter.graph.tensor_bundle import _table_items
    from tfjs_export.converter.graph.tf_modules import tensorflow_protos
    protos = tensorflow_protos()
    table = open(prefix + ".index", "rb").read()
    items = []
    for key, value in _table_items(table, prefix):
        if key:
            entry = protos.tensor_bundle_pb2.BundleEntryProto.FromString(value)
            edit(key.decode(), entry)
            value = entry.SerializeToString()
        items.append((bytes(key), bytes(value)))
    write_index(prefix + ".index", items)


def _variable_key(key):
    return key.endswith("VARIABLE_VALUE")


# ----------------------------------------------------------------------------- the cases

def make_hostile_corpus(good, folder, Case):
    """Write every round-2 case under `folder`; return [Case]."""
    cases = []

    def case(name, expect, build, needs_tf=False):
        """`build(where)` prepares the case directory and returns the CLI arguments."""
        where = os.path.join(folder, name)
        os.makedirs(where, exist_ok=True)
        cases.append(Case(name, where, build(where), tuple(expect), needs_tf))

    keras_file, saved_model, tfjs = good["keras"], good["saved_model"], good["tfjs"]

    def copy_keras(where, *parts):
        path = os.path.join(where, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(keras_file, path)
        return path

    def copy_saved_model(where, *parts):
        path = os.path.join(where, *parts)
        shutil.copytree(saved_model, path)
        return path

    # -- 1. the output holds, is, or lies under the input (with and without --overwrite) --------
    case("out_contains_input_file_overwrite", ["contains the input", "--overwrite would delete it"],
         lambda w: ["convert", copy_keras(w, "models", "m.keras"), os.path.join(w, "models"), "--overwrite"])
    case("out_contains_input_file", ["contains the input"],
         lambda w: ["convert", copy_keras(w, "models", "m.keras"), os.path.join(w, "models")])
    case("out_is_grandparent_of_input", ["contains the input"],
         lambda w: ["convert", copy_keras(w, "a", "b", "c", "m.keras"), os.path.join(w, "a"), "--overwrite"])
    case("out_contains_saved_model_overwrite", ["contains the input"],  # issue 15's data loss
         lambda w: ["convert", copy_saved_model(w, "models", "savedmodel"), os.path.join(w, "models"),
                    *GRAPH, "--overwrite"])
    case("out_is_the_saved_model_overwrite", ["is the input directory"],
         lambda w: ["convert", copy_saved_model(w, "sm"), os.path.join(w, "sm"), *GRAPH, "--overwrite"])
    case("out_inside_saved_model_overwrite", ["inside the input directory"],
         lambda w: ["convert", copy_saved_model(w, "sm"), os.path.join(w, "sm", "variables"), *GRAPH,
                    "--overwrite"])
    case("out_is_the_input_file_overwrite", ["is the input model file", "not a directory"],
         lambda w: ["convert", copy_keras(w, "m.keras"), os.path.join(w, "m.keras"), "--overwrite"])

    def through_link_to_parent(w):
        src = copy_keras(w, "models", "m.keras")
        os.symlink("models", os.path.join(w, "link"))
        return ["convert", src, os.path.join(w, "link"), "--overwrite"]
    case("out_symlink_to_dir_holding_input", ["contains the input"], through_link_to_parent)

    def input_through_link(w):
        copy_keras(w, "store", "m.keras")
        os.makedirs(os.path.join(w, "out"))
        os.symlink(os.path.join("..", "store", "m.keras"), os.path.join(w, "out", "m.keras"))
        open(os.path.join(w, "out", "model.json"), "w").write('{"modelTopology": {}, "weightsManifest": []}')
        return ["convert", os.path.join(w, "out", "m.keras"), os.path.join(w, "out"), "--overwrite"]
    case("out_holds_a_symlink_to_the_input", ["contains the input"], input_through_link)

    def link_to_saved_model(w):
        src = copy_saved_model(w, "sm")
        os.symlink("sm", os.path.join(w, "web"))
        return ["convert", src, os.path.join(w, "web"), *GRAPH, "--overwrite"]
    case("out_symlink_to_the_saved_model", ["is the input directory"], link_to_saved_model)

    def input_link_inside_output(w):
        src = copy_saved_model(w, "data", "sm")
        os.symlink(os.path.join("data", "sm"), os.path.join(w, "sm_link"))
        return ["convert", os.path.join(w, "sm_link"), os.path.join(w, "data"), *GRAPH, "--overwrite"]
    case("input_symlink_into_the_output", ["contains the input"], input_link_inside_output)

    # -- 2. --overwrite on a directory that is not a converted model ----------------------------
    def user_files(*names, model_json=None):
        def build(w):
            out = os.path.join(w, "out")
            os.makedirs(out)
            for name in names:
                open(os.path.join(out, name), "w").write("the user's own file")
            if model_json is not None:
                open(os.path.join(out, "model.json"), "w").write(model_json)
            return ["convert", keras_file, out, "--overwrite"]
        return build
    refused = ["does not look like a converted model", "empty it or choose another path"]
    case("overwrite_dir_of_user_files", refused, user_files("thesis.tex", "photo.jpg"))
    case("overwrite_model_dir_with_a_user_file", refused,
         user_files("group1-shard1of1.bin", "notes.txt", model_json='{"modelTopology": {}, "weightsManifest": []}'))
    case("overwrite_dir_with_a_fake_model_json", refused, user_files("photo.jpg", model_json="{}"))
    case("overwrite_dir_with_a_broken_model_json_and_a_user_file", refused,
         user_files("notes.txt", model_json="{not json"))

    def user_subdir(w):
        out = os.path.join(w, "out")
        os.makedirs(os.path.join(out, "src"))
        open(os.path.join(out, "model.json"), "w").write('{"modelTopology": {}, "weightsManifest": []}')
        return ["convert", keras_file, out, "--overwrite"]
    case("overwrite_model_dir_with_a_subdirectory", refused, user_subdir)

    # -- 3. symlink loops, dangling links, pipes, directories where files belong ----------------
    def loop(w, name):
        path = os.path.join(w, name)
        os.symlink(name, path)
        return path
    case("input_symlink_loop", ["loop.keras", "symlink loop"], lambda w: ["convert", loop(w, "loop.keras"),
                                                                          os.path.join(w, "out")])
    case("input_saved_model_symlink_loop", ["sm", "symlink loop"],
         lambda w: ["convert", loop(w, "sm"), os.path.join(w, "out"), *GRAPH])
    case("input_dangling_symlink", ["gone.keras", "dangling symlink"],
         lambda w: (os.symlink("nowhere.keras", os.path.join(w, "gone.keras")),
                    ["convert", os.path.join(w, "gone.keras"), os.path.join(w, "out")])[1])

    def fifo(w):
        path = os.path.join(w, "pipe.keras")
        os.mkfifo(path)
        return ["convert", path, os.path.join(w, "out")]
    case("input_is_a_named_pipe", ["pipe.keras", "not a regular file"], fifo)
    case("output_symlink_loop", ["web", "symlink loop"],
         lambda w: ["convert", keras_file, loop(w, "web")])

    def dangling_out(w):
        os.symlink("nowhere", os.path.join(w, "web"))
        return ["convert", keras_file, os.path.join(w, "web")]
    case("output_dangling_symlink", ["web", "not a directory (a symlink)"], dangling_out)

    # -- 4. SavedModels: empty / non-protobuf saved_model.pb, damaged checkpoints ---------------
    def sm_case(name, expect, edit):
        def build(w):
            src = copy_saved_model(w, "sm")
            edit(src)
            return ["convert", src, os.path.join(w, "out"), *GRAPH]
        case(name, expect, build, needs_tf=True)

    def write(relative, data):
        def edit(src):
            path = os.path.join(src, relative)
            os.remove(path) if os.path.isfile(path) else None
            open(path, "wb").write(data)
        return edit

    sm_case("saved_model_pb_empty_says_so", ["saved_model.pb", "is empty (0 bytes)"], write("saved_model.pb", b""))
    sm_case("saved_model_pb_not_protobuf", ["saved_model.pb", "not a readable SavedModel"],
            write("saved_model.pb", b"\x00" * 64))
    sm_case("saved_model_pb_text", ["saved_model.pb", "SavedModel"],
            write("saved_model.pb", b"this is a text file, not a protobuf\n" * 4))

    def pb_is_dir(src):
        os.remove(os.path.join(src, "saved_model.pb"))
        os.mkdir(os.path.join(src, "saved_model.pb"))
    sm_case("saved_model_pb_is_a_directory", ["saved_model.pb", "is a directory"], pb_is_dir)

    def pb_loop(src):
        os.remove(os.path.join(src, "saved_model.pb"))
        os.symlink("saved_model.pb", os.path.join(src, "saved_model.pb"))
    sm_case("saved_model_pb_symlink_loop", ["saved_model.pb", "symlink loop"], pb_loop)

    def data_is_dir(src):
        data = os.path.join(src, "variables", "variables.data-00000-of-00001")
        os.remove(data)
        os.mkdir(data)
    sm_case("checkpoint_data_is_a_directory", ["variables.data", "is a directory"], data_is_dir)

    def index_loop(src):
        index = os.path.join(src, "variables", "variables.index")
        os.remove(index)
        os.symlink("variables.index", index)
    sm_case("checkpoint_index_symlink_loop", ["variables.index", "symlink loop"], index_loop)

    def shape_edit(make_dims, dtype=None, offset=None):
        def edit(src):
            def change(key, entry):
                if not _variable_key(key):
                    return
                if make_dims is not None:
                    old = [d.size for d in entry.shape.dim]
                    del entry.shape.dim[:]
                    for size in make_dims(old, entry.size):
                        entry.shape.dim.add(size=size)
                if dtype is not None:
                    entry.dtype = dtype
                if offset is not None:
                    entry.offset = offset
            edit_checkpoint_entry(os.path.join(src, "variables", "variables"), change)
        return edit

    # issue 15: [2**62 + n/4, 4] wraps around in int64 to the true element count n
    sm_case("checkpoint_shape_wraps_int64", ["variables.index", "cannot be read", "4611686018427387905"],
            shape_edit(lambda old, size: [2 ** 62 + size // 16, 4]))
    sm_case("checkpoint_shape_huge", ["variables.index", "cannot be read"],
            shape_edit(lambda old, size: [2 ** 40, 2 ** 40]))
    sm_case("checkpoint_string_count_huge", ["variables.index", "cannot be read"],
            shape_edit(lambda old, size: [2 ** 50], dtype=7))
    sm_case("checkpoint_offset_beyond_file", ["variables.data", "outside its data file"],
            shape_edit(None, offset=2 ** 62))

    # -- 5. model directories for inspect / bundle / verify --------------------------------------
    shards = sorted(n for n in os.listdir(tfjs) if n.endswith(".bin"))
    model_json = json.load(open(os.path.join(tfjs, "model.json")))

    def model_dir_case(name, edit, expect, commands=("inspect", "bundle")):
        for command in commands:
            def build(w, command=command):
                model_dir = os.path.join(w, "web")
                shutil.copytree(tfjs, model_dir)
                edit(model_dir)
                return [command, model_dir] if command != "verify" else ["verify", keras_file, model_dir]
            case(f"{command}_{name}", expect, build)

    def set_json(change):
        """Edit a copy of the good model.json in place with `change(model)`."""
        def edit(model_dir):
            model = json.loads(json.dumps(model_json))
            change(model)
            open(os.path.join(model_dir, "model.json"), "w").write(json.dumps(model))
        return edit

    def set_text(make):
        """Replace model.json with the text `make(good model.json text)` returns."""
        def edit(model_dir):
            open(os.path.join(model_dir, "model.json"), "w").write(make(json.dumps(model_json)))
        return edit

    def weight(key, value, index=0):
        def change(model):
            model["weightsManifest"][0]["weights"][index][key] = value
        return change

    def field(key, value):
        def change(model):
            model[key] = value
        return change

    every = ("inspect", "bundle", "verify")
    model_dir_case("topology_is_a_string", set_json(field("modelTopology", "tiny")),
                   ["model.json", "modelTopology: expected an object"], every)
    model_dir_case("manifest_is_an_object", set_json(field("weightsManifest", {"paths": []})),
                   ["model.json", "weightsManifest: expected a list"], every)
    model_dir_case("model_json_not_json_verify", lambda d: open(os.path.join(d, "model.json"), "w").write("{"),
                   ["model.json", "not valid JSON"], ("verify",))
    model_dir_case("shard_missing_named", lambda d: os.remove(os.path.join(d, shards[1])),
                   [shards[1], "missing"], ("verify",))
    model_dir_case("shard_truncated_named", lambda d: open(os.path.join(d, shards[-1]), "r+b").truncate(3),
                   [shards[-1], "do not match the manifest"], ("verify",))

    def shard_dir(d):
        os.remove(os.path.join(d, shards[0]))
        os.mkdir(os.path.join(d, shards[0]))
    model_dir_case("shard_is_a_directory", shard_dir, [shards[0], "is a directory, expected a weight shard"])

    def shard_loop(d):
        os.remove(os.path.join(d, shards[0]))
        os.symlink(shards[0], os.path.join(d, shards[0]))
    model_dir_case("shard_symlink_loop", shard_loop, [shards[0], "symlink loop"])

    def model_json_dir(d):
        os.remove(os.path.join(d, "model.json"))
        os.mkdir(os.path.join(d, "model.json"))
    model_dir_case("model_json_is_a_directory", model_json_dir, ["model.json", "is a directory"])

    def model_json_loop(d):
        os.remove(os.path.join(d, "model.json"))
        os.symlink("model.json", os.path.join(d, "model.json"))
    model_dir_case("model_json_symlink_loop", model_json_loop, ["model.json", "symlink loop"])

    def sparse_model_json(d):
        with open(os.path.join(d, "model.json"), "r+b") as f:
            f.truncate(300 << 20)  # sparse: no disk space, but 300 MB to read
    model_dir_case("model_json_300_mb", sparse_model_json, ["model.json", "not a TF.js model.json"])

    # [2**62 + 3, 4] is 12 elements in wrapping int64 arithmetic: the kernel's true [4, 3]
    model_dir_case("shape_wraps_int64", set_json(weight("shape", [2 ** 62 + 3, 4])), ["need"])
    model_dir_case("shape_of_floats", set_json(weight("shape", [4.0, 3])),
                   ["weightsManifest[0].weights[0].shape", "integers >= 0"])
    model_dir_case("shape_of_booleans", set_json(weight("shape", [True, 12])),
                   ["weightsManifest[0].weights[0].shape"])
    model_dir_case("shape_is_a_string", set_json(weight("shape", "4,3")), ["weights[0].shape"])
    model_dir_case("dtype_float64", set_json(weight("dtype", "float64")), ["weights[0].dtype", "unknown dtype"])
    model_dir_case("dtype_missing", set_json(lambda m: m["weightsManifest"][0]["weights"][0].pop("dtype")),
                   ["weights[0].dtype", "expected a string"])
    model_dir_case("name_is_a_number", set_json(weight("name", 7)), ["weights[0].name"])
    model_dir_case("duplicate_weight_name", set_json(weight("name", model_json["weightsManifest"][0]["weights"][0]
                                                            ["name"], index=1)), ["duplicate weight name"])
    model_dir_case("quantization_int4", set_json(weight("quantization", {"dtype": "int4", "min": 0, "scale": 1})),
                   ["weights[0].quantization.dtype", "unknown quantisation dtype"])
    model_dir_case("quantization_scale_text", set_json(weight("quantization", {"dtype": "uint8", "min": 0,
                                                                               "scale": "1"})),
                   ["quantization.scale", "expected a number"])
    model_dir_case("paths_is_a_string", set_json(lambda m: m["weightsManifest"][0].__setitem__("paths", shards[0])),
                   ["weightsManifest[0].paths", "expected a list"])
    model_dir_case("path_is_empty", set_json(lambda m: m["weightsManifest"][0]["paths"].__setitem__(0, "")),
                   ["paths[0]", "leaves the model directory"])
    model_dir_case("path_is_absolute", set_json(lambda m: m["weightsManifest"][0]["paths"].__setitem__(0, "/etc/passwd")),
                   ["paths[0]", "leaves the model directory"])
    model_dir_case("group_without_weights", set_json(lambda m: m["weightsManifest"][0].pop("weights")),
                   ["weightsManifest[0]", "needs 'paths' and 'weights'"])
    model_dir_case("nan_literal", set_text(lambda t: t.replace('"shape": [4, 3]', '"shape": [NaN, 3]')),
                   ["model.json", "NaN is not JSON"])
    model_dir_case("integer_of_5000_digits", set_text(lambda t: t.replace('"shape": [4, 3]',
                                                                                      '"shape": [' + "9" * 5000 + ', 3]')),
                   ["model.json", "not valid JSON"])
    model_dir_case("nested_100000_deep", set_text(lambda t: t[:-1] + ', "deep": ' + "[" * 100000 + "]" * 100000 + "}"),
                   ["model.json", "nested too deeply"])
    model_dir_case("not_utf8", lambda d: open(os.path.join(d, "model.json"), "wb").write(b'{"a": "\xff\xfe"}'),
                   ["model.json", "not UTF-8"])
    model_dir_case("top_level_list", set_text(lambda t: f"[{t}]"), ["model.json", "expected a JSON object"])
    model_dir_case("format_unknown", set_json(field("format", "saved-model")), ["format", "neither"])
    model_dir_case("layers_not_a_list", set_json(lambda m: m["modelTopology"]["config"].__setitem__("layers", "d1")),
                   ["modelTopology.config.layers", "expected a list"])
    model_dir_case("output_layers_garbage",
                   set_json(lambda m: m["modelTopology"]["config"].__setitem__("output_layers", [7])),
                   ["modelTopology.config.output_layers[0]"])

    def graph_model(nodes, signature=None):
        def change(model):
            model["format"] = "graph-model"
            model["modelTopology"] = {"node": nodes}
            if signature is not None:
                model["signature"] = signature
        return set_json(change)
    model_dir_case("graph_const_without_weight", graph_model([{"name": "ghost", "op": "Const"}]),
                   ["modelTopology.node[0]", "Const node 'ghost' has no weight"])
    model_dir_case("graph_node_is_a_string", graph_model(["Placeholder"]), ["modelTopology.node[0]"])
    model_dir_case("graph_signature_inputs_list", graph_model([], {"inputs": [], "outputs": {}}),
                   ["signature.inputs", "expected an object"])

    def integrity_dir(d):
        os.mkdir(os.path.join(d, "integrity.json"))
    model_dir_case("integrity_json_is_a_directory", integrity_dir, ["integrity.json", "is a directory"], ("bundle",))
    case("inspect_dir_is_a_symlink_loop", ["web", "symlink loop"], lambda w: ["inspect", loop(w, "web")])
    case("bundle_dir_is_a_symlink_loop", ["web", "symlink loop"], lambda w: ["bundle", loop(w, "web")])
    return cases
