"""Language-aware text analysis for BM25: tokens, elisions, stopwords, stemming, accents.

French by default: ``l’Afrique`` → ``afriqu``, ``qu'il`` → ``il`` (a stopword, dropped),
``télécommunications`` → ``telecommun``. Stemming runs on the accented word (Snowball's
French rules need the accents); accents are folded afterwards so that a question typed
without accents still matches.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from itertools import chain

import bm25s.stopwords as bm25s_stopwords
import Stemmer

from ragqa.index.search.dates import ABBREVIATIONS, MONTHS, WordedDates, in_figures

_WORDS = re.compile(r"[^\w'.-]+")
_TOKEN = re.compile(r"\w+(?:[-.]\w+)*", re.UNICODE)
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})+$")
# A number whose thousands a space separates, as French writes them ("1 200 fintechs",
# "194 000", a no-break space too): it also gives the number whole, as "1200" and "1.200" do.
_SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d|[.,]\d)")
# A quick test first: most text holds none, and the search above is slow on figures.
_MAY_SPACE_THOUSANDS = re.compile(r"\d[ \u00a0\u202f]\d{3}")
_APOSTROPHES = ("’", "‘", "`", "ʼ")

# Elided articles and pronouns glued to the next word by an apostrophe.
_ELISIONS = {
    "french": ("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"),
    "italian": ("l", "d", "un", "dell", "all", "nell", "sull", "c", "s"),
}

_STOPWORDS = {
    "french": bm25s_stopwords.STOPWORDS_FRENCH,
    "english": bm25s_stopwords.STOPWORDS_EN,
    "german": bm25s_stopwords.STOPWORDS_GERMAN,
    "spanish": bm25s_stopwords.STOPWORDS_SPANISH,
    "italian": bm25s_stopwords.STOPWORDS_ITALIAN,
    "portuguese": bm25s_stopwords.STOPWORDS_PORTUGUESE,
    "dutch": bm25s_stopwords.STOPWORDS_DUTCH,
}

# Frequent French function words missing from the stock list.
_EXTRA_STOPWORDS = {
    "french": (
        "les", "des", "cette", "ces", "cet", "dans", "par", "pour", "sur", "est", "sont",
        "été", "être", "comme", "plus", "aussi", "ainsi", "entre", "tout", "tous", "toute",
        "toutes", "leur", "leurs", "dont", "quel", "quelle", "quels", "quelles", "combien",
        "comment", "pourquoi", "quand", "quoi", "qui", "que", "où", "selon", "fait",
    ),
}


def stopwords(language: str) -> frozenset[str]:
    """The function words BM25 drops for ``language`` (a Snowball name; none for a language
    without a list): the stock list and our additions, as written (with their accents)."""
    return frozenset((*_STOPWORDS.get(language, ()), *_EXTRA_STOPWORDS.get(language, ())))


STOPWORD_LANGUAGES = tuple(_STOPWORDS)


@dataclass(frozen=True)
class AnalyzerConfig:
    """How text is turned into BM25 terms. ``language`` is a Snowball language name."""

    language: str = "french"
    stem: bool = True
    fold_accents: bool = True
    stopwords: bool = True


# A term no analyzer makes (they split at whitespace): no passage holds it, so its idf is
# the largest an index gives, which tells the terms it holds none of.
NO_TERM = " "


def fold_accents(text: str) -> str:
    if text.isascii():  # no letter of ASCII decomposes (most words: the fast path)
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Analyzer:
    """Turns text into a list of index terms. Thread-safe after construction."""

    def __init__(self, config: AnalyzerConfig) -> None:
        if config.language not in Stemmer.algorithms():
            raise ValueError(
                f"unknown analysis language {config.language!r}; "
                f"choose one of {', '.join(sorted(Stemmer.algorithms()))}"
            )
        self.config = config
        self._elisions = tuple(e + "'" for e in _ELISIONS.get(config.language, ()))
        # Dates as another form writes them (:mod:`ragqa.index.search.dates`).
        self._months = MONTHS.get(config.language)
        self._worded_dates = (WordedDates(self._months, ABBREVIATIONS.get(config.language))
                              if self._months else None)
        words = stopwords(config.language) if config.stopwords else frozenset()
        self._stopwords = frozenset(words | {fold_accents(w) for w in words})
        self._stemmer = Stemmer.Stemmer(config.language) if config.stem else None
        self._term = functools.lru_cache(maxsize=200_000)(self._term_uncached)
        # Text is mostly words already seen: one lookup per word instead of elision,
        # tokenising and stemming again (highlighting analyses every returned passage).
        self._word = functools.lru_cache(maxsize=200_000)(self._word_uncached)

    def cache_counts(self) -> dict[str, tuple[int, int]]:
        """``(hits, misses)`` so far of the word and term caches (``analyzer_words``,
        ``analyzer_terms``)."""
        words, terms = self._word.cache_info(), self._term.cache_info()
        return {"analyzer_words": (words.hits, words.misses),
                "analyzer_terms": (terms.hits, terms.misses)}

    def __call__(self, text: str) -> list[str]:
        for mark in _APOSTROPHES:  # str.replace is far faster than a translate table
            text = text.replace(mark, "'")
        # Whitespace splits words (it is one of _WORDS' separators), each one's terms a
        # cache lookup; the loop in C (map, chain): a search analyses its top passages'
        # sentences, and splitting them by _WORDS was half of it (measured).
        text = text.casefold()
        words = text.split()
        terms = list(chain.from_iterable(map(self._word, words)))
        if _MAY_SPACE_THOUSANDS.search(text):
            terms.extend(re.sub(r"\s", "", number) for number in _SPACED_THOUSANDS.findall(text))
        if self._worded_dates is not None:
            terms.extend(chain.from_iterable(
                day.terms() for day in self._worded_dates(text, words)))
        return terms

    def _word_uncached(self, word: str) -> tuple[str, ...]:
        """The terms of a whitespace-free ``word`` (casefolded): of each of its pieces
        between _WORDS' separators, and of the date it writes in figures."""
        terms: list[str] = []
        for raw in _WORDS.split(word):
            if raw:
                for part in self._strip_elision(raw).split("'"):
                    for token in _TOKEN.findall(part):
                        terms.extend(self._terms_of(token))
        if self._months is not None and (word[0].isdigit() or word[0] in "(«[\"'"):
            terms.extend(self._date_terms(word, terms))
        return tuple(terms)

    def _date_terms(self, word: str, pieces: list[str]) -> list[str]:
        """What a date in figures adds to the terms of its pieces: its month's name, its day
        and year as figures (unpadded, in full), the day's own terms ("14/04/2025": ``avril``,
        ``2025-04-14``, ``04-14``; "01/04/25" also ``1``, ``2025``); nothing for another
        word."""
        day = in_figures(word)
        if day is None:
            return []
        words = (self._months[day.month - 1],
                 *(str(n) for n in (day.day, day.year) if n is not None))
        added = [t for w in words if (t := self._term(w)) and t not in pieces]
        return [*added, *(t for t in day.terms() if t not in pieces)]  # "2025-04-14" once

    def _terms_of(self, token: str) -> list[str]:
        if _THOUSANDS.match(token):  # 45.000 and 45,000 mean 45000
            return [token.replace(".", "").replace(",", "")]
        term = self._term(token)
        out = [term] if term else []
        if "-" in token:  # e-santé also matches santé
            out.extend(t for part in token.split("-") if (t := self._term(part)))
        return out

    def _strip_elision(self, word: str) -> str:
        if "'" not in word:
            return word
        for prefix in self._elisions:
            if word.startswith(prefix) and len(word) > len(prefix):
                return word[len(prefix) :]
        return word

    def _term_uncached(self, token: str) -> str | None:
        token = token.strip(".-")
        if not token or token in self._stopwords:
            return None
        if len(token) == 1 and not token.isdigit():
            return None
        if self._stemmer is not None and not any(c.isdigit() for c in token):
            token = self._stemmer.stemWord(token)
        return fold_accents(token) if self.config.fold_accents else token
