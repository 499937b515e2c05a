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
  (:class:`~ragqa.index.pg.side_fill.FilledRows`).

All of it is a cache of functions of the files (or of a row version), never a record of
what the database holds: every sync still compares with what the database holds then, so
a document written meanwhile by another process (a replica, an upload) is seen and
handled as a full sync would, and a document gone from the folder is always deleted. It
lives in memory only: a process's first sync reads the whole folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.documents.folder import StampCache
from ragqa.index.files.planning import Cut, FolderPlan, PlanMemo
from ragqa.index.pg.layouts import Layout, StoredLayouts, layout_of
from ragqa.index.pg.side_fill import FilledRows


class SyncMemo:
    """What one process's syncs of one store keep (see the module); used by one sync at a
    time (a store's syncs run one after another)."""

    def __init__(self) -> None:
        self.stamps = StampCache()
        self.filled = FilledRows()
        self.stored = StoredLayouts()
        self._key: tuple | None = None
        self._plans: PlanMemo | None = None
        self._layouts: dict[str, tuple[Cut, Layout]] = {}

    def planner(self, corpus_dir: Path, config: IndexConfig, contextual: bool) -> PlanMemo:
        """The plan memo for this folder and these settings; everything kept is forgotten
        when they are not the last sync's."""
        key = (os.path.abspath(corpus_dir), json.dumps(config.to_json(), sort_keys=True),
               contextual)
        if self._plans is None or key != self._key:
            self.stamps = StampCache()
            self.filled.forget()
            self.stored = StoredLayouts()
            self._layouts = {}
            self._plans = PlanMemo(config, contextual)
            self._key = key
        return self._plans

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
