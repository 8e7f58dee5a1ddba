"""TF.js rewrite: `Add/AddV2(conv, const vector)` -> `BiasAdd(conv, const vector)`, and
`Add(BiasAdd(conv, b), c)` -> `BiasAdd(conv, b + c)`.

Keras 3 batch norms and some layers add their offset with a broadcasting Add; grappler's remap
pass fuses only BiasAdd into `_FusedConv2D` / `_FusedMatMul`. Rewriting the Add lets it fuse.
"""

import numpy as np

from converter.graph.nodes import GraphIndex, become_bias_add, input_name, make_const, output_channels, unique_name

_PRODUCERS = ("Conv2D", "DepthwiseConv2dNative", "MatMul", "_FusedConv2D", "_FusedMatMul")


def normalise_bias_adds(graph_def):
    """Rewrite graph_def in place; return how many Adds became BiasAdds."""
    index = GraphIndex(graph_def)
    changed = 0
    for node in graph_def.node:
        if node.op not in ("Add", "AddV2") or len(node.input) != 2:
            continue
        for data, const in ((0, 1), (1, 0)):
            producer = index.by_name.get(input_name(node.input[data]))
            value = index.const_value(node.input[const])
            if (producer is not None and producer.op == "BiasAdd" and value is not None
                    and index.single_consumer(producer.name)):
                bias = index.const_value(producer.input[1])
                if bias is not None and value.shape == bias.shape:
                    name = unique_name(index, f"{node.name}/merged_bias")
                    graph_def.node.append(make_const(name, (bias + value).astype(np.float32)))
                    become_bias_add(node, producer.input[0], name)
                    producer.op = "NoOp"  # now unused: pruned at the end of the pipeline
                    del producer.input[:]
                    producer.ClearField("attr")
                    changed += 1
                    break
            if producer is None or producer.op not in _PRODUCERS or value is None or value.ndim != 1:
                continue
            if producer.op == "MatMul" or producer.op == "_FusedMatMul":
                pass  # MatMul output is [batch, channels]
            elif producer.attr["data_format"].s not in (b"", b"NHWC"):
                continue
            weights = index.const_value(producer.input[1])
            if weights is None or value.shape[0] != output_channels(producer, weights):
                continue
            become_bias_add(node, node.input[data], node.input[const])
            changed += 1
            break
    return changed
