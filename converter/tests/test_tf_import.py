"""converter/tf_import.py: the optional integrations cannot be imported inside the block, import
normally after it, and a package already imported is untouched; TensorFlow imported through the
Graph path loads neither JAX nor pandas (both are installed in the development environment)."""

import subprocess
import sys
import textwrap

import pytest

from tfjs_export.converter import tf_import


@pytest.fixture
def fake_integration(tmp_path, monkeypatch):
    """A package `fake_integration_pkg` on sys.path, declared an optional integration."""
    (tmp_path / "fake_integration_pkg.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(tf_import, "OPTIONAL_INTEGRATIONS", ("fake_integration_pkg",))
    monkeypatch.delitem(sys.modules, "fake_integration_pkg", raising=False)
    return "fake_integration_pkg"


def test_blocked_inside_and_importable_after(fake_integration):
    with tf_import.without_optional_integrations():
        with pytest.raises(ImportError):
            import fake_integration_pkg  # noqa: F401
    import fake_integration_pkg
    assert fake_integration_pkg.VALUE == 42


def test_an_already_imported_package_is_left_alone(fake_integration):
    import fake_integration_pkg
    with tf_import.without_optional_integrations():
        assert sys.modules["fake_integration_pkg"] is fake_integration_pkg
    assert sys.modules["fake_integration_pkg"] is fake_integration_pkg


def test_the_graph_paths_tensorflow_import_skips_jax_and_pandas():
    script = textwrap.dedent("""
        import sys
        from tfjs_export.converter.graph import import_tensorflow_quietly
        import_tensorflow_quietly()
        import keras
        print("jax" in sys.modules, "pandas" in sys.modules, keras.backend.backend())
        import jax, pandas  # importable again afterwards
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "tensorflow", "ok"], out.stderr[-2000:]
