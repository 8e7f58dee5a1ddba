"""Erfc(x) -> 1 - Erf(x), at the top level and in every library function.

TensorFlow's exact GELU (`tf.nn.gelu(approximate=False)`, what Keras 3 and tf_keras use for the
"gelu" activation, e.g. in ConvNeXt) is `0.5 x erfc(-x / sqrt 2)`; TF.js 4.22 has `Erf` but no
`Erfc`. In float32, `1 - erf(x)` loses erfc's relative precision where erfc is tiny (x > ~3), but
its absolute error stays under 2^-24 (half an ulp of 1) everywhere, which is what parity bounds
measure; where erfc is near 2 (the large-|x| side GELU keeps) both forms are exact.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import make_const
from tfjs_export.converter.graph.tensors import NUMPY_DTYPES


def rewrite_erfc(graph_def):
    """Replace every Erfc node in place by Sub(1, Erf(x)) under the same name; return how many."""
    count = len(_rewrite(graph_def.node, lambda name, output: name))
    for function in graph_def.library.function:
        # Inside a function body a node's output is named `node:arg:index` (Erf's is `y`, Const's
        # `output`, Sub's `z`): readers of an Erfc's `y` now read the Sub's `z`.
        renamed = {f"{name}:y:0": f"{name}:z:0" for name in
                   _rewrite(function.node_def, lambda name, output: f"{name}:{output}:0")}
        for node in function.node_def:
            for i, ref in enumerate(node.input):
                if ref in renamed:
                    node.input[i] = renamed[ref]
        for key, ref in function.ret.items():
            if ref in renamed:
                function.ret[key] = renamed[ref]
        count += len(renamed)
    return count


def _rewrite(nodes, ref):
    erfcs = [n for n in nodes if n.op == "Erfc" and n.attr["T"].type in NUMPY_DTYPES]
    taken = {n.name for n in nodes}
    for node in erfcs:
        t = node.attr["T"].type
        erf_name, one_name = _fresh(f"{node.name}/erf", taken), _fresh(f"{node.name}/one", taken)
        erf = nodes.add(name=erf_name, op="Erf", input=node.input)
        erf.attr["T"].type = t
        nodes.add().CopyFrom(make_const(one_name, np.array(1, NUMPY_DTYPES[t])))
        node.op = "Sub"  # in place: readers keep reading the Erfc's name
        del node.input[:]
        node.input.extend([ref(one_name, "output"), ref(erf_name, "y")])
    return [n.name for n in erfcs]


def _fresh(base, taken):
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name
