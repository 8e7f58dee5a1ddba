"""Structural checks of a Keras model config before translation: every layer is an object with a
unique name, every `inbound_nodes` / `input_layers` / `output_layers` reference names an existing
layer and node, and the layer graph has no cycle. A config from a hostile or damaged file fails
here with one line naming the layer, instead of deep in the translation or later in TF.js.
Reads both the Keras 3 (`keras_history`) and Keras 2 (`[name, node, tensor, kwargs]`) layouts.
"""

from tfjs_export.converter.errors import ConversionError, brief
from tfjs_export.converter.layers_config.layer_table import MODEL_CLASSES
from tfjs_export.converter.structure import StructureError, flatten


def check_model_config(config, path, where="model config"):
    """Raise ConversionError if `config` (a model config dict) is structurally broken."""
    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        return  # the translation reports a missing layer list with the model's class
    layers = inner["layers"]
    names = []
    for index, layer in enumerate(layers):
        if not isinstance(layer, dict) or not isinstance(layer.get("config", {}), dict):
            raise ConversionError(f"{where}: layer #{index} is not a JSON object with a config", path)
        name = layer.get("config", {}).get("name", layer.get("name"))
        if name is not None and not isinstance(name, str):
            raise ConversionError(f"{where}: layer #{index} has a non-string name {brief(name)}", path)
        if name in names:
            raise ConversionError(f"{where}: two layers are named '{name}'", path)
        names.append(name)
        if layer.get("class_name") in MODEL_CLASSES:
            check_model_config(layer, path, f"{where}: model '{name}'")
    if config.get("class_name") == "Sequential":
        return
    nodes, models = {}, set()
    for name, layer in zip(names, layers):
        inbound = layer.get("inbound_nodes", [])
        if not isinstance(inbound, list):
            raise ConversionError(f"{where}: layer '{name}': inbound_nodes is not a list", path)
        nodes[name] = inbound
        if layer.get("class_name") in MODEL_CLASSES:
            models.add(name)
    # The graph of calls: node (layer, i) is the layer's i-th call (inbound_nodes[i]); it depends
    # on the calls its references name. A shared layer may take its own earlier call as input.
    # Node indices of a nested model are offset in Keras 2 files: a reference to a nested model
    # (or past a layer's stored calls) is a leaf here, never a false cycle.
    edges = {}
    for name, inbound in nodes.items():
        for index, node in enumerate(inbound):
            edges[(name, index)] = set()
            for ref in _references(node):
                _check_ref(ref, nodes, path, f"{where}: layer '{name}'")
                if ref[0] not in models and ref[1] < len(nodes[ref[0]]):
                    edges[(name, index)].add((ref[0], ref[1]))
    for key in ("input_layers", "output_layers"):
        # A single tensor, a list, a dict or any nesting of them (Keras 3): converter/structure.py.
        refs = inner.get(key, [])
        if refs == []:
            continue
        try:
            leaves = flatten(refs, "inputs" if key == "input_layers" else "outputs")
        except RecursionError:
            raise ConversionError(f"{where}: {key} is nested too deeply", path) from None
        except StructureError as err:
            if isinstance(refs, (list, tuple, dict)) and refs:
                raise ConversionError(f"{where}: {key}: {err}", path) from None
            raise ConversionError(f"{where}: {key} is neither a layer reference, a list nor a dict", path) from None
        for _, ref in leaves:
            _check_ref(ref, nodes, path, f"{where}: {key}")
    _check_acyclic(edges, path, where)


def _references(value):
    """(layer, node, tensor) references in an inbound_nodes value, in either Keras layout."""
    if isinstance(value, dict):
        history = value.get("keras_history")
        if history is not None:
            yield history
            return
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
            yield value  # Keras 2: [name, node_index, tensor_index, kwargs]
            return
        for item in value:
            yield from _references(item)


def _check_ref(ref, nodes, path, where):
    if not (isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in ref[1:3])):
        raise ConversionError(f"{where}: malformed layer reference {brief(ref)}", path)
    if ref[0] not in nodes:
        raise ConversionError(f"{where}: refers to layer '{ref[0]}', which is not in the model", path)
    if ref[1] < 0 or ref[2] < 0:
        raise ConversionError(f"{where}: negative node or tensor index in {brief(ref)}", path)


def _check_acyclic(edges, path, where):
    state = {}  # name -> 1 visiting, 2 done
    for start in edges:
        if state.get(start):
            continue
        stack = [(start, iter(sorted(edges[start])))]
        state[start] = 1
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[name] = 2
                stack.pop()
            elif state.get(child) == 1:
                raise ConversionError(f"{where}: layer '{child[0]}' depends on itself (a cycle in "
                                      "inbound_nodes)", path)
            elif not state.get(child):
                state[child] = 1
                stack.append((child, iter(sorted(edges[child]))))


def translate_checked(config, path, where, keras_version, allow_custom_layers=False):
    """check_model_config, then the translation; a config of the wrong shape that the
    translation trips over (a list where a name belongs, ...) is reported as one line too."""
    from tfjs_export.converter.layers_config.translate import translate_model
    if not isinstance(config.get("class_name"), str):
        raise ConversionError(f"{where}: the model's class_name is missing or not a string", path)
    check_model_config(config, path, where)
    try:
        return translate_model(config, path, keras_version=keras_version,
                               allow_custom_layers=allow_custom_layers)
    except ConversionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as err:
        detail = str(err).splitlines()[0] if str(err) else ""
        raise ConversionError(f"{where}: malformed model config ({type(err).__name__}: {detail})", path) from None


def translation_extra(translation):
    """The model.json fields a translation adds: userDefinedMetadata recording a dict or nested
    input/output structure (converter/structure.py), when there is one."""
    return {"userDefinedMetadata": translation.structure} if translation.structure else {}
