"""The CLI's graph path and its bad input: one line on stderr, exit != 0, nothing on disk."""

import json
import os
import subprocess
import sys


def run_cli(*args):
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", ""),
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True, text=True, env=env)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


def test_saved_model_to_graph_model(model_files, tmp_path):
    out = tmp_path / "web"
    result = run_cli("convert", model_files["two_in_two_out_saved_model"], str(out),
                     "--output_format", "tfjs_graph_model", "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    model = json.loads((out / "model.json").read_text())
    assert model["format"] == "graph-model" and sorted(model["signature"]["inputs"]) == ["a", "b"]


def test_missing_signature(model_files, tmp_path):
    out = tmp_path / "web"
    result = run_cli("convert", model_files["two_in_two_out_saved_model"], str(out),
                     "--output_format", "tfjs_graph_model", "--signature_name", "nope")
    assert_one_line_error(result, "no signature 'nope'", "available: serve, serving_default)")
    assert os.listdir(tmp_path) == []


def test_unsupported_ops(model_files, tmp_path):
    out = tmp_path / "web"
    result = run_cli("convert", model_files["unsupported_op"], str(out), "--output_format", "tfjs_graph_model")
    assert_one_line_error(result, "MatrixDeterminant (nodes: ")
    assert os.listdir(tmp_path) == []
    skipped = run_cli("convert", model_files["unsupported_op"], str(out), "--output_format",
                      "tfjs_graph_model", "--skip_op_check", "--quiet")
    assert skipped.returncode == 0 and (out / "model.json").exists()


def test_not_a_saved_model(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "saved_model.pb").write_bytes(b"\x00garbage")
    result = run_cli("convert", str(src), str(tmp_path / "web"), "--output_format", "tfjs_graph_model")
    assert_one_line_error(result, str(src), "not a readable SavedModel")
    assert sorted(os.listdir(tmp_path)) == ["src"]


def test_unloadable_custom_object(tmp_path):
    from tools.testing import graph_models
    graph_models.custom_layer_class()
    src = str(tmp_path / "custom.keras")
    graph_models.custom_layer().save(src)
    # A fresh process has not registered the class: the error names it.
    result = run_cli("convert", src, str(tmp_path / "web"), "--output_format", "tfjs_graph_model")
    assert_one_line_error(result, "ScaledSoftsign")
    assert sorted(os.listdir(tmp_path)) == ["custom.keras"]


def test_help_and_layers_path_do_not_import_tensorflow(tmp_path):
    code = ("import sys; from tfjs_export.converter import cli\n"
            "try:\n    cli.main(['convert', '--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'\n"
            "import tfjs_export.converter.graph\nassert 'tensorflow' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.returncode == 0, result.stderr
    assert "--output_format" in result.stdout and "tfjs_graph_model" in result.stdout


def test_subclassed_model_from_the_cli(tmp_path):
    """--custom_objects pnet.py: Graph converts (build_config shape); an unbuilt model says how to
    give a shape and converts with --input_shapes; the Layers path names the Graph format."""
    from tools.testing import graph_symptom_models
    objects = os.path.join(os.path.dirname(graph_symptom_models.__file__), "custom_objects", "pnet.py")
    built = graph_symptom_models.subclassed_pnet_keras(str(tmp_path)).path
    unbuilt = graph_symptom_models.unbuilt_pnet_keras(str(tmp_path))
    graph = ("--output_format", "tfjs_graph_model", "--custom_objects", objects, "--quiet")

    result = run_cli("convert", built, str(tmp_path / "graph"), *graph)
    assert result.returncode == 0, result.stderr[-3000:]
    signature = json.loads((tmp_path / "graph" / "model.json").read_text())["signature"]
    assert list(signature["inputs"]) == ["inputs"] and sorted(signature["outputs"]) == ["boxes", "score"]

    result = run_cli("convert", unbuilt, str(tmp_path / "no_shape"), *graph)
    assert_one_line_error(result, unbuilt, "'PNet' is a subclassed model", "--input_shapes NAME:1x12x12x3")
    assert not (tmp_path / "no_shape").exists()
    result = run_cli("convert", unbuilt, str(tmp_path / "shaped"), *graph, "--input_shapes", "image:?x12x12x3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((tmp_path / "shaped" / "model.json").read_text())["signature"]["inputs"]["image"]
    result = run_cli("convert", unbuilt, str(tmp_path / "bad"), *graph, "--input_shapes", "image=1x2")
    assert_one_line_error(result, "--input_shapes: 'image=1x2' is not NAME:DIMS")

    result = run_cli("convert", built, str(tmp_path / "layers"), "--custom_objects", objects)
    assert_one_line_error(result, built, "'PNet' is a subclassed model", "--output_format tfjs_graph_model",
                          "--custom_objects")
    assert not (tmp_path / "layers").exists()


def test_an_unexpected_error_in_the_graph_path_is_one_line(model_files, tmp_path, monkeypatch):
    """A bug inside the pipeline (here: a pass that raises) is reported as one line naming the
    file and --debug, and nothing is written."""
    from tfjs_export.converter import ConversionError, convert
    from tfjs_export.converter.graph import const_fold

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(const_fold, "fold_constants", broken)
    src = model_files["two_in_two_out_saved_model"]
    try:
        convert(src, str(tmp_path / "web"), output_format="tfjs_graph_model")
    except ConversionError as err:
        message = str(err)
    assert message.startswith(src) and "KeyError: 'boom'" in message and "--debug" in message
    assert "\n" not in message and not (tmp_path / "web").exists()
