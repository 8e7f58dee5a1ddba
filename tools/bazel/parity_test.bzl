"""tfjs_parity_test: prove a tfjs_model target in tfjs-node against its source model.

Public through @tfjs_export//:defs.bzl. A macro around a native py_test whose main is our
tools/bazel/parity_check.py; Label(...) keeps our files resolving in our repository when the
macro is called from another workspace.
"""

load(":options.bzl", "SOURCE_OPTIONS", "option_args")

_CHECK_MAIN = Label("//tools/bazel:parity_check.py")
_CHECK_DEPS = [Label("//converter")]
_VERSIONS = Label("@local_config_python//:versions")

def _unique(labels):
    """`labels` without repeats (src is usually among saved_model_files: glob(["sm/**"]))."""
    seen = {}
    for label in labels:
        key = label[1:] if type(label) == "string" and label.startswith(":") else label
        seen.setdefault(key, label)
    return seen.values()

def tfjs_parity_test(
        name,
        model,
        src,
        saved_model_files = [],
        custom_objects = [],
        data = [],
        batch_size = 4,
        seed = 0,
        atol = None,
        rtol = None,
        size = "medium",
        tags = [],
        **kwargs):
    """Test that `model` (a tfjs_model target, Layers or Graph) predicts what `src` predicts.

    `tfjs-export verify` as a test: loads `src` (with Keras; a Graph model's source with
    TensorFlow, through the same signature_name / saved_model_tags / input_shapes /
    unsafe_deserialization / custom_objects as tfjs_model takes: pass the same values), feeds
    `batch_size` deterministic random inputs (numpy generator seeded with `seed`), runs the
    converted directory in tfjs-node and compares outputs elementwise:
    |tfjs - reference| <= atol + rtol * max|reference| per output (atol, rtol: strings, e.g.
    "1e-5", since Bazel 4.2.3's Starlark has no floats; default: verify's 1e-5). For quantised
    models the reference runs on the weights as TF.js decodes them (so float32 tolerances still
    apply); the error against the float model is printed for information.

    A SavedModel source is named like tfjs_model's: src = "sm/saved_model.pb" with
    saved_model_files = glob(["sm/**"]), or src = a directory target.

    Host needs (see docs/bazel.md, "Use from your Bazel project"): PYTHON_BIN_PATH pointing at a
    Python with TensorFlow/Keras 3, numpy, h5py (tools/setup.sh's .venv), `node` on PATH and
    a TF.js runtime for Node.js: tfjs-export's runtime_tests/node_modules (found through the
    local_repository's real path, or $TFJS_EXPORT_ROOT, e.g.
    `test --test_env=TFJS_EXPORT_ROOT=/path/to/tfjs-export`), or any node_modules holding
    tfjs-node or the light WASM runtime named by `test --test_env=TFJS_EXPORT_NODE_MODULES=DIR`.
    """
    source = {o.name: kwargs.pop(o.name) for o in SOURCE_OPTIONS if o.name in kwargs}
    args = [
        "--model_dir=$(rootpath %s)" % model,
        "--src=$(rootpath %s)" % src,
        "--batch_size=%d" % batch_size,
        "--seed=%d" % seed,
        "--name=%s" % name,
    ] + option_args(SOURCE_OPTIONS, source) + ["--custom_objects=$(rootpath %s)" % f for f in custom_objects]
    if atol != None:
        args.append("--atol=%s" % atol)
    if rtol != None:
        args.append("--rtol=%s" % rtol)
    native.py_test(
        name = name,
        srcs = [_CHECK_MAIN],
        main = _CHECK_MAIN,
        args = args,
        # The versions make a cached test result stale when Python, TensorFlow or Keras change.
        data = _unique([model, src, _VERSIONS] + saved_model_files + custom_objects + data),
        deps = _CHECK_DEPS,
        python_version = "PY3",
        srcs_version = "PY3",
        size = size,
        tags = tags,
        **kwargs
    )
