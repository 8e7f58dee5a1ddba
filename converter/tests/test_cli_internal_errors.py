"""The CLI's last line of defence (converter/cli.py): a fault injected into each subcommand — an
exception no code path expects — gives one stderr line `tfjs-export CMD: error: FILE: internal
error (TYPE: message); rerun with --debug and report it`, exit code 1, and leaves nothing on disk;
with --debug the traceback is shown instead."""

import hashlib
import os
import re
import shutil
import tempfile

import pytest

from tfjs_export.converter import cli

EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "examples", "bars_cnn.keras")
LINE = re.compile(r"tfjs-export (\w+): error: (.+): internal error \((\w+): (.+)\); rerun with --debug and report it")


class InjectedFault(Exception):
    """Stands for a bug: nothing in the converter catches it."""


def _fault_after(calls, real):
    """A stand-in for `real` that works `calls` times, then raises InjectedFault."""
    count = {"n": 0}

    def fake(*args, **kwargs):
        count["n"] += 1
        if count["n"] > calls:
            raise InjectedFault("injected fault")
        return real(*args, **kwargs)
    return fake


def _tree(folder):
    """{relative path: sha256 or 'dir'} of everything under folder."""
    out = {}
    for base, dirs, files in os.walk(folder):
        for name in dirs:
            out[os.path.relpath(os.path.join(base, name), folder)] = "dir"
        for name in files:
            path = os.path.join(base, name)
            out[os.path.relpath(path, folder)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return out


def _run(capsys, *argv):
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    return code, err.splitlines()


def _assert_internal_error(code, lines, command, target, exc="InjectedFault"):
    assert code == 1
    assert len(lines) == 1, lines
    match = LINE.fullmatch(lines[0])
    assert match, lines[0]
    assert match.groups() == (command, target, exc, "injected fault")


@pytest.fixture
def converted(tmp_path):
    """A converted copy of examples/bars_cnn.keras (several shards) in tmp_path/web."""
    from tfjs_export.converter import convert
    convert(EXAMPLE, tmp_path / "web", weight_shard_size_bytes=4096)
    return tmp_path / "web"


def test_convert_fault_while_writing_shards_leaves_nothing(tmp_path, capsys, monkeypatch):
    from tfjs_export.codec import weights
    monkeypatch.setattr(weights._ShardWriter, "write", _fault_after(1, weights._ShardWriter.write))
    out = tmp_path / "out" / "web"  # its parent is created by the run: removed again
    code, lines = _run(capsys, "convert", EXAMPLE, str(out), "--weight_shard_size_bytes", "1024")
    _assert_internal_error(code, lines, "convert", EXAMPLE)
    assert os.listdir(tmp_path) == []


def test_convert_fault_keeps_the_model_it_would_replace(converted, capsys, monkeypatch):
    from tfjs_export.codec import weights
    before = _tree(converted.parent)
    monkeypatch.setattr(weights._ShardWriter, "write", _fault_after(2, weights._ShardWriter.write))
    code, lines = _run(capsys, "convert", EXAMPLE, str(converted), "--overwrite", "--quantize_uint8")
    _assert_internal_error(code, lines, "convert", EXAMPLE)
    assert _tree(converted.parent) == before


def test_inspect_fault(converted, capsys, monkeypatch):
    from tfjs_export.converter import inspect_model
    monkeypatch.setattr(inspect_model, "_weight_summary", _fault_after(3, inspect_model._weight_summary))
    before = _tree(converted)
    code, lines = _run(capsys, "inspect", str(converted))
    _assert_internal_error(code, lines, "inspect", str(converted))
    assert _tree(converted) == before


@pytest.mark.parametrize("calls", [0, 2])
def test_bundle_fault_while_writing_leaves_the_directory_as_it_was(converted, capsys, monkeypatch, calls):
    import pathlib
    monkeypatch.setattr(pathlib.Path, "write_bytes", _fault_after(calls, pathlib.Path.write_bytes))
    before = _tree(converted)
    code, lines = _run(capsys, "bundle", str(converted))
    _assert_internal_error(code, lines, "bundle", str(converted))
    assert _tree(converted) == before


def test_verify_fault_leaves_no_case_directory(converted, capsys, monkeypatch):
    from tfjs_export.converter.runtime import node
    scratch = tempfile.mkdtemp(prefix="tfjs-export-test-")
    monkeypatch.setattr(tempfile, "tempdir", scratch)  # where verify's case directory would stay behind
    monkeypatch.setattr(node, "run_predict", _fault_after(0, node.run_predict))
    before = _tree(converted)
    try:
        code, lines = _run(capsys, "verify", EXAMPLE, str(converted), "--samples", "1")
        _assert_internal_error(code, lines, "verify", EXAMPLE)
        assert os.listdir(scratch) == []
        assert _tree(converted) == before
    finally:
        shutil.rmtree(scratch)


def test_debug_shows_the_traceback(converted, monkeypatch):
    from tfjs_export.converter import inspect_model
    monkeypatch.setattr(inspect_model, "_weight_summary", _fault_after(0, inspect_model._weight_summary))
    with pytest.raises(InjectedFault):
        cli.main(["inspect", str(converted), "--debug"])


def test_message_stays_one_line_and_short(capsys, monkeypatch, tmp_path):
    from tfjs_export.converter import inspect_model

    def fault(model_dir):
        raise KeyError("a\nmulti-line\n" + "x" * 1000)
    monkeypatch.setattr(inspect_model, "inspect_model", fault)
    code, lines = _run(capsys, "inspect", str(tmp_path))
    assert code == 1 and len(lines) == 1 and len(lines[0]) < 500, lines
    assert lines[0].startswith(f"tfjs-export inspect: error: {tmp_path}: internal error (KeyError: ")
    assert lines[0].endswith("...); rerun with --debug and report it")
