"""One call sets up everything tfjs_export needs, offline. Our WORKSPACE and other workspaces use it:

    local_repository(name = "tfjs_export", path = "...")   # or an http_archive of a release
    load("@tfjs_export//:workspace.bzl", "tfjs_export_workspace")
    tfjs_export_workspace()

A stable load path (our API): keep it. Load labels here resolve in this repository whoever calls.
Repositories the caller already declared (same name) are left alone.
"""

load("//third_party:rules_cc_shim.bzl", "no_coverage_tools", "rules_cc_shim")
load("//third_party:tfjs_files.bzl", "tfjs_files")
load("//third_party/py:python_configure.bzl", "python_configure")

def tfjs_export_workspace(register_python_toolchain = True):
    """Declares @rules_cc (shim), @rules_java (Debian's), @remote_coverage_tools (stub),
    @local_config_python (from $PYTHON_BIN_PATH) and @tfjs_export_tfjs (TF.js for tfjs_bundle,
    from a local node_modules); registers the py toolchain unless told not to."""

    # Must be declared before Bazel's WORKSPACE suffix `maybe(http_archive, "rules_cc")`.
    if "rules_cc" not in native.existing_rules():
        rules_cc_shim(name = "rules_cc")
    if "rules_java" not in native.existing_rules():
        native.local_repository(name = "rules_java", path = "/usr/share/bazel/rules/java")
    if "remote_coverage_tools" not in native.existing_rules():
        no_coverage_tools(name = "remote_coverage_tools")
    if "local_config_python" not in native.existing_rules():
        python_configure(name = "local_config_python")
    if "tfjs_export_tfjs" not in native.existing_rules():
        tfjs_files(name = "tfjs_export_tfjs")
    if register_python_toolchain:
        # py_binary/py_test then run on $PYTHON_BIN_PATH (the venv: numpy, pytest).
        native.register_toolchains("@local_config_python//:py_toolchain")
