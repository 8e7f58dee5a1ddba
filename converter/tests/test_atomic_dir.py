"""converter/writers/atomic_dir.py: the output directory appears whole or not at all; the old
model stays until the new one is complete."""

import os

import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.writers.atomic_dir import atomic_output_dir


def _write(folder, name, text):
    with open(os.path.join(folder, name), "w") as f:
        f.write(text)


def test_the_directory_appears_when_the_block_succeeds(tmp_path):
    out = tmp_path / "deep" / "er" / "web"
    with atomic_output_dir(str(out)) as tmp:
        _write(tmp, "model.json", "{}")
        assert not out.exists() and os.path.dirname(tmp) == str(out.parent)
    assert sorted(os.listdir(out)) == ["model.json"]
    assert oct(out.stat().st_mode & 0o777) == "0o755"  # served by a web server
    assert sorted(os.listdir(out.parent)) == ["web"]  # no temporary sibling left


def test_a_failure_leaves_nothing_not_even_created_parents(tmp_path):
    out = tmp_path / "new" / "web"
    with pytest.raises(RuntimeError):
        with atomic_output_dir(str(out)) as tmp:
            _write(tmp, "group1-shard1of1.bin", "x")
            raise RuntimeError("conversion failed")
    assert os.listdir(tmp_path) == []


def test_overwrite_keeps_the_old_model_until_the_new_one_is_complete(tmp_path):
    out = tmp_path / "web"
    out.mkdir()
    _write(str(out), "model.json", "old")
    with pytest.raises(RuntimeError):
        with atomic_output_dir(str(out), overwrite=True) as tmp:
            _write(tmp, "model.json", "new")
            assert (out / "model.json").read_text() == "old"
            raise RuntimeError("conversion failed")
    assert (out / "model.json").read_text() == "old"
    with atomic_output_dir(str(out), overwrite=True) as tmp:
        _write(tmp, "model.json", "new")
    assert (out / "model.json").read_text() == "new" and sorted(os.listdir(tmp_path)) == ["web"]


def test_an_os_error_while_writing_is_one_error_naming_the_directory(tmp_path):
    out = tmp_path / "web"
    with pytest.raises(ConversionError) as err:
        with atomic_output_dir(str(out)):
            raise OSError(28, "No space left on device")
    assert str(err.value) == f"{out}: cannot write the model: No space left on device"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("kind, message", [
    ("file", "output path exists and is not a directory"),
    ("symlink", "output path exists and is not a directory"),
    ("full", "output directory is not empty (use --overwrite to replace it)"),
])
def test_what_is_in_the_way_is_refused_before_anything_is_written(tmp_path, kind, message):
    out = tmp_path / "web"
    if kind == "file":
        out.write_text("x")
    elif kind == "symlink":
        (tmp_path / "elsewhere").mkdir()
        out.symlink_to(tmp_path / "elsewhere")
    else:
        out.mkdir()
        _write(str(out), "keep.txt", "x")
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ConversionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        with atomic_output_dir(str(out)):
            pytest.fail("the block must not run")
    assert sorted(os.listdir(tmp_path)) == before
