"""Which item of a numbered list a question asks for: "Quelle est la première étape pour
…?" asks for the step numbered 1 ("1. Créez votre compte", "Étape 1 : …", "Première
étape : …"); "la dernière étape" for the highest number of the list.

The steps of a procedure share the question's subject alike (the procedure's name is in
its heading, not in each step), and "première" is a term no step holds: the terms cannot
tell the first step from the others, nor from the introduction that names the procedure.
So the highlight gives the sentence opening with the number asked a share of the best term
score (:data:`POSITION_BONUS`), when it or its heading names what the question counts
("étape": "Étape 1 :", or "## Les étapes" above "1. …"): "la première édition" is no
step of a list about something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A share of the passage's best term score, as answerkind's: the item asked must outrank
# the introduction, which names the procedure and holds the most terms.
POSITION_BONUS = 1.0
LAST = -1  # "la dernière étape": the highest number of the passage's list

_NUMBERS = {"premier": 1, "première": 1, "premiere": 1, "1er": 1, "1re": 1, "1ère": 1,
            "first": 1, "deuxième": 2, "deuxieme": 2, "second": 2, "seconde": 2, "2e": 2,
            "2ème": 2, "2nd": 2, "troisième": 3, "troisieme": 3, "3e": 3, "3ème": 3,
            "third": 3, "3rd": 3, "quatrième": 4, "quatrieme": 4, "4e": 4, "4ème": 4,
            "fourth": 4, "4th": 4, "cinquième": 5, "cinquieme": 5, "5e": 5, "fifth": 5,
            "sixième": 6, "sixieme": 6, "6e": 6, "sixth": 6, "septième": 7, "7e": 7,
            "seventh": 7, "huitième": 8, "8e": 8, "eighth": 8, "neuvième": 9, "9e": 9,
            "ninth": 9, "dixième": 10, "10e": 10, "tenth": 10, "dernier": LAST,
            "dernière": LAST, "derniere": LAST, "last": LAST, "final": LAST, "finale": LAST}
_ORDINAL = "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True))
_WORD = r"[^\W\d_][\w'’-]*"
# The nouns a number after them names an item by ("l'étape 2", "the step 3"); not any
# noun: "le top 10", "la loi 15", "la Ligue 1", "la Formule 1" name no item of a list.
_ITEM_NOUNS = ("étape|etape|step|phase|point|article|question|partie|part|chapitre|chapter|"
               "section|règle|regle|rule")
# In a question: an ordinal and the noun it counts ("la première étape", "the last step"),
# or one of those nouns and its number after an article ("l'étape 2", "the step 3"; not "a
# gagné 3 médailles").
_ASKED = re.compile(rf"(?<!\w)(?P<ordinal>{_ORDINAL})\s+(?P<noun>{_WORD})"
                    rf"|(?<!\w)(?:l['’]|la\s+|le\s+|the\s+)(?:(?P<named>{_ITEM_NOUNS})s?)"
                    rf"\s+(?P<number>\d{{1,2}})"
                    r"(?![\w.,]|\s*%)",
                    re.IGNORECASE)
# A list item's opening, at the start of a line: "1. ", "2) ", "- 3. ", "**Étape 1 :**",
# "Step 2 -", "Première étape :".
_ITEM = re.compile(rf"^[^\S\n]*(?:[-*•][^\S\n]*)?(?:\*\*)?(?:"
                   rf"(?P<bare>\d{{1,2}})[.)](?!\d)"
                   rf"|{_WORD}[^\S\n]+(?P<labelled>\d{{1,2}})[^\S\n]*(?:[:.)–—-]|\*\*)"
                   rf"|(?P<ordinal>{_ORDINAL})[^\S\n]+{_WORD}[^\S\n]*(?:[:.)–—-]|\*\*))",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Position:
    """The item a question asks for: its number (:data:`LAST`: the highest) and the
    analysed terms of what it counts ("étape")."""

    number: int
    counted: frozenset[str]
    bonus: float = POSITION_BONUS


def asked_position(question: str, analyze: Callable[[str], list[str]]) -> Position | None:
    """The numbered item ``question`` asks for, if it names one with what it counts."""
    for match in _ASKED.finditer(question):
        if match["ordinal"]:
            number, noun = _NUMBERS[match["ordinal"].lower()], match["noun"]
        else:
            number, noun = int(match["number"]), match["named"]
        counted = frozenset(analyze(noun))
        if counted and number:
            return Position(number, counted)
    return None


def item_number(sentence: str) -> int | None:
    """The number a list item opens with ("1. …", "Étape 2 : …", "Troisième étape : …");
    None for a sentence that opens no item."""
    match = _ITEM.match(sentence)
    if match is None:
        return None
    if match["ordinal"]:
        number = _NUMBERS[match["ordinal"].lower()]
        return number if number > 0 else None
    return int(match["bare"] or match["labelled"])
