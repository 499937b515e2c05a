"""What a folder sync knows of the corpus folder, kept beside the index so that the first
sync of a process costs what changed too, as later ones do.

Three things, saved together in ``sync-state.json`` after a sync: the files' stamps and
hashes and their title sidecars' (:class:`~ragqa.index.documents.folder.StampCache`: a file
whose stat has not moved is not read), the plan memo (:class:`~ragqa.index.files.planning.
PlanMemo`: each file's part of the corpus context and the digest of its passages) and what
the last sync left served (:class:`~ragqa.index.files.sync.Synced`: the pointer, and the
cuts then served as they are).

It is a cache, never the truth, and each value is checked before it is used: a hash by its
file's stamp, a memo entry by its file's hash (and its title and the context), a served cut
by the pointer the index serves now. Written to a temporary name and renamed over the old
one (``os.replace``), not fsynced: lost, corrupt, of another version, or written for
another corpus folder or other index settings, it is set aside with a line in the log and
the sync reads the whole folder, as a process's first sync did before.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.folder import StampCache
from ragqa.index.durable import temporary_name
from ragqa.index.files import planning
from ragqa.index.files.planning import Cut, PlanMemo
from ragqa.index.files.pointer import Pointer
from ragqa.index.files.sync import Synced

logger = logging.getLogger(__name__)

STATE = "sync-state.json"
VERSION = 1  # bumped whenever what is saved changes meaning


@dataclass
class SyncState:
    """The stamps and what the last sync left served (the memo is held by the caller's
    :class:`PlanMemo`)."""

    stamps: StampCache
    synced: Synced | None = None
    saved: Synced | None = None  # ``synced`` as last saved or loaded

    def unsaved(self, memo: PlanMemo) -> bool:
        """Whether it or ``memo`` moved since it was saved or loaded."""
        return self.stamps.changed or memo.changed or self.synced is not self.saved


# The libraries whose versions decide how a file is read and cut.
CUTTING_LIBRARIES = ("langchain-text-splitters", "pypdf", "trafilatura", "lxml", "python-docx",
                     "python-pptx", "openpyxl", "odfdo", "charset-normalizer")


def state_key(corpus_dir: Path, config: IndexConfig, contextual: bool) -> str:
    """What the saved state is valid for: this version of it, the corpus folder, the
    settings that decide how documents are cut, and the code that cuts them (ragqa's
    document reading and planning sources, the libraries it reads files with): a state
    saved by another version is set aside rather than trusted."""
    text = json.dumps([VERSION, os.path.abspath(corpus_dir), config.to_json(), contextual,
                       _cutting_code()], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cutting_code() -> list:
    from ragqa.index import documents

    sources = sorted(Path(documents.__file__).parent.glob("*.py")) + [Path(planning.__file__)]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode("utf-8") + b"\0" + source.read_bytes())
    versions = []
    for name in CUTTING_LIBRARIES:
        try:
            versions.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return [digest.hexdigest(), versions]


def load_state(index_dir: Path, key: str, memo: PlanMemo) -> SyncState:
    """The state saved in ``index_dir`` for ``key`` (``memo`` filled from it), or an empty
    one, said in the log, when there is none that can be trusted."""
    path = index_dir / STATE
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("key") != key:
            raise ValueError("saved for another corpus folder, other settings or another "
                             "version")
        stamps = StampCache.from_json(data["stamps"])
        memo.load_json(data["memo"])
        synced = _synced_from(data["synced"], memo)
    except FileNotFoundError:
        logger.info("%s: none saved yet; this sync reads the whole corpus folder", path)
        return SyncState(StampCache())
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        memo.load_json({})
        logger.info("%s: set aside (%s); this sync reads the whole corpus folder", path,
                    getattr(exc, "strerror", None) or exc)
        return SyncState(StampCache())
    return SyncState(stamps, synced, synced)


def save_state(index_dir: Path, key: str, state: SyncState, memo: PlanMemo) -> None:
    """Save ``state`` and ``memo`` in ``index_dir`` (atomically; a failure is said in the
    log, leaves what was saved before, and leaves ``state`` unsaved: the next save tries
    again)."""
    memo_cuts = memo.cuts()
    synced = state.synced
    served = None if synced is None else {
        "pointer": [synced.pointer.generation, *synced.pointer.segments],
        # most often the memo's own cuts: not written twice
        "cuts": "memo" if synced.cuts == memo_cuts else {
            d: [c.digest, c.passages] for d, c in synced.cuts.items()},
    }
    text = ('{"key":' + json.dumps(key) + ',"stamps":' + state.stamps.encoded()
            + ',"memo":' + memo.encoded() + ',"synced":'
            + json.dumps(served, ensure_ascii=False, separators=(",", ":")) + "}")
    target = index_dir / STATE
    tmp = temporary_name(target)
    try:
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, target)
    except OSError as exc:
        logger.warning("%s: cannot be saved (%s); the next process's first sync will trust "
                       "what was saved before, if anything, checking it file by file",
                       target, exc.strerror or exc)
        return  # still unsaved: the next save tries again
    finally:
        tmp.unlink(missing_ok=True)
    state.stamps.changed = memo.changed = False
    state.saved = synced


def _synced_from(data: dict | None, memo: PlanMemo) -> Synced | None:
    if data is None:
        return None
    names = [str(name) for name in data["pointer"]]
    pointer = Pointer(names[0], tuple(names[1:]))
    cuts = data["cuts"]
    if cuts == "memo":
        return Synced(pointer, memo.cuts())
    return Synced(pointer, {str(d): Cut(str(c[0]), int(c[1])) for d, c in cuts.items()})
