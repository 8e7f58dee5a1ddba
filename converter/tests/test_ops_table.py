"""The keras.ops table (converter/layers_config/ops_table.py) against its JS side
(converter/layers_js/src/ops.js), against Keras itself, and against the parity cases that prove
it in tfjs-node (tools/testing/js_layer_cases/ops.py); and the coverage listing: which keras.ops
functions the Layers format carries."""

import inspect
import json
import os
import subprocess

import pytest

from tfjs_export.converter.layers_config.ops_table import FAMILIES, JS_CLASS_PREFIX, OPS
from tfjs_export.converter.runtime.node import node_binary
from tfjs_export.converter.writers import layers_js

_OPS_JS = os.path.join(layers_js.LIBRARY_DIR, "src", "ops.js")

# keras.ops functions the issue names (elementwise maths, comparisons, reductions, shapes,
# slicing, products, activations, where, cast): all must be covered.
_ISSUE = ("add", "subtract", "multiply", "divide", "power", "sqrt", "exp", "log", "abs", "greater", "less",
          "equal", "not_equal", "sum", "mean", "max", "min", "reshape", "transpose", "expand_dims", "squeeze",
          "concatenate", "stack", "split", "slicing: x[...]", "matmul", "einsum", "relu", "sigmoid", "softmax",
          "gelu", "where", "cast")


def _js_table():
    """The keys of ops.js' table and the classes its define() returns, read by Node with a
    stand-in tf (building the table touches nothing of tf)."""
    script = ("const f = require(process.argv[1]);"
              "const tf = {layers: {Layer: class {}}};"
              "const made = f.define(tf, {withName: (a) => a});"
              "console.log(JSON.stringify({provides: f.provides, defined: Object.keys(made)}));")
    out = subprocess.run([node_binary(), "-e", script, _OPS_JS], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_js_and_python_tables_hold_the_same_operations():
    wanted = sorted(JS_CLASS_PREFIX + name for name in OPS)
    table = _js_table()
    assert table["provides"] == wanted, "ops.js' provides line must list ops_table.OPS' keys, sorted"
    assert sorted(table["defined"]) == wanted, "ops.js' OPS table must have exactly ops_table.OPS' keys"
    assert layers_js.families()["ops"][0] == tuple(wanted)  # what the bundler reads


def test_every_rule_is_well_formed():
    for name, rule in OPS.items():
        assert rule.functions and rule.family in FAMILIES, name
        assert not set(rule.options) & set(rule.fixed), name
        assert all(p.startswith("*") for p in rule.params[:1]) or not any(p.startswith("*") for p in rule.params)


def test_params_and_options_are_keras_own():
    """A rule's params are the operation's call parameters, its options and fixed settings
    constructor parameters, and each listed keras.ops function creates that operation."""
    import keras
    from keras.src.ops import core, math, nn
    from keras.src.ops import numpy as knp
    for name, rule in OPS.items():
        cls = next(getattr(m, name) for m in (knp, nn, core, math) if hasattr(m, name))
        call = [p.name if p.kind != p.VAR_POSITIONAL else f"*{p.name}"
                for p in list(inspect.signature(cls.call).parameters.values())[1:] if p.kind != p.VAR_KEYWORD]
        assert tuple(call) == rule.params, name
        init = set(inspect.signature(cls.__init__).parameters)
        assert set(rule.options) | set(rule.fixed) <= init, name
        for function in rule.functions:
            if function.startswith(("slicing", "operator")):
                continue
            source = inspect.getsource(getattr(keras.ops, function))
            # (an alias calls the rule's other function: abs -> absolute)
            assert any(f"{called}(" in source for called in (name,) + rule.functions if called != function), \
                (name, function)


@pytest.fixture(scope="module")
def case_operations():
    """The operation classes the ops parity cases' models call."""
    from tools.testing.js_layer_cases import ops as cases
    found = set()
    for case in cases.CASES:
        config = json.loads(case.build().to_json())
        found |= {layer["class_name"] for layer in config["config"]["layers"]
                  if str(layer.get("module", "")).startswith("keras.src.ops.")}
    return found


def test_every_operation_is_proven_by_a_parity_case(case_operations):
    """An operation no case calls is never run in tfjs-node: add it to js_layer_cases/ops.py."""
    assert set(OPS) - case_operations == set()
    assert case_operations - set(OPS) == set(), "the cases call operations the table lacks"


def test_coverage_listing():
    """Which keras.ops functions the Layers format carries: every function a rule lists exists
    in keras.ops, the issue's list is covered, and the listing is printed (pytest -s)."""
    import keras
    covered = sorted({f for rule in OPS.values() for f in rule.functions if not f.startswith(("slicing", "operator"))})
    missing = [f for f in covered if not hasattr(keras.ops, f)]
    assert missing == []
    assert set(_ISSUE) <= {f for rule in OPS.values() for f in rule.functions}
    public = sorted(n for n in dir(keras.ops) if not n.startswith("_") and callable(getattr(keras.ops, n))
                    and not inspect.isclass(getattr(keras.ops, n)) and not inspect.ismodule(getattr(keras.ops, n)))
    print(f"\nkeras.ops functions covered by the Layers format: {len(covered)} of {len(public)} "
          f"(+ slicing, operator @): {', '.join(covered)}")
    assert len(covered) >= 100
