"""Shared fixtures: the test models, built in code and saved once per session."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def keras_files(tmp_path_factory):
    """{name: path of a saved .keras file} for every model of the test zoo."""
    from tools.testing import keras_models
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for name, build in keras_models.ZOO.items():
        paths[name] = str(folder / f"{name}.keras")
        build().save(paths[name])
    return paths


@pytest.fixture(scope="session")
def keras_models_by_name(keras_files):
    """{name: keras.Model} loaded back from the saved files (what a user would have)."""
    import keras
    return {name: keras.saving.load_model(path) for name, path in keras_files.items()}
