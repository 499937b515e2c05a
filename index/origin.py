"""The corpus folder a store holds, and the refusal to sync it with another one.

A command that was not told which folder to read (no ``--corpus``, no ``RAGQA_CORPUS_DIR``)
reads ``./corpus`` of wherever it runs. Run from another project, that is another folder, and
a sync would remove every document the store holds of its own folder (then embed the other
one's). So each store notes the folder of its last sync (the files store beside its index,
:mod:`ragqa.index.files.origin`; PostgreSQL in the database, :mod:`ragqa.index.pg.origin`)
and a sync of the default folder is refused when the noted one differs and still exists. A
folder given explicitly is always what to index.
"""

from __future__ import annotations

import os
from pathlib import Path

from ragqa.index.errors import ConfigError


def folder_path(corpus_dir: Path) -> str:
    """The path a store notes for ``corpus_dir``: absolute, links not followed (a
    ``corpus`` link moved to another version of the documents is the same folder)."""
    return os.path.abspath(corpus_dir)


def other_folder(kind: str, name: str, recorded: str, corpus_dir: Path) -> ConfigError:
    """The refusal to sync the store ``name`` (an ``index`` folder, a ``database``), which
    holds the folder ``recorded``, with the default ``corpus_dir``: what to give instead."""
    here = folder_path(corpus_dir)
    return ConfigError(
        f"the {kind} {name} holds the folder {recorded}, not {here}: to use it, give that "
        f"folder (--corpus or RAGQA_CORPUS_DIR); to make it the {kind} of {here} instead (removing "
        f"what it holds of the other folder), give this one explicitly (--corpus {corpus_dir})")
