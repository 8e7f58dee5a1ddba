"""The HDF5 length check that keeps shifted files away from libhdf5 (which can hang on them)."""

import h5py
import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.readers.hdf5_check import check_hdf5_file


@pytest.fixture
def h5_bytes(tmp_path):
    path = tmp_path / "good.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = '{"class_name": "Sequential"}' * 50
        f["w"] = np.arange(1000, dtype="float32")
    return path.read_bytes()


@pytest.mark.parametrize("libver", ["earliest", "latest"])  # superblock v0 and v3
def test_good_files_pass(tmp_path, libver):
    path = tmp_path / "good.h5"
    with h5py.File(path, "w", libver=libver) as f:
        f["w"] = np.arange(10, dtype="float32")
    check_hdf5_file(str(path))


@pytest.mark.parametrize("edit", ["insert", "truncate", "append"])
def test_shifted_files_are_refused(tmp_path, h5_bytes, edit):
    middle = len(h5_bytes) // 2
    data = {"insert": h5_bytes[:middle] + b"\0" + h5_bytes[middle:],
            "truncate": h5_bytes[:middle],
            "append": h5_bytes + b"junk"}[edit]
    path = tmp_path / "bad.h5"
    path.write_bytes(data)
    with pytest.raises(ConversionError, match=f"{len(data):,} bytes but its HDF5 header records {len(h5_bytes):,}"):
        check_hdf5_file(str(path))


def test_not_hdf5_is_left_to_the_reader(tmp_path):
    path = tmp_path / "x.h5"
    path.write_bytes(b"not hdf5 at all")
    check_hdf5_file(str(path))  # the format detection / h5py reports it
