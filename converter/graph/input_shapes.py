"""`--input_shapes name:1x12x12x3[,other:?x20]`: the input signature for tracing a Keras model
whose file records none (a subclassed model saved before it was built), or to fix dimensions a
functional model leaves open. `?` (or -1) leaves a dimension open; an empty shape is a scalar."""

import re

from tfjs_export.converter.errors import ConversionError


def parse_input_shapes(text):
    """'a:1x2,b:?x3' -> {'a': [1, 2], 'b': [None, 3]}; None/'' -> None."""
    if not text:
        return None
    if isinstance(text, dict):
        return {k: list(v) for k, v in text.items()}
    shapes = {}
    for item in text.split(","):
        name, sep, dims = item.strip().rpartition(":")
        if not sep or not name or not re.fullmatch(r"((\d+|\?|-1)(x(\d+|\?|-1))*)?", dims):
            raise ConversionError(f"--input_shapes: {item.strip()!r} is not NAME:DIMS (dims like 1x12x12x3, "
                                  "? for an open dimension)")
        if name in shapes:
            raise ConversionError(f"--input_shapes: input {name!r} is given twice")
        shapes[name] = [None if d in ("?", "-1") else int(d) for d in dims.split("x")] if dims else []
    return shapes
