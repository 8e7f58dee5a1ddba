"""The Bazel rules of //:defs.bzl on examples/bars_cnn.keras.

tfjs_model (Layers and Graph): its tree artifact must equal, byte for byte, what the converter's
Python API writes in this process (given the actions' fixed environment) with the same options,
so every attribute reached the CLI; and the options must show in the manifest. tfjs_bundle:
equals `write_bundle` on a copy of the model. The actions' entry point leaves the user's home
alone. tfjs_parity_test's checker: it passes on Graph and quantised models, fails on a corrupted
copy of a passing model, and writes the JUnit XML `bazel test` asks for.
"""

import ast
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.quantization_plan import TINY
from tfjs_export.converter.web_bundle import write_bundle
from runtime_tests import parity
from tools.bazel import parity_check

EXAMPLES = "examples"
SRC = os.path.join(EXAMPLES, "bars_cnn.keras")


def _action_env():
    """ACTION_ENV of tools/bazel/source.bzl (a dict literal): the environment the rules fix for
    their actions. (It matters: with TensorFlow's default oneDNN on, a Graph model.json differs.)"""
    text = open(os.path.join("tools", "bazel", "source.bzl")).read()
    start = text.index("ACTION_ENV = ") + len("ACTION_ENV = ")
    return ast.literal_eval(text[start:text.index("\n}\n", start) + 2])


os.environ.update(_action_env())  # before TensorFlow is imported (by the first Graph conversion)


def _files(directory):
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


def _tree(directory):
    """{relative path: bytes} of every file under `directory`."""
    return {os.path.relpath(os.path.join(base, n), directory): open(os.path.join(base, n), "rb").read()
            for base, _, names in os.walk(directory) for n in names}


@pytest.mark.parametrize("target, options", [
    ("bars_cnn_web", {}),
    ("bars_cnn_web_quantized", {"quantize_float16": ["class_probs/*"], "quantize_uint8": None,
                                "weight_shard_size_bytes": 1024}),
    ("bars_cnn_graph", {"output_format": "tfjs_graph_model", "quantize_uint16": None}),
    ("bars_cnn_web_split", {"split_weights_by_layer": True, "quantize_uint16": None,
                            "labels": ["horizontal", "vertical", "diagonal"],
                            "extra_metadata": {"app_info": {"app": "bars demo", "version": 3}}}),
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
    sizes = {w["name"]: int(np.prod(w["shape"])) for w in group["weights"]}
    assert dtypes["class_probs/kernel"] == "float16"
    # tiny tensors (biases of a few values) stay float32: quantization_plan.py's keep_float32 rule
    kept = {n for n, d in dtypes.items() if d is None}
    assert kept and all(sizes[n] <= TINY for n in kept), (kept, sizes)
    assert {d for n, d in dtypes.items() if not n.startswith("class_probs/") and n not in kept} == {"uint8"}
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
    xml = tmp_path / "test.xml"  # what `bazel test` reads (it would otherwise write its own, uncacheably)
    assert parity_check.main(["--model_dir", str(broken), "--src", SRC, "--name", "broken"], junit_xml=xml) == 1
    (case,) = ET.parse(xml).getroot().iter("testcase")
    assert case.get("name") == "broken" and "does not match" in case.find("failure").get("message")


def test_tfjs_bundle_equals_the_bundle_of_the_model(tmp_path):
    ref = tmp_path / "bars_cnn_bundle"  # the page's title is the directory's name
    shutil.copytree(os.path.join(EXAMPLES, "bars_cnn_web"), ref)
    write_bundle(ref, tfjs_modules=parity.find_runtime_dir() / "node_modules")
    built = _tree(os.path.join(EXAMPLES, "bars_cnn_bundle"))
    assert {"index.html", "integrity.json", "tfjs/tf.min.js", "tfjs/tfjs-backend-wasm.wasm"} <= set(built)
    assert built == _tree(ref)


def test_the_action_leaves_the_users_home_alone(tmp_path):
    """Keras reads ~/.keras/keras.json and, when it is missing, writes one at import: through the
    actions' entry point (a temporary HOME) the user's home is never touched, and the output is
    the rule's. (`tfjs-export convert` run directly with this HOME leaves .keras/keras.json there.)"""
    home = tmp_path / "home"
    home.mkdir()
    out = tmp_path / "graph"
    done = subprocess.run([sys.executable, os.path.join("tools", "bazel", "action.py"), "convert", SRC, str(out),
                           "--output_format=tfjs_graph_model", "--quantize_uint16", "--quiet"],
                          env=dict(os.environ, HOME=str(home)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _files(out) == _files(os.path.join(EXAMPLES, "bars_cnn_graph"))
    assert os.listdir(home) == []


def test_parity_check_passes_on_the_graph_model(capsys, tmp_path):
    assert parity_check.main(["--model_dir", os.path.join(EXAMPLES, "bars_cnn_graph"),
                              "--src", SRC, "--name", "graph"], junit_xml=tmp_path / "test.xml") == 0
    assert "parity OK" in capsys.readouterr().out
    (case,) = ET.parse(tmp_path / "test.xml").getroot().iter("testcase")
    assert case.get("name") == "graph" and case.find("failure") is None


def test_the_action_key_holds_the_interpreter_and_the_package_versions():
    """@local_config_python//:versions, an input of every converting action, is the running
    interpreter's binary and the METADATA of the installed TensorFlow, Keras, numpy, h5py."""
    from importlib import metadata
    versions = os.path.join("..", "local_config_python")
    with open(os.path.join(versions, "interpreter"), "rb") as f, open(os.path.realpath(sys.executable), "rb") as g:
        assert f.read() == g.read()
    found = {}
    for name in os.listdir(os.path.join(versions, "site_packages")):
        path = os.path.join(versions, "site_packages", name, "METADATA")
        if name.endswith(".dist-info") and os.path.isfile(path):
            fields = dict(line.split(": ", 1) for line in open(path).read().split("\n\n")[0].splitlines()
                          if ": " in line)
            found[fields["Name"].lower().replace("-", "_")] = fields["Version"]
    for dist in ("tensorflow", "keras", "numpy", "h5py"):
        assert found.get(dist) == metadata.version(dist), dist
