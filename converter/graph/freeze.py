"""Step 2 for Keras models and the SavedModels saved_model.py leaves to TensorFlow: freeze a
concrete function: variables become Const nodes, functions are inlined and control flow v2
(While/If) is lowered to Switch/Merge/Enter/Exit, which TF.js executes.

Also records, for each signature key, the graph tensor it names with its dtype and shape: the
`signature` of model.json.
"""

import dataclasses

from converter.errors import ConversionError
from converter.graph.tf_modules import quiet_stderr


@dataclasses.dataclass
class TensorInfo:
    """One signature entry: key -> graph tensor name ("x:0"), TF dtype enum, shape (None = unknown dim)."""

    key: str
    name: str
    dtype: int
    shape: list  # list of int|None, or None for unknown rank


@dataclasses.dataclass
class FrozenGraph:
    graph_def: object  # tf.compat.v1.GraphDef
    inputs: list  # TensorInfo, signature order
    outputs: list


def freeze(loaded):
    """LoadedFunction -> FrozenGraph."""
    from tensorflow.python.framework import convert_to_constants

    function = loaded.function
    try:
        # Quiet: TF logs "Issue encountered when serializing variables" (TF1 models) and
        # grappler's "Starting new session" here; a failure still raises.
        with quiet_stderr():
            frozen = convert_to_constants.convert_variables_to_constants_v2(
                function, lower_control_flow=True, aggressive_inlining=True)
    except Exception as err:
        raise ConversionError(f"cannot freeze the model's variables into constants: "
                              f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    graph_def = frozen.graph.as_graph_def()
    inputs = [t for t in frozen.inputs if t.dtype.name != "resource"]
    if len(inputs) != len(loaded.input_keys):
        raise ConversionError(f"the function has {len(inputs)} inputs but {len(loaded.input_keys)} "
                              "signature keys")
    return FrozenGraph(
        graph_def,
        [_info(k, t) for k, t in zip(loaded.input_keys, inputs)],
        [_info(k, t) for k, t in zip(loaded.output_keys, frozen.outputs)],
    )


def _info(key, tensor):
    shape = None if tensor.shape.rank is None else [d for d in tensor.shape.as_list()]
    return TensorInfo(key, tensor.name, tensor.dtype.as_datatype_enum, shape)
