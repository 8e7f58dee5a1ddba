"""Progress on stderr: step lines and byte bars on a terminal (reading, quantising, writing; the
Graph path's stages with a running clock), nothing in pipes or with --quiet, and no TensorFlow
log lines on the Graph path unless --debug."""

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading

import pytest

from tfjs_export.converter.progress import ProgressBar


def _env(**extra):
    # No TF_CPP_MIN_LOG_LEVEL: the CLI itself must keep TensorFlow quiet.
    return dict({"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", "")}, **extra)


def run_on_terminal(*args, **env):
    """Run the CLI with stderr on a pseudo-terminal; return (exit code, stdout, what the terminal
    showed). The terminal is read while the process runs (a full pty buffer would block it)."""
    leader, follower = pty.openpty()
    # a wide terminal: pytest's temporary paths are long, and lines that do not fit are elided
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "tfjs_export.converter.cli", *args], stdout=subprocess.PIPE,
                            stderr=follower, env=_env(**env))
    os.close(follower)
    chunks = []

    def pump():
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=pump)
    reader.start()
    stdout = proc.stdout.read().decode()
    proc.wait()
    reader.join()
    os.close(leader)
    return proc.returncode, stdout, b"".join(chunks).decode()


def run_piped(*args, **env):
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True, text=True,
                          env=_env(**env))


def screen_lines(shown):
    """Every state the terminal showed, one per redraw (split on \\r and newlines)."""
    return [line.replace("\x1b[K", "") for line in re.split(r"[\r\n]+", shown) if line.strip()]


# Neither Keras nor TensorFlow is imported in this process (they would double its run time): the
# .keras file is the committed example, the .h5 is written with h5py in tf_keras' layout.
KERAS_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "examples", "bars_cnn.keras")


@pytest.fixture(scope="module")
def h5_file(tmp_path_factory):
    """A whole-model .h5 as tf_keras writes it: an MLP 8 -> 16 (relu) -> 3 (softmax)."""
    import json

    import h5py
    import numpy as np
    rng = np.random.default_rng(0)
    dense = {"activation": "relu", "use_bias": True, "dtype": "float32", "trainable": True}
    config = {"class_name": "Sequential", "config": {"name": "mlp", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32", "name": "x"}},
        {"class_name": "Dense", "config": dict(dense, name="dense", units=16)},
        {"class_name": "Dense", "config": dict(dense, name="out", units=3, activation="softmax")}]}}
    path = str(tmp_path_factory.mktemp("h5") / "mlp.h5")
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.15.0"
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = [b"x", b"dense", b"out"]
        weights.create_group("x").attrs["weight_names"] = []
        for name, shape in (("dense", (8, 16)), ("out", (16, 3))):
            group = weights.create_group(name)
            group.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            group.create_dataset(f"{name}/kernel:0", data=rng.normal(size=shape).astype("float32"))
            group.create_dataset(f"{name}/bias:0", data=rng.normal(size=shape[1:]).astype("float32"))
    return path


# -- the ProgressBar itself (a fake terminal and a fake clock)

class _Terminal(io.StringIO):
    def isatty(self):
        return True


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_bar_waits_for_the_delay_then_draws_bytes_and_rate():
    term, clock = _Terminal(), _Clock()
    bar = ProgressBar("tool", stream=term, delay=1.0, clock=clock, ticker=False)
    bar.step("reading m.keras")
    bar.update(10_000_000, 40_000_000)  # before the delay: the step's text only
    assert screen_lines(term.getvalue()) == ["tool: reading m.keras"]
    clock.now += 2.0
    bar.update(20_000_000, 40_000_000)
    assert screen_lines(term.getvalue())[-1] == ("tool: reading m.keras [############............]  50%  "
                                                 "20.0/40.0 MB  10.0 MB/s")
    bar.step("writing 3 weights")  # ends the reading line, starts a new one
    clock.now += 1.0
    bar.close()
    lines = screen_lines(term.getvalue())
    assert lines[-1] == "tool: writing 3 weights  1.0 s"  # a step without bytes shows its time
    assert term.getvalue().endswith("\n") and term.getvalue().count("\n") == 2


def test_long_step_text_is_shortened_to_stay_on_one_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # what shutil.get_terminal_size reports for a stream without a tty
    term, clock = _Terminal(), _Clock()
    bar = ProgressBar("tool", stream=term, delay=0.0, clock=clock, ticker=False)
    bar.step("reading /a/very/long/path/" + "x" * 200 + "/model.keras")
    bar.update(1, 2)
    bar.close()
    for line in screen_lines(term.getvalue()):
        assert len(line) < 100, line
    assert "tool: reading /a/very" in screen_lines(term.getvalue())[-1]
    assert screen_lines(term.getvalue())[-1].split(" [")[0].endswith("model.keras")


def test_nothing_is_written_to_a_stream_that_is_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar("tool", stream=stream, delay=0.0)
    bar.step("reading")
    bar.update(1, 1)
    bar.close()
    assert stream.getvalue() == ""


# -- reading: the readers report the weight file's bytes

@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_readers_report_reading_progress(kind, h5_file):
    import zipfile
    from tfjs_export.converter.readers import read_model
    path = KERAS_FILE if kind == "keras" else h5_file
    total = (zipfile.ZipFile(path).getinfo("model.weights.h5").file_size if kind == "keras"
             else os.path.getsize(path))
    calls = []
    spec = read_model(path, progress=lambda done, of: calls.append((done, of)))
    assert {of for _, of in calls} == {total} and calls[-1] == (total, total)
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) > len(spec.weights)  # one call per dataset at least
    weight_bytes = sum(w.array.nbytes for w in spec.weights)
    # the .keras reader goes through the member twice (CRC, then h5py): each pass counts half
    assert done[-2] == (weight_bytes if kind == "h5" else (total + weight_bytes) // 2)


# -- the CLI on a terminal, in a pipe, with --quiet

def test_layers_conversion_on_a_terminal_shows_reading_and_writing_bars(tmp_path, h5_file):
    code, stdout, shown = run_on_terminal("convert", h5_file, str(tmp_path / "web"), "--quantize_uint8=*/kernel",
                                          TFJS_EXPORT_PROGRESS_DELAY="0")
    assert code == 0 and stdout.startswith("converted "), shown
    lines = screen_lines(shown)
    reading = [line for line in lines if line.startswith(f"tfjs-export: reading {h5_file} [")]
    assert reading and "100%" in reading[-1] and "MB/s" in reading[-1], lines
    writing = [line for line in lines if line.startswith("tfjs-export: quantising 2 of 4 weights and writing "
                                                         f"them to {tmp_path / 'web'} [")]
    assert writing and "100%" in writing[-1], lines
    assert all(line.startswith("tfjs-export: ") for line in lines), lines
    code, _, shown = run_on_terminal("convert", KERAS_FILE, str(tmp_path / "web2"), TFJS_EXPORT_PROGRESS_DELAY="0")
    assert code == 0 and f"tfjs-export: reading {KERAS_FILE} [" in shown


def test_a_quick_conversion_keeps_to_its_step_lines(tmp_path, h5_file):
    # A delay no step of this small conversion reaches even on a loaded machine (the default, 1 s,
    # was exceeded there: a bar appeared); the delay itself is tested with a fake clock above.
    code, _, shown = run_on_terminal("convert", h5_file, str(tmp_path / "web"), TFJS_EXPORT_PROGRESS_DELAY="60")
    assert code == 0
    assert screen_lines(shown) == [f"tfjs-export: reading {h5_file}",
                                   f"tfjs-export: writing 4 weights to {tmp_path / 'web'}"]


def test_quiet_and_pipes_show_no_progress(tmp_path):
    code, stdout, shown = run_on_terminal("convert", KERAS_FILE, str(tmp_path / "a"), "--quiet",
                                          "--quantize_uint8", TFJS_EXPORT_PROGRESS_DELAY="0")
    assert code == 0 and shown == "" and stdout == ""
    piped = run_piped("convert", KERAS_FILE, str(tmp_path / "b"), "--quantize_uint8",
                      TFJS_EXPORT_PROGRESS_DELAY="0")
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout.startswith("converted ")


# -- the Graph path: stages on a terminal, TensorFlow's log lines only with --debug

def test_graph_conversion_shows_its_stages_and_no_tensorflow_logs(tmp_path):
    out = tmp_path / "web"
    code, stdout, shown = run_on_terminal("convert", KERAS_FILE, str(out), "--output_format",
                                          "tfjs_graph_model", TFJS_EXPORT_PROGRESS_DELAY="0")
    assert code == 0 and stdout.startswith("converted "), shown
    lines = screen_lines(shown)
    assert all(line.startswith("tfjs-export: ") for line in lines), lines  # ours only: no TF chatter
    clock = re.compile(r"  \d+\.\d s$")
    for stage in (f"loading {KERAS_FILE} with TensorFlow", "freezing", "optimising"):
        assert any(line.startswith(f"tfjs-export: {stage}") and clock.search(line) for line in lines), (stage, lines)
    assert any(line.startswith(f"tfjs-export: writing ") and "100%" in line for line in lines), lines


def test_debug_shows_tensorflow_logs_on_the_graph_path(tmp_path):
    result = run_piped("convert", KERAS_FILE, str(tmp_path / "web"), "--output_format",
                       "tfjs_graph_model", "--debug")
    assert result.returncode == 0, result.stderr[-3000:]
    assert any(not line.startswith("tfjs-export") for line in result.stderr.splitlines()), result.stderr
