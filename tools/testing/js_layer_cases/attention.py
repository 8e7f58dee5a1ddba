"""Parity cases of src/attention.js (EinsumDense, MultiHeadAttention, Attention,
AdditiveAttention) and src/masks.js (KerasMask, for masks of arguments other than the first)."""

import numpy as np

from tools.testing.js_layer_cases import Case, randomise


def _keras(seed):
    import keras
    keras.utils.set_random_seed(seed)
    return keras, keras.layers


def _tokens(model, seed, vocabulary=20):
    """Integer tokens for every int input, the last steps 0 (padding) in some rows; float inputs
    N(0, 1); bool inputs (attention masks) random with each row keeping a True."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = (3,) + tuple(tensor.shape[1:])
        if "int" in str(tensor.dtype):
            tokens = rng.integers(1, vocabulary, size=shape).astype("int32")
            tokens[0, -3:] = 0
            tokens[2, -1:] = 0
            arrays.append(tokens)
        elif "bool" in str(tensor.dtype):
            mask = rng.random(shape) > 0.3
            mask[..., 0] = True
            arrays.append(mask)
        else:
            arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def einsum_dense(seed=201):
    """EinsumDense in its three forms: 'ab,bc->ac' (a Dense), '...b,bc->...c' with a bias over c,
    'abc,cde->abde' (a head projection), 'ab...,bc->ac...' and an activation."""
    keras, L = _keras(seed)
    inputs = keras.Input((4, 6), name="x")
    a = L.EinsumDense("abc,cde->abde", output_shape=(4, 2, 3), bias_axes="de")(inputs)
    a = L.Reshape((4, 6))(a)
    b = L.EinsumDense("...b,bc->...c", output_shape=5, bias_axes="c", activation="tanh")(a)
    c = L.EinsumDense("ab...,bc->ac...", output_shape=3)(L.Permute((2, 1))(b))
    flat = L.Flatten()(c)
    outputs = L.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c")(flat)
    return randomise(keras.Model(inputs, outputs, name="einsum_dense"), seed)


def mha_self(seed=202):
    """Self-attention MultiHeadAttention(q, q) -> residual -> LayerNormalization (the zoo's
    attention block)."""
    keras, L = _keras(seed)
    tokens = keras.Input((5, 8), name="tokens")
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(tokens, tokens)
    x = L.LayerNormalization()(L.Add()([tokens, attended]))
    outputs = L.Dense(3, name="out")(L.GlobalAveragePooling1D()(x))
    return randomise(keras.Model(tokens, outputs, name="mha_self"), seed)


def mha_cross_key_mask(seed=203):
    """Cross attention with a separate key, an explicit attention_mask, value_dim != key_dim,
    output_shape, no bias, and the attention scores returned."""
    keras, L = _keras(seed)
    query = keras.Input((4, 6), name="query")
    value = keras.Input((7, 5), name="value")
    key = keras.Input((7, 3), name="key")
    mask = keras.Input((4, 7), dtype="bool", name="mask")
    mha = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=(5,), use_bias=False)
    out, scores = mha(query, value, key=key, attention_mask=mask, return_attention_scores=True)
    return randomise(keras.Model([query, value, key, mask], [out, scores], name="mha_cross_key_mask"), seed)


def mha_causal(seed=204):
    """Decoder-style self-attention with use_causal_mask=True and a query longer than 1."""
    keras, L = _keras(seed)
    tokens = keras.Input((6, 8), name="tokens")
    out = L.MultiHeadAttention(num_heads=4, key_dim=2)(tokens, tokens, use_causal_mask=True)
    return randomise(keras.Model(tokens, out, name="mha_causal"), seed)


def mha_masked_tokens(seed=205):
    """Embedding(mask_zero) -> MultiHeadAttention: the query and value masks (padding), and the
    query mask with a causal mask in self-attention. (Each attention has its own Embedding: Keras
    3's MultiHeadAttention removes the mask from its query tensor, so a second layer reading the
    same tensor would see none or not depending on the order Keras runs them in.)"""
    keras, L = _keras(seed)
    text = keras.Input((6,), dtype="int32", name="text")
    memory = keras.Input((5,), dtype="int32", name="memory")
    q = L.Embedding(20, 8, mask_zero=True)(text)
    v = L.Embedding(20, 8, mask_zero=True)(memory)
    x = L.MultiHeadAttention(num_heads=2, key_dim=4)(q, v)
    s = L.Embedding(20, 8, mask_zero=True)(text)
    y = L.MultiHeadAttention(num_heads=2, key_dim=4)(s, s, use_causal_mask=True)
    return randomise(keras.Model([text, memory], [x, y], name="mha_masked_tokens"), seed)


def mha_2d_axes(seed=206):
    """Attention over two axes (attention_axes=(1, 2)) of an image-like input."""
    keras, L = _keras(seed)
    grid = keras.Input((3, 4, 6), name="grid")
    out = L.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2))(grid, grid)
    return randomise(keras.Model(grid, out, name="mha_2d_axes"), seed)


def transformer_classifier(seed=207):
    """The issue's small transformer classifier: Embedding -> MultiHeadAttention -> residual
    LayerNormalization -> feed-forward -> residual LayerNormalization -> pooling -> softmax."""
    keras, L = _keras(seed)
    tokens = keras.Input((10,), dtype="int32", name="tokens")
    x = L.Embedding(30, 16)(tokens)
    attended = L.MultiHeadAttention(num_heads=4, key_dim=4)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, attended]))
    ff = L.Dense(16)(L.Dense(32, activation="relu")(x))
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, ff]))
    x = L.GlobalAveragePooling1D()(x)
    outputs = L.Dense(3, activation="softmax", name="classes")(L.Dropout(0.1)(x))
    return randomise(keras.Model(tokens, outputs, name="transformer_classifier"), seed, scale=0.3)


def dot_attention(seed=208):
    """Attention (dot scores, then scaled and 'concat' scores), with a key, causal mask and
    attention scores returned."""
    keras, L = _keras(seed)
    q = keras.Input((4, 5), name="q")
    v = keras.Input((6, 5), name="v")
    k = keras.Input((6, 5), name="k")
    plain = L.Attention()([q, v])
    scaled, scores = L.Attention(use_scale=True)([q, v, k], return_attention_scores=True)
    concat = L.Attention(score_mode="concat", use_scale=True)([q, v], use_causal_mask=True)
    out = L.Concatenate()([plain, scaled, concat])
    return randomise(keras.Model([q, v, k], [out, scores], name="dot_attention"), seed)


def additive_attention(seed=209):
    """AdditiveAttention with and without its scale, with masked query and value (Embedding
    mask_zero): the value mask reaches the layer as a tensor (KerasMask)."""
    keras, L = _keras(seed)
    text = keras.Input((5,), dtype="int32", name="text")
    memory = keras.Input((7,), dtype="int32", name="memory")
    q = L.Embedding(20, 4, mask_zero=True)(text)
    v = L.Embedding(20, 4, mask_zero=True)(memory)
    a = L.AdditiveAttention()([q, v])
    b = L.AdditiveAttention(use_scale=False)([q, v])
    c = L.Attention()([q, v])
    return randomise(keras.Model([text, memory], L.Concatenate()([a, b, c]), name="additive_attention"), seed)


def zoo_attention(seed=13):
    """The zoo's layer-norm + attention block (tools/testing/graph_models.attention), which only
    the Graph format carried before."""
    from tools.testing import graph_models
    return graph_models.attention(seed)


CASES = [
    Case("einsum_dense", einsum_dense, classes=("EinsumDense",)),
    Case("mha_self", mha_self, classes=("MultiHeadAttention",)),
    Case("mha_cross_key_mask", mha_cross_key_mask, classes=("MultiHeadAttention",), inputs=_tokens),
    Case("mha_causal", mha_causal, classes=("MultiHeadAttention",)),
    Case("mha_masked_tokens", mha_masked_tokens, classes=("MultiHeadAttention", "KerasMask"), inputs=_tokens),
    Case("mha_2d_axes", mha_2d_axes, classes=("MultiHeadAttention",)),
    Case("transformer_classifier", transformer_classifier, classes=("MultiHeadAttention",), inputs=_tokens),
    Case("dot_attention", dot_attention, classes=("Attention",)),
    Case("additive_attention", additive_attention, classes=("AdditiveAttention", "Attention", "KerasMask"),
         inputs=_tokens),
    Case("zoo_attention", zoo_attention, classes=("MultiHeadAttention",)),
]
