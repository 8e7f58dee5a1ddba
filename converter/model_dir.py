"""The TF.js model directory (model.json + weight shards): the one module that reads and writes it.

`read_model_dir(path)` returns a `ModelDir` only after checking model.json against the schema
TF.js reads, before anything else touches it: the JSON itself (size, nesting, no NaN literals,
which JavaScript's JSON.parse refuses), the type of every field TF.js (and `inspect`, `verify`,
`bundle`) uses, every manifest entry (name, shape, dtype, quantisation), every shard path (inside
the directory, an existing regular file) and the shards' sizes against what the weights need,
computed in exact integers (a declared shape never wraps around). Every failure is a
ConversionError naming the file and the field, e.g.
`web/model.json: weightsManifest[0].weights[1].shape: expected a list of integers >= 0, got "x"`.

`write_model_dir(spec, out_dir, plan, ...)` writes a ModelSpec of either format: the shards
through the codec, then model.json last, in a temporary sibling renamed into place
(writers/atomic_dir.py).
"""

import dataclasses
import json
import math
import os
import stat

from tfjs_export import codec
from tfjs_export.converter.errors import ConversionError, os_error_message, stat_input

MODEL_JSON = "model.json"
FORMATS = ("layers-model", "graph-model")
# model.json holds the topology only (weights are in the shards): a bigger one is not a model
# a browser could parse, and reading it whole would cost that much memory.
MAX_MODEL_JSON_BYTES = 256 << 20
_DTYPES = ("float32", "int32", "bool", "uint8", "complex64", "string")
_QUANTIZATION_DTYPES = ("uint8", "uint16", "float16")


@dataclasses.dataclass(frozen=True)
class ModelDir:
    """A validated TF.js model directory."""

    path: str               # the directory
    model_json: dict        # model.json, parsed and checked
    shards: tuple           # absolute shard paths, in manifest order

    @property
    def format(self):
        """"layers-model" or "graph-model" (a Layers model.json may omit `format`)."""
        return self.model_json.get("format") or "layers-model"

    @property
    def manifest(self):
        return self.model_json["weightsManifest"]

    @property
    def topology(self):
        return self.model_json["modelTopology"]

    @property
    def model_json_path(self):
        return os.path.join(self.path, MODEL_JSON)

    @property
    def quantized(self):
        """True when some weight is stored quantised."""
        return any("quantization" in w for g in self.manifest for w in g["weights"])

    def read_weights(self):
        """{name: array} decoded exactly as TF.js decodes the shards (codec.read_weights)."""
        try:
            return codec.read_weights(self.manifest, self.path)
        except codec.CodecError as err:  # e.g. a shard changed since the directory was read
            raise ConversionError(f"weights do not match the manifest: {err}", self.path) from None


# ----------------------------------------------------------------------------- reading

def check_file(path, what="file"):
    """os.stat of `path` if it is a regular file; a ConversionError naming the cause if not (missing,
    a symlink loop, a directory, unreadable)."""
    try:
        st = os.stat(path)
    except OSError as err:
        raise ConversionError(os_error_message(err, what), path) from None
    if stat.S_ISDIR(st.st_mode):
        raise ConversionError(f"is a directory, expected a {what}", path)
    if not stat.S_ISREG(st.st_mode):
        raise ConversionError(f"is not a regular file, expected a {what}", path)
    return st


def read_model_dir(path, check_shards=True):
    """Read and validate the model directory `path`; return a ModelDir (see the module docstring).
    check_shards=False skips the shards (model.json alone)."""
    path = os.fspath(path)
    st = stat_input(path, "directory")
    if st is None:
        raise ConversionError("no such directory", path)
    if not stat.S_ISDIR(st.st_mode):
        raise ConversionError("not a directory (expected a converted TF.js model directory)", path)
    model_path = os.path.join(path, MODEL_JSON)
    if not os.path.lexists(model_path):
        raise ConversionError("not a converted TF.js model directory (no model.json)", path)
    model = load_model_json(model_path)
    shards = _check_manifest_files(path, model_path, model["weightsManifest"]) if check_shards else ()
    return ModelDir(path, model, tuple(shards))


def load_model_json(model_path):
    """model.json at `model_path`, parsed and checked against the schema (not the shards)."""
    size = check_file(model_path, "model.json file").st_size
    if size > MAX_MODEL_JSON_BYTES:
        raise ConversionError(f"is {size:,} bytes (over {MAX_MODEL_JSON_BYTES:,}): not a TF.js model.json "
                              "(the weights belong in the shards)", model_path)
    try:
        with open(model_path, "rb") as f:
            text = f.read().decode("utf-8")
        model = json.loads(text, parse_constant=_no_constant)
    except OSError as err:
        raise ConversionError(f"cannot read: {err.strerror}", model_path) from None
    except UnicodeDecodeError as err:
        raise ConversionError(f"not valid JSON (not UTF-8 text: {err.reason} at byte {err.start})",
                              model_path) from None
    except RecursionError:
        raise ConversionError("not valid JSON for TF.js (nested too deeply)", model_path) from None
    except ValueError as err:  # JSONDecodeError, NaN literals, integers with thousands of digits
        raise ConversionError(f"not valid JSON ({err})", model_path) from None
    check_model_json(model, model_path)
    return model


def _no_constant(name):
    raise ValueError(f"{name} is not JSON: JavaScript's JSON.parse refuses it")


class _Field:
    """A position in model.json (for messages) and the checks of one value."""

    def __init__(self, where, name):
        self.where, self.name = where, name

    def __getitem__(self, key):
        return _Field(self.where, f"{self.name}[{key}]" if isinstance(key, int) else
                      (f"{self.name}.{key}" if self.name else key))

    def fail(self, problem):
        raise ConversionError(f"{self.name}: {problem}", self.where)

    def expect(self, value, types, what):
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            self.fail(f"expected {what}, got {_show(value)}")
        return value

    def obj(self, value):
        return self.expect(value, (dict,), "an object")

    def lst(self, value):
        return self.expect(value, (list,), "a list")

    def text(self, value):
        return self.expect(value, (str,), "a string")


def _show(value):
    text = json.dumps(value) if not isinstance(value, float) or math.isfinite(value) else repr(value)
    kind = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}[type(value)]
    return kind if len(text) > 40 else f"{kind} {text}"


def check_model_json(model, where):
    """Check a parsed model.json against the schema TF.js reads; ConversionError (naming `where`
    and the field) at the first problem."""
    root = _Field(where, "")
    if not isinstance(model, dict):
        raise ConversionError(f"not a TF.js model.json (expected a JSON object, got {_show(model)})", where)
    for key in ("modelTopology", "weightsManifest"):
        if key not in model:
            raise ConversionError(f"not a TF.js model.json (needs modelTopology and weightsManifest; "
                                  f"{key} is missing)", where)
    fmt = model.get("format")
    if fmt is not None and root["format"].text(fmt) not in FORMATS:
        root["format"].fail(f"{fmt!r} is neither {' nor '.join(FORMATS)}")
    for key in ("generatedBy", "convertedBy"):
        if model.get(key) is not None:
            root[key].text(model[key])
    if "userDefinedMetadata" in model:
        root["userDefinedMetadata"].obj(model["userDefinedMetadata"])
    topology = root["modelTopology"].obj(model["modelTopology"])
    if fmt == "graph-model":
        _check_graph_def(topology, root["modelTopology"])
        if "signature" in model:
            _check_signature(model["signature"], root["signature"])
        if "modelInitializer" in model:
            _check_graph_def(root["modelInitializer"].obj(model["modelInitializer"]), root["modelInitializer"])
        if "initializerSignature" in model:
            _check_signature(model["initializerSignature"], root["initializerSignature"])
    else:
        _check_layers_topology(topology, root["modelTopology"])
    _check_manifest(model["weightsManifest"], root["weightsManifest"])
    if fmt == "graph-model":  # TF.js takes every Const's value from the manifest
        names = {w["name"] for g in model["weightsManifest"] for w in g["weights"]}
        for section in ("modelTopology", "modelInitializer"):
            for i, node in enumerate(model.get(section, {}).get("node", [])):
                if node["op"] == "Const" and node["name"] not in names:
                    root[section]["node"][i].fail(f"Const node '{node['name']}' has no weight in weightsManifest")


def _check_layers_topology(topology, field):
    if "model_config" in topology:
        topology, field = field["model_config"].obj(topology["model_config"]), field["model_config"]
    if "class_name" not in topology:
        field.fail("not a Keras model config (no class_name)")
    field["class_name"].text(topology["class_name"])
    config = topology.get("config", {})
    field["config"].expect(config, (dict, list), "an object")
    layers = config if isinstance(config, list) else config.get("layers", [])
    for i, layer in enumerate(field["config"]["layers"].lst(layers)):
        entry = field["config"]["layers"][i]
        entry.obj(layer)
        entry["class_name"].text(layer.get("class_name"))
        entry["config"].obj(layer.get("config", {}))
    if isinstance(config, dict):
        for key in ("input_layers", "output_layers"):
            for i, ref in enumerate(field["config"][key].lst(config.get(key, []))):
                if not (isinstance(ref, list) and ref and isinstance(ref[0], str)):  # as tfjs-layers reads it
                    field["config"][key][i].fail(f"expected [layer name, node index, tensor index], got {_show(ref)}")


def _check_graph_def(graph, field):
    nodes = field["node"].lst(graph.get("node", []))
    for i, node in enumerate(nodes):
        entry = field["node"][i]
        entry.obj(node)
        entry["name"].text(node.get("name"))
        entry["op"].text(node.get("op"))
        for j, name in enumerate(entry["input"].lst(node.get("input", []))):
            entry["input"][j].text(name)
        entry["attr"].obj(node.get("attr", {}))
    if "library" in graph:
        field["library"].obj(graph["library"])
    if "versions" in graph:
        field["versions"].obj(graph["versions"])


def _check_signature(signature, field):
    field.obj(signature)
    for section in ("inputs", "outputs"):
        tensors = field[section].obj(signature.get(section, {}))
        for key, info in tensors.items():
            entry = field[section][key]
            entry.obj(info)
            entry["name"].text(info.get("name"))
            if "dtype" in info:
                entry["dtype"].text(info["dtype"])
            shape = entry["tensorShape"].obj(info.get("tensorShape", {}))
            for j, dim in enumerate(entry["tensorShape"]["dim"].lst(shape.get("dim", []))):
                entry["tensorShape"]["dim"][j].obj(dim)
                size = dim.get("size", "-1")
                # protobuf JSON writes int64 as a string; TF.js parses either
                if not (isinstance(size, int) and not isinstance(size, bool)
                        or isinstance(size, str) and size.lstrip("-").isdigit() and len(size) < 20):
                    entry["tensorShape"]["dim"][j]["size"].fail(f"expected an integer, got {_show(size)}")


def _check_manifest(manifest, field):
    names = set()
    for g, group in enumerate(field.lst(manifest)):
        entry = field[g]
        entry.obj(group)
        for key in ("paths", "weights"):
            if key not in group:
                entry.fail(f"a weight group needs 'paths' and 'weights' ({key} is missing)")
        for i, name in enumerate(entry["paths"].lst(group["paths"])):
            entry["paths"][i].text(name)
            if not name or os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
                entry["paths"][i].fail(f"weight path {name!r} leaves the model directory")
        for i, weight in enumerate(entry["weights"].lst(group["weights"])):
            _check_weight(weight, entry["weights"][i])
            if weight["name"] in names:
                entry["weights"][i]["name"].fail(f"duplicate weight name {weight['name']!r}")
            names.add(weight["name"])


def _check_weight(weight, field):
    field.obj(weight)
    if not field["name"].text(weight.get("name")):
        field["name"].fail("empty weight name")
    shape = weight.get("shape")
    if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                            for d in shape)):
        field["shape"].fail(f"expected a list of integers >= 0, got {_show(shape)}")
    dtype = field["dtype"].text(weight.get("dtype"))
    if dtype not in _DTYPES:
        field["dtype"].fail(f"unknown dtype {dtype!r} (TF.js reads {', '.join(_DTYPES)})")
    quantization = weight.get("quantization")
    if quantization is None:
        return
    q = field["quantization"]
    q.obj(quantization)
    qdtype = quantization.get("dtype")
    if qdtype not in _QUANTIZATION_DTYPES:
        q["dtype"].fail(f"unknown quantisation dtype {_show(qdtype)} (one of {', '.join(_QUANTIZATION_DTYPES)})")
    if dtype not in ("float32", "int32") or (qdtype == "float16" and dtype != "float32"):
        q.fail(f"{qdtype} quantisation of a {dtype} weight is not something TF.js decodes")
    if qdtype != "float16":
        for key in ("min", "scale"):
            value = quantization.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                q[key].fail(f"expected a number, got {_show(value)}")


def _check_manifest_files(root, model_path, manifest):
    """Every shard exists and is a regular file; each group's shards hold the bytes its weights
    need (at least 4 per element for a group holding strings). Returns the shard paths."""
    shards = []
    for g, group in enumerate(manifest):
        files = [os.path.join(root, name) for name in group["paths"]]
        sizes = []
        for shard in files:
            try:
                sizes.append(check_file(shard, "weight shard").st_size)
            except ConversionError as err:
                if err.message.startswith("weight shard does not exist"):
                    raise ConversionError("weight shard listed in model.json is missing", shard) from None
                raise
        shards += files
        have, need = sum(sizes), codec.group_nbytes(group["weights"])
        least = need if need is not None else sum(
            4 * codec.element_count(w["shape"]) if w["dtype"] == "string" else codec.weight_nbytes(w)[0]
            for w in group["weights"])
        if have == need:
            continue
        if need is None and have >= least:
            _check_string_group(files, group["weights"], have)
            continue
        if not files:
            raise ConversionError(f"weightsManifest[{g}]: lists no shards but its weights need {least:,} bytes",
                                  model_path)
        wrong = next((f for f, s in zip(files[:-1], sizes[:-1]) if s != sizes[0]), files[-1])
        needs = f"{need:,}" if need is not None else f"at least {least:,}"
        raise ConversionError(f"weights do not match the manifest: group {g + 1}'s shards hold {have:,} bytes, "
                              f"its weights need {needs} (truncated or wrong shard)", wrong)
    return shards


def _check_string_group(files, weights, have):
    """A group holding strings: walk the shards' bytes (each string element is a uint32 length and
    that many bytes) so that the group's size is exactly what its weights take."""
    with _ShardStream(files) as stream:
        for weight in weights:
            if weight["dtype"] != "string":
                stream.skip(codec.weight_nbytes(weight)[0], weight["name"])
                continue
            for _ in range(codec.element_count(weight["shape"])):
                stream.skip(int.from_bytes(stream.read4(weight["name"]), "little"), weight["name"])
    if stream.pos != have:
        raise ConversionError(f"weights do not match the manifest: {have - stream.pos:,} bytes after the last "
                              "weight of the group (too long, or a wrong shard)", files[-1])


class _ShardStream:
    """A group's shards as one byte stream, of which only the string lengths are read."""

    def __init__(self, files):
        self.files = files
        self.sizes = [os.path.getsize(f) for f in files]
        self.total = sum(self.sizes)
        self.pos = 0
        self.handles = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for f in self.handles.values():
            f.close()

    def skip(self, n, name):
        if self.pos + n > self.total:
            raise ConversionError(f"weights do not match the manifest: weight '{name}' ends "
                                  f"{self.pos + n - self.total:,} bytes after the group's last shard "
                                  "(truncated shard?)", self.files[-1])
        self.pos += n

    def read4(self, name):
        """The 4 bytes at the current position (a string length; it may span two shards)."""
        at = self.pos
        self.skip(4, name)
        out, offset = b"", 0
        for index, size in enumerate(self.sizes):
            while len(out) < 4 and offset <= at + len(out) < offset + size:
                f = self.handles.get(index) or self.handles.setdefault(index, open(self.files[index], "rb"))
                f.seek(at + len(out) - offset)
                piece = f.read(min(4 - len(out), offset + size - (at + len(out))))
                if not piece:
                    raise ConversionError("weights do not match the manifest: file shrank while reading",
                                          self.files[index])
                out += piece
            offset += size
        return out


# ----------------------------------------------------------------------------- writing

def write_model_dir(spec, out_dir, plan, shard_size=codec.DEFAULT_SHARD_SIZE, overwrite=False, progress=None,
                    user_metadata=None, weight_groups=None):
    """Write the ModelSpec `spec` (either format) into `out_dir` atomically; return (files written,
    manifest: the list of weight groups; a Layers model using our JS classes also gets
    tfjs-export-layers.js, listed last). `plan.dtype_for(name, array)` picks each weight's
    quantisation; `progress(bytes_written, total)` follows the shards (per group);
    `user_metadata(manifest)`, if given, returns model.json's userDefinedMetadata; `weight_groups`
    (lists of the spec's weights, default one group of all) become manifest groups 1, 2, ... with
    their own shard files (--split_weights_by_layer)."""
    from tfjs_export.converter.version import CONVERTED_BY
    from tfjs_export.converter.writers import layers_js
    from tfjs_export.converter.writers.atomic_dir import atomic_output_dir

    with atomic_output_dir(out_dir, overwrite) as tmp:
        manifest = []
        for number, weights in enumerate(weight_groups or [spec.weights], 1):
            group = codec.write_weights([(w.name, w.array, plan.dtype_for(w.name, w.array)) for w in weights],
                                        tmp, shard_size=shard_size, group=number, progress=progress)
            if group["weights"]:
                manifest.append(group)
        library = None
        if spec.format == "layers-model":  # our JS classes the model uses, if any (writers/layers_js.py)
            library, _ = layers_js.write_library(tmp, spec.topology)
        model_json = {"format": spec.format, "generatedBy": spec.generated_by, "convertedBy": CONVERTED_BY,
                      "modelTopology": spec.topology}
        model_json.update(spec.extra)  # graph models: signature, modelInitializer, initializerSignature
        model_json["weightsManifest"] = manifest
        if user_metadata:  # added to what the spec records (an input/output structure)
            model_json["userDefinedMetadata"] = {**model_json.get("userDefinedMetadata", {}),
                                                 **user_metadata(manifest)}
        # Written last: a directory with a model.json is a complete model. Graph models sort keys:
        # a GraphDef's attribute maps have no stable order of their own.
        with open(os.path.join(tmp, MODEL_JSON), "w", encoding="utf-8") as f:
            json.dump(model_json, f, separators=(",", ":"), allow_nan=False,
                      sort_keys=spec.format == "graph-model")
        files = [MODEL_JSON] + [p for group in manifest for p in group["paths"]] + ([library] if library else [])
    return files, manifest


def looks_like_model_dir(path):
    """True when the directory `path` holds a model.json file and otherwise only what a conversion
    or `bundle` writes (shards, tfjs-export-layers.js, the bundle's files, tfjs/): what --overwrite may replace without
    losing anything of the user's (a damaged earlier conversion included)."""
    from tfjs_export.converter.web_bundle import BUNDLE_FILES, TFJS_DIR
    from tfjs_export.converter.writers.layers_js import FILE_NAME as LAYERS_JS
    names = os.listdir(path)
    if not os.path.isfile(os.path.join(path, MODEL_JSON)):
        return False
    for name in names:
        full = os.path.join(path, name)
        if name == TFJS_DIR and os.path.isdir(full) and not os.path.islink(full):
            continue
        if not (name in (MODEL_JSON, LAYERS_JS) or name.endswith(".bin") or name in BUNDLE_FILES) \
                or not os.path.isfile(full):
            return False
    return True
