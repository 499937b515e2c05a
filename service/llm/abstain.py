"""Abstaining: the answer given, without calling the LLM, when the passages do not answer.

It must be in the question's language, and we only have templates for French and English,
so :func:`guess_language` is a small honest heuristic (function words and accents) that
tells French from English and falls back to the configured corpus language otherwise.
"""

from __future__ import annotations

import re

ABSTENTIONS = {
    "fr": "Les documents disponibles ne permettent pas de répondre à cette question. "
          "Voici les passages les plus proches.",
    "en": "The available documents do not answer this question. "
          "Here are the closest passages.",
}

_FRENCH = frozenset(
    "le la les un une des du de au aux et est sont qui que quoi quel quelle quels quelles "
    "quand comment combien pourquoi où dans pour par sur avec ce cette ces il elle ils "
    "elles nous vous on son sa ses leur leurs ne pas plus a-t-il est-ce".split())
_ENGLISH = frozenset(
    "the a an of and is are was were who what which when where why how many much does do "
    "did in on for with by to from this that these those it its they their not has have "
    "can will".split())
_FRENCH_LETTERS = re.compile(r"[éèêàùûôîçœ]")
_WORDS = re.compile(r"[\w'’-]+")


def guess_language(text: str, default: str = "fr") -> str:
    """``"fr"`` or ``"en"``; ``default`` when the words do not tell."""
    words = [w.lower().strip("'’-") for w in _WORDS.findall(text)]
    french = sum(w in _FRENCH for w in words) + 2 * len(_FRENCH_LETTERS.findall(text.lower()))
    english = sum(w in _ENGLISH for w in words)
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return default


def abstention(question: str, default: str = "fr") -> str:
    """The "documents do not answer" sentence in the question's language."""
    return ABSTENTIONS[guess_language(question, default)]


def language_code(snowball_name: str) -> str:
    """``RAGQA_LANGUAGE`` (a Snowball name such as ``french``) as ``fr``/``en``."""
    return "en" if snowball_name.lower().startswith("english") else "fr"
