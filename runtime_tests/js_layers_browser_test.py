"""Our JS layer classes (converter/layers_js) in headless Chromium on the CPU, WASM, WebGL and
WebGPU backends (the GPU ones on SwiftShader): every case of
tools/testing/js_layer_cases.all_cases() converted to the Layers format, its model directory's
tfjs-export-layers.js loaded as a classic <script> after tf.min.js (as a web page does: it
registers its classes with the global `tf`), then tf.loadLayersModel over loopback http and
predict, against Keras' predictions (TensorFlow backend). One Chromium launch and one page for
all of a shard's cases and backends.

Bounds: each case's own (float32 rounding: 1e-5 + 1e-5 x max|output|) on every backend unless
browser.GPU_FLOORS loosens it on WebGL/WebGPU (docs/browser.md: what was measured and why).
"""

import os
import shutil

import numpy as np
import pytest

from runtime_tests import browser, parity
from tools.testing import js_layer_cases

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = js_layer_cases.all_cases()
# Cases known to fail on a backend, asserted so that a fix shows up: {(case, backend): the error
# text, None for wrong values, or a tuple of those (either seen)}. None today: the TF.js 4.22 bugs
# this test found are routed around in our classes (docs/browser.md, "Our layer classes in the
# browser").
KNOWN_FAILURES: dict = {}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """({case name: Prepared}, the Chromium process, its report) after one run over the shard."""
    folder = str(tmp_path_factory.mktemp("js_layers_browser"))
    done = js_layer_cases.prepare_shard(CASES, folder)
    report_path = os.path.join(folder, "browser_report.json")
    proc = browser.run_browser_tests(*[p.case_dir for p in done.values()], report=report_path,
                                     floors=browser.GPU_FLOORS, timeout=1500)
    artifacts = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if artifacts and os.path.exists(report_path):
        shutil.copy(report_path, artifacts)
    print(proc.stdout[-8000:])
    return done, proc, browser.read_report(report_path)


_PARAMS = [pytest.param(c, b, id=f"{c.name}-{b}", marks=pytest.mark.shard_group(i))
           for i, c in enumerate(CASES) for b in browser.BACKENDS]


@pytest.mark.parametrize("case, backend", _PARAMS)
def test_case_matches_keras(run, case, backend):
    done, _, _ = run
    p = done[case.name]
    result = browser.read_browser_result(p.case_dir, backend)
    # The library came in as a classic script, from the model's own directory.
    assert [os.path.basename(s) for s in result["scripts"]] == ["tfjs-export-layers.js"], result
    if (case.name, backend) in KNOWN_FAILURES:
        why = KNOWN_FAILURES[case.name, backend]
        assert not result["ok"], f"known failure fixed? update KNOWN_FAILURES: {result}"
        error = result.get("error")
        wrong = error is None and any(o["max_abs_err"] > o["bound"] for o in result.get("outputs", []))
        # an entry: the error's text, None for wrong values, or a tuple of those (either seen)
        assert any(wrong if w is None else bool(error) and w in error
                   for w in (why if isinstance(why, tuple) else (why,))), result
        return
    parity.assert_within_bounds(result, backend)
    for output in result["outputs"]:  # the page's output bytes, as it wrote them
        actual = np.fromfile(os.path.join(p.case_dir, output["file"]), dtype="<f4")
        assert actual.size == int(np.prod(output["shape"]))


# (after the sharded cases: pytest_main numbers shard groups in collection order)
def test_every_backend_ran_every_case(run):
    done, proc, report = run
    for backend in browser.BACKENDS:
        print(f"{backend}: {report['backends'][backend]['detail']}")
        assert report["backends"][backend]["ran"], report
        known = sum(1 for name, b in KNOWN_FAILURES if b == backend and name in done)
        assert report["backends"][backend]["passed"] == len(done) - known, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_without_the_library_the_error_names_it(run, tmp_path):
    """A model using our classes, loaded in a page that never ran tfjs-export-layers.js, fails
    with TF.js' unknown-class error naming the namespaced class (so the library)."""
    done, _, _ = run
    p = next(iter(done.values()))
    bare = tmp_path / "bare"
    shutil.copytree(p.case_dir, bare)
    os.remove(bare / "model" / "tfjs-export-layers.js")
    proc = browser.run_browser_tests(bare, report=tmp_path / "report.json", backends=("cpu",), required=("cpu",))
    assert proc.returncode != 0
    result = browser.read_browser_result(bare, "cpu")
    assert not result["ok"] and result["scripts"] == [], result
    assert f"tfjs-export-layers>{p.case.classes[0]}" in result["error"], result
