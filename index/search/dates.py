"""Dates as a question and a document may write them differently.

A question says "la semaine du 14 avril 2025" where a table says "14/04/2025", a memo
"2025-04-14", a letter "le 14 avril". BM25 matches words, so each of these forms also gives
the same terms: the month's name, the day and year as figures, and one term for the day
itself (``2025-04-14``, and ``04-14`` with or without its year), rare enough to tell that
day's row from its neighbours, which share the month and the year.

Dates in figures are read day first (French, and the other languages listed in
:data:`MONTHS`); a language without a list reads none. A year of two figures only after a
slash ("14/04/25"), so that a version number ("1.2.10") is not a date; a day without its
year in two figures each ("le 21/04"), so that a fraction ("3/4") is not one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# The month names of each language whose dates in figures put the day first.
MONTHS = {
    "french": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
               "septembre", "octobre", "novembre", "décembre"),
}

# Their usual abbreviations ("14 févr. 2025", "3 sept."), each read with or without its stop.
ABBREVIATIONS = {
    "french": {"janv": 1, "févr": 2, "fév": 2, "avr": 4, "juil": 7, "sept": 9, "oct": 10,
               "nov": 11, "déc": 12},
}

_IN_FIGURES = re.compile(
    r"(?P<day>\d{1,2})(?P<sep>[/.-])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|(?<=/)\d{2})"
    r"|(?P<my_month>\d{1,2})/(?P<my_year>\d{4})"  # a month: 04/2025
    r"|(?P<iso_year>\d{4})-(?P<iso_month>\d{2})-(?P<iso_day>\d{2})"  # ISO 8601: 2025-04-14
    r"|(?P<short_day>\d{2})/(?P<short_month>\d{2})"  # "le 21/04": two figures each, not 3/4
)
_EDGES = ".,;:!?()[]«»\"'"  # punctuation around a date in figures, as in "(14/04/2025)."


@dataclass(frozen=True)
class Day:
    """A date read from text: its month, and its day and year where it says them."""

    month: int
    day: int | None = None
    year: int | None = None

    def terms(self) -> tuple[str, ...]:
        """The terms only a date gives: the day's own (``2025-04-14``, ``04-14``)."""
        if self.day is None:
            return ()
        day = f"{self.month:02d}-{self.day:02d}"
        return (day,) if self.year is None else (f"{self.year:04d}-{day}", day)


def _day(month: int, day: int | None, year: int | None) -> Day | None:
    if not 1 <= month <= 12 or day is not None and not 1 <= day <= 31:
        return None
    return Day(month, day, year)


def in_figures(word: str) -> Day | None:
    """The date a whitespace-free ``word`` writes in figures ("14/04/2025", "(04/2025).",
    "2025-04-14"), else None."""
    match = _IN_FIGURES.fullmatch(word.strip(_EDGES))
    if match is None:
        return None
    if match["iso_year"]:
        return _day(int(match["iso_month"]), int(match["iso_day"]), int(match["iso_year"]))
    if match["short_day"]:
        return _day(int(match["short_month"]), int(match["short_day"]), None)
    if match["my_month"]:
        return _day(int(match["my_month"]), None, int(match["my_year"]))
    year = int(match["year"])
    if len(match["year"]) == 2:  # POSIX's pivot, as strptime's %y
        year += 2000 if year < 69 else 1900
    return _day(int(match["month"]), int(match["day"]), year)


class WordedDates:
    """Finds the dates a text writes in words ("14 avril 2025", "1er mai", "14 févr.", a
    range's days: "du 14 au 16 avril", "les 3 et 4 mai", "14-15 avril") in one language."""

    def __init__(self, months: tuple[str, ...],
                 abbreviations: dict[str, int] | None = None) -> None:
        number = {}
        for i, name in enumerate(months, 1):
            number[name] = number[_unaccented(name)] = i
        for name, i in (abbreviations or {}).items():
            number[name] = number[_unaccented(name)] = i
        self._number = number
        # A text's words that may follow a day: a month's name, bare or before punctuation.
        # A text holding none is not scanned (most are not; the scan is most of the cost).
        self._names = frozenset(name + end for name in number
                                for end in ("", *",.;:)?!»…", "?»", ".)"))
        names = "|".join(sorted(number, key=len, reverse=True))
        month = rf"({names})\.?(?:\s+(\d{{4}}))?(?![\w/-])"
        self._pattern = re.compile(rf"(?<![\w.,/])(\d{{1,2}})(?:er)?\s+{month}")
        # the first day of a range, whose month (and year) its last day's gives
        self._range = re.compile(
            rf"(?<![\w.,/-])(\d{{1,2}})(?:er)?(?:\s*[-–]\s*|\s+(?:au|et|à)\s+(?:le\s+)?)"
            rf"\d{{1,2}}(?:er)?\s+{month}")

    def __call__(self, text: str, words: Iterable[str] | None = None) -> Iterator[Day]:
        """The dates of a casefolded ``text`` (whose whitespace-split ``words`` may be given:
        they tell quickly a text without any), each once."""
        if self._names.isdisjoint(text.split() if words is None else words):
            return
        found: dict[Day, None] = {}
        for pattern in (self._range, self._pattern):
            for match in pattern.finditer(text):
                day = _day(self._number[match[2]], int(match[1]),
                           int(match[3]) if match[3] else None)
                if day is not None:
                    found[day] = None
        yield from found


def _unaccented(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word)
                   if not unicodedata.combining(c))
