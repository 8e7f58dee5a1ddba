"""Every case of the bad-input corpus (converter/tests/bad_inputs/make_corpus.py) through the CLI.

For each case: exit != 0; exactly one line on stderr, naming the file and the problem, no
traceback; the case's directory (input and output side) is unchanged afterwards; the process
group is gone when the command returns; and memory stays bounded (the Layers path and inspect /
bundle run under an address-space limit, so a bomb or a huge declared shape that is allocated
instead of refused fails the case).
"""

import atexit
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

import pytest

from tfjs_export.converter.tests.bad_inputs.make_corpus import make_corpus, make_good_models

# Address-space limit for the TF-free commands: their normal peak is ~450 MB of *virtual*
# memory (numpy, h5py, thread stacks); the bombs would need gigabytes.
LIMIT_BYTES = 1200 << 20


def _build_corpus():
    """Build the corpus at collection time, so that every case is its own test id."""
    root = tempfile.mkdtemp(prefix="tfjs-export-bad-inputs-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    good = make_good_models(os.path.join(root, "_good"))
    return good, {c.name: c for c in make_corpus(good, os.path.join(root, "cases"))}


GOOD, CORPUS = _build_corpus()


def _snapshot(folder):
    listing = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(base, name)
            st = os.lstat(path)
            listing[os.path.relpath(path, folder)] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns)
    return listing


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def run_case(case):
    # No TF_CPP_MIN_LOG_LEVEL here: the CLI itself must keep TensorFlow's C++ logging off stderr.
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "tfjs_export.converter.cli", *case.argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
                            preexec_fn=None if case.needs_tf else _limit_memory)
    try:
        out, err = proc.communicate(timeout=240)
    finally:
        try:  # nothing of the process group may outlive the command
            os.killpg(proc.pid, 0)
            alive = True
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            alive = False
    return proc.returncode, out, err, alive


def test_corpus_has_at_least_50_cases():
    assert len(CORPUS) >= 50, len(CORPUS)


def test_second_round_has_at_least_40_cases():
    """Round 2 (bad_inputs/hostile_cases.py): output paths, SavedModels, model directories."""
    from tfjs_export.converter.tests.bad_inputs.hostile_cases import make_hostile_corpus
    from tfjs_export.converter.tests.bad_inputs.make_corpus import Case
    folder = tempfile.mkdtemp(prefix="tfjs-export-round2-")
    try:
        assert len(make_hostile_corpus(GOOD, folder, Case)) >= 40
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("command", ["convert", "inspect", "bundle"])
def test_good_input_passes_under_the_same_limits(command, tmp_path):
    """The harness can tell success: the good sources pass under the same memory limit."""
    from tfjs_export.converter.tests.bad_inputs.make_corpus import Case
    model_dir = tmp_path / "web"
    shutil.copytree(GOOD["tfjs"], model_dir)
    argv = {"convert": ["convert", GOOD["keras"], str(tmp_path / "out")],
            "inspect": ["inspect", str(model_dir)], "bundle": ["bundle", str(model_dir), "--quiet"]}[command]
    code, out, err, alive = run_case(Case(command, str(tmp_path), argv, ()))
    assert (code, err, alive) == (0, "", False)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_input(name):
    case = CORPUS[name]
    before = _snapshot(case.folder)
    if case.read_only:
        os.chmod(case.read_only, 0o555)
    try:
        code, out, err, alive = run_case(case)
    finally:
        if case.read_only:
            os.chmod(case.read_only, 0o755)
    lines = err.splitlines()
    assert code not in (0, None), (case.name, out, err)
    assert not alive, f"{case.name}: processes left running"
    assert "Traceback" not in err, f"{case.name}:\n{err}"
    assert len(lines) == 1, f"{case.name}: {len(lines)} stderr lines:\n{err}"
    line = lines[0]
    assert line.startswith("tfjs-export: error: "), (case.name, line)
    for fragment in case.expect:
        assert fragment in line, (case.name, fragment, line)
    assert _snapshot(case.folder) == before, f"{case.name}: the case directory changed"
