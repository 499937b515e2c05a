"""Durable writes: data that reaches the disk before anyone is told it is there.

Every file ragqa writes for keeps (an index generation, a converted model, an uploaded
document, a marker) goes through these: written under a temporary name, fsynced, then
``os.replace``d onto its name and the folder entry fsynced, so a reader or a process
killed at any point sees the old file or the new one, never a half-written one.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path


def fsync_file(path: Path) -> None:
    """Flush ``path`` to disk: a file's data (one written by another library), or a folder's
    entries (names created, renamed or removed in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


fsync_dir = fsync_file  # a folder is flushed the same way: its entries reach the disk


def fsync_tree(folder: Path) -> None:
    """Flush every file and folder under ``folder``, then ``folder`` itself."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            fsync_file(path)
    for path in sorted(p for p in folder.rglob("*") if p.is_dir()):
        fsync_dir(path)
    fsync_dir(folder)


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (its folder made if needed) and fsync it; not atomic:
    for a temporary name, or a file inside a staging folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    """One JSON object a line, UTF-8 (inside a staging folder: :func:`fsync_tree` after)."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False))
            handle.write("\n")


def temporary_name(target: Path, prefix: str = ".tmp") -> Path:
    """A hidden name beside ``target`` for its next version (the indexer skips hidden
    files; unique across threads and processes)."""
    return target.with_name(f"{prefix}-{uuid.uuid4().hex}{target.suffix}")


def replace_durably(tmp: Path, target: Path) -> None:
    """``os.replace`` the fsynced ``tmp`` onto ``target`` and fsync the folder entry."""
    os.replace(tmp, target)
    fsync_dir(target.parent)


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically and durably."""
    tmp = temporary_name(target)
    try:
        write_bytes(tmp, data)
        replace_durably(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, payload: object) -> None:
    """Replace ``path`` with ``payload`` as indented JSON, atomically and durably."""
    write_atomic(path, json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"))


def remove_durably(target: Path) -> None:
    """Remove ``target`` (absent is fine) and fsync the folder entry."""
    target.unlink(missing_ok=True)
    fsync_dir(target.parent)
