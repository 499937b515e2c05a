"""Who may read which document: a document's groups and a reader's allowlist.

A document holds a set of groups; none means every authenticated reader may read it. A
reader (:class:`Reader`) holds the groups their identity gives, or ``None`` for a reader of
everything (no ``RAGQA_AUTH``, an API key, a member of the write group: whoever may change a
document's groups could read it anyway). A reader's groups become an *allowlist* of document
ids (:meth:`Allowlists.get`) that the one search path takes as its ``doc_ids`` filter and as
the ``scope`` of BM25's statistics and every idf: the rankers score only those documents,
with statistics counted over them alone, so a reader gets a full top k of what they may read
and nothing else is ever scored, counted, cached or highlighted for them, nor weighs on
their scores.

Each store keeps the groups outside its vectors (:class:`DocumentGroups`): changing them
re-embeds nothing. The files store keeps them in ``<file>.groups`` sidecars
(:mod:`ragqa.index.files.groups`), PostgreSQL in a table (:mod:`ragqa.index.pg.groups`).
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass
from typing import Protocol

from cachetools import LRUCache

from ragqa.index.errors import RagqaError, UnknownDocumentError
from ragqa.index.search.view import IndexView

MAX_GROUPS = 100  # per document
MAX_GROUP_CHARS = 200
# Unicode categories no group name holds: controls, invisible format characters (a zero-width
# space makes a name nobody can type), lone surrogates, unassigned code points.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Cn"})
# What a document whose groups cannot be read gets: no group a reader can hold (names have
# no spaces), so only readers of everything see it until the sidecar is fixed.
UNREADABLE = frozenset({" unreadable "})


class GroupsError(RagqaError):
    """A groups field that is not a comma-separated list of group names."""


def parse_groups(text: str) -> frozenset[str]:
    """Groups from ``"rh, direction"`` (commas or new lines between names; blank: none,
    every reader). :class:`GroupsError` for a name with spaces or control characters, too
    long, or too many."""
    names = [n.strip() for n in text.replace("\n", ",").split(",")]
    names = [n for n in names if n]
    for name in names:
        if len(name) > MAX_GROUP_CHARS:
            raise GroupsError(f"a group name is longer than {MAX_GROUP_CHARS} characters")
        if any(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in name):
            raise GroupsError(f"group {name[:40]!r} has a space, a control or an invisible "
                              "character; separate groups with commas")
    if len(set(names)) > MAX_GROUPS:
        raise GroupsError(f"a document may have at most {MAX_GROUPS} groups")
    return frozenset(names)


def while_replacing(before: frozenset[str], after: frozenset[str]) -> frozenset[str]:
    """The groups of a document while a version readable by ``after`` replaces one readable
    by ``before`` (either may be served meanwhile): only readers both let in. The stricter
    set when one of them is every reader's, else their common groups; none in common: only
    readers of everything (:data:`UNREADABLE`). Never looser than either, at worst stricter
    for a reader holding one group of each, for the time of the write."""
    if not before:
        return after
    if not after:
        return before
    return (before & after) or UNREADABLE


def format_groups(groups: Iterable[str]) -> str:
    """``groups`` as a sidecar or a form field holds them: sorted, comma-separated."""
    return ",".join(sorted(groups))


def may_read(document: frozenset[str], reader: frozenset[str] | None) -> bool:
    """Whether a reader holding ``reader`` (None: everything) may read a document holding
    ``document`` (none: everyone)."""
    return reader is None or not document or bool(document & reader)


@dataclass(frozen=True)
class Reader:
    """Who reads: ``groups`` None reads every document (and sees the store's totals)."""

    user: str = ""
    groups: frozenset[str] | None = None
    writer: bool = False

    @property
    def everything(self) -> bool:
        return self.groups is None


EVERYONE = Reader()


class DocumentGroups(Protocol):
    """A store's document groups, kept outside its vectors."""

    def version(self) -> Hashable:
        """Changes with every change of groups (with the view's generation, it keys the
        allowlists: a change is seen by the next request)."""

    def of(self, doc_id: str) -> frozenset[str]:
        """The groups of ``doc_id`` (empty: every reader; also for an unknown id)."""

    def all(self) -> dict[str, frozenset[str]]:
        """The groups of every document that has some (the others are every reader's)."""

    def set(self, doc_id: str, groups: frozenset[str]) -> None:
        """Give ``doc_id`` these groups (empty: every reader), durably. Allowed before the
        document exists (an upload's groups are set before it is indexed)."""

    def readable(self, view: IndexView, groups: frozenset[str]) -> frozenset[str]:
        """The ids of ``view``'s documents a reader holding ``groups`` may read."""


class Allowlists:
    """The readable document ids of each group set, per store state (LRU): computed once
    per change, the same frozenset object each time (its hash is cached)."""

    def __init__(self, size: int = 256) -> None:
        self._cache: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, view: IndexView, groups: DocumentGroups,
            reader: frozenset[str]) -> frozenset[str]:
        key = (view.generation, groups.version(), reader)
        with self._lock:
            found = self._cache.get(key)
        if found is None:
            found = groups.readable(view, reader)
            with self._lock:
                self._cache[key] = found
        return found


def within(doc_ids: Collection[str] | None,
           readable: frozenset[str] | None) -> Collection[str] | None:
    """The search filter for a reader: their allowlist, or the requested ``doc_ids`` when
    all are readable. A requested document they may not read raises exactly what an absent
    one does (:class:`~ragqa.index.errors.UnknownDocumentError`, the same message, naming the
    first such id in order, absent or not)."""
    if readable is None:
        return doc_ids
    if doc_ids is None:
        return readable
    hidden = sorted(set(doc_ids) - readable)
    if hidden:
        raise UnknownDocumentError(f"no document {hidden[0]!r} in the index")
    return frozenset(doc_ids)
