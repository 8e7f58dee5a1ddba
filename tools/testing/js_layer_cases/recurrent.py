"""Parity cases of src/recurrent.js: GRU with reset_after=True (Keras' default), masked
recurrent layers, Keras' generic RNN(cell)."""

import numpy as np

from tools.testing.js_layer_cases import Case, randomise


def _keras(seed):
    import keras
    keras.utils.set_random_seed(seed)
    return keras, keras.layers


def _padded_tokens(model, seed, vocabulary=20, padding=3):
    """Integer tokens in [1, vocabulary) with the last `padding` steps of each row 0 (masked),
    except the first row, which is padded more (a shorter sequence)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        steps = tensor.shape[1]
        tokens = rng.integers(1, vocabulary, size=(3, steps)).astype("int32")
        tokens[:, steps - padding:] = 0
        tokens[0, steps - 2 * padding:] = 0
        arrays.append(tokens)
    return arrays


def _pre_padded_tokens(model, seed):
    """_padded_tokens with the padding in front (Keras' pad_sequences default, padding='pre'):
    masked steps before the first real token."""
    return [np.ascontiguousarray(tokens[:, ::-1]) for tokens in _padded_tokens(model, seed)]


def gru_default(seed=101):
    """The issue's default GRU: GRU(8) -> Dense, Keras' defaults (reset_after=True)."""
    keras, L = _keras(seed)
    inputs = keras.Input((7, 5), name="series")
    outputs = L.Dense(3, name="out")(L.GRU(8)(inputs))
    return randomise(keras.Model(inputs, outputs, name="gru_default"), seed)


def gru_sequences_states(seed=102):
    """return_sequences + return_state, go_backwards, no bias, other activations; stacked."""
    keras, L = _keras(seed)
    inputs = keras.Input((6, 4), name="series")
    x = L.GRU(5, return_sequences=True, go_backwards=True, activation="relu",
              recurrent_activation="softsign")(inputs)
    sequence, state = L.GRU(3, return_sequences=True, return_state=True, use_bias=False)(x)
    return randomise(keras.Model(inputs, [sequence, state], name="gru_sequences_states"), seed, scale=0.4)


def gru_bidirectional_masked(seed=103):
    """Embedding(mask_zero) -> Bidirectional(GRU, return_sequences, concat) ->
    Bidirectional(GRU, sum) -> Dense: masked (padded) steps in both directions."""
    keras, L = _keras(seed)
    tokens = keras.Input((9,), dtype="int32", name="tokens")
    x = L.Embedding(20, 6, mask_zero=True)(tokens)
    x = L.Bidirectional(L.GRU(4, return_sequences=True))(x)
    x = L.Bidirectional(L.GRU(3), merge_mode="sum")(x)
    outputs = L.Dense(2, name="out")(x)
    return randomise(keras.Model(tokens, outputs, name="gru_bidirectional_masked"), seed)


def gru_masked_sequences(seed=104):
    """Embedding(mask_zero) -> GRU(return_sequences) -> TimeDistributed(Dense): masked steps
    repeat the last output (Keras' zero_output_for_mask=False outside Bidirectional)."""
    keras, L = _keras(seed)
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    x = L.GRU(4, return_sequences=True)(L.Embedding(20, 3, mask_zero=True)(tokens))
    outputs = L.TimeDistributed(L.Dense(2))(x)
    return randomise(keras.Model(tokens, outputs, name="gru_masked_sequences"), seed)


def gru_text(seed=105):
    """A text classifier: Embedding(mask_zero) -> Bidirectional(GRU) -> Dense(softmax)."""
    keras, L = _keras(seed)
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = L.Bidirectional(L.GRU(6))(L.Embedding(20, 8, mask_zero=True)(tokens))
    outputs = L.Dense(4, activation="softmax", name="classes")(x)
    return randomise(keras.Model(tokens, outputs, name="gru_text"), seed)


def rnn_of_cells(seed=106):
    """Keras' generic RNN layer: RNN(GRUCell) returning sequences, then a stack of an LSTM cell and
    a GRU cell (written as a chain of our GRU and tfjs-layers' LSTM)."""
    keras, L = _keras(seed)
    inputs = keras.Input((5, 3), name="steps")
    x = L.RNN(L.GRUCell(4), return_sequences=True)(inputs)
    outputs = L.RNN([L.LSTMCell(3), L.GRUCell(2)])(x)
    return randomise(keras.Model(inputs, outputs, name="rnn_of_cells"), seed)


def masked_plain_rnns(seed=107):
    """Masked inputs into recurrent layers tfjs-layers has (LSTM, SimpleRNN, GRU with
    reset_after=False, a Bidirectional LSTM returning its last output): written as our classes
    because of the mask (tfjs-layers' own mask path is wrong on WebGPU)."""
    keras, L = _keras(seed)
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    x = L.Embedding(20, 4, mask_zero=True)(tokens)
    seq = L.GRU(3, reset_after=False, return_sequences=True)(L.LSTM(3, return_sequences=True)(x))
    outputs = L.Concatenate()([L.SimpleRNN(2)(seq), L.Bidirectional(L.LSTM(2))(x)])
    return randomise(keras.Model(tokens, outputs, name="masked_plain_rnns"), seed)


def zoo_rnn_text(seed=14):
    """The zoo's text model (tools/testing/keras_zoo.rnn_text) with Keras' default GRU."""
    from tools.testing import keras_zoo
    return keras_zoo.rnn_text(seed, reset_after=True)


def bilstm_tagger(seed=106):
    """The issue's tagger: Embedding(mask_zero) -> Bidirectional(LSTM, return_sequences) ->
    TimeDistributed(Dense(softmax)): one tag per token, padded tokens included (Keras' Bidirectional
    zeroes the outputs of masked steps: zero_output_for_mask)."""
    keras, L = _keras(seed)
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    x = L.Bidirectional(L.LSTM(5, return_sequences=True))(L.Embedding(20, 6, mask_zero=True)(tokens))
    outputs = L.TimeDistributed(L.Dense(4, activation="softmax"), name="tags")(x)
    return randomise(keras.Model(tokens, outputs, name="bilstm_tagger"), seed)


def bigru_tagger(seed=107):
    """The same tagger over Bidirectional(GRU): padded steps' outputs zeroed in both directions."""
    keras, L = _keras(seed)
    tokens = keras.Input((8,), dtype="int32", name="tokens")
    x = L.Bidirectional(L.GRU(5, return_sequences=True))(L.Embedding(20, 6, mask_zero=True)(tokens))
    outputs = L.TimeDistributed(L.Dense(4), name="tags")(x)
    return randomise(keras.Model(tokens, outputs, name="bigru_tagger"), seed)


def zero_masked_steps(seed=108):
    """Bidirectional(GRU(reset_after=False)) and Bidirectional(SimpleRNN), returning sequences over
    masked tokens: tfjs-layers' own classes but for the zeroed masked steps (ours then)."""
    keras, L = _keras(seed)
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = L.Embedding(20, 4, mask_zero=True)(tokens)
    a = L.Bidirectional(L.GRU(3, return_sequences=True, reset_after=False))(x)
    b = L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="mul")(a)
    return randomise(keras.Model(tokens, [a, b], name="zero_masked_steps"), seed)


CASES = [
    Case("gru_default", gru_default, classes=("GRU",)),
    Case("gru_sequences_states", gru_sequences_states, classes=("GRU",)),
    Case("gru_bidirectional_masked", gru_bidirectional_masked, classes=("GRU",), inputs=_padded_tokens),
    Case("gru_masked_sequences", gru_masked_sequences, classes=("GRU",), inputs=_padded_tokens),
    Case("gru_text", gru_text, classes=("GRU",), inputs=_padded_tokens),
    Case("zoo_rnn_text", zoo_rnn_text, classes=("GRU",)),
    Case("bilstm_tagger", bilstm_tagger, classes=("LSTM",), inputs=_padded_tokens),
    Case("bigru_tagger", bigru_tagger, classes=("GRU",), inputs=_padded_tokens),
    Case("zero_masked_steps", zero_masked_steps, classes=("GRU", "SimpleRNN"), inputs=_padded_tokens),
    Case("rnn_of_cells", rnn_of_cells, classes=("GRU",)),
    Case("masked_plain_rnns", masked_plain_rnns, classes=("GRU", "LSTM", "SimpleRNN"), inputs=_pre_padded_tokens),
]
