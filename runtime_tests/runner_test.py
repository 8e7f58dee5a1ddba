"""Self-test of the tfjs-node parity runner, independent of our converter.

Models are tf_keras (Keras 2) and converted with the official `tensorflowjs` package, whose
output for tf_keras models TF.js is known to load; expected outputs are tf_keras predictions.
"""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from runtime_tests import parity

TOL = dict(atol=1e-5, rtol=1e-5, why="float32 reference vs tfjs-node float32 kernels")


def _mlp(tf_keras):
    return tf_keras.Sequential([
        tf_keras.layers.Dense(16, activation="relu", input_shape=(8,)),
        tf_keras.layers.Dense(3, activation="softmax"),
    ], name="mlp")


def _two_in_two_out(tf_keras):
    """Float + int32 (Embedding) inputs, two heads: covers input order and int32 inputs."""
    L = tf_keras.layers
    x = L.Input((6,), name="features")
    ids = L.Input((5,), dtype="int32", name="token_ids")
    e = L.GlobalAveragePooling1D()(L.Embedding(20, 4)(ids))
    h = L.Concatenate()([L.Dense(8, activation="tanh")(x), e])
    a = L.Dense(2, name="head_a")(h)
    b = L.Dense(3, activation="sigmoid", name="head_b")(h)
    return tf_keras.Model([x, ids], [a, b], name="two_in_two_out")


def _lstm(tf_keras):
    """tf_keras LSTM: its graph has a While loop, so the runner must fall back to executeAsync."""
    return tf_keras.Sequential([
        tf_keras.layers.LSTM(6, input_shape=(5, 4)),
        tf_keras.layers.Dense(2),
    ], name="lstm")


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Converts three small models and writes one parity case for each; returns their dirs."""
    # tensorflow_decision_forests (pulled in by tensorflowjs) imports IPython for a welcome
    # banner when stdout is captured, as under pytest; IPython is not installed.
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    import tf_keras
    import tensorflowjs  # slow (~7 s): imported once per module

    tf_keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("cases")
    out = {}

    m = _mlp(tf_keras)
    tensorflowjs.converters.save_keras_model(m, str(root / "mlp" / "model"))
    x = rng.standard_normal((4, 8)).astype(np.float32)
    out["mlp"] = parity.write_case(
        root / "mlp", root / "mlp" / "model" / "model.json", [x], [m.predict(x, verbose=0)],
        name="mlp", input_names=m.input_names, output_names=m.output_names, **TOL)

    m = _two_in_two_out(tf_keras)
    tensorflowjs.converters.save_keras_model(m, str(root / "multi" / "model"))
    xs = [rng.standard_normal((3, 6)).astype(np.float32),
          rng.integers(0, 20, (3, 5)).astype(np.int32)]
    out["multi"] = parity.write_case(
        root / "multi", root / "multi" / "model" / "model.json", xs, m.predict(xs, verbose=0),
        name="two_in_two_out", input_names=m.input_names, output_names=m.output_names, **TOL)

    m = _lstm(tf_keras)
    m.save(str(root / "lstm_sm"), save_format="tf")
    tensorflowjs.converters.convert_tf_saved_model(str(root / "lstm_sm"),
                                                   str(root / "lstm" / "model"))
    x = rng.standard_normal((2, 5, 4)).astype(np.float32)
    # Graph signature keys are the Keras input/output layer names.
    out["lstm"] = parity.write_case(
        root / "lstm", root / "lstm" / "model" / "model.json", [x], [m.predict(x, verbose=0)],
        name="lstm_graph", input_names=m.input_names, output_names=m.output_names,
        fmt="graph-model", **TOL)
    return out


def _output(proc):
    return proc.stdout + proc.stderr


def test_converted_models_pass(cases):
    proc = parity.run_node_tests(*cases.values())
    assert proc.returncode == 0, _output(proc)
    for d in cases.values():
        r = parity.read_result(d)
        assert r["ok"], r
        assert r["backend"] == "tensorflow" and r["tfjs_version"] == "4.22.0"
        assert r["load_ms"] > 0 and r["predict_ms"] > 0
        for o in r["outputs"]:
            assert o["max_abs_err"] < 1e-5, (r["name"], o)
        assert f"PASS {r['name']}" in proc.stdout  # the per-case line
    # The LSTM graph has a While loop: execute() refuses it, the runner must fall back.
    assert parity.read_result(cases["lstm"])["mode"] == "executeAsync"
    assert parity.read_result(cases["mlp"])["mode"] == "predict"


def test_dir_of_cases_is_expanded(cases):
    root = next(iter(cases.values())).parent
    proc = parity.run_node_tests(root)
    assert proc.returncode == 0, _output(proc)
    assert proc.stdout.count("PASS ") == len(cases)


def test_perturbed_expected_fails_naming_case(cases, tmp_path):
    bad = tmp_path / "mlp_bad"
    shutil.copytree(cases["mlp"], bad)
    spec = json.loads((bad / "case.json").read_text())
    spec["name"] = "mlp_perturbed"
    # The copy's model path is relative; point it back at the original model.
    spec["model"] = str(cases["mlp"] / spec["model"])
    (bad / "case.json").write_text(json.dumps(spec))
    e = np.fromfile(bad / "expected_0.bin", dtype="<f4")
    e[5] += 1e-3
    e.tofile(bad / "expected_0.bin")

    proc = parity.run_node_tests(cases["mlp"], bad)
    out = _output(proc)
    assert proc.returncode != 0, out
    assert "✖ mlp_perturbed" in out and "✔ mlp " in out, out
    assert "case mlp_perturbed: output dense_1: max_abs_err 1.00e-3 > bound 1.58e-5" in out, out
    r = parity.read_result(bad)
    assert not r["ok"] and r["outputs"][0]["max_abs_err"] == pytest.approx(1e-3, rel=1e-2)

    cli = parity.run_predict(cases["mlp"], bad)
    assert cli.returncode == 1, _output(cli)
    assert "FAIL mlp_perturbed" in cli.stdout and "PASS mlp:" in cli.stdout


@pytest.mark.parametrize("dirs", [[], ["EMPTY_DIR"]], ids=["unset", "dir-without-cases"])
def test_nothing_to_run_fails(dirs, tmp_path):
    dirs = [tmp_path if d == "EMPTY_DIR" else d for d in dirs]
    proc = parity.run_node_tests(*dirs)
    assert proc.returncode != 0, _output(proc)
    assert ("PARITY_CASES is empty" if not dirs else "no case.json") in _output(proc)


def test_result_matches_numpy_recomputation(cases):
    parity.run_node_tests(*cases.values())
    for d in cases.values():
        spec = json.loads((d / "case.json").read_text())
        r = parity.read_result(d)
        assert len(r["outputs"]) == len(spec["outputs"])
        for i, (o, s) in enumerate(zip(r["outputs"], spec["outputs"])):
            dtype = "<f4" if o["dtype"] == "float32" else "<i4"
            actual = np.fromfile(d / f"actual_{i}.bin", dtype=dtype)
            expected = np.fromfile(d / s["file"], dtype="<f4").reshape(s["shape"])
            actual = actual.reshape(o["shape"])
            assert o["shape"] == s["shape"]
            err = float(np.max(np.abs(actual.astype(np.float64) - expected)))
            mx = float(np.max(np.abs(expected)))
            bound = spec["tolerance"]["atol"] + spec["tolerance"]["rtol"] * mx
            assert o["max_abs_err"] == pytest.approx(err, rel=1e-9, abs=1e-12)
            assert o["max_abs_expected"] == pytest.approx(mx, rel=1e-9)
            assert o["bound"] == pytest.approx(bound, rel=1e-9)


def test_missing_node_modules_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TFJS_EXPORT_ROOT", str(tmp_path))
    with pytest.raises(RuntimeError, match="tools/setup.sh"):
        parity.run_node_tests()


def test_no_tfjs_runtime_fails(cases, tmp_path):
    """The JS runner copied away from every node_modules (neither tfjs-node nor the WASM
    runtime) must fail every case, not skip it, and say how to install a runtime."""
    runtime = parity.find_runtime_dir()
    shutil.copytree(runtime.parent / "converter" / "runtime" / "js", tmp_path / "converter" / "runtime" / "js")
    (tmp_path / "runtime_tests").mkdir()
    shutil.copy(runtime / "parity.test.js", tmp_path / "runtime_tests")
    proc = subprocess.run(
        [parity.node_binary(), "--test", "--test-reporter=spec", "parity.test.js"],
        cwd=tmp_path / "runtime_tests", env={**os.environ, "PARITY_CASES": str(cases["mlp"]), "NODE_PATH": ""},
        capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0, _output(proc)
    assert "cannot load @tensorflow/tfjs-core" in _output(proc)
    assert "tfjs-export install-runtime" in _output(proc) and "tools/setup.sh" in _output(proc)


def test_compare_unit():
    """The pass criterion's edge cases (NaN, infinities, shapes) in plain JS."""
    proc = subprocess.run(
        [parity.node_binary(), "--test", "--test-reporter=spec", "compare.test.js"],
        cwd=parity.find_runtime_dir(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, _output(proc)


def test_float_reference_is_reported(cases, tmp_path):
    """float_reference is information only: its error is reported but does not fail the case."""
    src = cases["mlp"]
    spec = json.loads((src / "case.json").read_text())
    x = np.fromfile(src / "input_0.bin", dtype="<f4").reshape(spec["inputs"][0]["shape"])
    e = np.fromfile(src / "expected_0.bin", dtype="<f4").reshape(spec["outputs"][0]["shape"])
    d = parity.write_case(tmp_path / "mlp_fref", src / spec["model"], [x], [e],
                          name="mlp_fref", input_names=["x"], output_names=["y"],
                          float_reference=[e + 0.25], **TOL)
    proc = parity.run_predict(d)
    assert proc.returncode == 0, _output(proc)
    assert "vs_float=2.50e-1" in proc.stdout
    assert parity.read_result(d)["outputs"][0]["max_abs_err_vs_float"] == pytest.approx(0.25, abs=1e-6)
