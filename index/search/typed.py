"""Questions typed without accents or capitals, read as the corpus writes their words.

People type "combien d'etudiants huawei forme-t-il au maroc". The model reads "etudiants"
as another word than "étudiants" and "huawei" as another than "Huawei" (and Snowball's
French stemmer, which runs before the analyzer folds accents, stems some of them
otherwise): on the three `dev` sets such a question loses 2.4 to 5.2 points of recall@1
(eval/results/typed-questions.md). A question typed **wholly** without accents, or wholly in
lower case, is searched with its words in the forms the passages BM25 finds for it write
them in: a word becomes the form those passages write most, mid-sentence (so that a capital
that starts a sentence does not count), where they write the typed form at least
:data:`RATIO` times less often (never, mostly). A question typed with accents keeps its
words; one typed wholly in lower case but with accents gets back only capitals ("spark" →
"SPARK"), one typed without accents but with capitals only accents. Words of fewer than
:data:`MIN_LETTERS` letters ("a", "ou", "la") are left as typed: their accented forms are
other words.

Typos: a word of at least :data:`TYPO_LETTERS` letters none of whose analysed terms the
index holds ("minstère", "huwaei") is read, by the model and by BM25, as the word BM25's
top :data:`TYPO_PASSAGES` passages for the question write most among those
equal to it but for accents, ligatures and case, else one edit away (a letter dropped,
added, swapped with the next or changed; one of the two words of at least
:data:`TYPO_EDITED` letters) by a typing slip (:func:`slipped`: the first letter kept, a
changed letter a neighbouring key, no accent missed that the question types elsewhere):
:func:`corrected`. A word the index holds, in any inflection
its stemmer joins, is never touched, nor is a word no passage writes near it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from ragqa.index.search.analysis import fold_accents

# How many of BM25's top passages for the question are read for its words' forms.
PASSAGES = 10
# How much more often the passages must write another form than the typed one.
RATIO = 20
MIN_LETTERS = 3
# The shortest word read as a typo when the index holds no term of it (shorter ones are
# often other words one edit away).
TYPO_LETTERS = 5
# A word one edit away is read for a typo only where it or the typo has this many letters
# (five-letter words one edit apart are often two words: "jaune" and "jeune").
TYPO_EDITED = 6
# How many of BM25's top passages are read for the words a typo may be one edit from.
TYPO_PASSAGES = 30

_WORD = re.compile(r"\w+")
# A word counted for its form: one after a lower-case letter, a comma or a semicolon and a
# space, or after an elision there ("l'", "d’", "qu'", "jusqu’"...), not one that starts a
# sentence or a line. (Python's look-behinds are of fixed width: one per elision's length.)
_AFTER = "(?<=[a-zà-ÿ,;] )"
_MID = re.compile("|".join(
    f"{look}[^\\W\\d_]+" for look in (
        _AFTER, "(?<=[a-zà-ÿ,;] [ldnscjmt]['’])", "(?<=[a-zà-ÿ,;] qu['’])",
        "(?<=[a-zà-ÿ,;] jusqu['’])", "(?<=[a-zà-ÿ,;] lorsqu['’])",
        "(?<=[a-zà-ÿ,;] puisqu['’])")))


def marked_letters(text: str) -> frozenset[str]:
    """The letters with a mark (an accent, a cedilla) ``text`` holds, in lower case: those
    its writer types."""
    return frozenset(c for c in unicodedata.normalize("NFC", text.lower())
                     if c.isalpha() and fold_accents(c) != c)


def _unaccented(text: str) -> bool:
    """Whether ``text`` has no letter with a mark (spaces, dashes and ellipses of any kind
    allowed: only the letters count)."""
    return not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


def typed_plainly(question: str) -> bool:
    """Whether ``question`` holds letters of a script with capitals and is typed wholly
    without accents or wholly in lower case (the questions :meth:`WordForms.restore` may
    change; a question in a script without capitals, Arabic, never is)."""
    return (any(c.isupper() or c.islower() for c in question)
            and (_unaccented(question) or question == question.lower()))


@dataclass(frozen=True)
class WordForms:
    """Written forms of words, each with a weight (the log of how often it is written):
    ``forms`` by their key (the form without accents, lower case), ``weight`` by form."""

    forms: dict[str, list[tuple[float, str]]]
    weight: dict[str, float]

    @classmethod
    def weighted(cls, weight: dict[str, float]) -> WordForms:
        forms: dict[str, list[tuple[float, str]]] = {}
        for form, w in weight.items():
            forms.setdefault(_folded(form), []).append((w, form))
        return cls(forms, weight)

    @classmethod
    def written_in(cls, texts: Iterable[str], words: Iterable[str] | None = None) -> WordForms:
        """The forms ``texts`` write their words in, mid-sentence; only those of ``words``
        (forms of the same key: what :meth:`restore` of a question made of them reads) when
        given: a search restores one question, and keying every word of ten passages was
        most of what reading the forms cost."""
        counts = Counter(w for text in texts for w in _MID.findall(text))
        if words is not None:
            keys = {_folded(w) for w in words}
            counts = {w: c for w, c in counts.items() if _folded(w) in keys}
        return cls.weighted({w: math.log(c) for w, c in counts.items()})

    def restore(self, question: str, margin: float = math.log(RATIO)) -> str:
        """``question`` with its words in their dominant forms where it is typed plainly
        (:func:`typed_plainly`): a form's weight must exceed the typed one's by ``margin``
        (a typed form never written weighs minus infinity)."""
        folded = _unaccented(question)
        lower = question == question.lower()
        if not (folded or lower):
            return question

        def word(match: re.Match) -> str:
            typed = match.group(0)
            if len(typed) < MIN_LETTERS or not typed.isalpha():
                return typed
            pool = self.forms.get(_folded(typed), [])
            if not (folded and lower):  # keep what was typed: its accents, or its capitals
                pool = [(w, f) for w, f in pool
                        if (f.lower() == typed if lower else fold_accents(f) == typed)]
            if not pool:
                return typed
            best_weight, best = max(pool)
            return best if best_weight - self.weight.get(typed, -math.inf) >= margin else typed
        return _WORD.sub(word, question)


def restored(question: str, texts: Iterable[str]) -> str:
    """:meth:`WordForms.restore` of ``question`` with the forms ``texts`` write its words
    in (those forms alone are keyed)."""
    return WordForms.written_in(texts, words=_WORD.findall(question)).restore(question)


def _one_edit(word: str, letters: Iterable[str]) -> set[str]:
    """The strings one edit from ``word``: a letter dropped, swapped with the next, changed
    or added (from ``letters``)."""
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    letters = list(letters)
    return ({a + b[1:] for a, b in cuts if b}
            | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
            | {a + c + b[1:] for a, b in cuts if b for c in letters}
            | {a + c + b for a, b in cuts for c in letters}) - {word}


# Keys next to each other on an AZERTY or a QWERTY keyboard (each row's keys, and those of
# the row below at the same place and one to the left: the rows are staggered).
_ROWS = (("azertyuiop", "qsdfghjklm", "wxcvbn"), ("qwertyuiop", "asdfghjkl", "zxcvbnm"))
_NEIGHBOURS = frozenset(
    pair for rows in _ROWS for r, row in enumerate(rows) for i, key in enumerate(row)
    for other in (row[i + 1: i + 2], *(rows[r + 1][max(0, i - 1): i + 1]
                                      if r + 1 < len(rows) else ()))
    if other for pair in ((key, other), (other, key)))


def slipped(typed: str, word: str, marks: Collection[str] = frozenset()) -> bool:
    """Whether ``typed`` is a typing slip of ``word``, which is one edit away from it (a
    letter dropped, added, swapped with the next or changed; accents, ligatures and case
    aside): one that keeps the word's first letter (people seldom miss it: "préside" is no
    slip of "réside"), whose changed letter is a neighbouring key ("auteur" and "autour",
    "espèce" and "espère" are two words), and one edit away still where ``word`` has a
    letter with an accent the person typed elsewhere (``marks``): "Quel est le salaire
    d'un développeur ?" holds "é", so "salaire" is no slip of "salarié" (a letter swapped
    and an "é" missed), while "Où est le minstere ?" may miss the "è" of "ministère"."""
    a, b = _key(typed), _key(word)
    if not (a and b) or a[0] != b[0]:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1 and (a[diff[0]], b[diff[0]]) not in _NEIGHBOURS:
            return False
    if not marks:
        return True
    written = "".join(c if c in marks else fold_accents(c) for c in _marked(word))
    return _one_apart(_marked(typed), written)


def _marked(word: str) -> str:
    """``word`` in lower case and composed, its ligatures written out, its accents kept."""
    return unicodedata.normalize("NFC", word.lower()).replace("œ", "oe").replace("æ", "ae")


def _one_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are at most one edit apart (a letter dropped, added, swapped
    with the next or changed)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if len(a) != len(b):
        shorter, longer = (a, b) if len(a) < len(b) else (b, a)
        return shorter[start:] == longer[start + 1:]
    return (a[start + 1:] == b[start + 1:]
            or (a[start + 2:] == b[start + 2:] and a[start:start + 2] == b[start:start + 2][::-1]))


@lru_cache(maxsize=65536)
def _folded(word: str) -> str:
    """``word`` without accents, in lower case: what :class:`WordForms` groups forms by."""
    return fold_accents(word).lower()


@lru_cache(maxsize=65536)
def _key(word: str) -> str:
    """``word`` without accents, ligatures or capitals: what a typo is measured on."""
    if word.isascii():
        return word.lower()
    return fold_accents(word).lower().replace("œ", "oe").replace("æ", "ae")


def long_words(question: str) -> set[str]:
    """The words of ``question`` that :func:`corrected` may read as typos: those of at least
    :data:`TYPO_LETTERS` letters and nothing else ("ICT4Peace" is not one)."""
    return {w for w in _WORD.findall(question) if len(w) >= TYPO_LETTERS and w.isalpha()}


def corrected(question: str, unknown: Collection[str], texts: Iterable[str],
              marks: Collection[str] | None = None) -> str:
    """``question`` with each of its words in ``unknown`` (words the index holds no term of:
    typos, mostly) replaced by the word ``texts`` (BM25's top passages, best first) write
    most among those equal to it but for accents, ligatures and case ("oeuvre": "œuvre"),
    else among those one edit away that a typing slip makes of them (:func:`slipped`;
    where either has :data:`TYPO_EDITED` letters), of two written as often the one written
    first; its capitals kept; a word with none stays as typed. ``marks``: the letters with
    an accent the person typed (default: those of ``question``, :func:`marked_letters`)."""
    if not unknown:
        return question
    if marks is None:
        marks = marked_letters(question)
    lengths = [len(_key(w)) for w in unknown]
    # the words of the lengths a neighbour may have (one letter more or less; a ligature
    # makes a word one letter shorter than its key: "œuvre", "oeuvre")
    sized = re.compile(rf"\b[^\W\d_]{{{max(1, min(lengths) - 2)},{max(lengths) + 1}}}\b")
    counts = Counter(w for text in texts for w in sized.findall(text))
    keyed: dict[str, list[tuple[int, int, str]]] = {}
    for first, (form, count) in enumerate(counts.items()):  # in the order first written
        keyed.setdefault(_key(form), []).append((count, -first, form))
    letters = {c for key in keyed for c in key}

    def word(match: re.Match) -> str:
        typed = match.group(0)
        if typed not in unknown:
            return typed
        key = _key(typed)
        near = [f for f in keyed.get(key, ()) if f[2] != typed] or [
            f for k in _one_edit(key, letters) if max(len(k), len(key)) >= TYPO_EDITED
            for f in keyed.get(k, ()) if slipped(typed, f[2], marks)]
        if not near:
            return typed
        best = max(near)[2]
        if typed.isupper():
            return best.upper()
        return best[0].upper() + best[1:] if typed[0].isupper() else best
    return _WORD.sub(word, question)
