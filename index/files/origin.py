"""The corpus folder an index was made from, kept beside it (``corpus-folder``: its absolute
path), so that a command that was not told which folder to read does not sync the index to
another one: ``ragqa ask --index DIR`` run where ``./corpus`` is some other folder would
otherwise remove every document the index holds of its own folder (and then embed the other
one's).

The check applies only to a folder that was not given (the default ``./corpus``): a
``--corpus`` or ``RAGQA_CORPUS_DIR`` says what to index, and a recorded folder that no
longer exists (a project moved or renamed) is not held against anyone.
"""

from __future__ import annotations

from pathlib import Path

from ragqa.index.durable import write_atomic
from ragqa.index.errors import ConfigError

ORIGIN = "corpus-folder"


def recorded_folder(index_dir: Path) -> Path | None:
    """The folder the index at ``index_dir`` was last synced with, if it says."""
    try:
        text = (index_dir / ORIGIN).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return Path(text) if text else None


def record_folder(index_dir: Path, corpus_dir: Path) -> None:
    """Note ``corpus_dir`` as the folder the index at ``index_dir`` now holds (after a sync)."""
    folder = corpus_dir.resolve()
    if index_dir.is_dir() and recorded_folder(index_dir) != folder:
        write_atomic(index_dir / ORIGIN, f"{folder}\n".encode())


def check_default_folder(index_dir: Path, corpus_dir: Path) -> None:
    """Refuse (:class:`ConfigError`) to sync the index at ``index_dir`` with the default
    ``corpus_dir`` when it was made from another folder that still exists."""
    recorded = recorded_folder(index_dir)
    folder = corpus_dir.resolve()
    if recorded is None or recorded == folder or not recorded.is_dir():
        return
    raise ConfigError(
        f"the index {index_dir} holds the folder {recorded}, not {folder}: pass --corpus "
        f"{recorded} to use it; to make it the index of {folder} instead (removing what it "
        f"holds of the other folder), pass --corpus {corpus_dir} explicitly")
