"""Keras 3 numerics in tfjs-node, both formats, one runner launch for every case: dtype policies
(mixed_float16, mixed_bfloat16, float16, bfloat16), bfloat16 weights, and models quantised by
Keras (int8, int4, float8), from `.keras` and `.h5`.

Each case is what `verify` compares (verify.parity_case): the reference is the source computing
in float32 as TF.js does (keras_reference.py); the difference from the source as it is (its own
policy, Keras' quantised inference) is measured too and printed (pytest -s) for the docs' table.
Keras 3.15 cannot load the bfloat16 weights or the float8 variables of an `.h5` it wrote, so
`.h5` cases take the same model's `.keras` as the Keras source of the reference.
"""

import os

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.runtime import cases as case_files
from tfjs_export.converter.verify import add_differences, parity_case
from runtime_tests import parity
from tools.testing import numerics_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
TOLERANCE = 1e-5

# (case, model builder, source file kind, output format, convert options)
_POLICY = [(f"{p}_{ext}_layers", lambda p=p: numerics_models.policy_model(p), ext, "tfjs_layers_model", {})
           for p in numerics_models.POLICIES for ext in ("keras", "h5")]
_POLICY += [(f"{p}_{ext}_graph", lambda p=p: numerics_models.policy_model(p), ext, "tfjs_graph_model", {})
            for p, ext in (("mixed_float16", "keras"), ("mixed_float16", "h5"), ("bfloat16", "keras"))]
_POLICY += [("float16_keras_layers_quantize_float16", lambda: numerics_models.policy_model("float16"), "keras",
             "tfjs_layers_model", {"quantize_float16": None})]
_WEIGHTS = [(f"bfloat16_dense_{ext}_layers", numerics_models.bfloat16_dense_model, ext, "tfjs_layers_model", {})
            for ext in ("keras", "h5")]
_QUANTISED = [(f"{m}_{ext}_layers", lambda m=m: numerics_models.quantized_model(m), ext, "tfjs_layers_model", {})
              for m in numerics_models.QUANTIZATION_MODES for ext in ("keras", "h5")]
_QUANTISED += [("int8_keras_layers_quantize_uint8", lambda: numerics_models.quantized_model("int8"), "keras",
                "tfjs_layers_model", {"quantize_uint8": None})]
_QUANTISED += [(f"{m}_einsum_{ext}_graph", lambda m=m: numerics_models.quantized_model(m, einsum=True), ext,
                "tfjs_graph_model", {}) for m, ext in (("int8", "keras"), ("int8", "h5"), ("int4", "keras"))]
# float8 on the Graph format: traced as the layers' float reference, as the Layers format carries them
_QUANTISED += [("float8_keras_graph", lambda: numerics_models.quantized_model("float8"), "keras",
                "tfjs_graph_model", {})]
CASES = _POLICY + _WEIGHTS + _QUANTISED


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("numerics")
    prepared, sources = {}, {}
    for name, build, ext, output_format, options in CASES:
        key = name.split(f"_{ext}_")[0]
        if key not in sources:
            model = build()
            sources[key] = {e: str(tmp / f"{key}.{e}") for e in ("keras", "h5")}
            for path in sources[key].values():
                model.save(path)
        src = sources[key][ext]
        model_dir = str(tmp / name / "model")
        convert(src, model_dir, output_format=output_format, **options)
        checked, case = parity_case(sources[key]["keras"], model_dir)
        case_dir = str(tmp / name)
        case_files.write_case(case_dir, checked.model_json_path, case.inputs, case.expected, name=name,
                              input_names=case.input_names, output_names=case.output_names, fmt=checked.format,
                              atol=TOLERANCE, rtol=TOLERANCE, why="verify",
                              float_reference=case.float_outputs if checked.quantized else None)
        prepared[name] = (case_dir, case)
    run = parity.run_node_tests(*(d for d, _ in prepared.values()))
    results = {}
    for name, (case_dir, case) in prepared.items():
        result = case_files.read_result(case_dir)
        add_differences(result, case_dir, case.others)
        results[name] = result
    for name, result in results.items():  # the measured errors (pytest -s shows them)
        for out in result["outputs"]:
            vs = ", ".join(f"vs {k} {v:.2e}" for k, v in (out.get("vs") or {}).items())
            print(f"numerics {name:<40} {out['name']:<8} max|diff| {out['max_abs_err']:.2e} bound {out['bound']:.2e} "
                  f"max|expected| {out['max_abs_expected']:.2e} {vs}")
    return run, results


def test_runner_passes(runs):
    run, _ = runs
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_tfjs_matches_the_float32_computation(runs, name):
    _, results = runs
    result = results[name]
    assert result["ok"], result
    for out in result["outputs"]:
        assert out["max_abs_err"] <= out["bound"], out
        assert out["max_abs_expected"] > 1e-2, "outputs all ~0: the comparison would prove nothing"


@pytest.mark.parametrize("name", [c[0] for c in _POLICY])
def test_own_policy_differs_and_is_reported(runs, name):
    """The low-precision model computes otherwise (float16 / bfloat16 rounding): reported, at
    the size those roundings give (bfloat16 keeps 8 bits of mantissa, float16 11)."""
    _, results = runs
    out = results[name]["outputs"][0]
    policy = name.split("_keras")[0].split("_h5")[0]
    (label, err), = out["vs"].items()
    assert label == f"{policy} policy"
    assert 1e-6 < err < (0.1 if "bfloat16" in policy else 0.01) * out["max_abs_expected"] + 1e-3, out


@pytest.mark.parametrize("name", [c[0] for c in _QUANTISED if c[3] == "tfjs_layers_model" or c[0].startswith("float8")])
def test_keras_quantised_inference_difference_is_reported(runs, name):
    """Layers (and float8 on Graph): TF.js computes with float activations; Keras' int8 Dense
    rounds its inputs to int8, its float8 Dense to float8 (a visible difference); int4 layers have
    no input rounding (equal)."""
    _, results = runs
    out = results[name]["outputs"][0]
    mode = name.split("_")[0]
    (label, err), = out["vs"].items()
    assert label == f"Keras {mode} inference"
    if mode == "int4":
        assert err <= out["bound"], out
    else:
        assert 1e-5 < err < 0.1 * out["max_abs_expected"], out


@pytest.mark.parametrize("name", [c[0] for c in _QUANTISED if c[3] == "tfjs_graph_model" and not c[0].startswith("float8")])
def test_graph_keeps_keras_integer_arithmetic(runs, name):
    """Graph: Keras' own quantised inference (int8 input rounding included) is the reference, and
    TF.js matches it: the graph runs the same integers."""
    _, results = runs
    assert not results[name]["outputs"][0].get("vs"), results[name]
