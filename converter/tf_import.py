"""Import TensorFlow (and Keras on it) without the optional integrations they load eagerly.

When they are installed, `import tensorflow` imports JAX (TF Lite's JAX support: `from jax import
jit` in tensorflow/lite/python/util.py, ~1 s of CPU) and Keras imports pandas (its DataFrame data
adapter, ~0.5 s). The converter uses neither, and together they were ~20% of the CPU time of a
small `.keras` -> Graph conversion (BENCHMARKS.md). Both imports are written `try: import ...
except ImportError`, so during the import we make those packages unimportable (a `None` entry in
`sys.modules` makes `import` raise ImportError) and remove the entries afterwards: a later
`import jax` or `import pandas` in the same process works as usual. A package already imported
is left alone.
"""

import contextlib
import sys

# Imported by TensorFlow / Keras only when present, never needed to convert or verify.
OPTIONAL_INTEGRATIONS = ("jax", "pandas")


@contextlib.contextmanager
def without_optional_integrations():
    """Inside the block, OPTIONAL_INTEGRATIONS not imported yet raise ImportError on import."""
    blocked = [name for name in OPTIONAL_INTEGRATIONS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in blocked:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
