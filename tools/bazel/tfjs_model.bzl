"""tfjs_model: convert a Keras model file to a TF.js model directory as a Bazel build action.

Public through @tfjs_export//:defs.bzl. Every label here is wrapped in Label(...) so that it
resolves in *our* repository when the rule is used from another workspace.
"""

# The quantize_* attributes take weight-name globs (fnmatch on TF.js names, e.g. "dense*/kernel").
# ALL_WEIGHTS (["*"]) is special: it means "every float32 weight no other quantize_* attribute
# selects" (the CLI's bare --quantize_X); at most one attribute may use it.
ALL_WEIGHTS = ["*"]

_QUANTIZE_ATTRS = ("quantize_float16", "quantize_uint8", "quantize_uint16")

TfjsModelInfo = provider(
    doc = "A TF.js model directory written by tfjs_model.",
    fields = {
        "model_dir": "File: the output directory (a tree artifact) holding model.json + shards",
        "src": "File: the source model it was converted from",
        "output_format": "string: the TF.js format written",
    },
)

def _quantize_args(ctx):
    """--quantize_X[=GLOBS] arguments; fails at analysis time on a malformed combination."""
    args = []
    fall_through = []
    for attr in _QUANTIZE_ATTRS:
        globs = getattr(ctx.attr, attr)
        if not globs:
            continue
        option = "--" + attr
        if "*" in globs:
            if len(globs) != 1:
                fail("%s: \"*\" (ALL_WEIGHTS) must be the only entry, got %s" % (attr, globs))
            fall_through.append(attr)
            args.append(option)  # bare option = every weight no other option selects
        else:
            for glob in globs:
                if not glob or "," in glob:
                    fail("%s: %r is not a weight-name glob (empty, or contains a comma)" % (attr, glob))
            args.append("%s=%s" % (option, ",".join(globs)))
    if len(fall_through) > 1:
        fail("only one of %s may be [\"*\"] (ALL_WEIGHTS)" % ", ".join(fall_through))
    return args

def _tfjs_model_impl(ctx):
    out = ctx.actions.declare_directory(ctx.attr.out or ctx.label.name)
    args = ctx.actions.args()
    args.add("convert")
    args.add(ctx.file.src)
    args.add(out.path)
    args.add("--output_format", ctx.attr.output_format)
    if ctx.attr.input_format:
        args.add("--input_format", ctx.attr.input_format)
    args.add_all(_quantize_args(ctx))
    if ctx.attr.quantization_granularity != "per_tensor":
        args.add("--quantization_granularity", ctx.attr.quantization_granularity)
    if ctx.attr.weight_shard_size_bytes:
        args.add("--weight_shard_size_bytes", str(ctx.attr.weight_shard_size_bytes))
    args.add("--quiet")
    ctx.actions.run(
        executable = ctx.executable._converter,
        arguments = [args],
        inputs = [ctx.file.src],
        outputs = [out],
        mnemonic = "TfjsConvert",
        progress_message = "Converting %s to TF.js (%s)" % (ctx.file.src.short_path, ctx.label),
        # The converter's Layers path is numpy + h5py only: it needs nothing from the environment.
        env = {"TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    return [
        DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out])),
        TfjsModelInfo(model_dir = out, src = ctx.file.src, output_format = ctx.attr.output_format),
    ]

tfjs_model = rule(
    implementation = _tfjs_model_impl,
    doc = """Converts `src` (a Keras 3 .keras file) with tfjs-export into a TF.js model directory.

The output is one directory (a tree artifact) named after the target (or `out`), holding
model.json and the weight shards; use the target in filegroup, pkg_tar, data = [...], etc.
quantize_*: [] = off (default); a list of globs = those weights; ["*"] (ALL_WEIGHTS) = every
float32 weight no other quantize_* attribute selects.""",
    attrs = {
        "src": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The source model file (Keras 3 .keras).",
        ),
        "out": attr.string(doc = "Name of the output directory (default: the target name)."),
        "output_format": attr.string(
            default = "tfjs_layers_model",
            values = ["tfjs_layers_model"],
            doc = "The TF.js format to write.",
        ),
        "input_format": attr.string(
            default = "",
            values = ["", "keras", "keras_h5", "tf_saved_model"],
            doc = "Force the input format (default: detected from the file's content).",
        ),
        "quantize_float16": attr.string_list(doc = "Weight globs stored as float16; [\"*\"] = all others."),
        "quantize_uint8": attr.string_list(doc = "Weight globs stored as affine uint8; [\"*\"] = all others."),
        "quantize_uint16": attr.string_list(doc = "Weight globs stored as affine uint16; [\"*\"] = all others."),
        "quantization_granularity": attr.string(
            default = "per_tensor",
            values = ["per_tensor", "per_channel"],
            doc = "uint8/uint16: one range per weight, or per output channel (Graph format only).",
        ),
        "weight_shard_size_bytes": attr.int(
            default = 0,
            doc = "Shard file size in bytes (0 = the converter's default, 4194304).",
        ),
        "_converter": attr.label(
            default = Label("//converter:cli"),
            executable = True,
            cfg = "exec",
        ),
    },
)
