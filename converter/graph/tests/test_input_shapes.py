"""input_shapes.py: the --input_shapes syntax."""

import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.input_shapes import parse_input_shapes


def test_names_dims_open_dims_and_scalars():
    assert parse_input_shapes("image:1x12x12x3, tokens:?x20,n:,m:-1") == {
        "image": [1, 12, 12, 3], "tokens": [None, 20], "n": [], "m": [None]}
    assert parse_input_shapes("serving/x:2") == {"serving/x": [2]}  # names may hold '/' and ':'
    assert parse_input_shapes(None) is None and parse_input_shapes("") is None


@pytest.mark.parametrize("text, fragment", [
    ("image", "'image' is not NAME:DIMS"),
    ("image:1x", "'image:1x' is not NAME:DIMS"),
    (":1x2", "':1x2' is not NAME:DIMS"),
    ("a:1,a:2", "input 'a' is given twice"),
])
def test_bad_syntax_is_one_line(text, fragment):
    with pytest.raises(ConversionError) as err:
        parse_input_shapes(text)
    assert fragment in str(err.value) and "\n" not in str(err.value)
