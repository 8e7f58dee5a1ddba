"""Steps 1-2 for a TF2 SavedModel, without loading it into TensorFlow: read `saved_model.pb` and
the variables checkpoint, and freeze the signature's function.

Loading a SavedModel with `tf.saved_model.load` and freezing it with TF's
`convert_variables_to_constants_v2` takes ~10 s and ~1.3 GB for ResNet50 (the function graph is
rebuilt in Python, inlined and re-imported several times, each a copy of the weights). Here:
1. the signature's outputs lead to one call node in the MetaGraph's graph, whose function is
   the signature function; its trailing inputs are the captured variables (and tensors captured
   by value, kept as Const nodes in the MetaGraph). The SavedObjectGraph names each capture's
   object (`bound_inputs`); walking it and the checkpoint's object graph from the root by the
   same child names gives each variable's checkpoint key;
2. a small GraphDef (input placeholders, one resource placeholder per variable, the call node,
   the function library) goes through grappler's function inliner, which also lowers While/If
   to Switch/Merge/Enter/Exit, as TF.js needs; no weights are in the graph yet;
3. each resource placeholder becomes a Const holding the variable's value (read from the
   checkpoint as a memory map): freeze.freeze_captures.

A SavedModel this module does not understand (TF1-style, captured tables or other resources,
variable handles reaching ops other than reads) raises `NotFreezable`, and the caller falls back to TensorFlow's
loader; damaged files are ConversionErrors.
"""

import os

from tfjs_export.converter.errors import ConversionError, os_error_message
from tfjs_export.converter.graph.freeze import FrozenGraph, NotFreezable, TensorInfo, freeze_captures
from tfjs_export.converter.graph.nodes import input_name, safe_node_name
from tfjs_export.converter.graph.tensor_bundle import TensorBundle
from tfjs_export.converter.graph.tensors import DT_RESOURCE, dtype_enum, to_numpy
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

_CALL_OPS = ("StatefulPartitionedCall", "PartitionedCall")


def parse_saved_model(path):
    """The SavedModel proto of directory `path` (ConversionError if it is not one)."""
    protos = tensorflow_protos()
    pb = os.path.join(path, "saved_model.pb")
    if not os.path.isdir(path):
        raise ConversionError("not a readable SavedModel: not a directory", path)
    if not os.path.lexists(pb):
        if os.path.exists(os.path.join(path, "saved_model.pbtxt")):
            raise NotFreezable("text-format SavedModel")
        raise ConversionError("not a readable SavedModel: no saved_model.pb in the directory", path)
    try:
        with open(pb, "rb") as f:
            data = f.read()
    except OSError as err:
        raise ConversionError(f"not a readable SavedModel: {os_error_message(err, 'file')}", pb) from None
    if not data:
        raise ConversionError("not a readable SavedModel: saved_model.pb is empty (0 bytes)", pb)
    try:
        return protos.saved_model_pb2.SavedModel.FromString(data)
    except Exception as err:  # protobuf's DecodeError and friends
        raise ConversionError(f"not a readable SavedModel: saved_model.pb does not parse ({err})", pb) from None


def select_signature(saved, path, signature_name, tags):
    """(MetaGraphDef, SignatureDef) for `tags` and `signature_name`; errors list what exists."""
    wanted = set(tags)
    if not saved.meta_graphs:  # protobuf parses most byte strings: garbage gives an empty message
        raise ConversionError("not a readable SavedModel: saved_model.pb holds no MetaGraph (empty, or not a "
                              "SavedModel protobuf)", os.path.join(path, "saved_model.pb"))
    meta = next((m for m in saved.meta_graphs if set(m.meta_info_def.tags) == wanted), None)
    if meta is None:
        found = "; ".join(",".join(sorted(m.meta_info_def.tags)) or "(none)" for m in saved.meta_graphs)
        raise ConversionError(f"no MetaGraph with tags {','.join(sorted(wanted))} (available: {found})", path)
    if signature_name not in meta.signature_def:
        available = sorted(k for k in meta.signature_def if not k.startswith("__"))
        raise ConversionError(f"no signature '{signature_name}' (available: "
                              f"{', '.join(available) or 'none'})", path)
    return meta, meta.signature_def[signature_name]


def freeze_saved_model(path, signature_name="serving_default", tags=("serve",)):
    """Read and freeze one signature of the SavedModel at `path`: (FrozenGraph, generated_by)."""
    saved = parse_saved_model(path)
    meta, signature = select_signature(saved, path, signature_name, tags)
    if not meta.HasField("object_graph_def") or not meta.object_graph_def.nodes:
        raise NotFreezable("no object graph (a TF1 SavedModel)")
    outer = {node.name: node for node in meta.graph_def.node}
    call = _signature_call_node(signature, outer)
    function = meta.object_graph_def.concrete_functions.get(call.attr["f"].func.name)
    if function is None:
        raise NotFreezable(f"function {call.attr['f'].func.name} is not in the object graph")
    data_inputs = [ref for ref in call.input if not ref.startswith("^")]
    n_args = len(data_inputs) - len(function.bound_inputs)
    if n_args < 0:
        raise NotFreezable("more captures than call inputs")

    bundle = TensorBundle(os.path.join(path, "variables", "variables"))
    keys = _checkpoint_keys(meta.object_graph_def, bundle, path)
    captures, constants = {}, set()  # capture placeholder name -> its value (variables: a memory map)
    for ref, node_id in zip(data_inputs[n_args:], function.bound_inputs):
        saved_object = (meta.object_graph_def.nodes[node_id] if node_id < len(meta.object_graph_def.nodes)
                        else None)
        kind = saved_object.WhichOneof("kind") if saved_object is not None else "missing object"
        if kind == "variable" and node_id in keys:
            captures[input_name(ref)] = bundle.array(keys[node_id])
        elif kind == "constant" and saved_object.constant.operation in outer:  # a tensor captured by value
            captures[input_name(ref)] = to_numpy(outer[saved_object.constant.operation].attr["value"].tensor)
            constants.add(input_name(ref))
        else:
            raise NotFreezable(f"captured input {input_name(ref)} is a {kind}, not a variable or constant")

    graph_def, inputs, outputs = _call_graph(meta, signature, call, data_inputs[:n_args], captures, constants)
    graph_def = freeze_captures(graph_def, captures, [i.name for i in inputs], [o.name for o in outputs])
    version = meta.meta_info_def.tensorflow_version
    return FrozenGraph(graph_def, inputs, outputs), f"TensorFlow {version}" if version else "TensorFlow"


def _signature_call_node(signature, outer):
    """The one call node all signature outputs come from."""
    names = {input_name(t.name) for t in signature.outputs.values()}
    if len(names) != 1:
        raise NotFreezable("signature outputs come from several nodes")
    node = outer.get(names.pop())
    if node is None or node.op not in _CALL_OPS:
        raise NotFreezable("signature outputs do not come from a function call")
    return node


def _checkpoint_keys(object_graph, bundle, path):
    """SavedObjectGraph node id -> checkpoint key of its VARIABLE_VALUE, matched by child path."""
    protos = tensorflow_protos()
    if "_CHECKPOINTABLE_OBJECT_GRAPH" not in bundle.entries:
        raise NotFreezable("the checkpoint has no object graph")
    try:
        checkpoint_graph = protos.trackable_object_graph_pb2.TrackableObjectGraph.FromString(
            bundle.array("_CHECKPOINTABLE_OBJECT_GRAPH").reshape(-1)[0])
    except Exception as err:  # DecodeError
        raise ConversionError(f"the checkpoint's object graph does not parse ({err})", path) from None
    keys, seen, stack = {}, set(), [(0, 0)]
    while stack:
        saved_id, checkpoint_id = stack.pop()
        if saved_id in seen or saved_id >= len(object_graph.nodes) or checkpoint_id >= len(checkpoint_graph.nodes):
            continue
        seen.add(saved_id)
        checkpoint_node = checkpoint_graph.nodes[checkpoint_id]
        for attribute in checkpoint_node.attributes:
            if attribute.name == "VARIABLE_VALUE":
                keys[saved_id] = attribute.checkpoint_key
        children = {c.local_name: c.node_id for c in checkpoint_node.children}
        for child in object_graph.nodes[saved_id].children:
            if child.local_name in children:
                stack.append((child.node_id, children[child.local_name]))
    return keys


def _call_graph(meta, signature, call, arg_refs, captures, constants):
    """GraphDef: placeholders for the signature inputs and the captures (variable handles, or
    the `constants`' own dtype and shape), the call, and one Identity per output named after its
    signature key; plus the TensorInfo lists."""
    protos = tensorflow_protos()
    graph_def = protos.graph_pb2.GraphDef()
    graph_def.versions.CopyFrom(meta.graph_def.versions)
    graph_def.library.CopyFrom(meta.graph_def.library)

    by_tensor = {t.name: key for key, t in signature.inputs.items()}
    renamed, inputs = {}, []
    for ref in arg_refs:
        key = by_tensor.get(ref if ":" in ref else ref + ":0")
        if key is None:
            raise NotFreezable(f"call input {ref} is not a signature input")
        spec = signature.inputs[key]
        node = graph_def.node.add(name=safe_node_name(key, len(inputs)), op="Placeholder")
        node.attr["dtype"].type = spec.dtype
        node.attr["shape"].shape.CopyFrom(spec.tensor_shape)
        renamed[input_name(ref)] = node.name
        inputs.append(_tensor_info(key, node.name + ":0", spec))
    for name, value in captures.items():
        node = graph_def.node.add(name=name, op="Placeholder")
        if name in constants:
            node.attr["dtype"].type = dtype_enum(value.dtype)
            for size in value.shape:
                node.attr["shape"].shape.dim.add(size=size)
        else:
            node.attr["dtype"].type = DT_RESOURCE
            node.attr["shape"].shape.SetInParent()  # a scalar handle; grappler refuses shapeless feeds
    call_node = graph_def.node.add()
    call_node.CopyFrom(call)
    call_node.ClearField("device")
    call_node.input[:] = [renamed.get(input_name(r), r) for r in call.input if not r.startswith("^")]

    taken = {n.name for n in graph_def.node}
    if len(taken) != len(graph_def.node):  # a signature key named like a variable handle
        raise NotFreezable("input and variable node names collide")
    outputs = []
    for key in sorted(signature.outputs):
        spec = signature.outputs[key]
        name = safe_node_name(key, len(outputs))
        while name in taken:
            name += "_"
        taken.add(name)
        node = graph_def.node.add(name=name, op="Identity", input=[spec.name])
        node.attr["T"].type = spec.dtype
        outputs.append(_tensor_info(key, name + ":0", spec))
    return graph_def, sorted(inputs, key=lambda i: i.key), outputs


def _tensor_info(key, name, spec):
    shape = None if spec.tensor_shape.unknown_rank else [d.size if d.size >= 0 else None
                                                          for d in spec.tensor_shape.dim]
    return TensorInfo(key, name, spec.dtype, shape)
