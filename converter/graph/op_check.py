"""Op check: every op of the final graph must be one tfjs-converter 4.22 can execute (and every
fused kernel a combination of its fused ops TF.js runs).

The list (tfjs_ops.txt) is generated from @tensorflow/tfjs-converter by tools/gen_tfjs_ops.py.
A graph with other ops would load in TF.js and then fail at the first predict, in the user's
browser: we fail at convert time instead, naming the ops and the nodes that use them.
"""

import collections
import functools
import os

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.fused_ops import FUSED_OPS, runs_in_tfjs

_OPS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfjs_ops.txt")
_MAX_NODES_LISTED = 3  # per op: enough to find them, short enough for one line


@functools.lru_cache(maxsize=None)
def supported_ops():
    """frozenset of the TF op names tfjs-converter executes."""
    with open(_OPS_FILE, encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip() and not line.startswith("#"))


def unsupported_nodes(graph_def):
    """{op: [node names]} for nodes (including function bodies) whose op TF.js cannot execute."""
    found = collections.defaultdict(list)
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    for node in nodes:
        if node.op not in supported_ops():
            found[node.op].append(node.name)
        elif node.op in FUSED_OPS and not runs_in_tfjs(node.attr["fused_ops"].list.s):
            # TF.js has the kernel but not this fusion (a oneDNN activation, a batch norm): it
            # would fail at predict, e.g. `Activation: _fusedhardswish has not been implemented`
            fused = "+".join(op.decode() for op in node.attr["fused_ops"].list.s)
            found[f"{node.op} fused with {fused}"].append(node.name)
    return dict(found)


def check_ops(graph_def, path=None):
    """Raise ConversionError listing the unsupported ops (and nodes using them), if any."""
    found = unsupported_nodes(graph_def)
    if not found:
        return
    parts = []
    for op in sorted(found):
        nodes = found[op]
        more = f" +{len(nodes) - _MAX_NODES_LISTED} more" if len(nodes) > _MAX_NODES_LISTED else ""
        parts.append(f"{op} (nodes: {', '.join(nodes[:_MAX_NODES_LISTED])}{more})")
    raise ConversionError(f"ops not supported by TF.js 4.22: {'; '.join(parts)} "
                          "(--skip_op_check writes the model anyway)", path)
