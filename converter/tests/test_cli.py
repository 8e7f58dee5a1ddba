"""The CLI: output, options, and bad input (one line on stderr, exit != 0, nothing left behind)."""

import json
import os
import subprocess
import sys
import zipfile

import pytest

from tfjs_export.converter.tests.helpers import assert_one_line_error, leftovers, run_cli


def test_convert_writes_model_and_prints_summary(tmp_path, keras_files):
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["cnn_functional"], str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == ["group1-shard1of1.bin", "model.json"]
    model = json.loads((out / "model.json").read_text())
    assert model["format"] == "layers-model" and model["convertedBy"].startswith("tfjs-export v")
    lines = result.stdout.splitlines()
    assert lines[0] == f"converted {keras_files['cnn_functional']} (keras) -> {out} (tfjs_layers_model)"
    weight_bytes = os.path.getsize(out / "group1-shard1of1.bin")
    assert lines[1] == f"  weights  11 tensors, {weight_bytes:,} bytes"
    total = weight_bytes + os.path.getsize(out / "model.json")
    assert lines[2].startswith(f"  output   model.json + 1 shard, {total:,} bytes, in ") and len(lines) == 3
    assert result.stderr == ""  # not a terminal: no progress output
    assert "userDefinedMetadata" not in model


def test_metadata_option_records_the_facts(tmp_path, keras_files):
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["mlp"], str(out), "--quantize_uint8=*/kernel", "--metadata")
    assert result.returncode == 0, result.stderr
    metadata = json.loads((out / "model.json").read_text())["userDefinedMetadata"]["tfjs_export"]
    # mlp: kernels 8x16 + 16x3 (uint8, 1 byte each), biases 16 + 3 (float32)
    assert metadata == {"input_format": "keras", "tensors": 4, "weight_bytes": 176 + 19 * 4,
                        "weight_bytes_unquantized": (176 + 19) * 4, "quantized_tensors": {"uint8": 2}}
    assert "(2 uint8 quantised; 780 bytes unquantised, 68% saved)" in result.stdout


def test_output_is_byte_identical_across_runs(tmp_path, keras_files):
    for out in ("a", "b"):
        assert run_cli("convert", keras_files["cnn_functional"], str(tmp_path / out),
                       "--quantize_uint8", "--weight_shard_size_bytes", "200").returncode == 0
    names = sorted(os.listdir(tmp_path / "a"))
    assert names == sorted(os.listdir(tmp_path / "b")) and len(names) > 2
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_shard_size_option_cuts_shards(tmp_path, keras_files):
    out = tmp_path / "web"
    assert run_cli("convert", keras_files["cnn_functional"], str(out),
                   "--weight_shard_size_bytes", "512").returncode == 0
    model = json.loads((out / "model.json").read_text())
    paths = model["weightsManifest"][0]["paths"]
    sizes = [os.path.getsize(out / p) for p in paths]
    assert len(paths) > 3 and all(s == 512 for s in sizes[:-1]) and 0 < sizes[-1] <= 512
    assert paths[0] == f"group1-shard1of{len(paths)}.bin"


def test_bare_quantize_flag_does_not_swallow_the_input_path(tmp_path, keras_files):
    out = tmp_path / "web"
    result = run_cli("convert", "--quantize_uint8", keras_files["mlp"], str(out))
    assert result.returncode == 0, result.stderr
    weights = json.loads((out / "model.json").read_text())["weightsManifest"][0]["weights"]
    # mlp's biases (16 and 3 values) are tiny: quantisation_plan.py's rule keeps them float32
    assert {w["name"]: w.get("quantization", {}).get("dtype") for w in weights} == {
        "dense/kernel": "uint8", "dense/bias": None, "dense_1/kernel": "uint8", "dense_1/bias": None}
    assert "  float32  2 weights kept float32: dense/bias (tiny (16 values)), dense_1/bias (tiny (3 values))" \
        in result.stdout.splitlines()


def test_quantize_globs_select_weights(tmp_path, keras_files):
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["mlp"], str(out), "--quantize_float16=*/kernel",
                     "--quantize_uint16", "--keep_float32", "none")  # none: the tiny biases too
    assert result.returncode == 0, result.stderr
    weights = json.loads((out / "model.json").read_text())["weightsManifest"][0]["weights"]
    kinds = {w["name"].split("/")[1]: w["quantization"]["dtype"] for w in weights}
    assert kinds == {"kernel": "float16", "bias": "uint16"}


def test_two_bare_quantize_flags_are_an_error(tmp_path, keras_files):
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["mlp"], str(out), "--quantize_uint8", "--quantize_float16")
    assert_one_line_error(result, "only one --quantize_* option")
    assert not out.exists()


def test_per_channel_quantisation_needs_the_graph_format_and_a_uint_option(tmp_path, keras_files):
    """Layers: tfjs-layers binds one tensor (one min/scale) per weight, so the error points at the
    Graph format; per_channel without --quantize_uint8/16 has nothing to apply to."""
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["mlp"], str(out), "--quantize_uint8",
                     "--quantization_granularity", "per_channel")
    assert_one_line_error(result, "per_channel needs the Graph format",
                          "tfjs-layers binds one tensor per weight", "--output_format tfjs_graph_model")
    result = run_cli("convert", keras_files["mlp"], str(out), "--quantize_float16", "--output_format",
                     "tfjs_graph_model", "--quantization_granularity", "per_channel")
    assert_one_line_error(result, "applies to --quantize_uint8 / --quantize_uint16, and neither is given")
    assert not out.exists()


def test_relative_paths_resolve_against_build_working_directory(tmp_path, keras_files):
    (tmp_path / "m.keras").write_bytes(open(keras_files["mlp"], "rb").read())
    elsewhere = tmp_path / "runfiles"
    elsewhere.mkdir()
    result = run_cli("convert", "m.keras", "out", cwd=elsewhere,
                     env={"BUILD_WORKING_DIRECTORY": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "model.json").exists() and leftovers(elsewhere) == []


def test_non_empty_output_needs_overwrite(tmp_path, keras_files):
    out = tmp_path / "web"
    assert run_cli("convert", keras_files["mlp"], str(out)).returncode == 0
    before = (out / "model.json").read_bytes()
    result = run_cli("convert", keras_files["cnn_functional"], str(out))
    assert_one_line_error(result, str(out), "not empty", "--overwrite")
    assert (out / "model.json").read_bytes() == before
    assert run_cli("convert", keras_files["cnn_functional"], str(out), "--overwrite").returncode == 0
    assert (out / "model.json").read_bytes() != before
    assert leftovers(tmp_path) == ["web"]


def test_missing_input(tmp_path):
    result = run_cli("convert", str(tmp_path / "nope.keras"), str(tmp_path / "out"))
    assert_one_line_error(result, "nope.keras", "no such file")
    assert leftovers(tmp_path) == []


def test_not_a_model(tmp_path):
    src = tmp_path / "notes.keras"
    src.write_text("just some text")
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "notes.keras", "not a model")
    assert leftovers(tmp_path) == ["notes.keras"]


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_keras_zip(tmp_path, keras_files, fraction):
    data = open(keras_files["cnn_functional"], "rb").read()
    src = tmp_path / "cut.keras"
    src.write_bytes(data[: int(len(data) * fraction)])
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "cut.keras")
    assert leftovers(tmp_path) == ["cut.keras"]


def test_corrupt_member_in_keras_zip(tmp_path, keras_files):
    src = tmp_path / "corrupt.keras"
    with zipfile.ZipFile(keras_files["mlp"]) as zin, zipfile.ZipFile(src, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, b"{not json" if item.filename == "config.json" else data)
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "corrupt.keras", "config.json is not valid JSON")
    assert leftovers(tmp_path) == ["corrupt.keras"]


def test_unsupported_layer(tmp_path, keras_files):
    src = tmp_path / "mha.keras"
    with zipfile.ZipFile(keras_files["mlp"]) as zin, zipfile.ZipFile(src, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                config["config"]["layers"][1]["class_name"] = "MultiHeadAttention"
                config["config"]["layers"][1]["config"]["name"] = "attention"
                data = json.dumps(config).encode()
            zout.writestr(item, data)
    result = run_cli("convert", str(src), str(tmp_path / "deep" / "out"))
    assert_one_line_error(result, "mha.keras", "layer 'attention' (MultiHeadAttention)")
    assert leftovers(tmp_path) == ["mha.keras"]  # not even the parent directories


def test_output_path_is_a_file(tmp_path, keras_files):
    target = tmp_path / "taken"
    target.write_text("x")
    result = run_cli("convert", keras_files["mlp"], str(target))
    assert_one_line_error(result, "taken", "not a directory")


def test_disk_full_mid_write_leaves_nothing(tmp_path, keras_files):
    """A file-size limit (RLIMIT_FSIZE) makes the shard write fail part-way, as a full disk would."""
    import resource

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))  # Python ignores SIGXFSZ: EFBIG

    out = tmp_path / "deep" / "web"
    result = subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", "convert", keras_files["cnn_functional"],
                             str(out)], capture_output=True, text=True, preexec_fn=limit_file_size,
                            env={"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", "")})
    assert_one_line_error(result, str(out), "cannot write the model: File too large")
    assert leftovers(tmp_path) == []


def test_debug_shows_traceback(tmp_path):
    result = run_cli("convert", str(tmp_path / "nope.keras"), str(tmp_path / "out"), "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_help():
    result = run_cli("convert", "--help")
    assert result.returncode == 0
    for option in ("--quantize_float16", "--quantize_uint8", "--quantize_uint16",
                   "--weight_shard_size_bytes", "--overwrite", "--input_format"):
        assert option in result.stdout


# Zip-slip: refused before anything reads (Layers) or Keras extracts (Graph) the archive. One
# Graph case: that path imports TensorFlow.
@pytest.mark.parametrize("entry, output_format", [
    ("../escaped.txt", "tfjs_layers_model"), ("assets/../../escaped.txt", "tfjs_layers_model"),
    ("/tfjs-export-escaped.txt", "tfjs_layers_model"), ("../escaped.txt", "tfjs_graph_model")])
def test_zip_entry_outside_the_archive(tmp_path, keras_files, entry, output_format):
    work = tmp_path / "work"
    work.mkdir()
    src = work / "slip.keras"
    with zipfile.ZipFile(keras_files["mlp"]) as zin, zipfile.ZipFile(src, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr(zipfile.ZipInfo(entry), b"outside")
    assert entry in zipfile.ZipFile(src).namelist()  # the name really is stored as written
    result = run_cli("convert", str(src), str(work / "out"), "--output_format", output_format)
    assert_one_line_error(result, "slip.keras", f"zip entry '{entry}' points outside the archive")
    assert leftovers(work) == ["slip.keras"]
    assert leftovers(tmp_path) == ["work"]
    assert not os.path.exists("/tfjs-export-escaped.txt")


def test_help_imports_no_numpy():
    """`--help` (and option parsing) stays light: the codec's sizes are pure Python."""
    code = ("import sys\nfrom tfjs_export.converter import cli\n"
            "for command in cli.COMMANDS:\n    try:\n        cli.main([command, '--help'])\n"
            "    except SystemExit:\n        pass\nprint('numpy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", "")})
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
