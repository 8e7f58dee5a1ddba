"""Keras' generic `RNN(cell)` layer -> the recurrent layer(s) of its cell.

`keras.layers.RNN(GRUCell(4))` computes what `GRU(4)` computes (Keras' GRU *is* an RNN of a
GRUCell), so it is written as that layer, which layer_table.RULES then translates as usual (our
JS GRU for reset_after=True, ...). The cell's settings and the RNN's flags merge into one config.

A stack of cells, `RNN([c1, c2, ...])`, runs every cell at each step, cell k+1 taking cell k's
output: the same as a chain of layers, each but the last returning sequences. It is written as
that chain: `<name>_cell1`, `<name>_cell2`, ..., the last named `<name>` (so its consumers find
it). What a chain cannot express is refused: `return_state` (Keras returns every cell's
states), `go_backwards` (the chain's later layers would see a mask in the other order),
`stateful`.

Weights keep Keras' order (the cells' in stack order; readers/keras_zip.py walks a stack's
`cells` group in that order).
"""

from tfjs_export.converter.errors import brief
from tfjs_export.converter.layers_config import objects
from tfjs_export.converter.layers_config.layer_table import RULES

# Keras cell class -> the recurrent layer computing an RNN of it.
LAYER_OF_CELL = {"SimpleRNNCell": "SimpleRNN", "GRUCell": "GRU", "LSTMCell": "LSTM"}
STACKED = "StackedRNNCells"
# The RNN's own keys that pass to the layer (name, trainable and dtype are handled apart).
_RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
              "time_major")
# Keys of the cell's config that are the RNN's to set.
_CELL_OWN = ("name", "trainable", "dtype")


def is_generic_rnn(spec):
    """True for a Keras `RNN` layer spec (whatever its cell): the layer table's "cells" kind."""
    rule = RULES.get(spec.get("class_name"))
    return rule is not None and rule.kind == "cells"


def cells_of(spec):
    """The cell specs of an `RNN` spec, in stack order (one for a single cell). Raises
    objects.ObjectError for a cell with no TF.js recurrent layer (a custom cell, ...)."""
    cell = (spec.get("config") or {}).get("cell")
    if not isinstance(cell, dict):
        raise objects.ObjectError("RNN without a cell config")
    cells = (cell.get("config") or {}).get("cells") if cell.get("class_name") == STACKED else [cell]
    if not isinstance(cells, list) or not cells:
        raise objects.ObjectError("StackedRNNCells without cells")
    for c in cells:
        if not isinstance(c, dict) or c.get("class_name") not in LAYER_OF_CELL:
            raise objects.ObjectError(f"RNN of cell class {brief((c or {}).get('class_name'))}: only "
                                      f"{', '.join(LAYER_OF_CELL)} (and stacks of them) have TF.js layers")
    return cells


def as_layers(spec, fresh_name):
    """The recurrent layer specs (Keras spellings) computing the `RNN` spec, in chain order; the
    last one has the RNN's name. `fresh_name(name)` returns an unused layer name."""
    config = spec["config"]
    name = config.get("name", "?")
    cells = cells_of(spec)
    flags = {k: config[k] for k in _RNN_FLAGS if k in config}
    if len(cells) > 1:
        for key in ("return_state", "go_backwards", "stateful"):
            if flags.get(key):
                raise objects.ObjectError(f"{key}=True with stacked cells: a chain of TF.js recurrent layers "
                                          "cannot express it")
    names = [fresh_name(f"{name}_cell{i + 1}") for i in range(len(cells) - 1)] + [name]
    layers = []
    for i, (cell, layer_name) in enumerate(zip(cells, names)):
        cell_config = cell.get("config") or {}
        merged = {k: v for k, v in cell_config.items() if k not in _CELL_OWN}
        merged.update(flags)
        if i < len(cells) - 1:
            merged["return_sequences"] = True
        merged.update(name=layer_name, trainable=config.get("trainable", True) and cell_config.get("trainable", True))
        if "dtype" in config:
            merged["dtype"] = config["dtype"]
        layers.append({"class_name": LAYER_OF_CELL[cell["class_name"]], "config": merged})
    return layers
