"""``CURRENT``: the one file that says what an index directory serves.

Its first line names a generation, each further line a segment applied on top of it, in
order::

    gen-000007
    seg-000008
    seg-000009

Generations and segments take their numbers from one sequence, so the served state's
*version* (the largest number named) grows with every write, merges included. A writer
(holding the index's lock) makes its new folders durable first and then replaces this file
atomically (:func:`~ragqa.index.durable.write_atomic`): a reader, or a process killed at any
point, sees the old list or the new one, never a mix. A file written by an older ragqa
(one generation, no segment) reads the same.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ragqa.index.durable import write_atomic
from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.manifest import REBUILD_HINT

CURRENT = "CURRENT"
_NAME = re.compile(r"^(gen|seg)-(\d{6,})$")


def generation_name(number: int) -> str:
    return f"gen-{number:06d}"


def segment_name(number: int) -> str:
    return f"seg-{number:06d}"


def number_of(name: str) -> int:
    match = _NAME.match(name)
    assert match, name
    return int(match.group(2))


def is_served_name(name: str) -> bool:
    """Whether ``name`` is a generation's or a segment's folder name."""
    return _NAME.match(name) is not None


@dataclass(frozen=True)
class Pointer:
    """A generation folder's name and the names of its segments, oldest first."""

    generation: str
    segments: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        """The served state's number: the newest generation or segment."""
        return max(number_of(name) for name in (self.generation, *self.segments))

    @property
    def base(self) -> int:
        return number_of(self.generation)

    def names(self) -> frozenset[str]:
        return frozenset((self.generation, *self.segments))

    def with_segment(self, name: str) -> Pointer:
        return Pointer(self.generation, (*self.segments, name))

    def to_text(self) -> str:
        return "".join(f"{name}\n" for name in (self.generation, *self.segments))


def read_pointer(index_dir: Path) -> Pointer | None:
    """What ``index_dir`` serves, or ``None`` when nothing was built; every folder named
    must exist (:class:`IndexCorruptError` naming the file and the fix otherwise)."""
    path = index_dir / CURRENT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    kinds = [(_NAME.match(name) or _bad(path, name)).group(1) for name in names]
    if not names or kinds[0] != "gen" or "gen" in kinds[1:]:
        raise IndexCorruptError(f"{path} names {text.strip()!r}, not one generation and its "
                                f"segments; {REBUILD_HINT}")
    for name in names:
        if not (index_dir / name).is_dir():
            _bad(path, name)
    return Pointer(names[0], tuple(names[1:]))


def _bad(path: Path, name: str):
    kind = "segment" if name.startswith("seg-") else "generation"
    raise IndexCorruptError(f"{path} names {name!r}, which is not a {kind} folder; "
                            + REBUILD_HINT)


def write_pointer(index_dir: Path, pointer: Pointer) -> None:
    """Serve ``pointer`` (its folders already durable), then remove every generation and
    segment folder it does not name: what a merge, a rebuild or a compacting write replaced
    holds text no longer served (a deleted document's: :mod:`ragqa.index.files.erasure`),
    and what a killed write left is garbage. A reader of another process that read the
    previous ``CURRENT`` just before and finds a folder gone reads ``CURRENT`` again
    (:func:`~ragqa.index.files.generations.load_index`); a view already loaded is in memory
    (its tables' open files stay readable). Call with the index's lock held."""
    write_atomic(index_dir / CURRENT, pointer.to_text().encode("utf-8"))
    keep = pointer.names()
    for path in index_dir.iterdir():
        if _NAME.match(path.name) and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
