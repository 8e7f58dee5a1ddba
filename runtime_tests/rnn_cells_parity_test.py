"""Keras' generic RNN(cell) layer in tfjs-node (converter/layers_config/rnn_cells.py): models
written with `keras.layers.RNN(GRUCell(...))`, stacks of cells, an RNN inside Bidirectional with
an Embedding mask, a Sequential, from `.keras`, Keras 3 `.h5` and a tf_keras `.h5`, converted to
the Layers format and compared with the predictions of the Keras that saved them. One tfjs-node
run for every case."""

import os

import numpy as np
import pytest

from runtime_tests import parity

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _functional_cells(keras):
    """One cell, then a stack of three cells of both GRU variants and an LSTM."""
    inputs = keras.Input((5, 3))
    x = keras.layers.RNN(keras.layers.GRUCell(4), return_sequences=True)(inputs)
    x = keras.layers.RNN([keras.layers.LSTMCell(3), keras.layers.GRUCell(2),
                          keras.layers.GRUCell(2, reset_after=False)])(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def _masked_tokens(keras):
    """Padded token ids (0 = padding): an RNN of a GRU cell inside Bidirectional, then a backwards
    LSTM-cell RNN; the Embedding's mask reaches both."""
    inputs = keras.Input((6,), dtype="int32")
    x = keras.layers.Embedding(20, 5, mask_zero=True)(inputs)
    x = keras.layers.Bidirectional(keras.layers.RNN(keras.layers.GRUCell(4), return_sequences=True))(x)
    return keras.Model(inputs, keras.layers.RNN(keras.layers.LSTMCell(3), go_backwards=True)(x))


def _sequential(keras):
    return keras.Sequential([keras.Input((4, 2)),
                             keras.layers.RNN(keras.layers.SimpleRNNCell(4), return_sequences=True),
                             keras.layers.RNN([keras.layers.GRUCell(3), keras.layers.GRUCell(3)])])


def _tokens(seed):
    ids = np.random.default_rng(seed).integers(1, 20, size=(3, 6)).astype("int32")
    ids[0, 4:] = 0  # padded ends: masked steps
    ids[1, 2:] = 0
    return ids


# (name, Keras package, build, file suffix, inputs)
CASES = [
    ("functional_keras", "keras", _functional_cells, ".keras", None),
    ("functional_keras3_h5", "keras", _functional_cells, ".h5", None),
    ("masked_tokens_keras", "keras", _masked_tokens, ".keras", _tokens),
    ("sequential_keras", "keras", _sequential, ".keras", None),
    ("functional_tf_keras_h5", "tf_keras", _functional_cells, ".h5", None),
]


def _randomise(model, seed):
    """Every weight N(0, 0.5): a misplaced or misread kernel, recurrent kernel or bias shows."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, size=w.shape).astype("float32") for w in model.get_weights()])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """({case name: (case directory, convert summary)}, the tfjs-node run over all of them)."""
    import importlib

    from tfjs_export.converter import convert

    folder = tmp_path_factory.mktemp("rnn_cells")
    done = {}
    for seed, (name, package, build, suffix, make_inputs) in enumerate(CASES):
        keras = importlib.import_module(package)
        keras.utils.set_random_seed(seed)
        model = build(keras)
        _randomise(model, seed)
        source = str(folder / f"{name}{suffix}")
        model.save(source)
        case_dir = folder / name
        summary = convert(source, str(case_dir / "model"))
        inputs = [make_inputs(seed) if make_inputs else
                  np.random.default_rng(seed).normal(size=(3,) + tuple(model.inputs[0].shape[1:])).astype("float32")]
        outputs = [np.asarray(model.predict(inputs[0], verbose=0))]
        parity.write_case(case_dir, case_dir / "model" / "model.json", inputs, outputs, name=name,
                          input_names=[t.name.split(":")[0] for t in model.inputs],
                          output_names=[model.layers[-1].name], atol=1e-5, rtol=1e-5,
                          why="float32 rounding only: same maths, different order")
        done[name] = (case_dir, summary)
    return done, parity.run_node_tests(*[d for d, _ in done.values()])


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_rnn_of_cells_matches_keras(run, name):
    done, node_run = run
    case_dir, summary = done[name]
    parity.assert_within_bounds(parity.read_result(case_dir), context=node_run.stdout[-3000:])
    # every case has a GRUCell with Keras' default reset_after=True: our JS GRU class computes it
    assert "GRU" in summary.js_classes, summary.js_classes


def test_a_stack_is_written_as_a_chain(run):
    done, _ = run
    _, summary = done["functional_keras"]
    assert any("RNN of 3 stacked cells) written as a chain of 3 recurrent layers" in n for n in summary.notices), \
        summary.notices
