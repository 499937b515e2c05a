"""The corpus folder listed quickly, and what was read from its files kept by their stat.

A sync runs after every change of a folder that may hold 25,000 files. Reading and hashing
every one of them again, and sorting 25,000 :class:`~pathlib.Path` objects (whose
comparisons are Python code), cost seconds. :func:`list_folder` lists the folder with
``os.scandir`` and sorts relative names by their parts as strings: the order of
``sorted(corpus_dir.rglob("*"))``, which the indexer always used
(:func:`~ragqa.index.documents.reading.scan_corpus`; checked in
``tests/index/documents/test_folder.py``).

:class:`StampCache` is git's index, or rsync's quick check: what was read from a file (its
hash, a sidecar's title) is kept with the file's :class:`Stamp` (size, modification and
change times in nanoseconds, inode, device), and is taken again without reading the file
while the stamp is the same. A rewrite changes the modification time, or the change time
when the modification time was put back (``touch -d``), or the inode when a file was
replaced by another (``mv``, an editor's save). The one case a stamp cannot see is git's
"racy" file: written again within the timestamps' granularity after it was read, same
size, so that its stamp does not move. A value is therefore kept only when the file's
times are at least :data:`RACY_NS` older than the moment the read began; a file changed
more recently is read again at the next sync, and kept once it has settled.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

# Two seconds: the coarsest modification-time granularity of the filesystems a corpus may
# live on (FAT; ext4 and XFS keep nanoseconds, ticked by the kernel's clock).
RACY_NS = 2_000_000_000


class Stamp(NamedTuple):
    """What a file's ``stat`` says of its content: size, times, identity."""

    size: int
    mtime_ns: int
    ctime_ns: int
    ino: int
    dev: int

    @classmethod
    def of(cls, st: os.stat_result) -> Stamp:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)

    def settled(self, now_ns: int) -> bool:
        """Whether a change within the timestamps' granularity after ``now_ns`` would move
        this stamp (see the module)."""
        return max(self.mtime_ns, self.ctime_ns) + RACY_NS <= now_ns


class Listed(NamedTuple):
    """One entry of the folder: its name relative to the folder (``/``-separated) and its
    ``os.DirEntry`` (its ``is_file()`` and ``stat()`` follow links, as ``Path``'s do)."""

    rel: str
    entry: os.DirEntry


def list_folder(folder: Path) -> list[Listed]:
    """Every entry under ``folder`` whose name and folders' names do not start with a dot
    (folders included; links to folders listed, not entered), in the order of
    ``sorted(folder.rglob("*"))``; folders that cannot be read are skipped, as ``rglob``
    skips them."""
    found: list[tuple[list[str], Listed]] = []
    pending = [("", os.fspath(folder))]
    while pending:
        prefix, path = pending.pop()
        try:
            with os.scandir(path) as entries:
                listed = list(entries)
        except (PermissionError, FileNotFoundError, NotADirectoryError):
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue
            rel = prefix + entry.name
            found.append((rel.split("/"), Listed(rel, entry)))
            try:
                descend = entry.is_dir(follow_symlinks=False)
            except OSError:
                descend = False
            if descend:
                pending.append((rel + "/", entry.path))
    found.sort(key=lambda item: item[0])  # lists of strings: Path's order, compared in C
    return [listed for _, listed in found]


def suffix_of(name: str) -> str:
    """``PurePath(name).suffix``: from the last dot, unless the name starts or ends there."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


class StampCache:
    """Values read from files (a hash, a title), each by the file's name and kept with its
    :class:`Stamp`: taken again while the stamp is the same (see the module)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[Stamp, object]] = {}
        self._encoded: dict[str, tuple[tuple[Stamp, object], str]] = {}  # see encoded()
        self.changed = False  # since it was loaded or saved: worth saving

    def get(self, name: str, stamp: Stamp, default: object = None) -> object:
        """The value kept for ``name`` if its file still has ``stamp``, else ``default``."""
        kept = self._values.get(name)
        return kept[1] if kept is not None and kept[0] == stamp else default

    def put(self, name: str, stamp: Stamp, value: object, now_ns: int) -> None:
        """Keep ``value`` read from ``name`` (of ``stamp``, read from ``now_ns`` on), only
        when the stamp has settled; else forget what was kept."""
        if stamp.settled(now_ns):
            if self._values.get(name) != (stamp, value):
                self._values[name] = (stamp, value)
                self.changed = True
        elif self._values.pop(name, None) is not None:
            self.changed = True

    def keep_only(self, names: Iterable[str]) -> None:
        """Forget the files not among ``names`` (gone from the folder)."""
        names = set(names)
        gone = [name for name in self._values if name not in names]
        for name in gone:
            del self._values[name]
        self.changed = self.changed or bool(gone)

    def to_json(self) -> dict:
        return {name: [*stamp, value] for name, (stamp, value) in self._values.items()}

    def encoded(self) -> str:
        """:meth:`to_json` as JSON text, each value encoded again only when it moved."""
        cache, parts = self._encoded, []
        for name, kept in self._values.items():
            done = cache.get(name)
            if done is None or done[0] is not kept:
                done = cache[name] = (kept, json.dumps(name, ensure_ascii=False) + ":"
                                      + json.dumps([*kept[0], kept[1]], ensure_ascii=False,
                                                   separators=(",", ":")))
            parts.append(done[1])
        for name in [n for n in cache if n not in self._values]:
            del cache[name]
        return "{" + ",".join(parts) + "}"

    @classmethod
    def from_json(cls, data: dict) -> StampCache:
        """Raises ``TypeError`` or ``ValueError`` on a malformed record."""
        cache = cls()
        for name, row in data.items():
            if not isinstance(name, str) or not isinstance(row, list) or len(row) != 6:
                raise ValueError(f"a malformed stamp for {name!r}")
            cache._values[name] = (Stamp(*(int(v) for v in row[:5])), row[5])
        return cache


def now_ns() -> int:
    """The wall clock, taken before a folder is read (file times are wall-clock times)."""
    return time.time_ns()
