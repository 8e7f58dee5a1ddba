"""TF.js rewrite: `Add/AddV2(conv, const vector)` -> `BiasAdd(conv, const vector)`, and
`Add(BiasAdd(conv, b), c)` -> `BiasAdd(conv, b + c)`.

Keras 3 batch norms and some layers add their offset with a broadcasting Add; grappler's remap
pass fuses only BiasAdd into `_FusedConv2D` / `_FusedMatMul`. Rewriting the Add lets it fuse.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, become_bias_add, input_name, make_const, output_channels, unique_name

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
            source = producer
            if source is not None and source.op == "BiasAdd":  # its input decides the rank
                source = index.by_name.get(input_name(source.input[0]))
            value = _channel_vector(index.const_value(node.input[const]), source)
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
            if producer is None or producer.op not in _PRODUCERS or value is None:
                continue
            if producer.op == "MatMul" or producer.op == "_FusedMatMul":
                pass  # MatMul output is [batch, channels]
            elif producer.attr["data_format"].s not in (b"", b"NHWC"):
                continue
            weights = index.const_value(producer.input[1])
            if weights is None or value.shape[0] != output_channels(producer, weights):
                continue
            if index.const_value(node.input[const]).ndim != 1:  # [1, 1, 1, C] (Keras 3 batch norm)
                name = unique_name(index, f"{node.name}/bias")
                graph_def.node.append(make_const(name, value))
                node.input[const] = name
            become_bias_add(node, node.input[data], node.input[const])
            changed += 1
            break
    return changed


def _channel_vector(value, producer):
    """`value` as a [C] vector if adding it to `producer`'s output is a per-channel bias: rank 1,
    or [1, ..., 1, C] (Keras 3 reshapes batch-norm parameters so) no longer than that output's
    rank (else the Add would broadcast the output to a higher rank)."""
    if value is None or value.ndim == 0 or any(d != 1 for d in value.shape[:-1]):
        return None
    rank = 2 if producer is not None and producer.op in ("MatMul", "_FusedMatMul") else 4
    return value.reshape(-1) if value.ndim <= rank else None
