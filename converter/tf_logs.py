"""Keep TensorFlow's own log lines off stderr while it works (the CLI's `--debug` shows them).

TensorFlow's C++ side writes straight to the process's stderr (fd 2): plugin registration at
import ("Unable to register cuDNN factory ..."), absl's "All log messages before
absl::InitializeLog() is called are written to STDERR", grappler's "Starting new session", ...
TF_CPP_MIN_LOG_LEVEL hides only some of them (absl's logs ignore it). So while TensorFlow works,
fd 2 points at /dev/null, and our own lines (steps, progress bar) go to a duplicate of the real
stderr. Errors are exceptions: the CLI prints them after the block, when fd 2 is back.
"""

import contextlib
import os
import sys

# Set (to anything) in the environment, TensorFlow's log lines are shown: the CLI's --debug sets it.
SHOW_TENSORFLOW_LOGS = "TFJS_EXPORT_DEBUG"


def quiet_tensorflow():
    """tensorflow_logs_silenced for TensorFlow work inside the library (imports, grappler,
    freezing), unless SHOW_TENSORFLOW_LOGS is set; API users get one-line errors too."""
    return tensorflow_logs_silenced(not os.environ.get(SHOW_TENSORFLOW_LOGS))


@contextlib.contextmanager
def tensorflow_logs_silenced(enabled=True):
    """Yield a text stream on the real stderr; inside the block fd 2 (and with it sys.stderr,
    Python warnings and every C++ log line) goes to /dev/null. `enabled=False`: yield sys.stderr
    and change nothing."""
    if not enabled:
        yield sys.stderr
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (fd 2 closed): nothing to keep clean
        yield sys.stderr
        return
    ours = os.fdopen(os.dup(saved), "w", encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                     errors="backslashreplace")
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield ours
    finally:
        try:
            ours.close()  # flushes
            sys.stderr.flush()  # whatever Python wrote meanwhile goes to /dev/null, not after our lines
        finally:
            os.dup2(saved, 2)
            os.close(saved)
