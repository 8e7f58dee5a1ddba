"""Models with lookup tables (tests only): a TF SavedModel with static hash tables of several key
and value types (one filled from a vocabulary file), a Keras 3 model with StringLookup +
IntegerLookup, and a SavedModel with a mutable table (TF.js cannot run it).

No StaticVocabularyTable (OOV hash buckets): its StringToHashBucketFast has no kernel in
tfjs-node 4.22's TensorFlow backend ("Kernel 'StringToHashBucketFast' not registered")."""

import os

import numpy as np

WORDS = ["apple", "pear", "fig", "plum", "kiwi"]


def save_tables_saved_model(path, seed=41):
    """A tf.Module with three tables and a variable; saved as a SavedModel. Inputs: "ids" int64
    [None, 3] (rank 2: TF.js must keep the keys' shape), "words" string [None]. Outputs: "scores"
    (int64 -> float table times a variable), "word_ids" (vocabulary-file table, int64),
    "code_values" (int32 -> int32 table), "vocab_size" (LookupTableSize)."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    vocab = os.path.join(os.path.dirname(os.path.abspath(path)), os.path.basename(path) + "_vocab.txt")
    with open(vocab, "w", encoding="utf-8") as f:
        f.write("\n".join(WORDS) + "\n")

    class Tables(tf.Module):
        def __init__(self):
            super().__init__()
            self.scores = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
                tf.constant([3, 7, 11, 1_000_003, -5], tf.int64),
                tf.constant(rng.normal(size=5).astype("float32"))), default_value=-1.5)
            self.vocab = tf.lookup.StaticHashTable(tf.lookup.TextFileInitializer(
                vocab, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER), default_value=-1)
            self.codes = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
                tf.constant([2, 3, 11], tf.int32), tf.constant([20, 30, 110], tf.int32)), default_value=-7)
            self.scale = tf.Variable(rng.normal(size=(3,)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.int64, name="ids"),
                                      tf.TensorSpec([None], tf.string, name="words")])
        def __call__(self, ids, words):
            return {"scores": self.scores.lookup(ids) * self.scale,
                    "word_ids": self.vocab.lookup(words),
                    "code_values": self.codes.lookup(tf.cast(ids, tf.int32)),
                    "vocab_size": self.vocab.size()}

    module = Tables()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    os.remove(vocab)  # the SavedModel holds its own copy (an asset): the converter must use that
    return module


def tables_saved_model_inputs():
    """Inputs hitting and missing every table: [ids, words] in signature order."""
    ids = np.array([[3, 7, 11], [1_000_003, -5, 0], [8, 3, 3], [-5, 11, 2]], np.int64)
    words = np.array(["apple", "kiwi", "grape", "", "fig", "melon", "plum", "pear", "Apple"], dtype=object)
    return [ids, words]


def lookup_layers(seed=43):
    """Keras 3: StringLookup on a string [None, 4] input + IntegerLookup on an int64 [None, 2] input,
    each -> Embedding, then Dense (a text-classifier head)."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    words = keras.Input((4,), dtype="string", name="words")
    codes = keras.Input((2,), dtype="int64", name="codes")
    word_ids = layers.StringLookup(vocabulary=WORDS, name="word_lookup")(words)
    code_ids = layers.IntegerLookup(vocabulary=[4, 8, 15, 16, 23, 42], name="code_lookup")(codes)
    x = layers.Concatenate(axis=1)([layers.Embedding(len(WORDS) + 1, 3)(word_ids),
                                    layers.Embedding(7, 3)(code_ids)])
    outputs = layers.Dense(2, name="logits")(layers.Flatten()(x))
    model = keras.Model([words, codes], outputs, name="lookup_layers")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.7, w.shape).astype("float32") for w in model.get_weights()])
    return model


def lookup_layers_inputs():
    """[words, codes] with in- and out-of-vocabulary entries."""
    words = np.array([["apple", "pear", "grape", ""], ["kiwi", "kiwi", "fig", "plum"],
                      ["melon", "apple", "fig", "pear"]], dtype=object)
    codes = np.array([[4, 99], [42, 16], [7, 23]], np.int64)
    return [words, codes]


def save_mutable_table_saved_model(path):
    """A SavedModel looking words up in a tf.lookup.experimental.MutableHashTable (TF.js has no
    mutable tables: the converter must refuse it)."""
    import tensorflow as tf

    class Mutable(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=-1)
            self.table.insert(tf.constant(WORDS), tf.range(len(WORDS), dtype=tf.int64))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="words")])
        def __call__(self, words):
            return {"ids": self.table.lookup(words)}

    module = Mutable()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    return module
