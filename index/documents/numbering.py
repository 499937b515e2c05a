"""Numbered parts of a text, as its lines name them: "1. Objet", "2.3 Délais", "IV.
Budget", "A. Contexte", "b) Recours", and named divisions, "Article 3 : Durée",
"CHAPITRE II", "Titre premier"; and a list's counters as a word processor shows them
(:func:`counter`: "3", "c", "iii").

:func:`outline_number` reads a line's outline number, :func:`division_word` the division a
line names. The headings of plain text files (:mod:`~ragqa.index.documents.plaintext`)
are built on them, and the title rules (:mod:`~ragqa.index.documents.titles`) take no
such line for a document's headline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBERED = re.compile(
    r"^(?:(?P<number>\d{1,2}(?:\.\d{1,2}){1,4})\.?|(?P<single>\d{1,2})\s*[.)\-–—]|"
    r"(?P<roman>[IVXLC]{1,6})[.)]|(?P<letter>[A-Ha-h])[.)])\s+(?P<rest>[^\W\d_].*)$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_DIVISION_ALONE = re.compile(
    r"^(?P<word>article|chapitre|titre|section|sous-section|partie|annexe|livre)\s+"
    r"(?:\d{1,3}(?:[.-]\d{1,3})*|[IVXLC]{1,6}|premier|premi[èe]re|unique)(?:er|e|ème|re)?\.?$",
    re.IGNORECASE)
_DIVISION_WORD = re.compile(r"^(?P<word>[^\W\d_][\w-]*)")
# A numbered division of a text with its name ("Article 3 : Durée", "Chapitre II – Les
# aides", "Annexe 1 : Pièces"): what comes after the colon names the division, not a value
# (a table's or a figure's caption, "Tableau 1 : tarifs", names no division of the text).
# The name starts with a capital and holds no figure: "Lot 2 : 35 000 € HT", "Section 2 :
# 15 €", "Étape 1 : cliquez sur Valider" are values and instructions (:func:`is_division`).
_DIVISION = re.compile(
    r"^(?:article|art\.|chapitre|titre|section|sous-section|partie|annexe|livre|paragraphe|"
    r"§|clause|point|[ée]tape|phase|axe|volet|lot|chapter|part|appendix|annex|step)\s+"
    r"(?:\d+(?:[.-]\d+)*|[ivxlc]+|premier|premi[èe]re|unique|[a-z])(?:er|e|ème|re)?\s*"
    r"[:\-–—.]\s*[\"«“'‘]?\s*(?P<name>.*)$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Number:
    """A line's outline number: its kind ("number", "roman", "upper", "lower"), the
    numbers above it ("2.3" is 3 under (2,)) and its value."""

    kind: str
    parent: tuple[int, ...]
    value: int

    @property
    def depth(self) -> int:
        return len(self.parent) + 1


def outline_number(line: str) -> Number | None:
    """The outline number a line opens with, then words ("1. Objet"), if any."""
    found = _NUMBERED.match(line)
    if found is None:
        return None
    if found.group("roman"):
        value = _roman(found.group("roman"))
        return Number("roman", (), value) if value else None
    if found.group("letter"):
        letter = found.group("letter")
        return Number("upper" if letter.isupper() else "lower", (),
                      ord(letter.upper()) - ord("A") + 1)
    parts = [int(x) for x in re.findall(r"\d+", found.group("number") or found.group("single"))]
    return Number("number", tuple(parts[:-1]), parts[-1])


def division_word(line: str) -> str | None:
    """The division a line names, case folded ("article" for "Article 3 : Durée",
    "chapitre" for "CHAPITRE II"), if it names one."""
    if not (is_division(line) or _DIVISION_ALONE.match(line)):
        return None
    word = _DIVISION_WORD.match(line)
    return word.group("word").casefold() if word else None


def is_division(line: str) -> bool:
    """Whether ``line`` names a numbered division of the text with its name ("Article 3 :
    Durée"): its name after the number starts with a capital and holds no figure."""
    found = _DIVISION.match(" ".join(_CONTROL.sub("", line).split()))
    name = found.group("name") if found else ""
    return name[:1].isupper() and not any(c.isdigit() for c in name)


def _roman(numeral: str) -> int | None:
    """The value of a well-formed roman numeral ("XIV" 14), None for another string."""
    values = [_ROMAN_VALUES[c] for c in numeral]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v
                for i, v in enumerate(values))
    return total if roman(total).upper() == numeral else None


def counter(value: int, kind: str) -> str:
    """A list counter ``value`` as a word processor shows it, ``kind`` in ODF's terms:
    "1" (decimal), "a" / "A" (letters: "z", "aa"), "i" / "I" (roman); "" for another kind
    (none, a bullet)."""
    if kind in ("a", "A") and value >= 1:
        letters = ""
        while value > 0:
            value, rest = divmod(value - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters if kind == "a" else letters.upper()
    if kind in ("i", "I") and 0 < value < 4000:
        return roman(value) if kind == "i" else roman(value).upper()
    return str(value) if kind == "1" else ""


def roman(number: int) -> str:
    """``number`` in lower-case roman numerals ("iv"), as Word numbers endnotes."""
    found = []
    for value, digits in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                          (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                          (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        found.append(digits * count)
    return "".join(found)
