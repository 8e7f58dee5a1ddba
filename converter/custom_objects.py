"""`--custom_objects FILE.py`: run the user's Python files that register custom Keras classes
before Keras loads a model.

A `.keras`/`.h5` file stores a custom layer (or loss, activation, ...) by name only; Keras can
rebuild it only if the class is registered in the loading process. Each file given is executed
once, in order, as its own module namespace (like `python FILE.py` with `__name__` set to
`tfjs_export_custom_objects_<N>`, not `"__main__"`, so `if __name__ == "__main__":` blocks do not
run). A file registers its classes itself:
    Keras 3 (.keras, Keras 3 .h5): @keras.saving.register_keras_serializable(package="mine")
    Keras 2 (tf_keras .h5):        @tf_keras.saving.register_keras_serializable(package="mine")
The file's own directory is put first on sys.path while it runs, so it can import modules that
sit beside it (e.g. the training code that defines the layers).

TensorFlow is imported (quietly) before the first file: the files import Keras, whose import
would otherwise print TensorFlow's C++ start-up lines on stderr.
"""

import os
import runpy
import sys

from tfjs_export.converter.errors import ConversionError


def run_custom_object_files(paths):
    """Execute each file of `paths` in order; raise ConversionError (one line naming the file)
    if one is missing or raises. Returns the number of files run."""
    for path in paths:
        if not os.path.isfile(path):
            raise ConversionError("custom objects file not found" if not os.path.exists(path)
                                  else "custom objects file is not a regular file", path)
    if not paths:
        return 0
    from tfjs_export.converter.graph import import_tensorflow_quietly
    import_tensorflow_quietly()
    for index, path in enumerate(paths):
        folder = os.path.dirname(os.path.abspath(path))
        sys.path.insert(0, folder)
        try:
            runpy.run_path(path, run_name=f"tfjs_export_custom_objects_{index}")
        except SystemExit as err:
            raise ConversionError(f"custom objects file exited (SystemExit {err.code})", path) from None
        except BaseException as err:  # noqa: BLE001  any error of the user's code becomes one line
            if isinstance(err, KeyboardInterrupt):
                raise
            raise ConversionError(f"custom objects file raised {_describe(err)}", path) from None
        finally:
            if sys.path and sys.path[0] == folder:
                del sys.path[0]
    return len(paths)


def _describe(err):
    """`TypeName: first line` (+ ` (line N)` for a syntax error)."""
    lines = [line.strip() for line in str(getattr(err, "msg", None) or err).splitlines() if line.strip()]
    text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    if isinstance(err, SyntaxError) and err.lineno:
        text += f" (line {err.lineno})"
    return text


def add_custom_objects_option(parser):
    """The repeatable --custom_objects option (convert and verify)."""
    parser.add_argument("--custom_objects", action="append", default=[], metavar="FILE.py",
                        help="a Python file registering custom Keras classes "
                             "(keras.saving.register_keras_serializable), run before Keras loads the model; "
                             "repeatable")
