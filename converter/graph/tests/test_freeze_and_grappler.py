"""freeze.py and grappler.py: variables become constants, control flow is lowered, grappler
keeps the signature's tensors and the outputs do not change."""

import numpy as np
import pytest

from tfjs_export.converter.graph import grappler
from tfjs_export.converter.graph.freeze import freeze
from tfjs_export.converter.graph.load import load_function
from tfjs_export.converter.graph.tests.conftest import ops_of, run_graph


def test_freeze_leaves_no_variables_and_keeps_signature(model_files):
    frozen = freeze(load_function(model_files["two_in_two_out"], "keras"))
    assert not {"VarHandleOp", "ReadVariableOp", "ResourceGather"} & set(ops_of(frozen.graph_def))
    assert [(i.key, i.name, i.shape) for i in frozen.inputs] == [("a", "a:0", [None, 6]), ("b", "b:0", [None, 4])]
    assert [o.key for o in frozen.outputs] == ["first", "second"]


def test_while_loop_is_lowered_to_tfjs_control_flow(model_files):
    frozen = freeze(load_function(model_files["while_loop"], "tf_saved_model"))
    ops = set(ops_of(frozen.graph_def))
    assert {"Enter", "Exit", "Merge", "Switch", "NextIteration", "LoopCond"} <= ops
    assert not {"While", "StatelessWhile", "PartitionedCall", "StatefulPartitionedCall"} & ops


def test_grappler_passes_keep_outputs(model_files, rng):
    frozen = freeze(load_function(model_files["cnn_functional"], "keras"))
    feeds = {"image:0": rng.normal(size=(2, 12, 12, 3)).astype("float32")}
    fetch = [o.name for o in frozen.outputs]
    before = run_graph(frozen.graph_def, feeds, fetch)
    first = grappler.optimize(frozen.graph_def, frozen.inputs, frozen.outputs)
    fused = grappler.optimize(first, frozen.inputs, frozen.outputs, grappler.FUSE_PASS)
    assert len(first.node) < len(frozen.graph_def.node)
    assert "_FusedConv2D" in ops_of(fused) and "_FusedMatMul" in ops_of(fused)
    assert all(node.device == "" for node in fused.node)
    for graph_def in (first, fused):
        np.testing.assert_allclose(run_graph(graph_def, feeds, fetch)[0], before[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("model", ["cnn_functional", "two_in_two_out"])
def test_our_freezing_matches_tensorflows(model_files, rng, model):
    """freeze() reads a Keras function's variables itself; TF's convert_variables_to_constants_v2
    (the fallback for other captures) must give the same graph outputs."""
    from tfjs_export.converter.graph.freeze import _freeze_live_function, _freeze_with_tensorflow
    loaded = load_function(model_files[model], "keras")
    ours, theirs = _freeze_live_function(loaded), _freeze_with_tensorflow(loaded)
    assert [(i.key, i.shape) for i in ours.inputs] == [(i.key, i.shape) for i in theirs.inputs]
    assert [o.key for o in ours.outputs] == [o.key for o in theirs.outputs]
    assert not {"VarHandleOp", "ReadVariableOp", "StatefulPartitionedCall"} & set(ops_of(ours.graph_def))
    feeds = [rng.normal(size=[d or 2 for d in i.shape]).astype("float32") for i in ours.inputs]
    for a, b in zip(run_graph(ours.graph_def, dict(zip([i.name for i in ours.inputs], feeds)),
                              [o.name for o in ours.outputs]),
                    run_graph(theirs.graph_def, dict(zip([i.name for i in theirs.inputs], feeds)),
                              [o.name for o in theirs.outputs])):
        np.testing.assert_array_equal(a, b)


def test_weights_kept_out_of_grappler_keep_the_control_edges_it_left(rng):
    """A big Const waiting on a NoOp (an inlined call's input_control_node) is set aside as a stub;
    when grappler removes the NoOp, the Const put back must not name it any more."""
    import tensorflow as tf

    from tfjs_export.converter.graph.freeze import TensorInfo
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2048], name="x")
        with tf.control_dependencies([tf.no_op(name="input_control_node")]):
            w = tf.constant(rng.normal(size=2048).astype("float32"), name="w")
        tf.identity(x * w, name="y")
    graph_def = graph.as_graph_def()
    assert any(n.name == "w" and list(n.input) == ["^input_control_node"] for n in graph_def.node)
    optimized = grappler.optimize(graph_def, [TensorInfo("x", "x:0", 1, [None, 2048])], [TensorInfo("y", "y:0", 1, None)])
    names = {n.name for n in optimized.node}
    assert "input_control_node" not in names, "grappler kept the NoOp: the test proves nothing"
    assert all(r.lstrip("^").split(":")[0] in names for n in optimized.node for r in n.input)
    assert next(n for n in optimized.node if n.name == "w").op == "Const"
