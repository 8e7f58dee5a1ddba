"""keras_quantized_ops: a Keras int8-quantised model's frozen graph loses BatchMatMulV3 and every
int8 tensor yet computes the same numbers in TensorFlow (the integers are exact in float32); a
GatherV2 with a negative axis gets it counted from the front, outputs unchanged."""

import numpy as np

from tfjs_export.converter.graph.keras_quantized_ops import rewrite_keras_quantized_ops
from tfjs_export.converter.graph.tests.conftest import run_graph
from tools.testing import numerics_models

DT_INT8 = 6


def _frozen(function, *specs):
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    concrete = tf.function(function, input_signature=list(specs)).get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    return frozen.graph.as_graph_def(), frozen.inputs[0].name, frozen.outputs[0].name


def _int8_types(graph_def):
    return [n.name for n in graph_def.node if any((v.WhichOneof("value") == "type" and v.type == DT_INT8) or
                                                  DT_INT8 in v.list.type for v in n.attr.values())]


def test_int8_matmuls_become_float_ops_with_the_same_results():
    import tensorflow as tf
    model = numerics_models.quantized_model("int8", einsum=True)
    graph_def, feed, fetch = _frozen(lambda ids: model(ids, training=False), tf.TensorSpec([None, 5], tf.int32))
    assert "BatchMatMulV3" in {n.op for n in graph_def.node} and _int8_types(graph_def)
    ids = np.random.default_rng(0).integers(0, 10, size=(6, 5)).astype(np.int32)
    before = run_graph(graph_def, {feed: ids}, [fetch])[0]
    assert rewrite_keras_quantized_ops(graph_def) > 0
    assert "BatchMatMulV3" not in {n.op for n in graph_def.node}
    assert not _int8_types(graph_def)
    after = run_graph(graph_def, {feed: ids}, [fetch])[0]
    np.testing.assert_array_equal(after, before)
    assert np.abs(before).max() > 1e-2
    assert rewrite_keras_quantized_ops(graph_def) == 0  # nothing left to rewrite


def test_negative_gather_axis_counted_from_the_front():
    import tensorflow as tf
    indices = tf.constant([0, 0, 1], tf.int32)
    graph_def, feed, fetch = _frozen(lambda x: tf.gather(x, indices, axis=-1), tf.TensorSpec([None, 4, 2], tf.float32))
    x = np.random.default_rng(1).normal(size=(3, 4, 2)).astype(np.float32)
    before = run_graph(graph_def, {feed: x}, [fetch])[0]
    assert rewrite_keras_quantized_ops(graph_def) == 1
    gather = next(n for n in graph_def.node if n.op == "GatherV2")
    axis = next(n for n in graph_def.node if n.name == gather.input[2])
    assert tf.make_ndarray(axis.attr["value"].tensor) == 2
    np.testing.assert_array_equal(run_graph(graph_def, {feed: x}, [fetch])[0], before)
