"""Keras model config -> tfjs-layers topology, layer by layer (see layer_table.RULES).

Keras 3 configs (from `.keras` and Keras-3 `.h5`) and Keras 2 / tf_keras configs (from legacy
`.h5`) go through the same table. Differences handled here (docs/architecture.md, "What Keras 3 files need"):
`batch_shape` -> `batch_input_shape`; DTypePolicy dicts -> dtype names;
`module`/`registered_name`/`build_config` dropped; Keras 3 inbound nodes
(`{"args": [__keras_tensor__...], "kwargs": {}}`) -> Keras 2 node lists
(`[[[layer, node_index, tensor_index, kwargs], ...]]`); `Functional` -> `Model`.

Rewrites, where Keras semantics have no single tfjs layer (each proven by the zoo parity test):
- Global*Pooling with keepdims=True -> the pooling layer (`<name>_pool`) + a Reshape named
  `<name>` restoring the size-1 axes (tfjs pooling has no keepdims);
- Subtract(a, b) -> Rescaling(scale=-1) of b (`<name>_negate`) + an Add named `<name>`;
- Normalization -> our JS class Normalization holding the mean and variance (config or adapted);
- RNN(cell) -> the recurrent layer of its cell, a stack of cells -> a chain of them (rnn_cells.py);
- a Dense / Embedding quantised by Keras -> the float layer, its weights dequantised by the
  readers (keras_quantized.py).

The weights: `Translation.layer_weights` maps each top-level layer name to the TF.js names of
its variables in Keras' creation order, as (name, trainable) pairs (name None: a Keras variable
TF.js has no use for). Readers pair these with the arrays they find.
"""

import json

import numpy as np

from tfjs_export.converter.errors import ConversionError, UnsupportedLayerError, brief
from tfjs_export.converter.layers_config import keras_quantized, objects, operations, rnn_cells
from tfjs_export.converter.layers_config.layer_table import (_COMMON_KEYS, GRAPH_HINT, KERAS2_MISMATCHED, MISMATCHED,
                                                              MODEL_CLASSES, RULES)
from tfjs_export.converter.spec import Weight
from tfjs_export.converter.writers import layers_js
from tfjs_export.converter.structure import StructureError, named_leaves
from tfjs_export.converter.structure import metadata as structure_metadata


class Translation:
    """The translated topology plus, per top-level layer, its variables' TF.js names."""

    def __init__(self, topology, layer_weights, constants, notices, custom_layers=(), quantized=None, structure=None):
        self.topology = topology
        # layers quantised by Keras: {TF.js weight prefix (e.g. "dense"): keras_quantized.QuantizedLayer};
        # their layer_weights entries name Keras' variables, which readers dequantise.
        self.quantized = dict(quantized or {})
        # model.json userDefinedMetadata recording a dict / nested input-output structure, or None
        self.structure = structure
        # top-level custom layers kept by allow_custom_layers: their weights take the names
        # `<layer>/<index>` in the order the file stores them (it records no variable names).
        self.custom_layers = set(custom_layers)
        self.layer_weights = layer_weights  # {layer name: [(tfjs name or None, trainable)]}
        self.constants = constants  # [Weight] taken from the config itself (Normalization stats)
        self.notices = notices


def translate_model(config, path=None, keras_version="3", allow_custom_layers=False):
    """Translate a Keras model config dict (Sequential or Functional, Keras 3 or 2).

    allow_custom_layers: keep top-level layers of custom (non-Keras) classes as they are, class
    name and config, for users who register a same-named class in JS, instead of refusing them."""
    class_name = config.get("class_name")
    inner = config.get("config")
    if class_name not in MODEL_CLASSES:
        raise ConversionError(
            f"model class {brief(class_name)} is a subclassed model: the Layers format needs a Sequential or "
            "functional model; convert it with --output_format tfjs_graph_model (its classes registered "
            "with --custom_objects FILE.py)", path)
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise ConversionError(f"model config: model {brief(class_name)} has no layer list", path)
    translator = _Translator(path, keras2=str(keras_version).startswith("2"),
                             allow_custom_layers=allow_custom_layers)
    translator.taken = set(_layer_names(config))
    topology = translator.model(config, prefix=None, trainable=True)
    translator.raise_unsupported()
    names = [name for entries in translator.layer_weights.values() for name, _ in entries if name]
    names += [w.name for w in translator.constants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConversionError(
            f"weight names {', '.join(duplicates)} occur twice (a nested model reuses a layer name "
            "of the outer model): TF.js matches weights by name; rename the layers", path)
    return Translation(topology, translator.layer_weights, translator.constants, translator.notices,
                       translator.custom_layers, translator.quantized, translator.structure)


class _Translator:
    def __init__(self, path, keras2=False, allow_custom_layers=False):
        self.path = path
        self.keras2 = keras2
        self.allow_custom_layers = allow_custom_layers
        self.custom_layers = []
        self.layer_weights = {}
        self.constants = []
        self.notices = []
        self.unsupported = []  # (name, class, detail): all reported at once
        self.quantized = {}  # TF.js weight prefix -> keras_quantized.QuantizedLayer
        self.taken = set()  # layer names in use (rewrites add layers)
        self.structure = None  # the top-level model's, when not flat (converter/structure.py)
        self.mask_layers = {}  # (layer, node, tensor) -> the KerasMask layer taking that tensor's mask
        self.added_layers = []  # KerasMask layers not yet placed in their model's layer list
        self.maybe_masked = set()  # layers of the model in hand whose outputs may carry a mask
        self.input_masked = False  # the layer in hand's input may carry a mask

    def raise_unsupported(self):
        if not self.unsupported:
            return
        if len(self.unsupported) == 1:
            raise UnsupportedLayerError(*self.unsupported[0], path=self.path)
        listing = "; ".join(f"'{n}' ({c}): {d}" for n, c, d in self.unsupported)
        err = UnsupportedLayerError(self.unsupported[0][0], self.unsupported[0][1], path=self.path)
        err.message = f"{len(self.unsupported)} layers cannot be expressed in the TF.js Layers format: {listing}"
        raise err

    # -- models ---------------------------------------------------------------------------------

    def model(self, spec, prefix, trainable):
        """A (possibly nested) model. `prefix`: the top-level layer that owns nested weights."""
        class_name = spec.get("class_name")
        inner = spec.get("config") or {}
        trainable = trainable and inner.get("trainable", True)
        if class_name == "Sequential":
            return self.sequential(inner, prefix, trainable)
        return self.functional(inner, prefix, trainable)

    def sequential(self, config, prefix, trainable):
        nested = prefix is not None
        layers = []
        outer, self.maybe_masked = self.maybe_masked, _sequential_masked(config["layers"])
        for index, spec in enumerate(config["layers"]):
            if spec.get("class_name") in RULES and RULES[spec["class_name"]].kind == "keepdims_pool":
                spec = dict(spec, inferred_channels=_sequential_channels(config["layers"], index))
            layers.extend(self.expand(spec, prefix, trainable, functional=False))
        self.maybe_masked = outer
        if nested and len(layers) > 1 and layers[0]["class_name"] == "InputLayer":
            # tfjs cannot call a nested Sequential that holds an InputLayer ("Graph disconnected"):
            # give its shape to the first real layer instead, as Keras 2 configs do.
            first = layers.pop(0)["config"]
            layers[0]["config"]["batch_input_shape"] = first["batch_input_shape"]
        if layers and layers[0]["class_name"] != "InputLayer":
            # A Sequential built without an Input: its first layer records the input shape.
            shape = (config.get("build_input_shape")
                     or (config["layers"][0].get("build_config") or {}).get("input_shape"))
            if shape is None and "batch_input_shape" not in layers[0]["config"]:
                raise ConversionError("Sequential model has no input shape (build it or give it "
                                      "an Input before saving)", self.path)
            if shape is not None:
                layers[0]["config"]["batch_input_shape"] = list(shape)
        return {"class_name": "Sequential",
                "config": {"name": config.get("name", "sequential"), "layers": layers}}

    def functional(self, config, prefix, trainable):
        layers = []
        masks = _mask_operations(config)
        by_name = {_spec_name(spec): spec for spec in config["layers"]}
        outer, self.maybe_masked = self.maybe_masked, _maybe_masked(config)
        for spec in config["layers"]:
            if _spec_name(spec) in masks:
                continue
            if _needs_channels(spec):
                spec = dict(spec, inferred_channels=_functional_channels(by_name, spec))
            expanded = self.expand(spec, prefix, trainable, functional=True)
            layers.extend(self.added_layers + expanded)  # KerasMask layers its calls need go first
            self.added_layers = []
        try:
            inputs = named_leaves(config.get("input_layers"), "inputs")
            outputs = named_leaves(config.get("output_layers"), "outputs")
        except StructureError as err:
            raise ConversionError(f"model config: model '{config.get('name', 'model')}': {err}", self.path) from None
        # A model used as a layer has, in tfjs, its own internal node 0; calls made by the outer
        # model are nodes 1, 2, ... (Keras skips that node when it reads a config; tfjs does not).
        # Keras 2 / tf_keras configs already count that node, and so do Keras 3 output_layers
        # naming a nested functional model (not a nested Sequential): Keras' get_config counts
        # it there but not in keras_history.
        self.maybe_masked = outer
        keras3_nodes = any(isinstance(n, dict) for spec in config["layers"] for n in spec.get("inbound_nodes") or [])
        nested = {layer["name"]: layer["class_name"] for layer in layers
                  if layer["class_name"] in MODEL_CLASSES and keras3_nodes}
        for ref in [t for layer in layers for node in layer["inbound_nodes"] for t in node]:
            if ref[0] in nested:
                ref[1] += 1
        for _, ref, _ in outputs:
            if nested.get(ref[0]) == "Sequential":
                ref[1] += 1
        input_refs = self.name_inputs(layers, inputs, config)
        output_refs = self.name_outputs(layers, outputs, config)
        if prefix is None:
            self.structure = structure_metadata(config.get("input_layers"), config.get("output_layers"),
                                                [ref[0] for ref in input_refs], [ref[0] for ref in output_refs])
        return {"class_name": "Model", "config": {
            "name": config.get("name", "model"),
            "layers": layers,
            "input_layers": input_refs,
            "output_layers": output_refs,
        }}

    def name_inputs(self, layers, inputs, config):
        """Input refs in flattening order; an input under a dict key is renamed after the key
        (an InputLayer has no weights: only references to it change)."""
        by_name = {layer["name"]: layer for layer in layers}
        refs = []
        for name, ref, keyed in inputs:
            if keyed and name != ref[0]:
                self.check_free(name, by_name, config, "input")
                layer = by_name.pop(ref[0])
                layer["name"] = layer["config"]["name"] = name
                by_name[name] = layer
                for t in (t for other in layers for node in other["inbound_nodes"] for t in node):
                    if t[0] == ref[0]:
                        t[0] = name
                ref = [name] + ref[1:]
            refs.append(ref[:3])
        return refs

    def name_outputs(self, layers, outputs, config):
        """Output refs in flattening order; an output under a dict key that is not the name of
        its layer gets a linear Activation named after the key (TF.js names outputs after their
        layers; renaming the layer itself would rename its weights)."""
        by_name = {layer["name"]: layer for layer in layers}
        refs = []
        for name, ref, keyed in outputs:
            if keyed and name != ref[0]:
                self.check_free(name, by_name, config, "output")
                identity = {"class_name": "Activation", "name": name, "inbound_nodes": [[ref[:3] + [{}]]],
                            "config": {"name": name, "trainable": False, "dtype": "float32", "activation": "linear"}}
                layers.append(identity)
                by_name[name] = identity
                ref = [name, 0, 0]
            refs.append(ref[:3])
        return refs

    def check_free(self, name, by_name, config, what):
        if name in by_name:
            raise ConversionError(
                f"model config: model '{config.get('name', 'model')}': the {what} named by dict key '{name}' "
                f"would take the name of layer '{name}', which is another tensor: TF.js names {what}s after "
                "their layers; rename the layer or the key", self.path)

    # -- one entry of a model's layer list -> one or more tfjs layers ----------------------------

    def expand(self, spec, prefix, trainable, functional):
        class_name = spec.get("class_name")
        config = spec.get("config")
        if not isinstance(config, dict):
            raise ConversionError(f"model config: layer of class {brief(class_name)} has no config", self.path)
        name = config.get("name", spec.get("name", "?"))
        owner = prefix or name
        if prefix is None:
            self.layer_weights[name] = []
        # (the layers it wraps or is rewritten into see the same input)
        self.input_masked = name in self.maybe_masked
        if operations.is_operation(spec):
            return [self.operation(spec, name, functional)]
        nodes = None
        rule = RULES.get(class_name)
        if functional:
            call_args = rule.call_args if rule is not None and rule.js_name(config, self.input_masked) else ()
            nodes = [self.node(n, name, class_name, call_args) for n in spec.get("inbound_nodes", [])]
            if call_args and len({json.dumps(node[0][3], sort_keys=True) for node in nodes}) > 1:
                # our JS classes keep one call's kwargs (src/common.js keepCallArgs)
                raise UnsupportedLayerError(name, class_name, "called several times with different arguments "
                                            "(masks, flags or tensors in other arguments): TF.js keeps one "
                                            "call's; use one layer per call", self.path)
        try:
            if class_name in MODEL_CLASSES:
                layer = self.model(spec, owner, trainable)
                layer["config"]["name"] = name
                return [self.finish(layer, name, nodes)]
            if rnn_cells.is_generic_rnn(spec):
                return self.generic_rnn(spec, owner, trainable and config.get("trainable", True), nodes)
            if rule is None and self.allow_custom_layers and prefix is None and _is_custom(spec):
                return [self.finish(self.custom(spec, name), name, nodes)]
            if rule is None:
                raise objects.ObjectError(MISMATCHED.get(class_name) or _unknown(class_name))
            layer_trainable = trainable and config.get("trainable", True)
            if rule.kind == "keepdims_pool" and config.get("keepdims"):
                return self.keepdims_pool(spec, name, rule, owner, nodes)
            if rule.kind == "subtract":
                return self.subtract(name, config, nodes, functional)
            if rule.kind == "normalization":
                layer = self.normalization(spec, name, owner, layer_trainable)
                return [self.finish(layer, name, nodes)]
            layer = self.layer(spec, owner, layer_trainable, weight_prefix=name)
            return [self.finish(layer, name, nodes)]
        except objects.ObjectError as err:
            self.unsupported.append((name, class_name, str(err)))
            return [self.finish({"class_name": class_name, "config": {"name": name}}, name, nodes)]

    def operation(self, spec, name, functional):
        """A keras.ops operation entry -> our JS operation layer (operations.py)."""
        try:
            if not functional:
                raise objects.ObjectError("a keras.ops operation outside a functional model")
            config, nodes = operations.translate(spec, _keras_tensors)
        except objects.ObjectError as err:
            self.unsupported.append((name, spec["class_name"], str(err)))
            return self.finish({"class_name": spec["class_name"], "config": {"name": name}}, name, [])
        except ValueError as err:  # a malformed keras_history
            raise ConversionError(f"model config: layer '{name}': {err}", self.path) from None
        layer = {"class_name": layers_js.registered_name(operations.js_class(spec)), "config": config}
        return self.finish(layer, name, nodes)

    def custom(self, spec, name):
        """A custom layer kept verbatim (its dtype policy as a dtype name) for a JS class."""
        config = {key: value for key, value in spec["config"].items() if key != "build_config"}
        if "dtype" in config:
            config["dtype"] = objects.dtype_name(config["dtype"], self.notices)
        # Keras 3 .h5 files record the registered name ("package>Class"); JS knows the class name.
        class_name = spec["class_name"].rsplit(">", 1)[-1]
        self.custom_layers.append(name)
        self.notices.append(f"layer '{name}' ({class_name}) kept as a custom layer: register a "
                            f"JS class named {class_name!r} (tf.serialization.registerClass) "
                            f"before loading; its weights are named '{name}/0', '{name}/1', ...")
        return {"class_name": class_name, "config": config}

    def finish(self, layer, name, nodes):
        if nodes is not None:
            layer["name"] = name
            layer["inbound_nodes"] = nodes
        return layer

    def layer(self, spec, owner, trainable, weight_prefix):
        """Translate one plain / recurrent / wrapper layer; record its weights under `owner`."""
        class_name = spec.get("class_name")
        config = spec["config"]
        name = config.get("name", "?")
        rule = RULES.get(class_name)
        if rule is None:
            raise objects.ObjectError(MISMATCHED.get(class_name) or _unknown(class_name))
        if self.keras2 and class_name in KERAS2_MISMATCHED:
            raise objects.ObjectError(KERAS2_MISMATCHED.get(class_name))
        variables = None
        if keras_quantized.mode_of(config):
            quantized, config, variables = keras_quantized.plan(class_name, config)
            self.quantized[weight_prefix] = quantized
            self.notices.append(f"layer '{name}' ({class_name}): Keras {quantized.mode} weights dequantised to "
                                "float32 as Keras computes them (TF.js computes with float32 activations)")
        elif config.get("quantization_config") is not None:
            # model.quantize(mode) records its config on layers it cannot quantise in that mode
            # (an Embedding under "float8") too: with a plain dtype policy the layer runs unquantised.
            config = dict(config, quantization_config=None)
        out = self.config(config, rule, class_name)
        if rule.kind == "keepdims_pool":
            out.pop("keepdims", None)
        if rule.kind == "bidirectional":
            return self.bidirectional(config, out, owner, trainable, weight_prefix)
        if rule.kind == "time_distributed":
            inner = config.get("layer") or {}
            # tfjs names the wrapped layer's variables after the wrapper (`time_distributed/kernel`).
            translated = self.layer(inner, owner, trainable and (inner.get("config") or {}).get("trainable", True),
                                    weight_prefix=weight_prefix)
            out["layer"] = translated
            return {"class_name": class_name, "config": out}
        for weight_name, weight_trainable in variables or rule.weights(config):
            self.layer_weights[owner].append((f"{weight_prefix}/{weight_name}", weight_trainable and trainable))
        js_name = rule.js_name(config, self.input_masked)
        return {"class_name": layers_js.registered_name(js_name) if js_name else class_name, "config": out}

    def config(self, config, rule, class_name):
        out = {}
        # Keys only our JS class reads pass as keys when the layer is written as that class.
        js_keys = rule.js_keys if rule.js_name(config, self.input_masked) else ()
        for key, value in config.items():
            if key in ("layer", "build_config", "backward_layer") and rule.kind in ("bidirectional", "time_distributed"):
                continue
            if key == "keepdims" and rule.kind == "keepdims_pool":
                if value:
                    raise objects.ObjectError("keepdims=True inside a wrapper is not supported")
                continue
            if key in rule.keys or key in _COMMON_KEYS or key in js_keys:
                out[rule.rename.get(key, key)] = self.value(key, value)
            elif key in rule.fixed:
                if value != rule.fixed[key] and not (value is None and rule.fixed[key] is False) \
                        and not (isinstance(value, list) and list(value) == [rule.fixed[key]]):
                    raise objects.ObjectError(rule.hints.get(key) or f"{key}={brief(value)} is not supported in TF.js "
                                              f"(only {key}={rule.fixed[key]!r})")
            elif key in rule.forbidden:
                if value in rule.forbidden[key]:
                    raise objects.ObjectError(f"{key}={brief(value)} is not implemented in TF.js")
                out[rule.rename.get(key, key)] = self.value(key, value)
            elif key not in rule.ignored:
                raise objects.ObjectError(f"setting {key}={brief(value)} is not translated yet")
        return out

    def value(self, key, value):
        if key == "dtype":
            return objects.dtype_name(value, self.notices)
        if key in ("activation", "recurrent_activation"):
            return objects.activation(value, keras2=self.keras2)
        if key.endswith("_initializer"):
            return objects.initializer(value)
        if key.endswith("_regularizer"):
            return objects.regularizer(value)
        if key.endswith("_constraint"):
            return objects.constraint(value)
        return value

    # -- wrappers and rewrites ------------------------------------------------------------------

    def generic_rnn(self, spec, owner, trainable, nodes):
        """Keras' RNN(cell) -> the recurrent layer of its cell, or a chain of them for stacked
        cells (rnn_cells.py); each layer's weights under its own name, all owned by `owner`."""
        layers = []
        for i, inner in enumerate(rnn_cells.as_layers(spec, self.fresh_name)):
            inner_name = inner["config"]["name"]
            layer = self.layer(inner, owner, trainable, weight_prefix=inner_name)
            if nodes is not None:
                previous = layers[-1]["name"] if layers else None
                layer = self.finish(layer, inner_name, nodes if previous is None else
                                    [[[previous, k, 0, {}]] for k in range(len(nodes))])
            layers.append(layer)
        if len(layers) > 1:
            self.notices.append(f"layer '{spec['config'].get('name')}' (RNN of {len(layers)} stacked cells) written "
                                f"as a chain of {len(layers)} recurrent layers: "
                                + ", ".join(layer["config"]["name"] for layer in layers))
        return layers

    def bidirectional(self, config, out, owner, trainable, weight_prefix):
        forward = _one_cell_rnn(config.get("layer") or {})
        backward = _one_cell_rnn(config.get("backward_layer"))
        forward_name = (forward.get("config") or {}).get("name", "?")
        if RULES.get(forward.get("class_name"), None) is None or RULES[forward["class_name"]].kind != "rnn":
            raise objects.ObjectError(f"wraps {brief(forward.get('class_name'))}: TF.js Bidirectional "
                                      "wraps SimpleRNN, GRU, LSTM only")
        if forward_name.startswith("forward_"):
            # Keras 3 stores the already-renamed forward layer; tfjs adds the prefix itself.
            forward_name = forward_name[len("forward_"):]
            forward = dict(forward, config=dict(forward["config"], name=forward_name))
        start = len(self.layer_weights[owner])
        inner_trainable = trainable and forward["config"].get("trainable", True)
        translated = self.layer(forward, owner, inner_trainable, weight_prefix=f"{weight_prefix}/forward_{forward_name}")
        forward_entries = self.layer_weights[owner][start:]
        # tfjs builds the backward layer from the forward config (go_backwards flipped); a
        # different backward layer cannot be expressed.
        if backward is not None:
            theirs = self.config(backward.get("config") or {}, RULES[backward.get("class_name")], "")
            ours = dict(translated["config"])
            for key in ("name", "go_backwards"):
                theirs.pop(key, None)
                ours.pop(key, None)
            if backward.get("class_name") != forward.get("class_name") or theirs != ours:
                raise objects.ObjectError("its backward_layer differs from the forward layer, which "
                                          "TF.js Bidirectional cannot express")
        self.layer_weights[owner].extend(
            (n.replace(f"{weight_prefix}/forward_", f"{weight_prefix}/backward_", 1), t) for n, t in forward_entries)
        out["layer"] = translated
        return {"class_name": "Bidirectional", "config": out}

    def keepdims_pool(self, spec, name, rule, owner, nodes):
        config = spec["config"]
        # tfjs cannot infer a Reshape's free axis (-1) while the batch size is unknown, so the
        # channel count must come from the config (Keras 3 records input shapes; Keras 2 does not).
        shape = _input_shape(spec)
        if not shape and spec.get("inferred_channels") and config.get("data_format") != "channels_first":
            shape = [None] * (1 + int(spec["class_name"][-2])) + [spec["inferred_channels"]]
        if not shape or shape[1 if config.get("data_format") == "channels_first" else -1] is None:
            raise objects.ObjectError("keepdims=True needs the layer's input shape, which this config "
                                      "does not record (Keras 2 configs do not): save with Keras 3")
        channels_first = config.get("data_format") == "channels_first"
        spatial = len(shape) - 2
        channels = shape[1] if channels_first else shape[-1]
        target = [channels] + [1] * spatial if channels_first else [1] * spatial + [channels]
        pool_name = self.fresh_name(f"{name}_pool")
        pool_config = dict(config, name=pool_name, keepdims=False)
        pool = self.layer({"class_name": spec["class_name"], "config": pool_config}, owner, True, pool_name)
        reshape = {"class_name": "Reshape", "config": {
            "name": name, "trainable": config.get("trainable", True),
            "dtype": objects.dtype_name(config.get("dtype"), None), "target_shape": target}}
        self.notices.append(f"layer '{name}' ({spec['class_name']}, keepdims=True) written as "
                            f"'{pool_name}' + a Reshape to {target}")
        if nodes is None:
            return [pool, reshape]
        pool = self.finish(pool, pool_name, nodes)
        reshape = self.finish(reshape, name, [[[pool_name, i, 0, {}]] for i in range(len(nodes))])
        return [pool, reshape]

    def subtract(self, name, config, nodes, functional):
        if not functional:
            raise objects.ObjectError("Subtract outside a functional model")
        negate_name = self.fresh_name(f"{name}_negate")
        dtype = objects.dtype_name(config.get("dtype"), None)
        negate_nodes, add_nodes = [], []
        for i, node in enumerate(nodes):
            if len(node) != 2:
                raise objects.ObjectError("Subtract needs exactly two inputs")
            negate_nodes.append([node[1]])
            add_nodes.append([node[0], [negate_name, i, 0, {}]])
        negate = {"class_name": "Rescaling", "name": negate_name, "inbound_nodes": negate_nodes,
                  "config": {"name": negate_name, "trainable": True, "dtype": dtype, "scale": -1.0, "offset": 0.0}}
        add = {"class_name": "Add", "name": name, "inbound_nodes": add_nodes,
               "config": {"name": name, "trainable": config.get("trainable", True), "dtype": dtype}}
        self.notices.append(f"layer '{name}' (Subtract) written as Add(a, Rescaling(-1)(b)): "
                            "tfjs-layers has no Subtract")
        return [negate, add]

    def normalization(self, spec, name, owner, trainable):
        config = spec["config"]
        for key in config:
            if key not in ("axis", "invert", "mean", "variance", "name", "trainable", "dtype"):
                raise objects.ObjectError(f"setting {key}={brief(config[key])} is not translated yet")
        if config.get("invert"):
            raise objects.ObjectError("invert=True has no TF.js equivalent")
        axis = config.get("axis", -1)
        axis = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if len(axis) != 1:
            raise objects.ObjectError(f"axis={axis} (several axes): our TF.js Normalization class "
                                      "normalises one axis")
        shape = _input_shape(spec)
        # Our JS class (src/normalization.js) computes Keras' (x - mean) / max(sqrt(var), 1e-7), in
        # training too, with no trainable weights.
        out = {"name": name, "trainable": False, "dtype": objects.dtype_name(config.get("dtype"), None),
               "axis": axis[0]}
        if config.get("mean") is not None:
            if not shape:
                raise objects.ObjectError("mean/variance given in the config but no input shape")
            size = shape[axis[0]]
            for stat in ("mean", "variance"):
                value = np.broadcast_to(np.asarray(config[stat], np.float32).reshape(-1), (size,))
                self.constants.append(Weight(f"{name}/{stat}", np.array(value)))
            self.constants.append(Weight(f"{name}/count", np.zeros((), np.int32)))
        else:  # (Keras' count is unused in TF.js; kept so that the model converts back to Keras)
            self.layer_weights[owner].extend([(f"{name}/mean", False), (f"{name}/variance", False),
                                              (f"{name}/count", False)])
        return {"class_name": layers_js.registered_name(RULES["Normalization"].js_class), "config": out}

    def fresh_name(self, name):
        """`name`, or `name_2`, `name_3`, ... : not the name of any layer of the model."""
        candidate, n = name, 1
        while candidate in self.taken:
            n += 1
            candidate = f"{name}_{n}"
        self.taken.add(candidate)
        return candidate

    # -- inbound nodes --------------------------------------------------------------------------

    def node(self, node, layer_name, class_name="?", call_args=()):
        """One call of a layer -> one Keras 2 node: a list of inbound tensor refs. `call_args`: the
        argument names of a JS class of ours that takes tensors in several arguments (LayerRule)."""
        if isinstance(node, list):  # already Keras 2 style (tf_keras .h5)
            if not all(isinstance(t, list) and len(t) >= 3 for t in node):
                raise ConversionError(f"model config: layer '{layer_name}' has a malformed inbound node", self.path)
            return [[t[0], t[1], t[2], dict(t[3]) if len(t) > 3 and isinstance(t[3], dict) else {}] for t in node]
        if not isinstance(node, dict) or not node.get("args"):
            raise ConversionError(f"model config: layer '{layer_name}' has a malformed inbound node", self.path)
        # Keras 3 records the mask that came with the input as a `mask` kwarg (a tensor, or None);
        # tfjs propagates masks between layers itself (computeMask), so the kwarg is dropped.
        kwargs = {k: v for k, v in (node.get("kwargs") or {}).items() if k != "mask"}
        if call_args:
            tensors, kwargs = self.call_tensors(node["args"], kwargs, call_args, layer_name, class_name)
            return [[t[0], t[1], t[2], dict(kwargs)] for t in tensors]
        try:
            tensors = _keras_tensors(node["args"][0])
            # TF.js nodes carry tensors only as the first call argument.
            elsewhere = _keras_tensors(node["args"][1:]) + _keras_tensors(list(kwargs.values()))
        except ValueError as err:
            raise ConversionError(f"model config: layer '{layer_name}': {err}", self.path) from None
        if not tensors or elsewhere:
            raise UnsupportedLayerError(layer_name, class_name, "called with tensors in other arguments "
                                        "than the first, which TF.js layers cannot express", self.path)
        return [[t[0], t[1], t[2], dict(kwargs)] for t in tensors]


    def call_tensors(self, args, kwargs, call_args, layer_name, class_name):
        """(the tensors of a call, in argument order; its kwargs + `tensor_args`) for a layer
        whose tensors sit in the arguments `call_args` (positional ones first)."""
        if len(args) > len(call_args):
            raise UnsupportedLayerError(layer_name, class_name, f"called with {len(args)} positional arguments "
                                        f"(TF.js class takes {', '.join(call_args)})", self.path)
        # The Keras masks Keras passed along (`mask` for the first argument, `<arg>_mask` for the others)
        masks = {k: kwargs.pop(k) for k in ["mask"] + [f"{a}_mask" for a in call_args] if k in kwargs}
        given = list(zip(call_args, args)) + [(k, kwargs.pop(k)) for k in call_args[len(args):] if k in kwargs]
        tensors, where = [], {}
        try:
            for name, value in given:
                found = _keras_tensors(value)
                if not found:
                    if value is not None:
                        kwargs[name] = value  # a plain value of that argument
                    continue
                indices = [_index_of(tensors, t) for t in found]
                single = isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"
                where[name] = indices[0] if single else indices
            stray = [k for k, v in kwargs.items() if _keras_tensors(v)]
        except ValueError as err:
            raise ConversionError(f"model config: layer '{layer_name}': {err}", self.path) from None
        if stray or not tensors:
            raise UnsupportedLayerError(layer_name, class_name, f"called with tensors in argument "
                                        f"{brief(stray[0]) if stray else 'none'}, which its TF.js class does "
                                        f"not take (it takes {', '.join(call_args)})", self.path)
        # Keras 3 records no mask kwargs when it takes the masks from the tensors themselves
        # (MultiHeadAttention's query/value/key, Attention's list): a tensor other than the first
        # (whose mask tfjs-layers does pass, as kwargs.mask) gets a KerasMask when it may carry one.
        for argument in call_args:
            key = "mask" if argument == call_args[0] and argument == "inputs" else f"{argument}_mask"
            if argument.endswith("_mask") or argument not in where or key in masks:
                continue
            indices = where[argument] if isinstance(where[argument], list) else [where[argument]]
            found = [self.keras_mask(tensors[i]) if i and tensors[i][0] in self.maybe_masked else None
                     for i in indices]
            if any(found):
                masks[key] = found if isinstance(where[argument], list) else found[0]
        for key, value in masks.items():
            argument = call_args[0] if key == "mask" else key[:-len("_mask")]
            if argument not in where or value is None:
                continue
            data = where[argument]
            # tfjs-layers hands a layer its first input's mask only: each mask travels as a
            # tensor, the output of a KerasMask layer (src/masks.js) on the masked argument.
            if isinstance(data, list):
                values = list(value) if isinstance(value, (list, tuple)) else [value] + [None] * (len(data) - 1)
                indices = []
                for index, mask in zip(data, values):
                    indices.append(_index_of(tensors, self.keras_mask(tensors[index])) if mask is not None else None)
                where[key] = indices
            else:
                where[key] = _index_of(tensors, self.keras_mask(tensors[data]))
        return tensors, dict(kwargs, tensor_args=where)

    def keras_mask(self, ref):
        """The output ref of a KerasMask layer on the tensor `ref` (one layer per tensor)."""
        key = tuple(ref[:3])
        if key not in self.mask_layers:
            name = self.fresh_name(f"{ref[0]}_keras_mask")
            self.mask_layers[key] = name
            self.added_layers.append({
                "class_name": layers_js.registered_name("KerasMask"), "name": name,
                "config": {"name": name, "trainable": False, "dtype": "float32"},
                "inbound_nodes": [[list(ref[:3]) + [{}]]]})
        return [self.mask_layers[key], 0, 0]


def _maybe_masked(config):
    """The names of the layers of a functional config whose outputs may carry a Keras mask: those
    after an Embedding(mask_zero=True) or a Masking layer (a mask some layer drops on the way
    only costs a KerasMask giving all-true)."""
    specs = [spec for spec in config.get("layers") or [] if isinstance(spec, dict)]
    found = {spec.get("name") for spec in specs if _makes_mask(spec)}
    changed = True
    while changed:
        changed = False
        for spec in specs:
            if spec.get("name") in found:
                continue
            try:
                sources = [t[0] for node in spec.get("inbound_nodes") or []
                           for t in (_keras_tensors(node.get("args")) if isinstance(node, dict) else node)]
            except (ValueError, AttributeError, TypeError):
                continue
            if any(source in found for source in sources):
                found.add(spec.get("name"))
                changed = True
    return found


def _sequential_masked(specs):
    """The names of a Sequential's layers after its first Embedding(mask_zero=True) or Masking:
    their inputs may carry a mask."""
    found, masked = set(), False
    for spec in specs:
        if masked:
            found.add((spec.get("config") or {}).get("name"))
        masked = masked or _makes_mask(spec)
    return found


def _makes_mask(spec):
    return spec.get("class_name") == "Masking" or (
        spec.get("class_name") == "Embedding" and (spec.get("config") or {}).get("mask_zero"))


def _one_cell_rnn(spec):
    """A Bidirectional's inner layer spec, Keras' RNN(cell) written as the cell's recurrent layer
    (a stack of cells has no single layer: an error)."""
    if not isinstance(spec, dict) or not rnn_cells.is_generic_rnn(spec):
        return spec
    layers = rnn_cells.as_layers(spec, lambda name: name)
    if len(layers) > 1:
        raise objects.ObjectError("wraps an RNN of stacked cells: TF.js Bidirectional wraps one recurrent layer")
    return layers[0]


def _index_of(tensors, ref):
    """The index of tensor `ref` in the call's list `tensors`, appending it if new: a tensor
    passed in two arguments (self-attention's query and value) is one input of the TF.js call
    (tfjs-layers' executor frees a tensor listed twice in one call too early)."""
    key = list(ref[:3])
    for index, tensor in enumerate(tensors):
        if list(tensor[:3]) == key:
            return index
    tensors.append(key)
    return len(tensors) - 1


def _mask_operations(config):
    """The names of the operation layers of a Keras 3 functional config that only compute masks
    (Embedding(mask_zero)'s NotEqual, Masking's NotEqual + Any): used only through `mask` kwargs
    (and `<arg>_mask` ones of the layers with LayerRule.call_args) or by each other, never an output. TF.js layers compute and pass masks themselves
    (computeMask), so these are left out along with the `mask` kwargs."""
    specs = {spec.get("name"): spec for spec in config.get("layers") or [] if isinstance(spec, dict)}
    uses = {name: [] for name in specs}  # producer -> [(consumer, through the mask kwarg?)]
    for name, spec in specs.items():
        for node in spec.get("inbound_nodes") or []:
            if not isinstance(node, dict):
                return set()  # a Keras 2 config: no mask operations
            kwargs = node.get("kwargs") or {}
            rule = RULES.get(spec.get("class_name"))
            mask_keys = {"mask"} | {f"{a}_mask" for a in (rule.call_args if rule else ())}
            try:
                plain = _keras_tensors(node.get("args")) + _keras_tensors(
                    [v for k, v in kwargs.items() if k not in mask_keys])
                masked = _keras_tensors([v for k, v in kwargs.items() if k in mask_keys])
            except ValueError:
                return set()  # reported when the node itself is translated
            for ref, through_mask in [(t, False) for t in plain] + [(t, True) for t in masked]:
                if ref[0] in uses:
                    uses[ref[0]].append((name, through_mask))
    outputs = {ref[0] for _, ref, _ in named_leaves(config.get("output_layers"), "outputs")} \
        if config.get("output_layers") else set()
    dropped, changed = set(), True
    while changed:
        changed = False
        for name, spec in specs.items():
            if name in dropped or name in outputs or not str(spec.get("module", "")).startswith("keras.src.ops"):
                continue
            if uses[name] and all(mask or consumer in dropped for consumer, mask in uses[name]):
                dropped.add(name)
                changed = True
    return dropped


def _spec_name(spec):
    return spec.get("name", (spec.get("config") or {}).get("name"))


def _needs_channels(spec):
    """A keepdims=True global pooling whose config records no input shape (Keras 2 / tf_keras)."""
    rule = RULES.get(spec.get("class_name"))
    return (rule is not None and rule.kind == "keepdims_pool" and (spec.get("config") or {}).get("keepdims")
            and not _input_shape(spec))


# Weightless layers whose output has their first input's channel count (beyond the rules'
# `channels="same"`): merges of equal shapes.
_FIRST_INPUT_CHANNELS = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def _inbound_names(spec):
    """The names of the layers feeding a functional layer's first call, in order."""
    nodes = spec.get("inbound_nodes") or []
    if not nodes:
        return []
    node = nodes[0]
    if isinstance(node, list):  # Keras 2: [[layer, node, tensor, kwargs], ...]
        return [t[0] for t in node if isinstance(t, list) and t]
    try:
        return [t[0] for t in _keras_tensors((node.get("args") or [None])[0])]
    except (ValueError, AttributeError):
        return []


def _functional_channels(by_name, spec, limit=10000):
    """The channel count (channels_last) entering layer `spec` of a functional config that records
    no shapes, found through the topology: back through layers that keep it, to one that fixes
    it (a convolution's filters, a Dense's units, the Input's shape); None if unknown."""
    total = 0
    for producer in _inbound_names(spec)[:1]:
        spec = by_name.get(producer)
        while spec is not None and total < limit:
            total += 1
            config = spec.get("config") or {}
            class_name = spec.get("class_name")
            if config.get("data_format") == "channels_first":
                return None
            if class_name == "InputLayer":
                shape = config.get("batch_shape") or config.get("batch_input_shape")
                return shape[-1] if shape else None
            rule = RULES.get(class_name)
            channels = rule.channels if rule else ""
            names = _inbound_names(spec)
            if channels not in ("", "same", "depth_multiplier"):
                return config.get(channels)
            if class_name == "Concatenate" and config.get("axis", -1) in (-1,):
                parts = [_functional_channels(by_name, {"inbound_nodes": [[[n, 0, 0, {}]]]}) for n in names]
                return sum(parts) if parts and None not in parts else None
            if channels == "depth_multiplier":
                inner = _functional_channels(by_name, spec)
                return inner * config.get("depth_multiplier", 1) if inner else None
            if channels != "same" and class_name not in _FIRST_INPUT_CHANNELS:
                return None
            spec = by_name.get(names[0]) if names else None
    return None


def _sequential_channels(specs, index):
    """The channel count entering layer `index` of a Keras 3 Sequential (whose weightless layers
    record no shapes), found by walking back to a layer that fixes it; None if unknown."""
    for spec in reversed(specs[:index]):
        config = spec.get("config") or {}
        if config.get("data_format") == "channels_first":
            return None
        if spec.get("class_name") == "InputLayer":
            shape = config.get("batch_shape") or config.get("batch_input_shape")
            return shape[-1] if shape else None
        rule = RULES.get(spec.get("class_name"))
        channels = rule.channels if rule else ""
        if channels not in ("", "same", "depth_multiplier"):
            return config.get(channels)  # the layer fixes it ("filters", "units")
        if channels == "depth_multiplier":
            shape = (spec.get("build_config") or {}).get("input_shape")
            return shape[-1] * config.get("depth_multiplier", 1) if shape and shape[-1] else None
        if channels != "same":
            return None
        shape = (spec.get("build_config") or {}).get("input_shape")
        if shape and shape[-1]:
            return shape[-1]
    return None


def _layer_names(spec):
    """Every layer name in a model config, nested models and wrapped layers included."""
    config = spec.get("config") if isinstance(spec, dict) else None
    if not isinstance(config, dict):
        return []
    names = [config.get("name")]
    for inner in config.get("layers") or []:
        names += _layer_names(inner)
    if isinstance(config.get("layer"), dict):
        names += _layer_names(config["layer"])
    return names


def _input_shape(spec):
    """A layer's input shape: its build_config, else the first call's Keras 3 tensor shape."""
    shape = (spec.get("build_config") or {}).get("input_shape")
    if shape:
        return shape
    for node in spec.get("inbound_nodes") or []:
        if isinstance(node, dict) and node.get("args"):
            first = node["args"][0]
            if isinstance(first, dict) and first.get("class_name") == "__keras_tensor__":
                return first.get("config", {}).get("shape")
    return None


def _is_custom(spec):
    """A layer of a user's class: Keras 3 records its module (not keras'); Keras 2 configs record
    none, so there every class outside the table but Lambda counts as custom."""
    if spec.get("class_name") in ("Lambda", "TFOpLambda", "SlicingOpLambda") or spec.get("class_name") in MISMATCHED:
        return False
    module = spec.get("module")
    return module is None or not (module == "keras" or module.startswith(("keras.", "tf_keras.")))


def _unknown(class_name):
    return (f"class {brief(class_name)} has no TF.js Layers equivalent (Lambda and custom layers "
            f"cannot be expressed); {GRAPH_HINT}")


def _keras_tensors(value):
    """Flatten the keras_history triples of every __keras_tensor__ in a nested args value."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value.get("config", {}).get("keras_history")
            if not (isinstance(history, list) and len(history) == 3):
                raise ValueError("malformed keras_history in an inbound node")
            return [history]
        # A dict of tensors (a nested model called on its dict inputs): Keras' flattening order,
        # the order of that model's inputs.
        return [t for key in sorted(value) for t in _keras_tensors(value[key])]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _keras_tensors(item)]
    return []
