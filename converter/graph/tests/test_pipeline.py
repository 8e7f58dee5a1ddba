"""pipeline.py: the declared pass list and its runner (node counts, rewrites, --debug record)."""

import os
import subprocess
import sys

from tfjs_export.converter.graph import pipeline


def _small_graph():
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        tf.identity(x * tf.constant(2.0) * tf.constant(3.0), name="y")
    return graph.as_graph_def()


def test_runner_records_each_pass(capsys):
    def add_two(state):
        state.graph_def.node.add(name="extra_a", op="NoOp")
        state.graph_def.node.add(name="extra_b", op="NoOp")
        return 2

    def replace(state):
        state.graph_def = type(state.graph_def)()  # a pass may hand back a new graph

    state = pipeline.GraphState(_small_graph(), [], [], ["x", "y"])
    start = pipeline.node_count(state.graph_def)
    records = pipeline.run_passes(state, [pipeline.Pass("add_two", add_two, ""),
                                          pipeline.Pass("replace", replace, "")], show=True)
    assert [(r.name, r.nodes_before, r.nodes_after, r.rewrites) for r in records] == [
        ("add_two", start, start + 2, 2), ("replace", start + 2, 0, None)]
    printed = capsys.readouterr().err.splitlines()
    assert printed[0].startswith("graph pass add_two") and "+2, 2 rewrites" in printed[0]
    assert printed[1].startswith("graph pass replace") and f"{start + 2} -> 0" in printed[1]


def test_declared_passes_have_unique_names_and_say_what_they_do():
    names = [p.name for p in pipeline.PASSES]
    assert len(names) == len(set(names))
    assert all(p.does and callable(p.run) for p in pipeline.PASSES)
    # Order matters: debug ops go before grappler sees them; loop binding after control edges go.
    assert names.index("strip_debug_ops") < names.index("grappler") < names.index("grappler_remap")
    assert names.index("grappler_remap") + 1 == names.index("undo_fusions")
    assert names.index("drop_control_inputs") < names.index("bind_loop_values") < names.index("prune_unused")


def test_debug_prints_the_pass_record(model_files, tmp_path):
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", ""), "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", "convert",
                             model_files["two_in_two_out_saved_model"], str(tmp_path / "web"),
                             "--output_format", "tfjs_graph_model", "--debug", "--quiet"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("graph pass ")]
    assert [line.split()[2] for line in lines] == [p.name for p in pipeline.PASSES]


def test_quantised_models_keep_batch_norm_scales_apart(tmp_path):
    """With keep_scales_apart (set for quantised output) the batch-norm scale stays a Mul after
    the convolution instead of being folded into its weights (folded, a trained net's per-channel
    scales widen the weights' range: EfficientNetB0 with trained-looking statistics lost 1.8x
    (uint8) / 1.4x (float16) more than Keras's own rounding; apart, 1.0x / 1.06x)."""
    import keras

    from tfjs_export.converter.graph import build_graph
    from tfjs_export.converter.options import ConvertOptions
    keras.utils.set_random_seed(3)
    inputs = keras.Input((10, 10, 8), name="image")
    # Weights over grappler.LARGE_CONSTANT_BYTES: grappler folds only small ones itself.
    x = keras.layers.BatchNormalization()(keras.layers.Conv2D(32, 3, use_bias=False)(inputs))
    path = str(tmp_path / "conv_bn.keras")
    keras.Model(inputs, x).save(path)
    ops = {}
    for apart in (False, True):
        graph_def, _, _, records, _ = build_graph(path, "keras", ConvertOptions(keep_scales_apart=apart))
        ops[apart] = [n.op for n in graph_def.node]
        folded = next(r for r in records if r.name == "fold_batch_norms").rewrites
        assert (folded is None) == apart and (apart or folded > 0)
    assert ops[True].count("Mul") > ops[False].count("Mul")
