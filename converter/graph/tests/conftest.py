"""Fixtures for the Graph path tests: small models saved once per session, and a helper that
runs a GraphDef in TensorFlow (the reference for every rewrite: same outputs before and after)."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def run_graph(graph_def, feeds, fetches):
    """Run graph_def in a TF1 session: feeds {tensor name: array}, fetches [tensor names]."""
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            return session.run(fetches, feeds)


def ops_of(graph_def):
    return sorted({n.op for n in graph_def.node})


@pytest.fixture(scope="session")
def model_files(tmp_path_factory):
    """{name: path}: .keras files of two zoo models and a SavedModel exported from one."""
    from tools.testing import graph_models, keras_models
    folder = tmp_path_factory.mktemp("graph_models")
    paths = {}
    for name in ("cnn_functional", "two_in_two_out"):
        paths[name] = str(folder / f"{name}.keras")
        keras_models.ZOO[name]().save(paths[name])
    paths["two_in_two_out_saved_model"] = str(folder / "tito_saved_model")
    keras_models.ZOO["two_in_two_out"]().export(paths["two_in_two_out_saved_model"], verbose=False)
    paths["while_loop"] = str(folder / "while_loop")
    graph_models.save_while_loop_saved_model(paths["while_loop"])
    paths["unsupported_op"] = str(folder / "det")
    graph_models.save_unsupported_op_saved_model(paths["unsupported_op"])
    return paths


@pytest.fixture
def rng():
    return np.random.default_rng(0)
