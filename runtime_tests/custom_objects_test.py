"""`--custom_objects FILE.py`: a `.keras` with a custom layer converts to a graph model in a fresh
CLI process given the file that registers the class, verifies, and matches Keras in tfjs-node;
without the file the error names the class; a missing or broken file is one line on stderr and
leaves nothing on disk (those run the CLI in this process: no TensorFlow start-up per case)."""

import json
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

from runtime_tests import parity

CUSTOM_OBJECTS = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))),
                              "tools", "testing", "custom_objects", "gated_dense.py")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_cli(*args, cwd=None):
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", ""),
           "TF_CPP_MIN_LOG_LEVEL": "3", "TFJS_EXPORT_ROOT": os.environ.get("TFJS_EXPORT_ROOT", "")}
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd)


def one_line_error(result):
    assert result.returncode == 1, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tfjs-export: error: "), result.stderr[-3000:]
    return lines[0]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """(path of a .keras holding GatedDense, inputs, Keras' outputs of the model loaded back)."""
    import keras
    GatedDense = runpy.run_path(CUSTOM_OBJECTS)["GatedDense"]  # registers it in this process
    keras.utils.set_random_seed(51)
    x_in = keras.Input((6,), name="features")
    x = GatedDense(5, name="gated")(keras.layers.Dense(8, activation="tanh")(x_in))
    model = keras.Model(x_in, keras.layers.Dense(3, name="scores")(x), name="gated_model")
    rng = np.random.default_rng(51)
    model.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in model.get_weights()])
    path = str(tmp_path_factory.mktemp("custom_objects") / "gated.keras")
    model.save(path)
    inputs = rng.normal(size=(4, 6)).astype("float32")
    return path, inputs, np.asarray(keras.saving.load_model(path)(inputs))


def test_converts_verifies_and_matches_keras_in_tfjs_node(source, tmp_path):
    path, inputs, expected = source
    out = tmp_path / "web"
    result = run_cli("convert", path, str(out), "--output_format", "tfjs_graph_model",
                     "--custom_objects", CUSTOM_OBJECTS, "--verify")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "parity OK" in result.stdout
    signature = json.loads((out / "model.json").read_text())["signature"]
    assert sorted(signature["inputs"]) == ["features"] and sorted(signature["outputs"]) == ["scores"]
    case = parity.write_case(tmp_path / "case", out / "model.json", [inputs], [expected], name="gated_dense_keras",
                             input_names=["features"], output_names=["scores"], fmt="graph-model",
                             atol=1e-5, rtol=1e-5, why="float32 rounding only")
    run = parity.run_node_tests(case)
    assert run.returncode == 0, run.stdout[-3000:]
    result = parity.read_result(case)
    assert result["ok"] and result["outputs"][0]["max_abs_expected"] > 1e-3, result


def test_without_the_file_the_class_is_named(source, tmp_path, capsys):
    """In this process, with the class taken out of Keras' registry (as in a fresh process)."""
    import keras
    path, _, _ = source
    registered = keras.saving.get_custom_objects()
    saved = {k: registered.pop(k) for k in list(registered) if k.endswith(">GatedDense")}
    assert saved
    try:
        line = one_line_error(_cli_in_process(capsys, "convert", path, str(tmp_path / "web"),
                                              "--output_format", "tfjs_graph_model"))
    finally:
        registered.update(saved)
    assert "GatedDense" in line and "--custom_objects" in line
    assert os.listdir(tmp_path) == []


def _cli_in_process(capsys, *args):
    """Bad-file cases run the CLI in this process (no TensorFlow start-up per case): the files are
    refused before any model is loaded, so what this process has registered does not matter."""
    from tfjs_export.converter import cli
    capsys.readouterr()
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def test_missing_file_is_one_line(source, tmp_path, capsys):
    path, _, _ = source
    missing = str(tmp_path / "nope.py")
    line = one_line_error(_cli_in_process(capsys, "convert", path, str(tmp_path / "web"), "--output_format",
                                          "tfjs_graph_model", "--custom_objects", missing))
    assert line == f"tfjs-export: error: {missing}: custom objects file not found"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("command,code,expected", [
    ("convert", "import keras\nraise RuntimeError('no GPU here\\nsecond line')\n", "raised RuntimeError: no GPU here"),
    ("verify", "def broken(:\n", "raised SyntaxError: invalid syntax (line 1)"),
])
def test_broken_file_is_one_line_and_leaves_nothing(source, tmp_path, capsys, command, code, expected):
    path, _, _ = source
    work = tmp_path / "work"
    work.mkdir()
    broken = work / "broken.py"
    broken.write_text(code)
    args = (["convert", path, str(tmp_path / "web"), "--output_format", "tfjs_graph_model"] if command == "convert"
            else ["verify", path, str(tmp_path / "web")])
    line = one_line_error(_cli_in_process(capsys, *args, "--custom_objects", CUSTOM_OBJECTS,
                                          "--custom_objects", str(broken)))
    assert line == f"tfjs-export: error: {broken}: custom objects file {expected}"
    assert sorted(os.listdir(tmp_path)) == ["work"] and os.listdir(work) == ["broken.py"]
