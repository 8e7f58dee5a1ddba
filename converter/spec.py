"""The in-memory model spec: what every reader produces and every writer consumes.

Data flows one way, reader -> ModelSpec -> writer. The spec holds the TF.js topology (a JSON-able
dict in the schema tfjs-layers reads) and the weights as (TF.js name, numpy array) pairs in
manifest order.
"""

import dataclasses

import numpy as np

# TF.js has no 64-bit types: narrow them the way the official converter does. Nor does it have
# float16 tensors: widen them (exact; --quantize_float16 stores them as float16 again, exactly).
_NARROWING = {np.dtype("float64"): np.dtype("float32"), np.dtype("int64"): np.dtype("int32"),
              np.dtype("float16"): np.dtype("float32")}
_WHY = {"float64": "TF.js has no 64-bit tensors", "int64": "TF.js has no 64-bit tensors",
        "float16": "TF.js computes in float32"}


@dataclasses.dataclass
class Weight:
    """One named weight tensor, named as TF.js matches it (e.g. `dense/kernel`)."""

    name: str
    array: np.ndarray


@dataclasses.dataclass
class ModelSpec:
    """A model ready to be written: TF.js topology plus named weights in manifest order."""

    format: str  # "layers-model" or "graph-model"
    topology: dict  # Layers: the Keras-2-style model config; Graph: the GraphDef as JSON
    weights: list
    generated_by: str = ""
    notices: list = dataclasses.field(default_factory=list)
    # More model.json fields (Graph: signature, modelInitializer, initializerSignature).
    extra: dict = dataclasses.field(default_factory=dict)

    def narrow_dtypes(self):
        """Convert float64/int64/float16 weights to float32/int32 in place, adding a notice for
        each (one for all the float16 ones: a float16 model has many)."""
        halves = []
        for weight in self.weights:
            target = _NARROWING.get(weight.array.dtype)
            if target is None:
                continue
            if target.kind == "i":
                info = np.iinfo(target)
                if weight.array.size and (weight.array.min() < info.min or weight.array.max() > info.max):
                    raise ValueError(f"weight '{weight.name}' has int64 values outside the int32 range")
            if weight.array.dtype == np.float16:
                halves.append(weight.name)
            else:
                self.notices.append(f"weight '{weight.name}': {weight.array.dtype} stored as {target} "
                                    f"({_WHY[weight.array.dtype.name]})")
            weight.array = weight.array.astype(target)
        if halves:
            which = f"'{halves[0]}'" if len(halves) == 1 else f"{len(halves)} weights ('{halves[0]}', ...)"
            self.notices.append(f"{which}: float16 stored as float32 ({_WHY['float16']}; "
                                "--quantize_float16 keeps them float16, exactly)")
