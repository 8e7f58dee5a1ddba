"""tables.py: captured lookup tables -> modelInitializer, lookups keep the keys' shape, tables
TF.js cannot run are refused in one line, table contents are never quantised."""

import json
import os

import numpy as np
import pytest

from tfjs_export.converter import ConversionError, convert
from tfjs_export.converter.graph import tables
from tfjs_export.converter.graph.freeze import freeze
from tfjs_export.converter.graph.load import load_function
from tfjs_export.converter.graph.reference import run_written_graph_model
from tools.testing import table_models


@pytest.fixture(scope="module")
def table_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    paths = {"static": str(folder / "static"), "mutable": str(folder / "mutable")}
    table_models.save_tables_saved_model(paths["static"])
    table_models.save_mutable_table_saved_model(paths["mutable"])
    return paths


def test_collect_reads_each_captured_table_sorted(table_files):
    loaded = load_function(table_files["static"], "tf_saved_model")
    frozen = freeze(loaded)
    found = tables.collect_tables(loaded.function, loaded.function._tfjs_keep_alive, frozen.graph_def)
    assert sorted(found) == sorted(tables.resource_placeholders(frozen.graph_def)) and len(found) == 3
    by_keys = {t.keys.dtype.name: t for t in found.values()}
    ints, codes, words = by_keys["int64"], by_keys["int32"], by_keys["object"]
    assert ints.creator == codes.creator == words.creator == "HashTableV2" and ints.supported
    assert ints.keys.tolist() == [-5, 3, 7, 11, 1_000_003] and ints.values.dtype == np.float32
    assert codes.keys.tolist() == [2, 3, 11] and codes.values.tolist() == [20, 30, 110]
    # the vocabulary file's lines, read from the SavedModel's asset (the original file is gone)
    assert words.keys.tolist() == sorted(w.encode() for w in table_models.WORDS)
    assert [table_models.WORDS[i] for i in words.values] == [k.decode() for k in words.keys]


def test_no_resource_placeholder_means_no_initializer(model_files):
    loaded = load_function(model_files["cnn_functional"], "keras")
    frozen = freeze(loaded)
    assert tables.collect_tables(loaded.function, loaded.function._tfjs_keep_alive, frozen.graph_def) == {}
    assert tables.attach_tables(frozen.graph_def, {}) is None


def test_written_model_runs_in_tensorflow_like_the_source(table_files, tmp_path):
    """The initializer + resource ids written to model.json, run back in TensorFlow, give the
    SavedModel's own outputs (lookups through the reshaped Find ops included)."""
    import tensorflow as tf
    out = str(tmp_path / "web")
    convert(table_files["static"], out, output_format="tfjs_graph_model")
    model = json.load(open(os.path.join(out, "model.json")))
    resource_inputs = {k: v for k, v in model["signature"]["inputs"].items() if "resourceId" in v}
    outputs = model["initializerSignature"]["outputs"]
    assert sorted(v["resourceId"] for v in resource_inputs.values()) == [1, 2, 3]
    assert sorted(v["resourceId"] for v in outputs.values()) == [1, 2, 3]
    assert all(v["dtype"] == "DT_RESOURCE" and k == v["name"] for k, v in {**resource_inputs, **outputs}.items())
    ops = [n["op"] for n in model["modelInitializer"]["node"]]
    assert ops.count("HashTableV2") == ops.count("LookupTableImportV2") == 3
    finds = [n for n in model["modelTopology"]["node"] if n["op"] == "LookupTableFindV2"]
    assert finds and all(n["name"].endswith("/flat") for n in finds)

    inputs = table_models.tables_saved_model_inputs()  # ids, words: sorted signature order
    ours = run_written_graph_model(out, inputs)
    function = tf.saved_model.load(table_files["static"]).signatures["serving_default"]
    theirs = function(ids=tf.constant(inputs[0]), words=tf.constant(inputs[1]))
    for key, value in zip(sorted(model["signature"]["outputs"]), ours):
        np.testing.assert_allclose(value, theirs[key].numpy(), rtol=1e-6)
        assert np.shape(value) == tuple(theirs[key].shape)


def test_mutable_table_is_refused_in_one_line(table_files, tmp_path, capsys):
    from tfjs_export.converter import cli
    out = tmp_path / "web"
    with pytest.raises(ConversionError) as err:
        convert(table_files["mutable"], str(out), output_format="tfjs_graph_model")
    message = str(err.value)
    assert "MutableHashTableV2" in message and "lookup table 'unknown'" in message and "\n" not in message
    assert not out.exists() and os.listdir(tmp_path) == []
    capsys.readouterr()
    assert cli.main(["convert", table_files["mutable"], str(out), "--output_format", "tfjs_graph_model"]) == 1
    assert capsys.readouterr().err == f"tfjs-export: error: {table_files['mutable']}: {message.split(': ', 1)[1]}\n"
    assert os.listdir(tmp_path) == []


def test_unknown_resource_is_refused():
    import tensorflow as tf
    graph_def = tf.compat.v1.GraphDef()
    node = graph_def.node.add(name="handle", op="Placeholder")
    node.attr["dtype"].type = tf.resource.as_datatype_enum
    with pytest.raises(ConversionError, match="captures resource 'handle', which is not a lookup table"):
        tables.attach_tables(graph_def, {}, "m")


def test_table_contents_are_never_quantised():
    class Everything:
        def dtype_for(self, name, array):
            return "uint8"
    plan = tables.KeepTablesUnquantised(Everything(), frozenset({"table_initializer/t/values"}))
    values = np.ones(3, np.float32)
    assert plan.dtype_for("table_initializer/t/values", values) is None
    assert plan.dtype_for("dense/kernel", values) == "uint8"


def test_table_created_in_the_graph_and_never_filled_is_refused():
    """TF.js would create it empty and return the default value for every key."""
    import tensorflow as tf
    graph_def = tf.compat.v1.GraphDef()
    table = graph_def.node.add(name="hash_table", op="HashTableV2")
    table.attr["key_dtype"].type = tf.int64.as_datatype_enum
    with pytest.raises(ConversionError, match="lookup table 'hash_table' \\(HashTableV2\\) is created inside the graph"):
        tables.attach_tables(graph_def, {}, "m")
    graph_def.node.add(name="fill", op="LookupTableImportV2", input=["hash_table", "k", "v"])
    assert tables.attach_tables(graph_def, {}, "m") is None


@pytest.mark.parametrize("save", ["save_tf1_table_collection", "save_tf1_table_main_op"])
def test_tf1_table_filled_by_the_loaders_init_op_is_carried(tmp_path, save):
    """A TF1 SavedModel creates its HashTableV2 in the graph and fills it from the
    `table_initializer` collection (or a main_op): TensorFlow's loader runs that, so the table's
    live contents become the initializer and the written graph looks up what TF looks up."""
    import tensorflow as tf

    from tools.testing import wild_models
    source, out = str(tmp_path / "tf1"), str(tmp_path / "web")
    getattr(wild_models, save)(source)
    loaded = load_function(source, "tf_saved_model")
    frozen = freeze(loaded)
    found = tables.collect_tables(loaded.function, loaded.function._tfjs_keep_alive, frozen.graph_def)
    (table,) = found.values()
    assert table.owner == "TF1 graph table" and table.creator == "HashTableV2"
    assert table.keys.tolist() == sorted(w.encode() for w in wild_models.WORDS[:8])
    assert sorted(table.values.tolist()) == [1, 4, 7, 10, 13, 16, 19, 22]
    assert tables.resource_placeholders(frozen.graph_def) == list(found)

    convert(source, out, output_format="tfjs_graph_model")
    words = np.array([b"cat", b"zebra", b"mat", b"the"], dtype=object)
    ours = run_written_graph_model(out, [words])
    theirs = tf.saved_model.load(source).signatures["serving_default"](words=tf.constant(words))
    np.testing.assert_array_equal(ours[0], theirs["score"].numpy())
    assert len(set(ours[0].tolist())) == 4  # the unknown word's default differs from every hit
