"""Progress of a long conversion, on stderr: one line per step, redrawn in place.

Shown only when the stream is a terminal (logs, pipes and CI stay clean). A step's line
(`tfjs-export: reading model.keras`) is printed when the step starts; once the whole run has
lasted `delay` seconds (default 1 s, so quick conversions print nothing more) the line grows a
live part, redrawn in place:
- a byte bar when the step reports bytes (`update(done, total)`: reading weights, quantising and
  writing shards): `[#####.....]  45%  12.3/27.0 MB  85.1 MB/s`;
- otherwise a clock (`  3.2 s`), kept running by a ticker thread, because TensorFlow's long
  calls (loading, freezing, grappler) report nothing while they run.
TFJS_EXPORT_PROGRESS_DELAY overrides the delay (tests use 0).
"""

import os
import shutil
import sys
import threading
import time

_WIDTH = 24
_TICK = 0.25  # seconds between redraws of a running clock


class ProgressBar:
    """Steps and byte bars of one run on `stream` (stderr by default), prefixed by `label`."""

    def __init__(self, label, stream=None, delay=None, clock=time.monotonic, ticker=True):
        self.label = label
        self.stream = stream or sys.stderr
        self.delay = float(os.environ.get("TFJS_EXPORT_PROGRESS_DELAY", 1.0)) if delay is None else delay
        self.clock = clock
        self.started = clock()
        self.enabled = _isatty(self.stream)
        self.drawn = False  # a line is open (no newline written after it yet)
        self.last = -1.0
        self.text = None  # the current step
        self.step_started = self.started
        self.bytes = None  # (done, total, when) of the current step, once reported
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self._ticker = ticker

    def step(self, text):
        """Start a step: end the previous step's line and print this one's text."""
        if not self.enabled:
            return
        with self._lock:
            self._end_line()
            self.text, self.bytes = text, None
            self.step_started = self.clock()
            self._draw("")
            if self._ticker and self._thread is None:
                self._thread = threading.Thread(target=self._tick, name="tfjs-export-progress", daemon=True)
                self._thread.start()

    def update(self, done, total):
        """Record `done` of `total` bytes of the current step; redraw at most ~10 times a second."""
        if not self.enabled:
            return
        with self._lock:
            now = self.clock()
            self.bytes = (done, total, now)
            if now - self.started < self.delay or (now - self.last < 0.1 and done < total):
                return
            self._draw(self._bar())

    def close(self):
        """End the current line and stop the ticker."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            self._end_line()
            self.text = None

    # -- drawing (called with the lock held)

    def _bar(self):
        done, total, now = self.bytes
        fraction = min(done / total, 1.0) if total else 1.0
        filled = int(fraction * _WIDTH)
        elapsed = now - self.step_started
        rate = done / elapsed / 1e6 if elapsed > 0 else 0.0
        unit, scale = ("MB", 1e6) if total >= 1e6 else ("kB", 1e3)
        return (f" [{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:4.0%}  "
                f"{done / scale:.1f}/{total / scale:.1f} {unit}  {rate:.1f} MB/s")

    def _clock(self, now):
        return f"  {now - self.step_started:.1f} s"

    def _draw(self, suffix):
        head = f"{self.label}: {self.text}" if self.text is not None else self.label
        room = _columns(self.stream) - len(suffix) - 1
        if len(head) > room:  # a wrapped line cannot be redrawn in place: elide the text's middle
            keep = max(room - 3, 0)
            start = keep * 2 // 3  # the label and the step's verb, then the end of its path
            head = head[:start] + "..." + head[len(head) - (keep - start):] if keep >= 20 else head[:keep]
        self.stream.write(f"\r{head}{suffix}\x1b[K")
        self.stream.flush()
        self.drawn = True
        self.last = self.clock()

    def _end_line(self):
        if self.drawn:
            now = self.clock()
            if self.text is not None and now - self.started >= self.delay:
                self._draw(self._bar() if self.bytes else self._clock(now))  # the final state
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def _tick(self):
        while not self._stop.wait(_TICK):
            with self._lock:
                now = self.clock()
                if self.text is None or self.bytes is not None or now - self.started < self.delay:
                    continue
                try:
                    self._draw(self._clock(now))
                except (OSError, ValueError):  # the stream went away (closed terminal)
                    return


def write_step(weights, plan, out_dir):
    """The step message of writing `weights` (converter.spec.Weight) with a QuantizationPlan: the
    codec quantises as it writes, so the step says how many weights it quantises."""
    from tfjs_export.converter.errors import ConversionError
    try:
        quantized = sum(plan.dtype_for(w.name, w.array) is not None for w in weights) if plan else 0
    except ConversionError:  # overlapping patterns: the writer reports them, after the output checks
        quantized = 0
    what = (f"quantising {quantized} of {len(weights)} weights and writing them" if quantized
            else f"writing {len(weights)} weights")
    return f"{what} to {out_dir}"


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _columns(stream):
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return shutil.get_terminal_size().columns
