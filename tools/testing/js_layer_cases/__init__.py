"""Parity cases for our JS layer classes (converter/layers_js): small Keras models built in code.

Each family module of this package (recurrent.py, attention.py, ops.py, ...) holds `CASES`, a
list of `Case`; `all_cases()` collects them. A case is a Keras 3 model built with a fixed seed
and its sample inputs; the runtime tests convert it to the Layers format, run it in TF.js
(tfjs-node: runtime_tests/js_layers_parity_test.py; headless Chromium on four backends) and
compare with Keras' predictions (TensorFlow backend).
"""

import dataclasses
import importlib
from typing import Callable

import numpy as np

# The family modules of this package, in the order all_cases() lists their cases.
FAMILIES = ("recurrent", "attention", "ops", "preprocessing", "shapes")


@dataclasses.dataclass(frozen=True)
class Case:
    """One parity case.

    name     unique across all families (a directory name: letters, digits, '_');
    build    () -> a keras.Model (imports Keras; fixed seed inside);
    classes  the classes of our JS library the converted model must use (checked by the tests);
    inputs   (model, seed) -> list of arrays, one per model input (default: sample_inputs);
    atol, rtol  the bound |tfjs - keras| <= atol + rtol * max|keras| (float32 rounding: 1e-5);
    trainable   True when the model has trainable weights (the training test uses it)."""

    name: str
    build: Callable
    classes: tuple = ()
    inputs: Callable = None
    atol: float = 1e-5
    rtol: float = 1e-5
    trainable: bool = True

    def sample(self, model, seed=0):
        """The case's inputs for `model` (float32 normal samples unless the case says otherwise)."""
        return (self.inputs or sample_inputs)(model, seed)


def sample_inputs(model, seed=0, batch=3):
    """Random inputs for every model input: N(0, 1) float32, or integers in [1, 10) for integer
    inputs; unknown (None) dimensions get 6."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (batch,) + tuple(6 if d is None else d for d in tensor.shape[1:])
        if "int" in str(tensor.dtype):
            arrays.append(rng.integers(1, 10, size=shape).astype("int32"))
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def randomise(model, seed, scale=0.5):
    """Every weight drawn from N(0, scale) (variances |.| + 0.5, LayerNormalization gammas
    |.| + 0.5): a misplaced or misread weight changes the outputs."""
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        value = rng.normal(0.0, scale, size=tuple(variable.shape)).astype("float32")
        if "variance" in variable.path or "gamma" in variable.path:
            value = np.abs(value) + 0.5
        values.append(value)
    model.set_weights(values)
    return model


def all_cases():
    """Every case of every family module present, in FAMILIES order; names are unique."""
    cases = []
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{family}":
                raise
            continue  # a family not written yet
        cases.extend(module.CASES)
    names = [c.name for c in cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"js_layer_cases: case names used twice: {', '.join(duplicates)}")
    return cases


@dataclasses.dataclass
class Prepared:
    """A case converted: the Keras model, its .keras file, the TF.js model directory (with its
    tfjs-export-layers.js), the inputs and Keras' outputs, and the parity case directory."""

    case: Case
    model: object
    source: str
    model_dir: str
    case_dir: str
    inputs: list
    outputs: list
    summary: object


def prepare(case, folder, seed=0):
    """Build `case`'s model, save it as `folder`/<name>.keras, convert it to the Layers format in
    `folder`/<name>/model and write the parity case directory `folder`/<name> (inputs, Keras'
    predictions, the case's bound) that the runners (tfjs-node, Chromium) take."""
    import os

    from tfjs_export.converter import convert
    from tfjs_export.converter.runtime.cases import write_case

    model = case.build()
    source = os.path.join(folder, f"{case.name}.keras")
    model.save(source)
    case_dir = os.path.join(folder, case.name)
    model_dir = os.path.join(case_dir, "model")
    summary = convert(source, model_dir)
    inputs = case.sample(model, seed)
    outputs = model.predict(inputs, verbose=0)
    outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
    write_case(case_dir, os.path.join(model_dir, "model.json"), inputs, outputs, name=case.name,
               input_names=[t.name for t in model.inputs],
               # (a layer with several outputs repeats its name: the runner then matches by position)
               output_names=[t._keras_history[0].name for t in model.outputs],
               atol=case.atol, rtol=case.rtol, why="float32 rounding only: same maths, different order")
    return Prepared(case, model, source, model_dir, case_dir, inputs, outputs, summary)


def in_this_shard(index):
    """True when the case at `index` belongs to this Bazel test shard (TEST_TOTAL_SHARDS /
    TEST_SHARD_INDEX; every case outside Bazel): tools/pytest_main.py's shard groups, numbered
    the same way."""
    import os

    shards = int(os.environ.get("TEST_TOTAL_SHARDS", "1") or 1)
    return index % shards == int(os.environ.get("TEST_SHARD_INDEX", "0") or 0)


def prepare_shard(cases, folder):
    """{case name: Prepared} of the cases this Bazel test shard runs (in_this_shard), each
    prepared with its index as seed: one runner launch (tfjs-node, Chromium) then serves the
    whole shard."""
    return {case.name: prepare(case, folder, seed=i) for i, case in enumerate(cases) if in_this_shard(i)}
