"""Helpers shared by the CLI subcommands."""

import os

PROG = "tfjs-export"


def resolve_path(path):
    """Resolve a user-given path: under `bazel run` the process runs in the runfiles tree, but
    users mean the directory they ran bazel from (BUILD_WORKING_DIRECTORY)."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return os.path.join(base, path) if base and not os.path.isabs(path) else path


def add_graph_source_options(group):
    """How the Graph path loads a source model (shared by `convert` and `verify`)."""
    group.add_argument("--signature_name", default="serving_default", metavar="NAME",
                       help="SavedModel signature to use (default: %(default)s)")
    group.add_argument("--saved_model_tags", default="serve", metavar="TAGS",
                       help="comma-separated MetaGraph tags of the SavedModel (default: %(default)s)")
    group.add_argument("--input_shapes", default=None, metavar="NAME:DIMS[,...]",
                       help="input signature to trace a Keras model with, e.g. image:1x12x12x3 (? = any size): "
                            "for a subclassed model whose file records no input shape")
    group.add_argument("--unsafe_deserialization", action="store_true",
                       help="let Keras load Lambda layers (runs the Python code stored in the file)")
