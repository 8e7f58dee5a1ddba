"""Public rules of tfjs-export for other Bazel workspaces (a stable load path: keep it).

    load("@tfjs_export//:defs.bzl", "ALL_WEIGHTS", "tfjs_bundle", "tfjs_model", "tfjs_parity_test")

See docs/bazel.md, "Use from your Bazel project".
"""

load("//tools/bazel:parity_test.bzl", _tfjs_parity_test = "tfjs_parity_test")
load("//tools/bazel:tfjs_bundle.bzl", _tfjs_bundle = "tfjs_bundle")
load("//tools/bazel:tfjs_model.bzl", _ALL_WEIGHTS = "ALL_WEIGHTS", _TfjsModelInfo = "TfjsModelInfo", _tfjs_model = "tfjs_model")

ALL_WEIGHTS = _ALL_WEIGHTS
TfjsModelInfo = _TfjsModelInfo
tfjs_bundle = _tfjs_bundle
tfjs_model = _tfjs_model
tfjs_parity_test = _tfjs_parity_test
