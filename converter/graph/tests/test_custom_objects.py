"""custom_objects.py: files run in order as their own modules, errors are one line naming the
file, and a Keras 2 (tf_keras) `.h5` custom layer loads once its file has run."""

import sys

import pytest

from tfjs_export.converter import ConversionError
from tfjs_export.converter.custom_objects import run_custom_object_files
from tfjs_export.converter.graph.load import load_function

TF_KERAS_LAYER = '''
import tf_keras
from helper_beside_it import FACTOR  # a module in the file's own directory


@tf_keras.saving.register_keras_serializable(package="tfjs_export_test_h5")
class TimesFactor(tf_keras.layers.Layer):
    def call(self, x):
        return x * FACTOR


assert __name__ != "__main__"
'''


def test_tf_keras_h5_custom_layer_loads_after_its_file_ran(tmp_path):
    import tf_keras
    (tmp_path / "helper_beside_it.py").write_text("FACTOR = 3.0\n")
    layer_file = tmp_path / "times_factor.py"
    layer_file.write_text(TF_KERAS_LAYER)
    run_custom_object_files([str(layer_file)])
    assert str(tmp_path) not in sys.path  # the file's directory is on sys.path only while it runs
    registered = tf_keras.saving.get_custom_objects()
    layer = registered["tfjs_export_test_h5>TimesFactor"]
    model = tf_keras.Sequential([tf_keras.Input((2,), name="x"), layer(name="times")])
    path = str(tmp_path / "m.h5")
    model.save(path)
    saved = registered.pop("tfjs_export_test_h5>TimesFactor")
    try:
        with pytest.raises(ConversionError, match="TimesFactor.*--custom_objects FILE.py"):
            load_function(path, "keras_h5")
    finally:
        registered["tfjs_export_test_h5>TimesFactor"] = saved
    loaded = load_function(path, "keras_h5")
    assert loaded.output_keys == ["times"]
    assert loaded.function(tf_keras.backend.constant([[1.0, 2.0]]))[0].numpy().tolist() == [[3.0, 6.0]]


def test_files_run_in_order_and_errors_name_the_file(tmp_path):
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text("import builtins\nbuiltins._tfjs_export_order = ['a']\n")
    second.write_text("import builtins\nbuiltins._tfjs_export_order.append('b')\n")
    assert run_custom_object_files([str(first), str(second)]) == 2
    import builtins
    assert builtins.__dict__.pop("_tfjs_export_order") == ["a", "b"]
    (tmp_path / "d").mkdir()
    with pytest.raises(ConversionError) as err:
        run_custom_object_files([str(first), str(tmp_path / "d")])
    assert str(err.value) == f"{tmp_path / 'd'}: custom objects file is not a regular file"
    exits = tmp_path / "exits.py"
    exits.write_text("import sys\nsys.exit(3)\n")
    with pytest.raises(ConversionError, match=r"exits.py: custom objects file exited \(SystemExit 3\)$"):
        run_custom_object_files([str(exits)])
    raises = tmp_path / "raises.py"
    raises.write_text("raise KeyError('missing_thing')\n")
    with pytest.raises(ConversionError, match=r"raises.py: custom objects file raised KeyError: 'missing_thing'$"):
        run_custom_object_files([str(raises)])
