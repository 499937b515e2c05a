"""Hit and miss counts of the serving path's caches (``/metrics``, ``ragqa bench``).

Each cache bumps its own :class:`CacheCounter` where it looks a key up. The counts are plain
integers bumped without a lock of their own: under concurrent requests a count may miss an
increment now and then (approximate), it never fails a search and costs no contention.
"""

from __future__ import annotations

from dataclasses import dataclass


class CacheCounter:
    """Lookups of one cache that found their key (``hits``) and that did not (``misses``)."""

    __slots__ = ("hits", "misses")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0

    def add(self, hits: int = 0, misses: int = 0) -> None:
        self.hits += hits
        self.misses += misses

    def snapshot(self) -> CacheCount:
        return CacheCount(self.hits, self.misses)


@dataclass(frozen=True)
class CacheCount:
    """One cache's counts at one moment."""

    hits: int
    misses: int

    def __add__(self, other: CacheCount) -> CacheCount:
        return CacheCount(self.hits + other.hits, self.misses + other.misses)
