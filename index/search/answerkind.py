"""What kind of answer a question asks for, and which sentences can hold it.

"Combien de visiteurs sont attendus au GITEX 2025 ?" asks for a figure; "Quand a ouvert le
centre ?" for a time. A passage's sentences often share the question's subject alike (the
2024 edition's 40.000 visitors and the 2025 one's 45.000; a programme's worldwide goal and
its figure in Morocco), and the terms cannot tell them apart: the subject's name weighs
most, and "combien" is no term at all. So the highlight gives a sentence holding what is
asked a little more (:data:`KIND_BONUS`), and a sentence naming only other years than the
question's a little less (:data:`OTHER_YEAR_PENALTY`): "en 2025" is not "en 2024". A quarter
or a half-year the question names ("au T3 2024", "au premier semestre") is read alike
(:func:`periods`): a sentence naming it gains the bonus, one naming only other quarters
loses the penalty; a table's rows ("T1 2024", "T2 2024", "T3 2024") share every other term.

A question's kind is read from its words (French and English), a sentence's from its
analysed terms and the years it writes: a figure is a term opening with a digit that is no
year and no day (:mod:`ragqa.index.search.dates`); a time is a year, a month's name or a
day. A year is read from the text as written (:func:`written_years`), not from the terms:
the analyzer makes "2.000 emplois" and "2 000 startups" the term ``2000``, as it makes
"2000" one (so that BM25 matches them), but these are counts, not the year 2000.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ragqa.index.search.dates import MONTHS, in_figures
from ragqa.index.search.ordinals import Position, asked_position


class Kind(Enum):
    FIGURE = "figure"  # a count, an amount, a rate
    TIME = "time"  # a date, a year, a month, a duration's start


# Shares of the passage's best term score. Chosen on the dev splits of the three sets
# (`python -m ragqa.eval.highlight_kinds [--squad FILE]`; bonus and penalty each among 0,
# 0.2, 0.3, 0.5, 0.7 and 1): the highlight holding the answer went from 1,288 to 1,303 of
# 1,857 (PIAF), 1,258 to 1,272 of 1,818 (the long pages) and 53 to 54 of 75 (the project's
# news) at 0.5 and 0.5, the best pair on PIAF and the long pages (0.7 or 1 did worse there;
# the project's set, 55 from 0.7 on, is the smallest).
KIND_BONUS = 0.5
OTHER_YEAR_PENALTY = 0.5

_QUANTITIES = (r"part|superficie|population|budget|coût|cout|prix|valeur|capacité|effectif|"
               r"surface|hauteur|longueur|distance|âge|age|durée|somme|nombre|montant|taux|"
               r"pourcentage|proportion|chiffre|quantité|salaire|tarif")
_TIMES = r"année|an|date|dates|jour|mois|époque|siècle|heure"
_IS = r"(?:est|sont|était|étaient|sera|seront|fut|serait)"
_DETERMINER = r"(?:la|le|les|l['’]|son|sa|ses|leur|leurs|ce|cette)"
# How a question asks for a figure or a time, in its own words: an interrogative ("combien",
# "quand" opening or closing it, "en quelle année"), or "quel est le montant / la date …"
# opening it. Not a word alone: "un grand nombre de startups", "Qu'est-ce que le taux
# directeur ?", "Que faire quand on perd sa carte ?" ask for neither.
_ASKS = (
    (Kind.FIGURE, re.compile(
        rf"\bcombien\b|^\W*(?:{_QUANTITIES})\b|"
        rf"\bquel(?:le)?s?\s+(?:(?:{_IS})\s+{_DETERMINER}\s*)?(?:{_QUANTITIES})\b|"
        r"\bhow\s+(?:many|much|old|long|far|large|big|tall)\b|"
        r"\bwhat\s+(?:is\s+the\s+|was\s+the\s+|are\s+the\s+)?(?:percentage|proportion|"
        r"number|amount|share|price|cost|population|size|rate|budget|age)\b",
        re.IGNORECASE)),
    (Kind.TIME, re.compile(
        rf"^\W*(?:et\s+)?quand\b|\bquand\s*\W*$|\bc['’]est\s+quand\b|"
        rf"\b(?:depuis|jusqu['’]à|jusqu['’]a|d['’]ici)\s+quand\b|"
        rf"\b(?:en|à|a|de|depuis|pour|dans)\s+quel(?:le)?s?\s+(?:{_TIMES})\b|"
        rf"\bquel(?:le)?s?\s+(?:(?:{_IS})\s+{_DETERMINER}\s*)?(?:{_TIMES})\b|"
        rf"^\W*(?:date|dates)\b|"
        r"^\W*when\b|\bwhen\s*\W*$|\b(?:what|which)\s+(?:year|date|month|day|time)\b|"
        r"\bsince\s+when\b",
        re.IGNORECASE)),
)
# Numbers in words, French and English, a figure as "3" is ("trois États"): not "un",
# "une", "one" (articles as often), nor "neuf" (new), nor "four" (an oven) and "ten" (the
# French analyzer's stem of "tenir", "se tenir": any sentence saying it would hold a figure).
_NUMBER_WORDS = ("deux trois quatre cinq six sept huit dix onze douze treize quatorze quinze "
                 "seize vingt trente quarante cinquante soixante cent cents mille millions "
                 "milliards two three five six seven eight nine eleven twelve twenty "
                 "thirty forty fifty hundred thousand millions billions")
# A year of our times: what a question's "en 2025" is told from (a figure written without a
# separator, "1500 exposants", is not told from a year; older years are not read there)...
_YEAR = re.compile(r"(?:19|20)\d\d")
# ... and any year a time can be ("en quelle année ?": 1789 as well).
_ANY_YEAR = re.compile(r"1\d\d\d|20\d\d")
_DAY = re.compile(r"(?:\d{4}-)?\d\d-\d\d")  # the day's own terms the analyzer adds
# Four figures standing alone as a year is written: "en 2025", "2023-2024", "14/04/2025",
# "(2025)". Not a part of a number a separator splits ("2.000", "2,000", "2 000", "1 950"
# hold no four figures together; "1.2025", "2025,5", "2025.04" are decimals or versions), nor
# of a word ("medias2025").
_WRITTEN_YEAR = re.compile(r"(?<![\w.])(?<!\d,)(?:1\d{3}|20\d\d)(?![\w]|[.,]\d)")
# A word that may be a date in figures (dates.in_figures): "14.04.2025", "14/04/25".
_DATE_WORD = re.compile(r"\S*\d[/.-]\d\S*")


# A quarter or a half-year as written: "T3", "Q3", "3e trimestre", "troisième trimestre",
# "third quarter"; "S1", "H1", "premier semestre", "first half". Read as "q3", "s1". The
# letter in capitals: "un t3" is a flat of three rooms; "S1", "H2" only before a year ("H2
# 2024", "S1-2025"): "H2 vert" is hydrogen.
_ORDINAL_WORDS = {"premier": 1, "première": 1, "1er": 1, "1re": 1, "first": 1, "deuxième": 2,
                  "second": 2, "seconde": 2, "2e": 2, "2ème": 2, "2nd": 2, "troisième": 3,
                  "3e": 3, "3ème": 3, "third": 3, "3rd": 3, "quatrième": 4, "4e": 4,
                  "4ème": 4, "fourth": 4, "4th": 4}
_ORDINAL = "|".join(sorted(map(re.escape, _ORDINAL_WORDS), key=len, reverse=True))
_PERIOD = re.compile(
    rf"(?<![\w-])(?-i:(?P<quarter>[TQ][1-4])"
    rf"|(?P<half>[SH][12])(?=[^\S\n]*[-/]?[^\S\n]*(?:19|20)\d\d(?!\d)))(?![\w]|-\d\b)"
    rf"|(?<!\w)(?P<ordinal>{_ORDINAL})\s+(?P<unit>trimestre|quarter|semestre|half)\b",
    re.IGNORECASE)


def periods(text: str) -> frozenset[str]:
    """The quarters and half-years ``text`` names, as "q1" to "q4" and "s1", "s2"."""
    if not any(c.isdigit() for c in text) and not re.search(
            r"trimestre|semestre|quarter|half", text, re.IGNORECASE):
        return frozenset()
    found = set()
    for match in _PERIOD.finditer(text):
        if match["quarter"]:
            found.add(f"q{match['quarter'][1]}")
        elif match["half"]:
            found.add(f"s{match['half'][1]}")
        else:
            number = _ORDINAL_WORDS[match["ordinal"].lower()]
            unit = match["unit"].lower()
            if unit in ("trimestre", "quarter"):
                found.add(f"q{number}")
            elif number <= 2:
                found.add(f"s{number}")
    return frozenset(found)


def asked_kind(question: str) -> Kind | None:
    """The kind of answer ``question`` asks for, if its words say it."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


def written_years(text: str) -> frozenset[str]:
    """The years ``text`` writes (any from 1000 to 2099): four figures standing alone, and
    the year of a date in figures ("14.04.2025", "14/04/25": 2025). A number written with
    thousands separators is none ("2.000 emplois", "2 000 startups", "1 950 lits")."""
    if not any(c.isdigit() for c in text):
        return frozenset()
    found = set(_WRITTEN_YEAR.findall(text))
    for word in _DATE_WORD.findall(text):
        day = in_figures(word)
        if day is not None and day.year is not None and _ANY_YEAR.fullmatch(str(day.year)):
            found.add(str(day.year))
    return frozenset(found)


def years(text: str) -> frozenset[str]:
    """The years of our times ``text`` writes (:func:`written_years` from 1900 to 2099)."""
    return frozenset(y for y in written_years(text) if _YEAR.fullmatch(y))


@dataclass(frozen=True)
class Asked:
    """What a question asks for: its kind (None: unsaid) and the years it names."""

    kind: Kind | None
    years: frozenset[str]
    months: frozenset[str]  # the analysed terms of month names (a time)
    bonus: float = KIND_BONUS
    penalty: float = OTHER_YEAR_PENALTY
    periods: frozenset[str] = frozenset()  # the quarters, half-years it names (:func:`periods`)
    # the analysed terms of numbers written in words ("trois pièces"): a figure too
    numbers: frozenset[str] = frozenset()
    position: Position | None = None  # the numbered item it asks for ("la première étape")

    @classmethod
    def of(cls, question: str, months: frozenset[str],
           analyze: Callable[[str], list[str]] | None = None) -> Asked | None:
        """``question`` read (``months``: the analyzer's terms of month names,
        :func:`month_terms`; ``analyze``, when given, reads the numbered item it asks for,
        :mod:`~ragqa.index.search.ordinals`); None when it asks for nothing these rules
        weigh."""
        kind, named, parts = asked_kind(question), years(question), periods(question)
        position = asked_position(question, analyze) if analyze is not None else None
        if kind is None and not named and not parts and position is None:
            return None
        numbers = (frozenset(analyze(_NUMBER_WORDS)) if kind is Kind.FIGURE and analyze
                   else frozenset())
        return cls(kind, named, months, periods=parts, position=position, numbers=numbers)

    def adjustment(self, terms: frozenset[str], written: frozenset[str],
                   named: frozenset[str] = frozenset()) -> float:
        """What a sentence gains (or loses) for this question: its analysed ``terms``, the
        years it writes (``written``, :func:`written_years` of its text) and the quarters
        and half-years it names (``named``, :func:`periods`)."""
        change = 0.0
        if self.kind is not None and self._holds(terms, written):
            change += self.bonus
        if self.years:
            said = frozenset(y for y in written if _YEAR.fullmatch(y))
            if said and not said & self.years:
                change -= self.penalty
        if self.periods:
            if named & self.periods:
                change += self.bonus
            elif {p[0] for p in named} & {p[0] for p in self.periods}:
                change -= self.penalty  # "T2 2024" is not "T3 2024"
        return change

    def answers(self, terms: frozenset[str], written: frozenset[str]) -> frozenset[str]:
        """The terms of ``terms`` that hold what is asked (a figure, a time; none when the
        kind is unsaid): a headline's "200.000", which the sentence repeating it carries."""
        if self.kind is None:
            return frozenset()
        return frozenset(t for t in terms if self._holds(frozenset((t,)), written & {t}))

    def _holds(self, terms: frozenset[str], written: frozenset[str]) -> bool:
        if self.kind is Kind.TIME:
            return bool(written) or any(_DAY.fullmatch(t) or t in self.months for t in terms)
        # a term opening with a figure ("45000", "26", "5g", "2000" of "2.000 emplois"), not
        # a year the sentence writes, a day, or a name holding one ("medias24", "covid-19");
        # or a number in words ("l'une des trois pièces")
        return any((t[0].isdigit() and not _DAY.fullmatch(t)
                    and not (t in written and _YEAR.fullmatch(t))) or t in self.numbers
                   for t in terms)


def month_terms(analyze: Callable[[str], list[str]]) -> frozenset[str]:
    """The terms ``analyze`` makes of month names (French and English)."""
    names = [*(name for months in MONTHS.values() for name in months),
             "january", "february", "march", "april", "may", "june", "july", "august",
             "september", "october", "november", "december"]
    return frozenset(analyze(" ".join(names)))
