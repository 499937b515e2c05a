"""Titles that close or pause rather than name a part: "Questions ?", "Merci de votre
attention", "Thank you", "Pause", "Fin", "Bonne route !".

A deck's slide so titled heads none of the slides after it (after "Questions ?" come the
appendix's slides, no part of the questions: :mod:`~ragqa.index.documents.presentations`),
and a section holding nothing but such a heading makes no passage
(:mod:`~ragqa.index.documents.chunking`): "Questions ?" alone answers nothing.
"""

from __future__ import annotations

import re

# The words a closing or pausing title is made of, and those that go with them; a title
# made of these alone, and holding one of the first, closes.
_CLOSING = frozenset({"question", "questions", "merci", "thank", "thanks", "pause", "fin",
                      "end", "break"})
_CLOSING_FILLER = frozenset({"the", "you", "for", "your", "attention", "de", "des", "une",
                             "votre", "vos", "pour", "et", "and", "réponses", "answers",
                             "any"})
_WORDS = re.compile(r"\w+")


def closes(title: str) -> bool:
    """Whether ``title`` closes or pauses: made of closing words only ("Questions ?",
    "Merci de votre attention", "Pause"), or exclaiming ("Bonne route !"). A question of
    other words names a part ("Qui est concerné ?", "2. Comment faire ?": the eval's decks
    head 35 of 93 decks' sections so) and "Questions fréquentes" names one too."""
    line = " ".join(title.split()).rstrip(" .…")
    if line.endswith("!"):
        return True
    words = [w.casefold() for w in _WORDS.findall(line)]
    return (bool(words) and any(w in _CLOSING for w in words)
            and all(w in _CLOSING or w in _CLOSING_FILLER for w in words))
