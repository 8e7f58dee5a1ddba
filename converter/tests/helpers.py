"""Helpers shared by the converter's tests: the CLI run in a real process, and the checks of
the one-line-error contract (one `error:` line, no traceback, nothing left on disk)."""

import os
import subprocess
import sys


def run_cli(*args, cwd=None, env=None):
    """`python -m tfjs_export.converter.cli ARGS...` in a new process (text output captured)."""
    full_env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", "")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env)


def assert_one_line_error(result, *fragments):
    """The run failed with exactly one `error:` line holding every fragment, and no traceback."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    errors = [l for l in lines if "error:" in l]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])


def leftovers(folder):
    """What a folder holds (sorted names): a failed run must leave it as it was."""
    return sorted(os.listdir(folder))
