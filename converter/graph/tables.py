"""Hash tables: a graph that looks values up in a table gets a `modelInitializer` in model.json.

TensorFlow keeps a lookup table outside the graph: the function captures the table as a resource
handle (after freezing, a DT_RESOURCE Placeholder), filled once when the model loads. TF.js 4.22
reads the same split (tfjs-converter executor/graph_model.ts):
  - `modelInitializer`: a GraphDef TF.js runs once before the first predict. Ours holds, per
    table, HashTableV2 -> LookupTableImportV2(table, keys Const, values Const) and an Identity of
    the handle with a control edge on the import (so running the Identity fills the table).
  - `initializerSignature.outputs`: those Identity tensors, each with a `resourceId`.
  - the main `signature.inputs` gain the resource Placeholders, each with the same `resourceId`:
    TF.js feeds them itself with the initializer's handles (users feed only their own inputs).
The keys and values are Const nodes of the initializer, stored with the model's weights (TF.js
gives both graphs one weight map), sorted by key so output bytes are deterministic, and never
quantised (table contents are data: a rounded value would be a different lookup result).

Contents are read from the live table at conversion time (LookupTableExportV2), so a table
filled from a vocabulary file (TextFileInitializer) is carried too. Only tables created by
HashTable/HashTableV2 (tf.lookup.StaticHashTable, StaticVocabularyTable, Keras StringLookup /
IntegerLookup) run in TF.js 4.22; mutable and dense tables are refused with one line naming the
table and its op. A TF1 graph creates its tables inside the graph and fills them from an init
op outside the signature; TensorFlow's loader runs that op, so the live contents are read and the
table is carried like a captured one. A table created in the graph that nothing fills (neither
the graph nor a loader's init op) is refused: TF.js would look up an empty table.

TF.js's LookupTableFind returns the found values stacked into a 1-D tensor whatever the keys'
shape (TF returns the keys' shape), so every LookupTableFindV2 is wrapped in Reshape(-1) before and
Reshape(Shape(keys)) after.

Interface (two calls, used by converter/graph/__init__.py):
    found = collect_tables(function, root, graph_def)
        function: the loaded ConcreteFunction (its graph.captures pair each live resource handle
        with the placeholder it became); root: the object owning the tables (the SavedModel or
        Keras model, walked with tf.train.TrackableView); graph_def: the frozen graph (only its
        DT_RESOURCE Placeholders are looked at). Returns {placeholder name: Table}; cheap ({})
        when the graph has no resource placeholder. Must run while the model is alive.
    tables = attach_tables(graph_def, found, path)
        After the graph rewrites, before the op check: refuses unknown or unsupported resources
        and unfilled in-graph tables,
        rewrites the lookups in graph_def (in place) and returns TableGraphs (None if the graph
        uses no table): .initializer (GraphDef), .initializer_signature and .resource_inputs
        (model.json entries), .weight_names (the initializer's Consts).
"""

import dataclasses

import numpy as np

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.nodes import input_name, make_const
from tfjs_export.converter.graph.tensors import DT_RESOURCE, DT_STRING, NUMPY_DTYPES, dtype_enum
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

# Table creation ops TF.js 4.22 executes (its hash_table op list); any other creator is refused.
SUPPORTED_CREATORS = ("HashTable", "HashTableV2")
_TABLE_CREATORS = SUPPORTED_CREATORS + (
    "MutableHashTable", "MutableHashTableV2", "MutableHashTableOfTensors", "MutableHashTableOfTensorsV2",
    "MutableDenseHashTable", "MutableDenseHashTableV2", "AnonymousHashTable", "AnonymousMutableHashTable",
    "AnonymousMutableHashTableOfTensors", "AnonymousMutableDenseHashTable")
_FIND_OPS = ("LookupTableFind", "LookupTableFindV2")
_FILL_OPS = ("LookupTableImport", "LookupTableImportV2", "InitializeTable", "InitializeTableV2",
             "InitializeTableFromTextFile", "InitializeTableFromTextFileV2")
INITIALIZER_PREFIX = "table_initializer"


@dataclasses.dataclass
class Table:
    """One captured resource: what created it and, for a supported table, its contents."""

    placeholder: str  # the DT_RESOURCE Placeholder it became in the frozen graph
    owner: str  # the Python class owning it (for messages), e.g. "StaticHashTable"
    creator: str  # the op creating it ("HashTableV2", "MutableHashTableV2", ...) or "" if unknown
    key_dtype: int = 0  # TF DataType enums
    value_dtype: int = 0
    keys: np.ndarray = None
    values: np.ndarray = None

    @property
    def supported(self):
        return self.creator in SUPPORTED_CREATORS


@dataclasses.dataclass
class TableGraphs:
    """What model.json needs for the tables of one graph."""

    initializer: object  # GraphDef
    initializer_signature: dict  # {"outputs": {tensor name: TensorInfo with resourceId}}
    resource_inputs: dict  # signature inputs to add: {tensor name: TensorInfo with resourceId}
    weight_names: frozenset  # the initializer's Const names (stored with the weights, unquantised)


def resource_placeholders(graph_def):
    """Names of the DT_RESOURCE Placeholders of graph_def (captured tables or other resources)."""
    return [n.name for n in graph_def.node if n.op == "Placeholder" and n.attr["dtype"].type == DT_RESOURCE]


def collect_tables(function, root, graph_def):
    """{placeholder name: Table} for the resource placeholders of graph_def that `function`
    captured from trackable resources under `root` (see the module docstring), plus the TF1
    graph tables `_lift_graph_tables` turns into placeholders."""
    found = _lift_graph_tables(graph_def)
    wanted = set(resource_placeholders(graph_def)) - set(found)
    if not wanted:
        return found
    import tensorflow as tf

    owners = {}
    for obj in tf.train.TrackableView(root).descendants():
        handle = getattr(obj, "_resource_handle", None)  # set on TrackableResource (tables, ...)
        if handle is not None:
            owners.setdefault(id(handle), obj)
    for external, internal in function.graph.captures:
        name = internal.op.name
        if name in wanted and external.dtype == tf.resource and id(external) in owners:
            found[name] = _describe(name, owners[id(external)], external)
    return found


def _lift_graph_tables(graph_def):
    """TF1 SavedModels create their tables inside the graph and fill them from an init op outside
    the signature (`main_op`, `legacy_init_op` or the `table_initializer` collection), which
    TensorFlow's loader has run by now: the live table sits in the resource manager under the
    creator's shared_name. Each such table the graph does not fill itself, found live and not
    empty, becomes a DT_RESOURCE Placeholder of the same name (in place), as a captured TF2 table
    is; returns {name: Table}. Tables not found stay and are refused by attach_tables."""
    filled = _filled_tables(graph_def)
    creators = [n for n in graph_def.node
                if n.op in SUPPORTED_CREATORS and n.name not in filled and n.attr["shared_name"].s]
    if not creators:
        return {}
    import tensorflow as tf

    found = {}
    for node in creators:
        key_dtype, value_dtype = node.attr["key_dtype"].type, node.attr["value_dtype"].type
        try:
            handle = tf.raw_ops.HashTableV2(
                key_dtype=key_dtype, value_dtype=value_dtype, shared_name=node.attr["shared_name"].s,
                container=node.attr["container"].s, use_node_name_sharing=node.attr["use_node_name_sharing"].b)
            keys, values = tf.raw_ops.LookupTableExportV2(
                table_handle=handle, Tkeys=tf.as_dtype(key_dtype), Tvalues=tf.as_dtype(value_dtype))
        except Exception:  # not a live table (e.g. no loader ran): refused later  # noqa: BLE001
            continue
        keys, values = keys.numpy(), values.numpy()
        if not keys.size:  # a table of that name nobody filled: the same as an unfilled one
            continue
        order = np.argsort(keys, kind="stable")
        found[node.name] = Table(node.name, "TF1 graph table", node.op, key_dtype, value_dtype,
                                 keys[order], values[order])
        node.op = "Placeholder"
        node.ClearField("input")  # a creator has none; control edges to it are meaningless now
        node.attr.clear()
        node.attr["dtype"].type = DT_RESOURCE
        node.attr["shape"].shape.SetInParent()  # a resource handle is a scalar
    return found


def _filled_tables(graph_def):
    """Names of the table creators that an op of graph_def fills."""
    return {input_name(n.input[0]) for n in graph_def.node if n.input and n.op in _FILL_OPS}


def _describe(placeholder, owner, handle):
    """Table for one captured resource: its creator op (traced from the owner's _create_resource
    in a throw-away graph) and, when TF.js can run it, its current keys and values."""
    import tensorflow as tf

    creator = None
    try:
        with tf.Graph().as_default() as graph:
            owner._create_resource()
        graph_def = graph.as_graph_def()
        nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
        creator = next((n for n in nodes if n.op in _TABLE_CREATORS), None)
    except Exception:  # not a resource we can trace: refused by attach_tables  # noqa: BLE001
        pass
    table = Table(placeholder, type(owner).__name__.lstrip("_"), creator.op if creator else "")
    if not table.supported:
        return table
    table.key_dtype = creator.attr["key_dtype"].type
    table.value_dtype = creator.attr["value_dtype"].type
    keys, values = tf.raw_ops.LookupTableExportV2(
        table_handle=handle, Tkeys=tf.as_dtype(table.key_dtype), Tvalues=tf.as_dtype(table.value_dtype))
    keys, values = keys.numpy(), values.numpy()
    order = np.argsort(keys, kind="stable")  # export order is hash order: sort for stable bytes
    table.keys, table.values = keys[order], values[order]
    return table


def attach_tables(graph_def, tables, path=None):
    """Refuse resources TF.js cannot run, rewrite the lookups of graph_def in place and build the
    initializer; return TableGraphs, or None when graph_def has no resource placeholder."""
    _refuse_unfilled_tables(graph_def, path)
    placeholders = sorted(resource_placeholders(graph_def))
    if not placeholders:
        return None
    for name in placeholders:
        table = tables.get(name)
        if table is None:
            raise ConversionError(f"the graph captures resource '{name}', which is not a lookup table: "
                                  "TF.js 4.22 can only be given hash tables (tf.lookup.StaticHashTable)", path)
        if not table.supported:
            made_by = f"op {table.creator}" if table.creator else "an op that creates no hash table"
            raise ConversionError(f"lookup table '{name}' ({table.owner}, {made_by}) cannot run in TF.js 4.22: "
                                  "it runs only static hash tables (HashTableV2: tf.lookup.StaticHashTable, "
                                  "StaticVocabularyTable, Keras StringLookup/IntegerLookup)", path)
    reshape_lookups(graph_def)
    taken = {n.name for n in graph_def.node}
    initializer = _new_graph_def(graph_def)
    init_outputs, resource_inputs, weight_names = {}, {}, set()
    for resource_id, name in enumerate(placeholders, start=1):
        prefix = _free_prefix(f"{INITIALIZER_PREFIX}/{name}", taken)
        handle = _add_table_init(initializer, prefix, tables[name])
        weight_names.update((f"{prefix}/keys", f"{prefix}/values"))
        init_outputs[f"{handle}:0"] = _resource_info(f"{handle}:0", resource_id)
        resource_inputs[f"{name}:0"] = _resource_info(f"{name}:0", resource_id)
    return TableGraphs(initializer, {"outputs": init_outputs}, resource_inputs, frozenset(weight_names))


def _refuse_unfilled_tables(graph_def, path):
    """A table created inside the main graph (e.g. a TF1 graph, whose init op is not part of the
    signature) that no op there fills would be an empty table in TF.js: every lookup the default
    value. Refused rather than written."""
    filled = _filled_tables(graph_def)
    for node in graph_def.node:
        if node.op in _TABLE_CREATORS and node.name not in filled:
            raise ConversionError(f"lookup table '{node.name}' ({node.op}) is created inside the graph and nothing "
                                  "fills it: TF.js would look up an empty table (tables the function captures, "
                                  "e.g. TF2 tf.lookup.StaticHashTable, and TF1 tables the SavedModel's init op "
                                  "fills are carried)", path)


def _resource_info(tensor_name, resource_id):
    return {"name": tensor_name, "dtype": "DT_RESOURCE", "tensorShape": {}, "resourceId": resource_id}


def _new_graph_def(like):
    graph_def = tensorflow_protos().graph_pb2.GraphDef()
    graph_def.versions.CopyFrom(like.versions)
    return graph_def


def _free_prefix(base, taken):
    prefix, i = base, 0
    while any(n == prefix or n.startswith(prefix + "/") for n in taken):
        i += 1
        prefix = f"{base}_{i}"
    taken.add(prefix)
    return prefix


def _add_table_init(graph_def, prefix, table):
    """Append HashTableV2 + keys/values Consts + LookupTableImportV2 + Identity(handle, ^import);
    return the Identity's name (the initializer output TF.js maps to the table's resource id)."""
    keys = _as_tf_array(table.keys, table.key_dtype)
    values = _as_tf_array(table.values, table.value_dtype)
    create = graph_def.node.add(name=f"{prefix}/table", op="HashTableV2")
    create.attr["key_dtype"].type = table.key_dtype
    create.attr["value_dtype"].type = table.value_dtype
    create.attr["container"].s = b""
    create.attr["shared_name"].s = b""
    create.attr["use_node_name_sharing"].b = False
    graph_def.node.append(make_const(f"{prefix}/keys", keys))
    graph_def.node.append(make_const(f"{prefix}/values", values))
    load = graph_def.node.add(name=f"{prefix}/import", op="LookupTableImportV2",
                              input=[create.name, f"{prefix}/keys", f"{prefix}/values"])
    load.attr["Tin"].type = table.key_dtype
    load.attr["Tout"].type = table.value_dtype
    handle = graph_def.node.add(name=f"{prefix}/handle", op="Identity", input=[create.name, f"^{load.name}"])
    handle.attr["T"].type = DT_RESOURCE
    return handle.name


def _as_tf_array(array, dtype):
    """The table's keys or values as the numpy array make_const writes with TF dtype enum `dtype`."""
    return np.asarray(array, dtype=object if dtype == DT_STRING else NUMPY_DTYPES[dtype])


def reshape_lookups(graph_def):
    """Give every table lookup the keys' shape in TF.js too (see the module docstring): the Find
    node moves to `<name>/flat` and reads Reshape(keys, [-1]); a Reshape to Shape(keys) takes the
    original name, so consumers and signature outputs are unchanged. Returns how many."""
    finds = [n for n in graph_def.node if n.op in _FIND_OPS]
    int32 = dtype_enum(np.int32)
    for find in finds:
        name, keys = find.name, find.input[1]
        key_dtype, value_dtype = find.attr["Tin"].type, find.attr["Tout"].type
        graph_def.node.append(make_const(f"{name}/flat_shape", np.array([-1], np.int32)))
        flat_keys = graph_def.node.add(name=f"{name}/flat_keys", op="Reshape", input=[keys, f"{name}/flat_shape"])
        flat_keys.attr["T"].type = key_dtype
        flat_keys.attr["Tshape"].type = int32
        keys_shape = graph_def.node.add(name=f"{name}/keys_shape", op="Shape", input=[keys])
        keys_shape.attr["T"].type = key_dtype
        keys_shape.attr["out_type"].type = int32
        find.name = f"{name}/flat"
        find.input[1] = flat_keys.name
        reshaped = graph_def.node.add(name=name, op="Reshape", input=[find.name, keys_shape.name])
        reshaped.attr["T"].type = value_dtype
        reshaped.attr["Tshape"].type = int32
    return len(finds)


class KeepTablesUnquantised:
    """A quantisation plan that leaves the table contents as they are (see the module docstring)."""

    def __init__(self, plan, table_weight_names):
        self._plan, self._names = plan, table_weight_names

    def dtype_for(self, name, array):
        return None if name in self._names else self._plan.dtype_for(name, array)

    def requested_dtype(self, name, array):
        return None if name in self._names else self._plan.requested_dtype(name, array)

    def keep_reason(self, name, array):
        return None if name in self._names else self._plan.keep_reason(name, array)

    def __bool__(self):
        return bool(self._plan)
