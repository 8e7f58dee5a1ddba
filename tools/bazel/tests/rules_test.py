"""The Bazel rules of //:defs.bzl on examples/bars_cnn.keras.

tfjs_model: its tree artifact must equal, byte for byte, what the converter's Python API writes
with the same options (so every attribute reached the CLI), and the options must show in the
manifest. tfjs_parity_test's checker: it must fail on a corrupted copy of a passing model.
"""

import json
import os

import pytest

from tfjs_export.converter import convert
from runtime_tests import parity
from tools.bazel import parity_check

EXAMPLES = "examples"
SRC = os.path.join(EXAMPLES, "bars_cnn.keras")


def _files(directory):
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


@pytest.mark.parametrize("target, options", [
    ("bars_cnn_web", {}),
    ("bars_cnn_web_quantized", {"quantize_float16": ["class_probs/*"], "quantize_uint8": None,
                                "weight_shard_size_bytes": 1024}),
])
def test_tfjs_model_output_equals_the_converter_output(tmp_path, target, options):
    built = os.path.join(EXAMPLES, target)
    assert os.path.isdir(built), f"{built}: the tfjs_model tree artifact is missing"
    convert(SRC, str(tmp_path / "ref"), **options)
    assert _files(built) == _files(tmp_path / "ref")


def test_tfjs_model_options_show_in_the_manifest():
    model = json.load(open(os.path.join(EXAMPLES, "bars_cnn_web_quantized", "model.json")))
    (group,) = model["weightsManifest"]
    dtypes = {w["name"]: w.get("quantization", {}).get("dtype") for w in group["weights"]}
    assert dtypes["class_probs/kernel"] == dtypes["class_probs/bias"] == "float16"
    assert {d for n, d in dtypes.items() if not n.startswith("class_probs/")} == {"uint8"}
    sizes = [os.path.getsize(os.path.join(EXAMPLES, "bars_cnn_web_quantized", p)) for p in group["paths"]]
    assert len(sizes) > 1 and all(s == 1024 for s in sizes[:-1]) and 0 < sizes[-1] <= 1024


def test_parity_check_passes_on_the_quantised_model(capsys):
    """(The float32 model's check runs as //examples:bars_cnn_web_parity_test, through the macro.)"""
    assert parity_check.main(["--model_dir", os.path.join(EXAMPLES, "bars_cnn_web_quantized"),
                              "--src", SRC, "--name", "pass"]) == 0
    out = capsys.readouterr().out
    assert "as TF.js decodes them" in out and "backend tensorflow" in out and "vs float model" in out


def test_parity_check_fails_on_a_corrupted_model(tmp_path):
    broken = parity.flip_first_weight_bit(os.path.join(EXAMPLES, "bars_cnn_web"), tmp_path / "broken")
    assert parity_check.main(["--model_dir", str(broken), "--src", SRC, "--name", "broken"]) == 1
