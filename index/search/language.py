"""Is a question written in the language the BM25 index analyses?

BM25's analysis is one language's (``RAGQA_LANGUAGE``: its stopwords, elisions and
stemmer). A question in another language, an English question over French news, shares
almost no terms with the passages once analysed: the few it does share (a name, a cognate,
an English word the French stopword list does not know) make BM25's top list mostly noise,
and half of the hybrid score with it. The embedding model is multilingual and reads both.
:class:`QuestionLanguage` tells such questions apart with py3langid (a langid.py model of
140 languages, bundled in the package: no download), so the retriever can rank them with
the model's weight instead (``crosslingual_dense_weight`` in
:class:`~ragqa.index.search.retriever.RetrievalParams`; measured in the README's "Retrieval
quality").

A question is *foreign* (:meth:`QuestionLanguage.is_foreign`: the one test that every
reading of a question asks, the fusion, the relevance model, its words' forms and typos,
a follow-up's context) when the identifier's most likely language is not the analysed one,
with a probability of at least :data:`MIN_PROBABILITY` (a majority: short questions are
ambiguous, and a French question taken for English would lose BM25's help); or when, too
short for the identifier to be sure of ("Who signed it?": English at 0.42), it holds two or
more function words of another language, more than of the analysed one, and the identifier
rates that language above the analysed one. A question with two or more of the analysed
language's function words, more than of any other, is never foreign, whatever its names
make the identifier believe ("Où a travaillé László Moholy-Nagy ?": Hungarian at 0.69).
Measured on the eval's and PIAF's 3,980 French questions and the conversations set's 792
French turns and rewrites: none taken for another language; of 147 English questions
(eval/piaf-en.jsonl's 120, the project set's 27), 145 found (not "Who judged Paul?", "What
replaced rhetorical algebra?": one function word each, and the identifier unsure).
"""

from __future__ import annotations

import functools
import re
import threading

import bm25s.stopwords as bm25s_stopwords

from ragqa.index.search.analysis import STOPWORD_LANGUAGES, stopwords

MIN_PROBABILITY = 0.5

# Snowball's language names (what RAGQA_LANGUAGE accepts) and their ISO 639-1 codes, as
# the identifier labels them. A language the identifier does not know is never "foreign".
ISO_CODES = {
    "arabic": "ar", "armenian": "hy", "basque": "eu", "catalan": "ca", "czech": "cs",
    "danish": "da", "dutch": "nl", "dutch_porter": "nl", "english": "en", "porter": "en",
    "esperanto": "eo", "estonian": "et", "finnish": "fi", "french": "fr", "german": "de",
    "greek": "el", "hindi": "hi", "hungarian": "hu", "indonesian": "id", "irish": "ga",
    "italian": "it", "lithuanian": "lt", "nepali": "ne", "norwegian": "no", "persian": "fa",
    "polish": "pl", "portuguese": "pt", "romanian": "ro", "russian": "ru", "serbian": "sr",
    "sesotho": "st", "spanish": "es", "swedish": "sv", "tamil": "ta", "turkish": "tr",
}

_LOCK = threading.Lock()

# Function words, by ISO code: BM25's stopword lists, English's longer one (the short one
# lacks "who", "what", "when"), and French's with "a" (avoir's third person: the stock list
# holds every other form of the verb; "Où a travaillé… ?").
_FUNCTION_WORDS = {ISO_CODES[language]: frozenset(w.casefold() for w in stopwords(language))
                   for language in STOPWORD_LANGUAGES}
_FUNCTION_WORDS["en"] |= frozenset(bm25s_stopwords.STOPWORDS_EN_PLUS)
_FUNCTION_WORDS["fr"] |= frozenset({"a"})
_LETTERS = re.compile(r"[^\W\d_]+")


@functools.cache
def _identifier():
    """langid.py's model (about 0.5 s to load, once per process)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


class QuestionLanguage:
    """Tells whether a question is in ``language`` (a Snowball name). Thread-safe."""

    def __init__(self, language: str, min_probability: float = MIN_PROBABILITY) -> None:
        self.code = ISO_CODES.get(language)
        self.min_probability = min_probability

    def load(self) -> None:
        """Load the identifier's model (about 0.5 s, once per process) if it will be used."""
        if self.code is not None:
            with _LOCK:
                _identifier()

    def is_foreign(self, text: str) -> bool:
        """Whether ``text`` is in another language than the analysed one (never, when that
        one is unknown to the identifier; see the module): not with two or more of the
        analysed language's function words, more than of any other; else yes when the
        identifier's most likely language is another, with at least ``min_probability``,
        or when two or more function words of another language, more than of the analysed
        one, and the identifier rating that language above the analysed one say so."""
        if self.code is None:
            return False
        words = [w.casefold() for w in _LETTERS.findall(text)]
        counts = {code: sum(w in listed for w in words)
                  for code, listed in _FUNCTION_WORDS.items()}
        own = counts.pop(self.code, 0)
        if own >= 2 and all(own > n for n in counts.values()):
            return False
        with _LOCK:
            identifier = _identifier()
        ranked = identifier.rank(text)  # most likely first, probabilities normalised
        probabilities = {("no" if code in ("nb", "nn") else code): float(p)
                         for code, p in reversed(ranked)}
        code, probability = ranked[0]
        code = "no" if code in ("nb", "nn") else code
        if code != self.code and probability >= self.min_probability:
            return True
        mine = probabilities.get(self.code, 0.0)
        return any(n >= 2 and n > own and probabilities.get(other, 0.0) > mine
                   for other, n in counts.items())
