"""op_check.py: the shipped op list is tfjs-converter 4.22's; unsupported ops are one line."""

import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph import op_check


def test_op_list_matches_installed_tfjs_converter():
    from tools.gen_tfjs_ops import ops_in_tfjs_converter
    assert op_check.supported_ops() == ops_in_tfjs_converter()
    assert {"_FusedConv2D", "FusedDepthwiseConv2dNative", "Enter", "LoopCond"} <= op_check.supported_ops()


def test_unsupported_ops_listed_with_nodes():
    from tensorflow.core.framework import graph_pb2
    graph_def = graph_pb2.GraphDef()
    for name, op in [("x", "Placeholder"), ("det", "MatrixDeterminant"), ("fft", "FFT3D"), ("det_2", "MatrixDeterminant")]:
        graph_def.node.add(name=name, op=op)
    assert op_check.unsupported_nodes(graph_def) == {"MatrixDeterminant": ["det", "det_2"], "FFT3D": ["fft"]}
    with pytest.raises(ConversionError) as err:
        op_check.check_ops(graph_def, "m")
    assert str(err.value) == ("m: ops not supported by TF.js 4.22: FFT3D (nodes: fft); MatrixDeterminant "
                              "(nodes: det, det_2) (--skip_op_check writes the model anyway)")
