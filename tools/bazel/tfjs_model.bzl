"""tfjs_model: convert a Keras or TensorFlow model to a TF.js model directory as a Bazel build action.

Public through @tfjs_export//:defs.bzl. Every label here is wrapped in Label(...) so that it
resolves in *our* repository when the rule is used from another workspace. The plain options
(strings, booleans, numbers) come from the tables in options.bzl; this file holds what needs
more than a flag: the source files, quantisation and the action itself.
"""

load(":options.bzl", "CONVERT_OPTIONS", "SOURCE_OPTIONS", "option_args", "option_attrs")
load(":source.bzl", "run_action", "source_attrs", "source_inputs")

# The quantize_* attributes take weight-name globs (fnmatch on TF.js names, e.g. "dense*/kernel").
# ALL_WEIGHTS (["*"]) is special: it means "every float32 weight no other quantize_* attribute
# selects" (the CLI's bare --quantize_X); at most one attribute may use it.
ALL_WEIGHTS = ["*"]

_QUANTIZE_ATTRS = ("quantize_float16", "quantize_uint8", "quantize_uint16")

TfjsModelInfo = provider(
    doc = "A TF.js model directory written by tfjs_model.",
    fields = {
        "model_dir": "File: the output directory (a tree artifact) holding model.json + shards",
        "src": "File: the source model it was converted from (a SavedModel's saved_model.pb or directory)",
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
    source = source_inputs(ctx)
    args = ctx.actions.args()
    args.add("convert")
    args.add(source.path)
    args.add(out.path)
    args.add_all(option_args(CONVERT_OPTIONS + SOURCE_OPTIONS, ctx.attr))
    args.add_all(_quantize_args(ctx))
    args.add_all(source.custom_objects, before_each = "--custom_objects")
    if ctx.file.labels:
        args.add("--labels", ctx.file.labels)
    if ctx.attr.metadata_files:
        if ctx.attr.metadata:
            fail("metadata and metadata_files are the same CLI option (--metadata): use one")
        args.add("--metadata=" + ",".join(["%s:%s" % (key, target.files.to_list()[0].path)
                                           for target, key in ctx.attr.metadata_files.items()]))
    args.add("--quiet")
    run_action(ctx, out, args, source.inputs + ctx.files.labels + ctx.files.metadata_files, "TfjsConvert",
               "Converting %s to TF.js (%s)" % (ctx.file.src.short_path, ctx.label))
    return [
        DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out])),
        TfjsModelInfo(model_dir = out, src = ctx.file.src, output_format = ctx.attr.output_format),
    ]

_ATTRS = dict(
    option_attrs(CONVERT_OPTIONS + SOURCE_OPTIONS),
    out = attr.string(doc = "Name of the output directory (default: the target name)."),
    quantize_float16 = attr.string_list(doc = "Weight globs stored as float16; [\"*\"] = all others."),
    quantize_uint8 = attr.string_list(doc = "Weight globs stored as affine uint8; [\"*\"] = all others."),
    quantize_uint16 = attr.string_list(doc = "Weight globs stored as affine uint16; [\"*\"] = all others."),
    labels = attr.label(
        allow_single_file = True,
        doc = "Class names, one per line in output order, kept in model.json (the CLI's --labels).",
    ),
    metadata_files = attr.label_keyed_string_dict(
        allow_files = [".json"],
        doc = "{\"meta.json\": \"KEY\"}: each JSON file's content under KEY in userDefinedMetadata " +
              "(the CLI's --metadata=KEY:FILE).",
    ),
    **source_attrs()
)

tfjs_model = rule(
    implementation = _tfjs_model_impl,
    doc = """Converts `src` with tfjs-export into a TF.js model directory (Layers or Graph format).

The output is one directory (a tree artifact) named after the target (or `out`), holding
model.json and the weight shards; use the target in filegroup, pkg_tar, data = [...], etc.
`src`: a .keras or .h5 file, a SavedModel's saved_model.pb (its other files in
saved_model_files), or a directory (tree artifact) holding a SavedModel.
quantize_*: [] = off (default); a list of globs = those weights; ["*"] (ALL_WEIGHTS) = every
float32 weight no other quantize_* attribute selects.""",
    attrs = _ATTRS,
)
