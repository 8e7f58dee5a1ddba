"""tfjs_bundle: a converted model made web-ready (`tfjs-export bundle --tfjs ...`) as one directory.

Public through @tfjs_export//:defs.bzl.
"""

load(":source.bzl", "run_action", "tool_attrs")

_TF_MIN_JS = "@tensorflow/tfjs/dist/tf.min.js"

def _node_modules_root(files):
    """The node_modules directory (exec path) the TF.js files come from: where tf.min.js sits."""
    for f in files:
        if f.path.endswith("/" + _TF_MIN_JS):
            return f.path[:-len("/" + _TF_MIN_JS)]
    fail("tfjs: no %s among %s" % (_TF_MIN_JS, [f.short_path for f in files]))

def _tfjs_bundle_impl(ctx):
    out = ctx.actions.declare_directory(ctx.attr.out or ctx.label.name)
    model = ctx.file.model
    if not model.is_directory:
        fail("model: %s is not a model directory (a tfjs_model target)" % model.short_path)
    args = ctx.actions.args()
    args.add_all(["bundle", model.path, out.path])
    args.add("--tfjs", _node_modules_root(ctx.files.tfjs))
    if ctx.file.labels:
        args.add("--labels", ctx.file.labels)
    args.add("--quiet")
    run_action(ctx, out, args, [model] + ctx.files.tfjs + ctx.files.labels, "TfjsBundle",
               "Bundling %s for the web (%s)" % (model.short_path, ctx.label))
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

tfjs_bundle = rule(
    implementation = _tfjs_bundle_impl,
    doc = """The web bundle of a tfjs_model: one directory (named after the target, or `out`) holding
the model's files, integrity.json, tfjs-bundle-loader.js, the service worker, index.html (demo
page) and tfjs/ (TF.js and its WASM backend, plus WebGPU when installed). Serve it as it is, or
put the target in a filegroup / pkg_tar.""",
    attrs = dict({
        "model": attr.label(
            mandatory = True,
            allow_single_file = True,
            doc = "The model directory: a tfjs_model target.",
        ),
        "out": attr.string(doc = "Name of the output directory (default: the target name)."),
        "labels": attr.label(
            allow_single_file = True,
            doc = "Class names, one per line, for the demo page (the CLI's bundle --labels).",
        ),
        "tfjs": attr.label(
            default = Label("@tfjs_export_tfjs//:files"),
            allow_files = True,
            doc = "The TF.js files copied into tfjs/: a node_modules tree's files (default: the " +
                  "node_modules tfjs_export_workspace() found, see docs/bazel.md).",
        ),
    }, **tool_attrs()),
)
