"""Watching the corpus folder: a change (a file added, changed or removed, a title sidecar)
is noticed within seconds and handed on (``ragqa serve --watch`` queues a sync job).

Polling, not inotify: it works the same on every file system (network shares included),
and a pass costs one ``stat`` per file. A change is handed on once the folder has been
still for one interval, so a file being copied is indexed once, whole.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

Signature = frozenset[tuple[str, int, int]]


def folder_signature(folder: Path) -> Signature:
    """``(relative path, size, mtime ns)`` of every visible file under ``folder`` (hidden
    files and folders, such as an upload being written, are skipped, as the indexer does).
    An entry that is neither a folder nor a regular file (a broken link, a FIFO: the indexer
    lists it as refused) counts too, with size -1 and its own mtime, so that it is noticed."""
    found: set[tuple[str, int, int]] = set()
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file():
                    st = entry.stat()
                    found.add((os.path.relpath(entry.path, folder), st.st_size, st.st_mtime_ns))
                else:
                    st = entry.stat(follow_symlinks=False)
                    found.add((os.path.relpath(entry.path, folder), -1, st.st_mtime_ns))
            except OSError:
                continue
    return frozenset(found)


class FolderWatcher:
    """Calls ``on_change`` when ``folder`` changed and then stayed still for ``interval``
    seconds; a daemon thread until :meth:`close`."""

    def __init__(self, folder: Path, on_change: Callable[[], object],
                 interval: float = 2.0) -> None:
        self._folder = folder
        self._on_change = on_change
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FolderWatcher:
        seen = folder_signature(self._folder)
        self._thread = threading.Thread(target=self._run, args=(seen,), name="ragqa-watch",
                                        daemon=True)
        self._thread.start()
        logger.info("watching %s for changes (every %g s)", self._folder, self._interval)
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self._interval + 5)

    def _run(self, seen: Signature) -> None:
        pending: Signature | None = None
        while not self._stop.wait(self._interval):
            now = folder_signature(self._folder)
            if now == seen:
                pending = None
                continue
            if now != pending:  # still changing: wait until it holds still
                pending = now
                continue
            logger.info("%s changed: syncing", self._folder)
            seen, pending = now, None
            try:
                self._on_change()
            except Exception:  # noqa: BLE001 - a watcher must outlive one failed hand-off
                logger.exception("handing on a change of %s failed", self._folder)
