"""What the converting rules share: the source-model attributes and a hermetic action set-up.

An action's key (what Bazel and a remote cache look results up by) is its command line, its
environment and the content of its inputs. So that a result is only ever reused for the same
conversion, every action here takes as inputs the source files, the converter (its Python
sources and codec, through its runfiles) and @local_config_python//:versions: the interpreter
binary and the METADATA of TensorFlow, Keras, numpy, h5py ... as installed (a pip upgrade changes
them). Its environment is fixed below: nothing is inherited from the user's shell; the network is
blocked where the sandbox can (`block-network`); tools/bazel/action.py gives each action an
empty, temporary HOME (no ~/.keras/keras.json, no user site-packages).
"""

ACTION_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONHASHSEED": "0",
    "PYTHONNOUSERSITE": "1",
    "PYTHONDONTWRITEBYTECODE": "1",  # never write __pycache__ into the runfiles
    "KERAS_BACKEND": "tensorflow",
    # Same bytes on every CPU: oneDNN picks kernels (and so float rounding) by instruction set,
    # and a GPU would fold constants with its own kernels.
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "CUDA_VISIBLE_DEVICES": "",
}

def source_attrs():
    """The attributes naming a source model and what loading it needs, plus the action's tools."""
    return dict({
        "src": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The source model: a .keras or .h5 file, a SavedModel's saved_model.pb (with the " +
                  "rest in saved_model_files), or a directory (tree artifact) holding a SavedModel.",
        ),
        "saved_model_files": attr.label_list(
            allow_files = True,
            doc = "The SavedModel's other files (variables/*, assets/*, fingerprint.pb), all under " +
                  "the directory of src = \".../saved_model.pb\"; e.g. glob([\"sm/**\"]).",
        ),
        "custom_objects": attr.label_list(
            allow_files = [".py"],
            doc = "Python files registering custom Keras classes, run before Keras loads src (in order).",
        ),
        "data": attr.label_list(
            allow_files = True,
            doc = "Other files the conversion reads, e.g. modules the custom_objects files import.",
        ),
    }, **tool_attrs())

def tool_attrs():
    """The attributes every converting rule has: the action's entry point and the versions."""
    return {
        "_action": attr.label(
            default = Label("//tools/bazel:action"),
            executable = True,
            # Built for the target configuration, like the tests: one codec build serves the
            # conversions and the parity tests (this tool runs where the build does).
            cfg = "target",
        ),
        "_versions": attr.label(
            default = Label("@local_config_python//:versions"),
            allow_files = True,
            cfg = "exec",
        ),
    }

def run_action(ctx, out, args, inputs, mnemonic, progress_message):
    """Run tools/bazel/action.py with `args` as the action writing `out`, hermetically (above)."""
    ctx.actions.run(
        executable = ctx.executable._action,
        arguments = [args],
        inputs = inputs + ctx.files._versions,
        outputs = [out],
        mnemonic = mnemonic,
        progress_message = progress_message,
        env = ACTION_ENV,
        execution_requirements = {"block-network": "1"},
    )

def source_inputs(ctx):
    """struct(path: the path to pass as SRC, inputs: list of Files, custom_objects: list of Files);
    fails at analysis time when saved_model_files do not belong to src's SavedModel."""
    src = ctx.file.src
    path = src.path
    if ctx.files.saved_model_files:
        if src.is_directory or src.basename != "saved_model.pb":
            fail("saved_model_files needs src = \".../saved_model.pb\" (got %s)" % src.short_path)
        for f in ctx.files.saved_model_files:
            if not f.path.startswith(src.dirname + "/"):
                fail("saved_model_files: %s is not under %s/ (the SavedModel's directory)" %
                     (f.short_path, src.dirname))
    if not src.is_directory and src.basename == "saved_model.pb":
        path = src.dirname
    return struct(
        path = path,
        inputs = [src] + ctx.files.saved_model_files + ctx.files.custom_objects + ctx.files.data,
        custom_objects = ctx.files.custom_objects,
    )
