"""The Graph path's rewrite pipeline: a declared list of passes and the one runner that runs them.

Each pass is one step from the frozen graph to the graph TF.js runs; its module holds the
rewrite and its test. `run_passes` runs them in order on a `GraphState` and records, per pass,
the node count before and after (top level + library functions), what the pass reported (the
number of rewrites it made) and its time. `--debug` prints that record (TFJS_EXPORT_DEBUG).

To add a rewrite: write converter/graph/<name>.py with a function that changes a GraphDef in
place and returns how many rewrites it made, a test in converter/graph/tests/test_<name>.py, and
a `Pass` line below at the point of the pipeline where its input shape appears.
"""

import dataclasses
import os
import sys
import time

from tfjs_export.converter.tf_logs import SHOW_TENSORFLOW_LOGS


@dataclasses.dataclass
class GraphState:
    """What the passes work on: the graph (a pass may replace it), the signature's tensors
    (freeze.TensorInfo lists) and the node names that must stay (inputs and outputs)."""

    graph_def: object
    inputs: list
    outputs: list
    keep: list
    # Quantised models keep batch-norm scales apart from the weights: a scale folded into a
    # convolution widens its per-tensor range (a trained net's scales vary a lot per channel),
    # and the rounding then costs 1.4-1.8x what rounding the unfolded weights costs.
    keep_scales_apart: bool = False
    before_remap: object = None  # the remap pass's input, for undo_fusions
    # The weights' quantisation (a QuantizationPlan, or None) and its granularity, for per_channel.py;
    # fold_scales: {folded weight's Const name: the scale folded into it}, from fold_batch_norms.
    plan: object = None
    per_channel: bool = False
    quantization_range: str = "minmax"  # per-channel ranges: min/max or least squared error
    fold_scales: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Pass:
    name: str
    run: object  # GraphState -> int (rewrites made) or None
    does: str  # one line for the --debug record and the docs


@dataclasses.dataclass
class PassRecord:
    name: str
    nodes_before: int
    nodes_after: int
    rewrites: object  # int or None
    seconds: float

    def line(self):
        rewrites = "" if self.rewrites is None else f", {self.rewrites} rewrites"
        return (f"{self.name:<22} {self.nodes_before:>6} -> {self.nodes_after:<6} nodes "
                f"({self.nodes_after - self.nodes_before:+d}{rewrites}) {self.seconds:.2f} s")


def _strip_debug_ops(state):
    from tfjs_export.converter.graph.strip_debug_ops import strip_debug_ops
    return strip_debug_ops(state.graph_def)


def _split_grouped_convs(state):
    from tfjs_export.converter.graph.grouped_convs import split_grouped_convs
    return split_grouped_convs(state.graph_def)


def _lower_batch_norms(state):
    from tfjs_export.converter.graph.batch_norms import lower_batch_norms
    return lower_batch_norms(state.graph_def)


def _fold_constants(state):
    from tfjs_export.converter.graph.const_fold import fold_constants
    return fold_constants(state.graph_def, state.keep)


def _grappler_first(state):
    from tfjs_export.converter.graph import grappler
    state.graph_def = grappler.optimize(state.graph_def, state.inputs, state.outputs)


def _keras_quantized_ops(state):
    from tfjs_export.converter.graph.keras_quantized_ops import rewrite_keras_quantized_ops
    return rewrite_keras_quantized_ops(state.graph_def)


def _fold_batch_norms(state):
    from tfjs_export.converter.graph.fold_batch_norms import fold_batch_norms
    return None if state.keep_scales_apart else fold_batch_norms(state.graph_def, state.fold_scales)


def _bias_adds(state):
    from tfjs_export.converter.graph.bias_add import normalise_bias_adds
    return normalise_bias_adds(state.graph_def)


def _grappler_remap(state):
    from tfjs_export.converter.graph import grappler
    state.before_remap = state.graph_def
    state.graph_def = grappler.optimize(state.graph_def, state.inputs, state.outputs, grappler.FUSE_PASS)


def _undo_fusions(state):
    from tfjs_export.converter.graph.undo_fusions import restore_unsupported
    before, state.before_remap = state.before_remap, None  # one copy of the weights at a time
    return restore_unsupported(state.graph_def, before)


def _fuse_depthwise(state):
    from tfjs_export.converter.graph.fused_ops import fuse_depthwise
    return fuse_depthwise(state.graph_def)


def _unfuse_unsupported(state):
    from tfjs_export.converter.graph.fused_ops import unfuse_unsupported
    return unfuse_unsupported(state.graph_def)


def _rewrite_erfc(state):
    from tfjs_export.converter.graph.erfc import rewrite_erfc
    return rewrite_erfc(state.graph_def)


def _drop_control_inputs(state):
    from tfjs_export.converter.graph.control_deps import drop_control_inputs
    return drop_control_inputs(state.graph_def)


def _bind_loop_values(state):
    from tfjs_export.converter.graph.loop_frames import bind_loop_values
    return bind_loop_values(state.graph_def)


def _quantize_per_channel(state):
    if not state.plan:
        return None
    from tfjs_export.converter.graph.per_channel import quantize_per_channel
    return quantize_per_channel(state.graph_def, state.plan, state.per_channel, state.fold_scales,
                                state.quantization_range)


def _move_scales_after(state):
    if not state.plan:
        return None
    from tfjs_export.converter.graph.scale_after import move_scales_after
    return move_scales_after(state.graph_def, state.keep, state.plan)


def _round_integer_weights(state):
    if not state.plan or state.plan.keep_float32 == "none":  # none: the official converter's graph
        return None
    from tfjs_export.converter.graph.per_channel import round_integer_weights
    return round_integer_weights(state.graph_def, state.plan)


def _prune_unused(state):
    from tfjs_export.converter.graph.nodes import prune_unused
    prune_unused(state.graph_def, state.keep)


PASSES = (
    Pass("strip_debug_ops", _strip_debug_ops, "remove Assert/CheckNumerics/Print and what waits on them"),
    Pass("split_grouped_convs", _split_grouped_convs, "grouped Conv2D -> depthwise conv, or one conv per group"),
    Pass("lower_batch_norms", _lower_batch_norms, "training-mode / channels-first batch norms -> elementwise ops"),
    Pass("fold_constants", _fold_constants, "constant subgraphs on the weights, in numpy"),
    Pass("grappler", _grappler_first, "grappler: constant folding, arithmetic, dependency pruning"),
    Pass("fold_constants_again", _fold_constants, "what grappler left foldable"),
    Pass("keras_quantized_ops", _keras_quantized_ops, "Keras-quantised layers' int8 arithmetic (BatchMatMulV3, "
                                                      "int8 tensors) -> float32 ops on the same integers; "
                                                      "negative gather axes -> from the front"),
    Pass("fold_batch_norms", _fold_batch_norms, "batch norms / scales into the preceding conv or matmul "
                                                "(float32 models only)"),
    Pass("bias_adds", _bias_adds, "Add of a per-channel constant -> BiasAdd"),
    Pass("grappler_remap", _grappler_remap, "grappler's remapper: conv/matmul + bias + activation fused"),
    Pass("undo_fusions", _undo_fusions, "undo remapper fusions TF.js lacks (_FusedBatchNormEx, _MklLayerNorm)"),
    Pass("fuse_depthwise", _fuse_depthwise, "depthwise conv + bias (+ activation) -> FusedDepthwiseConv2dNative"),
    Pass("unfuse_unsupported", _unfuse_unsupported, "split fused kernels whose activation TF.js lacks"),
    Pass("rewrite_erfc", _rewrite_erfc, "Erfc (exact GELU) -> 1 - Erf: TF.js has only Erf"),
    Pass("drop_control_inputs", _drop_control_inputs, "drop control edges TF.js cannot schedule"),
    Pass("bind_loop_values", _bind_loop_values, "tie loop-body values to their iteration for TF.js"),
    Pass("quantize_per_channel", _quantize_per_channel, "uint8/uint16 weights: per-channel ranges (or a folded "
                                                        "scale) dequantised by Mul/Add in the graph"),
    Pass("move_scales_after", _move_scales_after, "a one-Mul dequantisation after its conv / matmul where the "
                                                  "output is smaller than the kernel"),
    Pass("round_integer_weights", _round_integer_weights, "uint8/uint16 weights of integers (Keras int8 kernels): "
                                                          "Round after decoding, exact; their Keras scales float32"),
    Pass("prune_unused", _prune_unused, "drop nodes no output depends on"),
)


def node_count(graph_def):
    """Nodes at the top level plus in every library function."""
    return len(graph_def.node) + sum(len(f.node_def) for f in graph_def.library.function)


def run_passes(state, passes=PASSES, show=None):
    """Run `passes` in order on `state`; return their PassRecords. `show` (default: with --debug)
    prints each record to stderr as it completes."""
    show = os.environ.get(SHOW_TENSORFLOW_LOGS) is not None if show is None else show
    records = []
    for step in passes:
        before, started = node_count(state.graph_def), time.perf_counter()
        rewrites = step.run(state)
        records.append(PassRecord(step.name, before, node_count(state.graph_def), rewrites,
                                  time.perf_counter() - started))
        if show:
            print(f"graph pass {records[-1].line()}", file=sys.stderr)
    return records
