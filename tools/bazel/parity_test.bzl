"""tfjs_parity_test: prove a tfjs_model target in tfjs-node against its source model in Keras.

Public through @tfjs_export//:defs.bzl. A macro around a native py_test whose main is our
tools/bazel/parity_check.py; Label(...) keeps our files resolving in our repository when the
macro is called from another workspace.
"""

_CHECK_MAIN = Label("//tools/bazel:parity_check.py")
_CHECK_DEPS = [Label("//converter")]

def tfjs_parity_test(
        name,
        model,
        src,
        batch_size = 4,
        seed = 0,
        atol = "1e-5",
        rtol = "1e-5",
        size = "medium",
        tags = [],
        **kwargs):
    """Test that `model` (a tfjs_model target) predicts what `src` predicts in Keras.

    The test loads `src` with Keras, feeds `batch_size` deterministic random inputs (numpy
    generator seeded with `seed`; every input dimension but the batch must be fixed), loads the
    converted directory with tf.loadLayersModel in tfjs-node and compares outputs elementwise:
    |tfjs - keras| <= atol + rtol * max|keras| per output (atol, rtol: strings, e.g.
    "1e-5", since Bazel 4.2.3's Starlark has no floats). For quantised models the Keras
    reference runs on the weights as TF.js decodes them (so float32 tolerances still apply); the
    error against the float model is printed for information.

    Host needs (see docs/bazel.md, "Use from your Bazel project"): PYTHON_BIN_PATH pointing at a
    Python with TensorFlow/Keras 3, numpy, h5py (tools/setup.sh's .venv), `node` on PATH and
    a TF.js runtime for Node.js: tfjs-export's runtime_tests/node_modules (found through the
    local_repository's real path, or $TFJS_EXPORT_ROOT, e.g.
    `test --test_env=TFJS_EXPORT_ROOT=/path/to/tfjs-export`), or any node_modules holding
    tfjs-node or the light WASM runtime named by `test --test_env=TFJS_EXPORT_NODE_MODULES=DIR`.
    """
    native.py_test(
        name = name,
        srcs = [_CHECK_MAIN],
        main = _CHECK_MAIN,
        args = [
            "--model_dir=$(rootpath %s)" % model,
            "--src=$(rootpath %s)" % src,
            "--batch_size=%d" % batch_size,
            "--seed=%d" % seed,
            "--atol=%s" % atol,
            "--rtol=%s" % rtol,
            "--name=%s" % name,
        ],
        data = [model, src],
        deps = _CHECK_DEPS,
        python_version = "PY3",
        srcs_version = "PY3",
        size = size,
        tags = tags,
        **kwargs
    )
