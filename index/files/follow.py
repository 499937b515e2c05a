"""Serving what another process wrote to the index folder.

``ragqa index`` run beside a server (by hand or from cron), or a second ``ragqa serve`` on
the same index folder, writes a new generation or segment and moves ``CURRENT``
(:mod:`ragqa.index.files.pointer`); writers already take each other's state into account
(the index's ``flock``, :func:`~ragqa.index.files.writes.append_segment`), but a server kept
serving what it had loaded until it restarted. :class:`PointerFollower` reads ``CURRENT``
at most once per interval from a request (a read of a few bytes) and, when it names
something else than what is served, has it loaded by a thread of its own: the requests keep
the served view meanwhile and the next ones get the new one.

A state that cannot be served (made with another model or settings, damaged) is logged
once and the served view kept; a later state is tried again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ragqa.index.errors import RagqaError
from ragqa.index.files.pointer import Pointer, read_pointer

logger = logging.getLogger(__name__)

# How often a server reads CURRENT for another process's writes (seconds).
FOLLOW_EVERY_S = 1.0


class PointerFollower:
    """Calls ``load`` (from a thread of its own, one at a time) when the index folder's
    ``CURRENT`` names another state than the served one; :meth:`check` is what a request
    calls, and costs nothing more than a clock read between intervals."""

    def __init__(self, index_dir: Path, load: Callable[[], None], *,
                 every: float = FOLLOW_EVERY_S,
                 moved: Callable[[], bool] = lambda: False) -> None:
        """``moved``: whether something besides ``CURRENT`` asks for ``load`` (the
        documents' groups changed by another process)."""
        self._index_dir = index_dir
        self._load = load
        self._moved = moved
        self._every = every
        self._next = time.monotonic() + every
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._refused: Pointer | None = None  # logged once, not loaded again

    def check(self, served: Pointer) -> None:
        """Start loading what ``CURRENT`` names if it is not ``served`` (due once per
        interval; never raises: a request is not the place for another process's error)."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self._every
        try:
            pointer = read_pointer(self._index_dir)
        except RagqaError:  # a folder a writer is retiring, or damage: the load will say
            pointer = None
        if (pointer is None or pointer == served or pointer == self._refused) \
                and not self._moved():
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, args=(pointer,),
                                             name="ragqa-follow", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a load under way (tests, and a store that closes)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, pointer: Pointer) -> None:
        try:
            self._load()
        except RagqaError as exc:
            self._refused = pointer
            logger.error("%s: cannot serve what another process wrote there (%s); still "
                         "serving what was loaded", self._index_dir, exc)
        except Exception:  # noqa: BLE001 - a thread must not die silently
            self._refused = pointer
            logger.exception("%s: loading what another process wrote failed", self._index_dir)
