"""The index directory's folders as writers handle them: staging folders, putting a finished
one in place, the writers' lock, and the removal of what killed writes left behind."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ragqa.index.durable import fsync_dir, fsync_tree
from ragqa.index.errors import IndexBusyError, IndexWriteError
from ragqa.index.files.pointer import CURRENT, Pointer, generation_name, write_pointer


def new_staging(index_dir: Path) -> Path:
    """A fresh staging folder (the index's lock held: one writer at a time uses it)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = index_dir / f".staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


# Disk full, quota exceeded, file size limit: the write failed for want of room.
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def no_room(index_dir: Path, exc: BaseException) -> IndexWriteError | None:
    """Our error for a write of a generation or segment that failed for want of room (the
    served index is unchanged then), or None for any other failure."""
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return IndexWriteError(f"cannot write the index at {index_dir}: {exc.strerror}; free "
                               "some space and run again (the served index is unchanged)")
    return None


def new_merging(index_dir: Path) -> Path:
    """A fresh folder for a generation merged without the index's lock (see
    :mod:`ragqa.index.files.merge`): named after this process, so that only a folder whose
    process is gone counts as stale."""
    index_dir.mkdir(parents=True, exist_ok=True)
    staging = index_dir / f".merging-{os.getpid()}-{os.urandom(4).hex()}"
    staging.mkdir()
    return staging


def place(index_dir: Path, staging: Path, name: str) -> Path:
    """Make the complete ``staging`` folder durable and rename it to ``name`` (not yet
    served: :func:`~ragqa.index.files.pointer.write_pointer` does that)."""
    fsync_tree(staging)
    final = index_dir / name
    if final.exists():  # leftover of a write killed after rename, before CURRENT
        shutil.rmtree(final)
    os.replace(staging, final)
    fsync_dir(index_dir)
    return final


def publish(index_dir: Path, staging: Path, generation: int) -> Path:
    """Move a complete staging folder into place and serve it as generation ``generation``,
    with no segment (the index's lock held)."""
    final = place(index_dir, staging, generation_name(generation))
    write_pointer(index_dir, Pointer(final.name))
    return final


def clean_stale(index_dir: Path) -> None:
    """Remove staging folders and temporary files left by killed writes (lock held)."""
    if not index_dir.is_dir():
        return
    for path in index_dir.iterdir():
        if path.name.startswith(".staging-") or (path.name.startswith(".merging-")
                                                  and not _alive(path.name.split("-")[1])):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith((f".{CURRENT}.tmp-", ".tmp-")):
            path.unlink(missing_ok=True)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def write_lock(index_dir: Path, wait: bool = True) -> Iterator[None]:
    """Serialise writers across threads and processes (an advisory ``flock``)."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        handle = open(index_dir / ".lock", "a+")  # noqa: SIM115 - closed by the with below
    except OSError as exc:  # a file in the way, a read-only place: our error, not a crash
        raise IndexWriteError(f"RAGQA_INDEX_DIR (--index): cannot create the index folder "
                              f"{index_dir}: {exc.strerror or exc}") from exc
    with handle:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle.fileno(), flags)
        except BlockingIOError:
            raise IndexBusyError(f"another process is writing the index at {index_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
