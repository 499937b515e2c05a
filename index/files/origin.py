"""The corpus folder a files index was made from, kept beside it (``corpus-folder``), so
that a command that was not told which folder to read does not sync the index to another
one (see :mod:`ragqa.index.origin`): ``ragqa ask --index DIR`` run where ``./corpus`` is some
other folder would otherwise remove every document the index holds of its own folder.

The folder is kept twice, as an absolute path (:func:`~ragqa.index.origin.folder_path`) and
relative to the index folder (a project copied or moved with its index keeps its pair);
either matching is the same folder, and a recorded folder that no longer exists is not held
against anyone.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from ragqa.index.durable import write_atomic
from ragqa.index.origin import folder_path, other_folder

logger = logging.getLogger(__name__)

ORIGIN = "corpus-folder"


def _recorded(corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    folder = folder_path(corpus_dir)
    return {"path": folder, "relative": os.path.relpath(folder, os.path.abspath(index_dir))}


def recorded_folder(index_dir: Path) -> dict[str, str] | None:
    """What the index at ``index_dir`` says of the folder it was last synced with."""
    try:
        found = json.loads((index_dir / ORIGIN).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or not all(
            isinstance(found.get(k), str) for k in ("path", "relative")):
        return None
    return found


def record_folder(index_dir: Path, corpus_dir: Path) -> None:
    """Note ``corpus_dir`` as the folder the index at ``index_dir`` now holds (after a
    sync); a failure to write it is a warning, not a failed sync."""
    folder = _recorded(corpus_dir, index_dir)
    if not index_dir.is_dir() or recorded_folder(index_dir) == folder:
        return
    try:
        write_atomic(index_dir / ORIGIN, (json.dumps(folder, ensure_ascii=False) + "\n").encode())
    except OSError as exc:
        logger.warning("%s: cannot note the corpus folder (%s)", index_dir / ORIGIN,
                       exc.strerror or exc)


def check_default_folder(index_dir: Path, corpus_dir: Path) -> None:
    """Refuse (:class:`~ragqa.index.errors.ConfigError`) to sync the index at ``index_dir``
    with the default ``corpus_dir`` when it was made from another folder that still exists."""
    recorded = recorded_folder(index_dir)
    if recorded is None:
        return
    here = _recorded(corpus_dir, index_dir)
    if recorded["path"] == here["path"] or recorded["relative"] == here["relative"]:
        return
    if not os.path.isdir(recorded["path"]):
        return
    raise other_folder("index", str(index_dir), recorded["path"], corpus_dir)
