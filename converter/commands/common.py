"""Helpers shared by the CLI subcommands."""

import os

PROG = "tfjs-export"


def resolve_path(path):
    """Resolve a user-given path: under `bazel run` the process runs in the runfiles tree, but
    users mean the directory they ran bazel from (BUILD_WORKING_DIRECTORY)."""
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return os.path.join(base, path) if base and not os.path.isabs(path) else path
