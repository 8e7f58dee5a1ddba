"""The cells of the wild-graph corpus (tools/testing/wild_models.py) and their references.

A *cell* is one model saved as one source (and, for SavedModels with several signatures, one
signature), converted float32 or quantised. `CELLS` lists them; `Sources` saves each source file
once per folder and gives, for a source, sample inputs and TensorFlow's own outputs keyed by
the signature keys a converted graph model uses (SavedModel signature keys; Keras input names
and output layer names): TensorFlow running the SavedModel, or the Keras model the file was
saved from (Keras files, and SavedModels of one-input, one-output Keras models).
"""

import dataclasses
import os

import numpy as np

from tools.testing import wild_models

# Cells also converted float16 and uint8: one per kind of graph (convnets from each Keras flavour
# and source, attention, a U-Net, a decoder, an audio front end, TF1, keras.ops).
QUANTISED_MODELS = {
    "k3_mobilenetv2": "saved_model", "k3_efficientnetb0": "keras", "tfk_mobilenet": "tf_keras_h5",
    "tfk_mobilenetv2": "tf_keras_saved_model", "transformer_text": "keras", "unet": "keras3_h5",
    "vae_decoder": "keras", "tf_stft": "saved_model", "tf1_mlp": "saved_model",
    "keras_ops_features": "keras",
}
QUANTISATIONS = ("float16", "uint8")


@dataclasses.dataclass(frozen=True)
class Cell:
    name: str
    model: str  # a wild_models.MODELS key
    source: str  # saved_model | keras | keras3_h5 | tf_keras_h5 | tf_keras_saved_model
    signature: str = "serving_default"
    quantize: str = None  # None (float32), "float16" or "uint8"


def _cells():
    cells = []
    for model in wild_models.MODELS.values():
        for source in model.sources:
            for signature in model.signatures:
                tail = "" if signature == "serving_default" else f"_{signature}"
                base = f"{model.name}_{source}{tail}"
                cells.append(Cell(f"{base}_float32", model.name, source, signature))
                if QUANTISED_MODELS.get(model.name) == source:
                    cells += [Cell(f"{base}_{q}", model.name, source, signature, q) for q in QUANTISATIONS]
    return cells


CELLS = {c.name: c for c in _cells()}
SAVED_MODEL_SOURCES = ("saved_model", "tf_keras_saved_model")


# Parity bounds: atol + rtol x max|y|.
FLOAT32_TOL = 1e-5
FLOAT32_WHY = "float32 rounding only: same maths, different order"
QUANTISED_WHY = "reference is TF on our graph with the weights as TF.js dequantises them"
MIXED_TOL = 2e-3
MIXED_WHY = "TF computes mixed_float16 layers in float16, TF.js in float32: float16 rounding"


def tolerance(cell):
    """(atol, rtol, why) of a cell's parity check."""
    if cell.model.startswith("mixed_precision") and not cell.quantize:
        return MIXED_TOL, MIXED_TOL, MIXED_WHY
    return FLOAT32_TOL, FLOAT32_TOL, QUANTISED_WHY if cell.quantize else FLOAT32_WHY


@dataclasses.dataclass
class Reference:
    """Sample inputs {key: array} and TensorFlow's outputs {key: array} for one source."""

    path: str
    inputs: dict
    outputs: dict


class Sources:
    """Saves corpus sources under `folder` (each once) and computes their references."""

    def __init__(self, folder):
        self.folder = folder
        self._built = {}
        self._references = {}

    def reference(self, model_name, source, signature="serving_default"):
        key = (model_name, source, signature)
        if key not in self._references:
            self._references[key] = self._make_reference(model_name, source, signature)
        return self._references[key]

    def forget(self, model_name):
        """Drop the built Keras model and references of `model_name` (frees big models)."""
        self._built.pop(model_name, None)
        for key in [k for k in self._references if k[0] == model_name]:
            del self._references[key]

    def _make_reference(self, model_name, source, signature):
        model = wild_models.MODELS[model_name]
        if model.flavour != "tf" and model_name not in self._built:
            wild_models.custom_classes()
            self._built[model_name] = model.build()
        path, keras_model = wild_models.save_source(model, source, self.folder, self._built.get(model_name))
        rng = np.random.default_rng(sum(map(ord, model_name)))
        if model.flavour == "tf" or (source in SAVED_MODEL_SOURCES and not _one_in_one_out(keras_model)):
            return _saved_model_reference(path, signature, model, rng)
        # A Keras model saved as a SavedModel with one input and one output: the Keras model it was
        # written from gives the reference (its signature's single keys pair by position). Loading
        # the SavedModel back in TensorFlow costs 3-20 s per deep keras.applications model.
        return _keras_reference(path, keras_model, model, rng)


def _sample(model, key, shape, dtype, rng):
    if model.sample is not None:
        value = model.sample(key, shape, dtype, rng)
        if value is not None:
            return value
    if dtype == np.object_:
        words = np.array([w.encode() for w in wild_models.WORDS], dtype=object)
        return rng.choice(words, size=shape)
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, model.int_high, size=shape).astype(dtype)
    if dtype == np.bool_:
        return rng.random(size=shape) > 0.5
    return rng.normal(size=shape).astype(np.float32)


def _concrete_shape(shape, model):
    """Unknown dimensions: 2 for the batch (first) dimension, model.seq_len for the others."""
    return tuple((2 if i == 0 else model.seq_len) if d is None else d for i, d in enumerate(shape))


def _saved_model_reference(path, signature, model, rng):
    import tensorflow as tf
    function = tf.saved_model.load(path).signatures[signature]
    _, specs = function.structured_input_signature
    inputs = {}
    for key in sorted(specs):
        spec = specs[key]
        dtype = np.dtype(object) if spec.dtype == tf.string else np.dtype(spec.dtype.as_numpy_dtype)
        inputs[key] = _sample(model, key, _concrete_shape(spec.shape.as_list(), model), dtype, rng)
    outputs = function(**{k: tf.constant(v) for k, v in inputs.items()})
    return Reference(path, inputs, {k: np.asarray(v) for k, v in outputs.items()})


def _one_in_one_out(keras_model):
    return len(keras_model.inputs) == 1 and len(keras_model.outputs) == 1


def _keras_reference(path, keras_model, model, rng):
    import tensorflow as tf
    from tfjs_export.converter.graph.load import _tensor_key, keras_output_keys
    inputs = {}
    for i, tensor in enumerate(keras_model.inputs):
        dtype = np.dtype(tf.as_dtype(tensor.dtype).as_numpy_dtype)
        inputs[_tensor_key(tensor, f"input_{i}")] = _sample(model, None, _concrete_shape(tuple(tensor.shape), model),
                                                            dtype, rng)
    xs = list(inputs.values())
    outputs = keras_model(xs if len(xs) > 1 else xs[0], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return Reference(path, inputs, dict(zip(keras_output_keys(keras_model), (np.asarray(o) for o in outputs))))


def match_keys(signature_keys, reference_keys):
    """{signature key: reference key}: by name when the names agree, else in order when the
    counts do (a Keras input's tensor name, e.g. `keras_tensor_165`, comes from a per-process
    counter, so the converting process and this one name the same unnamed Input differently;
    the official converter names everything after tensors). None when they cannot be paired."""
    signature_keys, reference_keys = list(signature_keys), list(reference_keys)
    if set(signature_keys) == set(reference_keys):
        return {k: k for k in signature_keys}
    if len(signature_keys) == len(reference_keys):
        return dict(zip(signature_keys, reference_keys))
    return None


def user_signature(model_dir):
    """(input keys, output keys) of a written graph model, tables' resource inputs left out."""
    import json
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        signature = json.load(f).get("signature", {})
    return ([k for k, v in signature.get("inputs", {}).items() if "resourceId" not in v],
            list(signature.get("outputs", {})))


def model_order(cells):
    """The cells grouped by model (heavy applications first), so a model is built once."""
    names = list(wild_models.MODELS)
    return sorted(cells, key=lambda c: names.index(c.model))


def source_kind(source):
    """The converter's input kind of a source ('keras' | 'keras_h5' | 'tf_saved_model')."""
    return {"keras": "keras", "keras3_h5": "keras_h5", "tf_keras_h5": "keras_h5"}.get(source, "tf_saved_model")


def ensure_folder(path):
    os.makedirs(path, exist_ok=True)
    return path
