"""Entry point of the Bazel rules' build actions: `action.py convert ...` / `action.py bundle MODEL_DIR OUT_DIR ...`.

Runs the tfjs-export CLI in a clean environment so that the result depends only on the action's
declared inputs: HOME (and KERAS_HOME) point at a new empty temporary directory, removed
afterwards, so no ~/.keras/keras.json (backend, floatx, image_data_format) or other per-user file
is read or written. (The rest of the environment is fixed by the rules: tools/bazel/source.bzl.)

`bundle MODEL_DIR OUT_DIR [bundle options]` copies the model directory (a tree artifact Bazel
does not let an action modify) into OUT_DIR, then runs `tfjs-export bundle OUT_DIR [options]`.
"""

import os
import shutil
import sys
import tempfile


def _clean_home():
    home = tempfile.mkdtemp(prefix="tfjs-export-action-")
    os.environ["HOME"] = home
    os.environ["KERAS_HOME"] = os.path.join(home, ".keras")
    return home


def _copy_model(model_dir, out_dir):
    """The model's files as regular files (the sandbox gives symlinks), nothing else."""
    os.makedirs(out_dir, exist_ok=True)
    for name in sorted(os.listdir(model_dir)):
        source = os.path.join(model_dir, name)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(out_dir, name), symlinks=False)
        else:
            shutil.copyfile(source, os.path.join(out_dir, name))


def main(argv):
    home = _clean_home()
    try:
        from tfjs_export.converter import cli
        if argv[:1] == ["bundle"]:
            if len(argv) < 3:
                print("usage: action.py bundle MODEL_DIR OUT_DIR [bundle options]", file=sys.stderr)
                return 2
            _copy_model(argv[1], argv[2])
            argv = ["bundle", argv[2]] + argv[3:]
        return cli.main(argv)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
