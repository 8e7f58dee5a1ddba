"""Progress bars for long conversions, on stderr.

Shown only when stderr is a terminal (logs, pipes and CI stay clean) and only once the work has
run for `delay` seconds (default 1 s), so quick conversions print nothing extra.
TFJS_EXPORT_PROGRESS_DELAY overrides the delay (tests use 0).
"""

import os
import sys
import time

_WIDTH = 24


class ProgressBar:
    """`label [#####.....] 45%  12.3/27.0 MB  85.1 MB/s`, redrawn in place."""

    def __init__(self, label, stream=None, delay=None, clock=time.monotonic):
        self.label = label
        self.stream = stream or sys.stderr
        self.delay = float(os.environ.get("TFJS_EXPORT_PROGRESS_DELAY", 1.0)) if delay is None else delay
        self.clock = clock
        self.started = clock()
        self.enabled = self.stream.isatty()
        self.drawn = False
        self.last = -1.0

    def update(self, done, total):
        """Record `done` of `total` bytes; redraw at most ~10 times a second."""
        if not self.enabled:
            return
        now = self.clock()
        elapsed = now - self.started
        if elapsed < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        fraction = done / total if total else 1.0
        filled = int(fraction * _WIDTH)
        rate = done / elapsed / 1e6 if elapsed > 0 else 0.0
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (_WIDTH - filled)}] {fraction:4.0%}  "
                          f"{done / 1e6:.1f}/{total / 1e6:.1f} MB  {rate:.1f} MB/s")
        self.stream.flush()
        self.drawn = True

    def close(self):
        """End the bar's line (if one was drawn)."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
