"""Step 1 of the Graph path: load the source model and pick one concrete TF function from it.

A SavedModel gives its signature's function directly. A Keras model (Keras 3 `.keras` / `.h5`,
or a Keras 2 `.h5` through tf_keras) is called once inside a `tf.function` with the model's own
input specs (batch dimension left open) and `training=False`, which traces the inference graph.

A Keras 3 model whose layers compute in float16 or bfloat16 (dtype policies `mixed_float16`,
`float16`, ...) is traced as its float32-policy copy (converter/keras_reference.py): TF.js
computes in float32 only, so the graph says so and verify compares like with like.

The result names inputs and outputs by *signature key*: the SavedModel's signature keys, or the
Keras input names and output layer names. TF.js users feed and fetch by those names.
"""

import dataclasses
import re

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.nodes import safe_node_name
from tfjs_export.converter.structure import StructureError, keras_model_names, keras_model_structures
from tfjs_export.converter.structure import metadata as structure_metadata


@dataclasses.dataclass
class LoadedFunction:
    """A concrete TF function plus the signature keys of its flat inputs and outputs, in order."""

    function: object  # tf ConcreteFunction
    input_keys: list
    output_keys: list
    generated_by: str  # e.g. "TensorFlow 2.19.0" or "Keras 3.15.1"
    user_metadata: dict = None  # model.json userDefinedMetadata: a dict / nested structure
    source: object = None  # (label, the Keras model as it is) when its float32-policy copy was traced


def load_function(path, input_format, signature_name="serving_default", tags=("serve",),
                  unsafe_deserialization=False, input_shapes=None):
    """Load `path` (tf_saved_model | keras | keras_h5) and return a LoadedFunction.
    input_shapes: {input name: [dims, None = open]} to trace a Keras model with (see input_shapes.py)."""
    if input_format == "tf_saved_model":
        return _load_saved_model(path, signature_name, tags)
    if input_format in ("keras", "keras_h5"):
        model, keras_name = _load_keras_model(path, input_format, unsafe_deserialization)
        source = None
        _refuse_float8(model, path)
        if keras_name.startswith("Keras "):
            from tfjs_export.converter.keras_reference import reference_model
            traced, label = reference_model(model, quantized=False)
            source, model = ((label, model), traced) if label else (None, model)
        loaded = _trace_keras_model(model, keras_name, input_shapes, path)
        loaded.source = source
        return loaded
    raise ConversionError(f"input format {input_format!r} cannot be converted to a graph model", path)


def _load_saved_model(path, signature_name, tags):
    import tensorflow as tf
    from tensorflow.python.saved_model import loader_impl

    from tfjs_export.converter.graph.saved_model import select_signature

    try:
        saved = loader_impl.parse_saved_model(path)
    except (OSError, IOError, ValueError) as err:
        raise ConversionError(f"not a readable SavedModel: {_first_line(err)}", path) from None
    select_signature(saved, path, signature_name, tags)  # its errors name what the model has
    try:
        model = tf.saved_model.load(path, tags=list(tags))
    except Exception as err:  # TF raises many types for a damaged model
        raise ConversionError(f"cannot load the SavedModel: {_first_line(err)}", path) from None
    function = model.signatures[signature_name]
    _, kwargs = function.structured_input_signature
    # Flat inputs follow nest.flatten order of the kwargs dict: sorted keys.
    input_keys = sorted(kwargs)
    outputs = function.structured_outputs
    output_keys = sorted(outputs) if isinstance(outputs, dict) else [t.name for t in function.outputs]
    function._tfjs_keep_alive = model  # the function's variables belong to `model`
    return LoadedFunction(function, input_keys, output_keys, f"TensorFlow {tf.__version__}")


def _refuse_float8(model, path):
    """Keras float8 layers round their inputs to float8 at inference, which TF.js cannot: refused,
    naming them (the Layers format carries them, their kernels dequantised)."""
    layers = [layer for layer in getattr(model, "_flatten_layers", lambda **_: [])(include_self=False)
              if getattr(layer, "quantization_mode", None) == "float8"]
    if layers:
        names = ", ".join(f"'{layer.name}' ({type(layer).__name__})" for layer in layers[:3])
        more = f" and {len(layers) - 3} more" if len(layers) > 3 else ""
        raise ConversionError(f"layers quantised by Keras to float8 ({names}{more}) round their inputs to float8 "
                              "e4m3fn at every call (a Cast to float8 and back), and TF.js has no float8 dtype "
                              "to cast to: convert to the Layers format, which keeps their float8-rounded kernels "
                              "and computes in float32", path)


def _keras_flavour(path, input_format):
    """'keras3' or 'tf_keras': a `.h5` written by Keras 2 records keras_version 2.x."""
    if input_format == "keras":
        import zipfile
        from tfjs_export.converter.readers.keras_zip import check_member_names
        try:
            with zipfile.ZipFile(path) as archive:  # before Keras extracts anything
                check_member_names(archive.namelist(), path)
        except (zipfile.BadZipFile, OSError) as err:
            raise ConversionError(f"not a valid .keras archive (corrupt or truncated zip: {err})", path) from None
        return "keras3"
    import h5py

    from tfjs_export.converter.readers.hdf5_check import check_hdf5_file
    check_hdf5_file(path)  # before libhdf5 (and then Keras) reads it: see hdf5_check
    try:
        with h5py.File(path, "r") as f:
            version = f.attrs.get("keras_version", b"")
    except OSError as err:
        raise ConversionError(f"cannot read the HDF5 file: {err}", path) from None
    version = version.decode() if isinstance(version, bytes) else str(version)
    return "tf_keras" if version.startswith("2.") else "keras3"


def _load_keras_model(path, input_format, unsafe_deserialization):
    flavour = _keras_flavour(path, input_format)
    if flavour == "tf_keras":
        import tf_keras as keras_module
        loader = lambda: keras_module.models.load_model(path, compile=False,  # noqa: E731
                                                         safe_mode=not unsafe_deserialization)
    else:
        import keras as keras_module
        loader = lambda: keras_module.saving.load_model(path, compile=False,  # noqa: E731
                                                         safe_mode=not unsafe_deserialization)
    try:
        model = loader()
    except Exception as err:  # Keras raises TypeError/ValueError for unknown classes and more
        raise ConversionError(_explain_keras_load_error(err), path) from None
    return model, f"{'Keras' if flavour == 'keras3' else 'tf_keras'} {keras_module.__version__}"


def _explain_keras_load_error(err):
    text = _first_line(err)
    if "safe_mode" in str(err):  # Keras refuses to deserialise a Lambda's bytecode by default
        return ("the model holds a Lambda layer (Python bytecode); loading it runs that code: "
                "pass --unsafe_deserialization if you trust the file")
    unknown = re.findall(r"Could not locate class '([^']+)'|Unknown (?:layer|object)[^:]*: '?([\w.>]+)", str(err))
    names = sorted({a or b for a, b in unknown})
    if names:
        return (f"cannot load custom object(s) {', '.join(names)}: register them with "
                "keras.saving.register_keras_serializable in a file given as --custom_objects FILE.py")
    return f"cannot load the Keras model: {text}"


def _first_line(err):
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _trace_keras_model(model, generated_by, input_shapes=None, path=None):
    import tensorflow as tf

    try:
        keys, specs, functional = _input_specs(model, input_shapes, path)
        output_keys = keras_output_keys(model) if functional else []
    except StructureError as err:
        raise ConversionError(f"cannot name the model's inputs and outputs: {err}", path) from None
    struct = getattr(model, "_inputs_struct", getattr(model, "_nested_inputs", None)) if functional else None

    def call(*xs):
        if isinstance(struct, dict) or isinstance(struct, (list, tuple)) and len(xs) > 1:
            outputs = model(tf.nest.pack_sequence_as(struct, list(xs)), training=False)  # dicts, nesting
        else:
            outputs = model(list(xs) if len(xs) > 1 else xs[0], training=False)
        if isinstance(outputs, dict) and not functional:  # a subclassed model's dict: its keys name the outputs
            output_keys[:] = sorted(outputs)
            outputs = [outputs[k] for k in output_keys]
        outputs = tf.nest.flatten(outputs)  # Keras' order (dict keys sorted): the order of output_keys
        if not functional and not output_keys:
            output_keys[:] = [f"output_{i}" for i in range(len(outputs))]
        # Identity ops named after the outputs give the graph readable output node names.
        return [tf.identity(o, name=safe_node_name(k, i)) for i, (k, o) in
                enumerate(zip(output_keys, outputs))]

    try:
        function = tf.function(call, input_signature=specs, autograph=False).get_concrete_function()
    except Exception as err:
        hint = " (check --input_shapes)" if input_shapes else ""
        raise ConversionError(f"cannot trace the Keras model to a TF graph: {_first_line(err)}{hint}", path) from None
    if len(function.outputs) != len(output_keys):
        raise ConversionError(f"model has {len(function.outputs)} outputs but names for {len(output_keys)}", path)
    function._tfjs_keep_alive = model
    # A dict / nested structure is recorded in userDefinedMetadata (converter/structure.py).
    user_metadata = structure_metadata(*keras_model_structures(model), keys, output_keys) if functional else None
    return LoadedFunction(function, keys, output_keys, generated_by, user_metadata=user_metadata)


def _input_specs(model, input_shapes, path):
    """(input keys, TensorSpecs, functional?) for tracing: a functional/Sequential model's own
    inputs (shapes overridden by input_shapes), else a subclassed model's build_config shape or
    input_shapes."""
    import tensorflow as tf

    try:
        inputs = list(model.inputs or [])
    except (AttributeError, ValueError):  # Keras 3 subclassed models have no .inputs at all
        inputs = []
    if inputs:
        keys = keras_model_names(model)[0]  # dict keys for dict inputs (converter/structure.py)
        shapes = [list(t.shape) for t in inputs]
        if input_shapes:
            unknown = sorted(set(input_shapes) - set(keys))
            if unknown:
                raise ConversionError(f"--input_shapes names {', '.join(unknown)}, but the model's inputs are "
                                      f"{', '.join(keys)}", path)
            shapes = [input_shapes.get(k, s) for k, s in zip(keys, shapes)]
        dtypes = [t.dtype for t in inputs]
        functional = True
    else:
        keys, shapes = _subclassed_shapes(model, input_shapes, path)
        dtypes = [tf.float32] * len(keys)  # a build_config records shapes only
        functional = False
    specs = [tf.TensorSpec(shape, dtype, name=safe_node_name(k, i)) for i, (k, shape, dtype) in
             enumerate(zip(keys, shapes, dtypes))]
    return keys, specs, functional


def _subclassed_shapes(model, input_shapes, path):
    """Input names and shapes of a subclassed model: --input_shapes, else its build_config."""
    name = type(model).__name__
    if input_shapes:
        return list(input_shapes), list(input_shapes.values())
    config = model.get_build_config() if hasattr(model, "get_build_config") else None
    shape = (config or {}).get("input_shape")
    if shape is None:
        raise ConversionError(f"model {name!r} is a subclassed model and its file records no input shape "
                              "(it was saved before being called on data): give one with --input_shapes NAME:1x12x12x3", path)
    if isinstance(shape, dict):
        names, shapes = list(shape), list(shape.values())
    elif shape and isinstance(shape[0], (list, tuple)):
        names, shapes = [f"input_{i}" for i in range(len(shape))], list(shape)
    else:
        names, shapes = ["inputs"], [shape]
    # The recorded shape is the first batch the model saw: leave the batch dimension open.
    return names, [[None] + list(s[1:]) if s else [] for s in shapes]


def _tensor_key(tensor, fallback):
    name = getattr(tensor, "name", None) or fallback
    return name.split(":")[0]


def keras_output_keys(model):
    """The names of a functional model's outputs, as converter/structure.py names them: dict keys,
    else the output layer names (what Keras users call the outputs)."""
    return keras_model_names(model)[1]
