"""Step 5: take the weights out of the graph. Every Const node's value becomes a named weight
(the node name, which TF.js matches); the node keeps its dtype and shape but no data."""

import numpy as np

from tfjs_export.converter.graph.tensors import to_numpy
from tfjs_export.converter.spec import Weight

# Data fields of a TensorProto: cleared so the topology carries no weight bytes.
_DATA_FIELDS = ("tensor_content", "half_val", "float_val", "double_val", "int_val", "string_val",
                "scomplex_val", "int64_val", "bool_val", "dcomplex_val", "resource_handle_val",
                "variant_val", "uint32_val", "uint64_val")


def extract_weights(graph_def):
    """Move Const values out of graph_def (in place); return [Weight] in node order."""
    weights = []
    for node in graph_def.node:
        if node.op != "Const":
            continue
        tensor = node.attr["value"].tensor
        array = to_numpy(tensor)
        if array.dtype.kind in "SUO":  # strings: the codec wants an object array of bytes
            array = np.asarray(array, dtype=object)
        elif array.dtype == np.float16:
            array = array.astype(np.float32)  # TF.js has no float16 tensors; see notices
        weights.append(Weight(node.name, array))
        for field in _DATA_FIELDS:
            tensor.ClearField(field)
    return weights
