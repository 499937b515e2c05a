"""Indexing progress for people: a tqdm bar on a terminal, periodic log lines otherwise.

The builder reports ``(passages embedded, passages to embed)``, then the same of the
passages' sentences (``unit="sentences"``); :func:`embedding_progress`
turns that into a bar (passages, rate, ETA) when stderr is a terminal, and into a line
``ragqa: embedded 1200/5000 passages (24%), 38.5 passages/s, about 1m39s left`` every
``every_s`` seconds (10) or ``every_fraction`` of the work (5 %) otherwise (logs, CI, ``docker logs``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from ragqa.index.records import Progress


def embedding_progress(stream: TextIO | None = None, *, interactive: bool | None = None,
                       every_s: float = 10.0, every_fraction: float = 0.05,
                       clock: Callable[[], float] = time.monotonic) -> Progress:
    """A progress callback for :func:`ragqa.index.files.builder.update_index` writing to ``stream``
    (stderr); ``interactive`` defaults to whether it is a terminal."""
    stream = stream or sys.stderr
    if interactive is None:
        interactive = stream.isatty()
    return _Bar(stream) if interactive else _Lines(stream, every_s, every_fraction, clock)


class _Bar:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar = None

    def __call__(self, done: int, total: int, unit: str = "passages") -> None:
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, unit=unit.rstrip("s"), desc="embedding",
                             file=self._stream, dynamic_ncols=True)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()
            self._bar = None


class _Lines:
    def __init__(self, stream: TextIO, every_s: float, every_fraction: float,
                 clock: Callable[[], float]) -> None:
        self._stream, self._every_s, self._every_fraction = stream, every_s, every_fraction
        self._clock = clock
        self._started = self._last_at = 0.0
        self._last_done = 0

    def __call__(self, done: int, total: int, unit: str = "passages") -> None:
        now = self._clock()
        if done == 0:
            self._started = self._last_at = now
            self._last_done = 0
            self._stream.write(f"ragqa: embedding {total} {unit}\n")
            self._stream.flush()
            return
        due = (now - self._last_at >= self._every_s
               or done - self._last_done >= self._every_fraction * total or done >= total)
        if not due:
            return
        elapsed = max(now - self._started, 1e-9)
        rate = done / elapsed
        left = "" if done >= total else f", about {_duration((total - done) / rate)} left"
        self._stream.write(f"ragqa: embedded {done}/{total} {unit} ({100 * done // total}%), "
                           f"{rate:.1f} {unit}/s{left}\n")
        self._stream.flush()
        self._last_at, self._last_done = now, done


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
