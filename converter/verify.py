"""Prove a conversion: run the converted directory in a TF.js runtime under Node.js (tfjs-node, or
the light WASM runtime: converter/runtime/) on sample inputs and compare with the source model's
own predictions (Keras for Layers models, TensorFlow running the source's
function for Graph models), output by output.

For quantised weights the reference is the source model run on the weights *as TF.js decodes
them* (read back from the shards): TF.js must match that to float32 rounding, so a wrong scale or
a misplaced byte shows; the error against the float model is reported for information, and for
Graph models the rounding floor beside it: the source itself with each of its variables rounded
the same way, one range per tensor (what quantising costs before any rewrite of ours)
(docs/architecture.md, "Quantisation"). Models with float16 / bfloat16 dtype policies or layers
quantised by Keras are compared with the copy of the source that computes as TF.js does
(converter/keras_reference.py); the difference from the source as it is (its own policy, Keras'
quantised inference) is reported for information. Imports Keras (lazily): verify is where the
source model must run.
"""

import contextlib
import dataclasses
import importlib.util
import os
import tempfile

import numpy as np

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.structure import keras_model_names
from tfjs_export.converter.tf_import import without_optional_integrations

DEFAULT_TOLERANCE = 1e-5  # float32 rounding: same maths in a different order


@dataclasses.dataclass
class VerifyReport:
    """The outcome of one verification: ok, and per output the errors and bound."""

    ok: bool
    outputs: list  # [{"name", "max_abs_err", "bound", "max_abs_expected", "max_abs_err_vs_float"?,
    #                  "rounding_floor"?, "vs"?}]
    backend: str
    tfjs_version: str
    samples: int
    quantized: bool
    error: str = ""
    runtime: str = "tfjs-node"  # the npm package that ran the model: tfjs-node or tfjs (WASM)
    matched: str = "name"  # how outputs were matched: by "name", or by "position" (no names)
    computes_as: str = ""  # what the source computes that TF.js does not (e.g. "mixed_float16 policy")

    def table(self):
        """A short human-readable table, one line per output."""
        reference = "the source model" + (" run on the weights as TF.js decodes them" if self.quantized else "")
        if self.computes_as:
            reference += " computing in float32 as TF.js does"
        lines = [f"parity in {self.runtime} {self.tfjs_version} (backend {self.backend}), {self.samples} "
                 f"random samples, reference: {reference}"]
        if self.error:
            lines.append(f"  error: {self.error}")
        for out in self.outputs:
            err = out.get("max_abs_err")
            vs_float, floor = out.get("max_abs_err_vs_float"), out.get("rounding_floor")
            lines.append(f"  {out['name']:<24} max |diff| {_fmt(err)}  bound {_fmt(out['bound'])}"
                         + (f"  (vs float model {_fmt(vs_float)}" if vs_float is not None else "")
                         + (f", rounding floor {_fmt(floor)}" if vs_float is not None and floor is not None else "")
                         + (")" if vs_float is not None else "")
                         + "".join(f"  (vs {label} {_fmt(err)})" for label, err in (out.get("vs") or {}).items())
                         + ("" if out.get("ok") else "  FAILED"))
        lines.append("parity OK" if self.ok else "parity FAILED")
        return "\n".join(lines)


def _fmt(value):
    return "-" if value is None else f"{value:.2e}"


def sample_inputs(model, samples, seed):
    """Deterministic random inputs for every model input: integers for integer inputs and for
    inputs that feed an Embedding (indices below its input_dim, whatever the input's dtype: TF.js
    Sequential text models have float32 inputs), normal floats otherwise."""
    rng = np.random.default_rng(seed)
    index_bounds = _embedding_index_bounds(model)
    inputs = []
    for tensor in model.inputs:
        shape = (samples,) + tuple(d if d is not None else 8 for d in tensor.shape[1:])
        bound = index_bounds.get(id(tensor))
        if bound is not None:
            inputs.append(rng.integers(0, bound, size=shape).astype(str(tensor.dtype).split(".")[-1]))
        elif "int" in str(tensor.dtype):
            inputs.append(rng.integers(0, 10, size=shape).astype("int32"))
        else:
            inputs.append(rng.normal(size=shape).astype("float32"))
    return inputs


def _embedding_index_bounds(model):
    """{id(model input): exclusive upper bound} for the inputs an Embedding layer reads directly:
    at most 10, and below the smallest input_dim of the Embeddings reading it."""
    inputs = {id(t) for t in model.inputs}
    bounds = {}
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ != "Embedding":
            continue
        for node in getattr(layer, "_inbound_nodes", []):
            for tensor in getattr(node, "input_tensors", []):
                if id(tensor) in inputs:
                    bounds[id(tensor)] = min(bounds.get(id(tensor), 10), layer.input_dim)
    return bounds


def set_weights_as_tfjs_reads_them(model, checked, src):
    """Give the Keras `model` (loaded from `src`) the weights TF.js will use: decoded from the
    shards of `checked` (a model_dir.ModelDir, or the path of a model directory).

    Keras variables are matched to TF.js weights through their values: our reader gives each
    TF.js weight the source array it came from, which holds however layers were renamed or
    rewritten for TF.js (nested models, Bidirectional, TimeDistributed, ...). A variable with no
    TF.js counterpart (e.g. a Normalization count) keeps its value."""
    from tfjs_export.converter.model_dir import read_model_dir
    from tfjs_export.converter.readers import read_model
    if isinstance(checked, (str, os.PathLike)):
        checked = read_model_dir(checked)
    decoded = checked.read_weights()
    by_value = {}
    for weight in read_model(os.fspath(src)).weights:
        if weight.name in decoded:
            by_value.setdefault(_value_key(weight.array), decoded[weight.name])
    matched = 0
    for variable in model.weights:
        value = by_value.get(_value_key(np.asarray(variable)))
        if value is not None:
            variable.assign(value.reshape(tuple(variable.shape)))
            matched += 1
    if decoded and not matched:
        raise ConversionError("none of the converted model's weights come from the source model", checked.path)


def _value_key(array):
    array = np.ascontiguousarray(array, dtype=np.float32) if array.dtype.kind == "f" else np.ascontiguousarray(array)
    return array.shape, array.dtype.str, hash(array.tobytes())


def _predict(model, inputs):
    """Keras predictions as a list of arrays in `model.outputs` order, from `inputs` in
    `model.inputs` order: packed into the model's dict / nested input structure when it has one
    (one input is passed bare: Keras warns otherwise)."""
    import keras
    outputs = model.predict(_pack_inputs(model, inputs, keras.tree), verbose=0)
    return [np.asarray(o) for o in keras.tree.flatten(outputs)]


def _pack_inputs(model, inputs, tree):
    """Flat `inputs` (model.inputs order) as the model takes them: in its dict / nested input
    structure when it has one (`tree`: keras.tree or tf.nest), else bare or as a list."""
    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, dict) or isinstance(struct, (list, tuple)) and len(inputs) > 1:
        return tree.pack_sequence_as(struct, list(inputs))
    return inputs[0] if len(inputs) == 1 else list(inputs)


@dataclasses.dataclass
class ParityCase:
    """What one verification compares: inputs, the expected (reference) outputs, their names."""

    inputs: list
    expected: list
    input_names: list
    output_names: list
    float_outputs: list  # the float model's outputs (== expected unless quantised)
    # {label: outputs} of the source as it is, where it computes otherwise than TF.js (its own
    # policy, Keras' quantised inference): reported, never checked
    others: dict = dataclasses.field(default_factory=dict)
    floor_outputs: list = None  # the source with its variables rounded per tensor (quantised Graph models)


def verify(src, model_dir, *, samples=4, seed=0, atol=DEFAULT_TOLERANCE, rtol=DEFAULT_TOLERANCE,
           node_modules=None, signature_name="serving_default", saved_model_tags=("serve",),
           unsafe_deserialization=False, input_shapes=None):
    """Compare the TF.js model in `model_dir` with its source `src`; return a VerifyReport.

    Layers models: the reference is Keras (on its NumPy backend when TensorFlow is not
    installed). Graph models: TensorFlow running the source's function (signature_name,
    saved_model_tags, unsafe_deserialization, input_shapes: as for convert). node_modules: where the TF.js
    runtime is (converter/runtime/node.py says how it is found when None)."""
    from tfjs_export.converter.options import parse_tags
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    checked, case = parity_case(src, model_dir, samples=samples, seed=seed, signature_name=signature_name,
                                saved_model_tags=parse_tags(saved_model_tags),
                                unsafe_deserialization=unsafe_deserialization, input_shapes=input_shapes)
    return _run_case(checked, case, samples, atol, rtol, node_modules)


def parity_case(src, model_dir, *, samples=4, seed=0, signature_name="serving_default", saved_model_tags=("serve",),
                unsafe_deserialization=False, input_shapes=None):
    """(model_dir.ModelDir, ParityCase): what verify compares, before any TF.js runs (tests
    gather many cases for one runner launch)."""
    from tfjs_export.converter.model_dir import read_model_dir
    checked = read_model_dir(model_dir)  # a broken directory is named before any model runs
    if checked.format == "graph-model":
        if "signature" not in checked.model_json:
            raise ConversionError("model.json: signature: missing (a graph model needs one to be fed)", model_dir)
        case = _graph_reference(src, checked, samples, seed, signature_name, tuple(saved_model_tags),
                                unsafe_deserialization, input_shapes)
    else:
        case = _layers_reference(src, checked, samples, seed)
    return checked, case


def _layers_reference(src, checked, samples, seed):
    """The ParityCase of a Layers model: Keras runs the source computing as TF.js does (float32;
    keras_reference.py), on the weights as TF.js decodes them when quantised."""
    from tfjs_export.converter.keras_reference import reference_model
    keras = import_keras()
    try:
        model = keras.saving.load_model(src, compile=False)
    except Exception as err:  # Keras raises many types for unreadable files
        raise ConversionError(f"Keras cannot load the source model: {str(err).splitlines()[0]}", src) from None
    inputs = sample_inputs(model, samples, seed)
    reference, label = reference_model(model)
    float_outputs = _predict(reference, inputs)
    expected = float_outputs
    if checked.quantized:
        set_weights_as_tfjs_reads_them(reference, checked, src)
        expected = _predict(reference, inputs)
    others = {label: _predict(model, inputs)} if label else {}
    input_names, output_names = keras_model_names(model)  # the converter's names: fed and matched by name
    return ParityCase(inputs, expected, input_names, output_names, float_outputs, others)


def import_keras():
    """Keras 3, on the NumPy backend when no backend is chosen and TensorFlow (Keras' default
    backend) is not installed: the `[verify]` install has no TensorFlow, and the NumPy backend
    runs every layer the Layers format carries (checked against TensorFlow's on the test zoo)."""
    if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec("tensorflow") is None:
        os.environ["KERAS_BACKEND"] = "numpy"
    # On TensorFlow, skip the JAX / pandas imports it does not need (tf_import.py); the NumPy
    # backend of Keras 3.15 imports JAX itself.
    on_tensorflow = os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"
    try:
        with without_optional_integrations() if on_tensorflow else contextlib.nullcontext():
            import keras
    except ImportError as err:
        raise ConversionError(f"verify needs Keras 3 ({err}); pip install 'tfjs-export[verify]'") from None
    return keras


def _graph_reference(src, checked, samples, seed, signature_name, saved_model_tags, unsafe_deserialization,
                     input_shapes=None):
    """The ParityCase of a graph model: inputs and outputs in sorted signature-key order,
    computed by TensorFlow on the source's function."""
    import tensorflow as tf

    from tfjs_export.converter.graph.load import load_function
    from tfjs_export.converter.graph.reference import run_written_graph_model
    from tfjs_export.converter.readers import detect_format, graph_loader_format
    from tfjs_export.converter.graph.input_shapes import parse_input_shapes
    signature = checked.model_json["signature"]
    loaded = load_function(src, graph_loader_format(detect_format(src)), signature_name, saved_model_tags, unsafe_deserialization,
                           parse_input_shapes(input_shapes))
    function = loaded.function
    specs = tf.nest.flatten(function.structured_input_signature)  # flat, in input_keys order
    rng = np.random.default_rng(seed)
    values = []
    for spec in specs:
        shape = [samples if i == 0 and d is None else (d if d is not None else 8)
                 for i, d in enumerate(spec.shape.as_list())]
        if spec.dtype == tf.string:  # e.g. words for a lookup table: numbers as text
            values.append(rng.integers(0, 10, size=shape).astype(str).astype(object))
        elif spec.dtype.is_integer:
            values.append(rng.integers(0, 10, size=shape).astype(spec.dtype.as_numpy_dtype))
        else:
            values.append(rng.normal(size=shape).astype(spec.dtype.as_numpy_dtype))
    by_key = dict(zip(loaded.input_keys, values))

    def call():
        if function.structured_input_signature[1]:  # a SavedModel signature: called by keyword
            results = function(**{k: tf.constant(v) for k, v in by_key.items()})
        else:
            results = function(*[tf.constant(v) for v in values])
        if isinstance(results, dict):
            return {k: np.asarray(results[k]) for k in loaded.output_keys}
        return dict(zip(loaded.output_keys, (np.asarray(r) for r in tf.nest.flatten(results))))

    outputs = call()
    floor = _rounded_variables_call(function, call, _quantization_dtype(checked)) if checked.quantized else None
    input_keys = sorted(k for k, v in signature["inputs"].items() if "resourceId" not in v)  # not tables
    output_keys = sorted(signature["outputs"])
    if sorted(by_key) != input_keys or sorted(outputs) != output_keys:
        raise ConversionError(f"the model's signature ({', '.join(input_keys)} -> {', '.join(output_keys)}) does "
                              f"not match the source's ({', '.join(sorted(by_key))} -> {', '.join(sorted(outputs))})",
                              checked.path)
    inputs = [by_key[k] for k in input_keys]
    float_outputs = [outputs[k] for k in output_keys]
    others = {}
    if loaded.source is not None:  # a Keras model traced computing in float32 (load.py)
        label, model = loaded.source
        own = model(_pack_inputs(model, [by_key[k] for k in loaded.input_keys], tf.nest), training=False)
        own = dict(zip(loaded.output_keys, (np.asarray(o) for o in tf.nest.flatten(own))))
        others[label] = [own[k] for k in output_keys]
    expected = [np.asarray(o) for o in run_written_graph_model(checked, inputs)] if checked.quantized \
        else float_outputs
    return ParityCase(inputs, expected, input_keys, output_keys, float_outputs, others,
                      [floor[k] for k in output_keys] if floor else None)


def rounded_like_tfjs(array, dtype):
    """A float32 array rounded with one range per tensor and decoded as TF.js decodes it."""
    from tfjs_export import codec
    return codec.dequantize(*codec.quantize(np.ascontiguousarray(array, np.float32), dtype))


def _quantization_dtype(checked):
    """The one quantisation dtype of the manifest's weights (per-channel integers count as
    theirs), or None when weights use several."""
    dtypes = {w["quantization"]["dtype"] for g in checked.manifest for w in g["weights"] if "quantization" in w}
    return dtypes.pop() if len(dtypes) == 1 else None


def _rounded_variables_call(function, call, dtype):
    """call() with each float32 variable `function` captures rounded to `dtype` per tensor, then
    restored: the rounding floor. None when the dtype is mixed or the function has no variables."""
    variables = [v for v in getattr(function, "variables", ()) if v.dtype.name == "float32"]
    if dtype is None or not variables:
        return None
    saved = [v.numpy() for v in variables]
    try:
        for variable, value in zip(variables, saved):
            variable.assign(rounded_like_tfjs(value, dtype))
        return call()
    finally:
        for variable, value in zip(variables, saved):
            variable.assign(value)


def _run_case(checked, case, samples, atol, rtol, node_modules=None):
    """Write the parity case, run it in the TF.js runtime, and turn the result into a VerifyReport."""
    from tfjs_export.converter.runtime import cases, node
    with tempfile.TemporaryDirectory(prefix="tfjs-export-verify-") as case_dir:
        try:
            cases.write_case(case_dir, checked.model_json_path, case.inputs, case.expected,
                             name=os.path.basename(os.path.abspath(checked.path)), input_names=case.input_names,
                             output_names=case.output_names, fmt=checked.format, atol=atol, rtol=rtol, why="verify",
                             float_reference=case.float_outputs if checked.quantized else None)
        except ValueError as err:  # e.g. int64 values outside the int32 range TF.js holds
            raise ConversionError(f"cannot compare this model's outputs: {err}", checked.path) from None
        try:
            run = node.run_predict(case_dir, node_modules=node_modules)
            result = cases.read_result(case_dir)
            add_differences(result, case_dir, case.others)
        except node.RuntimeMissing as err:
            raise ConversionError(f"cannot run the converted model: {err}", checked.path) from None
        except FileNotFoundError:
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise ConversionError(f"the TF.js runner failed: {last}", checked.path) from None
    if case.floor_outputs is not None:
        for out, floor, float_output in zip(result["outputs"], case.floor_outputs, case.float_outputs):
            out["rounding_floor"] = float(np.max(np.abs(np.asarray(floor, np.float64) - float_output), initial=0))
    return VerifyReport(ok=bool(result["ok"]), outputs=result["outputs"], backend=result.get("backend", "?"),
                        tfjs_version=result.get("tfjs_version", "?"), samples=samples, quantized=checked.quantized,
                        error=result.get("error", ""), runtime=result.get("runtime", "?"),
                        matched=result.get("matched", "?"), computes_as=" + ".join(case.others))


def add_differences(result, case_dir, others):
    """Add to each output of the runner's `result` its max |diff| from each of `others` ({label:
    outputs}), as out["vs"] = {label: error}, reading the runner's actual_{i}.bin."""
    if not others or result.get("error"):
        return
    for i, out in enumerate(result["outputs"]):
        path = os.path.join(case_dir, out.get("file", ""))
        if not os.path.isfile(path):
            continue
        actual = np.fromfile(path, dtype="<f4" if out.get("dtype") == "float32" else "<i4").astype(np.float64)
        out["vs"] = {}
        for label, outputs in others.items():
            theirs = np.asarray(outputs[i], np.float64).reshape(-1)
            out["vs"][label] = float(np.max(np.abs(actual - theirs))) if theirs.size == actual.size and theirs.size \
                else None
