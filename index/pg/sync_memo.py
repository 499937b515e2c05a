"""What a process's PostgreSQL folder syncs keep from one to the next, so that a later
sync costs what changed rather than the whole folder.

A folder sync (:func:`~ragqa.index.pg.indexing.index_corpus_into`) compares, document by
document, what a full index of the folder would store with what the database holds. Done
from scratch, that reads and hashes every file, loads, parses and cuts every document, and
checks every stored passage's side rows: 6 s at 10,000 passages, 20 s at 100,000, after one
file changed. :class:`SyncMemo` keeps, for the process (a server's ``--watch`` syncs), what
the files store's sync keeps (:mod:`ragqa.index.files.sync`), with the same machinery:

* the files' stat stamps and hashes (:class:`~ragqa.index.documents.folder.StampCache`: a
  file whose stat has not moved is not read again; git's racy-file rule applies);
* the plan memo (:class:`~ragqa.index.files.planning.PlanMemo`: each file's part of the
  corpus context and the digest of its passages, keyed by its hash, title and the context;
  only the documents whose key moved are loaded and cut again, and the plan is the one a
  full plan gives, passage for passage);
* each document's layout (title, passages, vector keys: what is compared with the stored
  one, :mod:`ragqa.index.pg.layouts`) by its cut's digest, so that a document not cut again
  is compared without cutting it, and each stored document's layout by the version of its
  row (:class:`~ragqa.index.pg.layouts.StoredLayouts`), so that only the documents written
  since the last sync, by anyone, are read again;
* which documents' side rows were found complete, by the version of their row
  (:class:`~ragqa.index.pg.side_fill.FilledRows`);
* the stored documents' versions before the last reclaim that went through: while no
  document is written or deleted, the reclaim that ends a sync has nothing to find.

All of it is a cache of functions of the files (or of a row version), never a record of
what the database holds: every sync still compares with what the database holds then, so
a document written meanwhile by another process (a replica, an upload) is seen and
handled as a full sync would, and a document gone from the folder is always deleted.

What of it is safe to keep between processes (the stamps, the plan memo, the documents found
holding their side rows, the versions of the last reclaim) is saved in the database after
a sync that moved it, and loaded by a process's first sync
(:mod:`ragqa.index.pg.saved_memo`), so that the first sync costs what changed too. The
layouts are not saved: the stored ones are read with their cut's digest
(:mod:`ragqa.index.pg.layouts`), and a document whose stored digest is its plan's is
compared without cutting it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import psycopg

from ragqa.index.config import IndexConfig
from ragqa.index.documents.folder import StampCache
from ragqa.index.files.planning import Cut, FolderPlan, PlanMemo
from ragqa.index.pg import saved_memo
from ragqa.index.pg.layouts import Layout, Stored, StoredLayouts, layout_of
from ragqa.index.pg.side_fill import FilledRows


class SyncMemo:
    """What one process's syncs of one store keep (see the module); used by one sync at a
    time (a store's syncs run one after another). ``saved``: loaded from and saved in the
    database (a store's memo); without, it lives and dies with the object."""

    def __init__(self, saved: bool = True) -> None:
        self.stamps = StampCache()
        self.filled = FilledRows()
        self.stored = StoredLayouts()
        # The documents' versions (versions_digest) before the last reclaim that went
        # through: while they stay, no stored passage let go of a side row since.
        self.reclaimed: str | None = None
        self._saved = saved
        self._key: tuple | None = None
        self._plans: PlanMemo | None = None
        self._layouts: dict[str, tuple[Cut, Layout]] = {}
        self._corpus_dir: Path | None = None
        self._saved_key = ""  # saved_memo.memo_key of the folder and settings
        self._saved_digest: bytes | None = None  # of the row as last loaded or saved

    def planner(self, conn: psycopg.Connection, corpus_dir: Path, config: IndexConfig,
                contextual: bool, model: str = "") -> PlanMemo:
        """The plan memo for this folder and these settings; everything kept is forgotten
        when they are not the last sync's, and what was saved in the database for them
        taken instead (when this memo is ``saved``)."""
        key = (os.path.abspath(corpus_dir), json.dumps(config.to_json(), sort_keys=True),
               contextual, model)
        if self._plans is None or key != self._key:
            self.stamps = StampCache()
            self.filled.forget()
            self.stored = StoredLayouts()
            self.reclaimed = None
            self._layouts = {}
            self._plans = PlanMemo(config, contextual)
            self._key, self._corpus_dir, self._saved_digest = key, corpus_dir, None
            if self._saved:
                self._saved_key = saved_memo.memo_key(corpus_dir, config, contextual, model)
                found = saved_memo.load_memo(conn, corpus_dir, self._saved_key, self._plans)
                if found is not None:
                    self.stamps, self.filled = found.stamps, found.filled
                    self.reclaimed = found.reclaimed
                    # (what encode_memo gives again while nothing moves: no encoding)
                    self._saved_digest = _digest(found.row)
        return self._plans

    def save(self, conn: psycopg.Connection) -> None:
        """Save what is kept in the database, unless it is what was loaded or saved last
        (a ``saved`` memo, after a sync)."""
        if not self._saved or self._plans is None or self._corpus_dir is None:
            return
        encoded = self._encoded()
        digest = _digest(encoded)
        if digest != self._saved_digest and saved_memo.save_memo(
                conn, self._corpus_dir, self._saved_key, encoded):
            self._saved_digest = digest

    def forget(self, conn: psycopg.Connection) -> None:
        """Forget everything kept, here and in the database (found stale: a plan memo
        saved by other code)."""
        if self._saved and self._corpus_dir is not None:
            saved_memo.forget_memo(conn, self._corpus_dir)
        self._key = self._plans = None  # the next planner() starts anew

    def same_layout(self, plan: FolderPlan, doc_id: str, stored: Stored) -> bool:
        """Whether the stored document ``stored`` has the layout ``plan`` cuts for
        ``doc_id``: at once when its stored cut's digest is the plan's (the digest covers
        every field of the layout), else compared with :meth:`layout`."""
        return stored[3] == plan.cuts[doc_id].digest or stored[2] == self.layout(plan, doc_id)

    def _encoded(self) -> bytes:
        assert self._plans is not None
        return saved_memo.encode_memo(self.stamps, self._plans, self.filled, self.reclaimed)

    def layout(self, plan: FolderPlan, doc_id: str) -> Layout:
        """The layout of ``doc_id`` as ``plan`` cuts it: kept while its cut is the same
        (the cut's digest covers every field of the layout), else cut again."""
        cut = plan.cuts[doc_id]
        kept = self._layouts.get(doc_id)
        if kept is not None and kept[0] == cut:
            return kept[1]
        assert self._plans is not None, "planner() first"
        found = layout_of(self._plans.processed(plan, doc_id))
        self._layouts[doc_id] = (cut, found)
        return found

    def note(self, plan: FolderPlan) -> None:
        """Keep the layouts of the documents ``plan`` cut (nothing cuts them again while
        their cut stays), forget those of the documents it does not load (gone, refused)."""
        for doc_id in self._layouts.keys() - plan.cuts.keys():
            del self._layouts[doc_id]
        for doc_id, processed in plan.processed.items():
            self._layouts[doc_id] = (plan.cuts[doc_id], layout_of(processed))


def _digest(encoded: bytes) -> bytes:
    return hashlib.sha256(encoded).digest()
