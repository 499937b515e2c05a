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

A question is *foreign* when the identifier's most likely language is not the analysed one
and it gives that language a probability of at least :data:`MIN_PROBABILITY` (a majority:
short questions are ambiguous, and a French question taken for English would lose BM25's
help). Measured on every PIAF question (3,835, French): 2 taken for another language; of
120 hand-translated English ones (eval/piaf-en.jsonl), 110 found; of the project set's 27
English questions, all.
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

# Function words, by ISO code, for the questions too short for the identifier to be sure
# of ("Who signed it?": English at 0.42): BM25's stopword lists, English's longer one (the
# short one lacks "who", "what", "when").
_FUNCTION_WORDS = {ISO_CODES[language]: frozenset(w.casefold() for w in stopwords(language))
                   for language in STOPWORD_LANGUAGES}
_FUNCTION_WORDS["en"] |= frozenset(bm25s_stopwords.STOPWORDS_EN_PLUS)
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

    def guess(self, text: str) -> tuple[str, float]:
        """The most likely language's ISO code and its probability."""
        with _LOCK:
            identifier = _identifier()
        code, probability = identifier.classify(text)
        return code, float(probability)

    def is_foreign(self, text: str) -> bool:
        """Whether ``text`` is, with a probability of at least ``min_probability``, in a
        language other than the analysed one (never, when that one is unknown to the
        identifier)."""
        if self.code is None:
            return False
        code, probability = self.guess(text)
        if code in ("nb", "nn"):
            code = "no"
        return code != self.code and probability >= self.min_probability

    def is_written_in_another(self, text: str) -> bool:
        """Whether ``text`` is in another language for reading its words (their forms and
        typos, :mod:`~ragqa.index.search.typed`): :meth:`is_foreign`, or, for a question
        too short for that ("Who signed it?"), at least two function words of another
        language with a stopword list, more than of the analysed one, and the identifier
        rating that language above the analysed one. Measured on the eval's and PIAF's
        4,700 French questions: 2 more taken for another language (Italian: "A quelle
        famille appartient… ?"), where a word is then left as typed."""
        if self.code is None:
            return False
        if self.is_foreign(text):
            return True
        words = [w.casefold() for w in _LETTERS.findall(text)]
        counts = {code: sum(w in listed for w in words)
                  for code, listed in _FUNCTION_WORDS.items()}
        own = counts.get(self.code, 0)
        voted = [code for code, n in counts.items() if code != self.code and n >= 2 and n > own]
        if not voted:
            return False
        with _LOCK:
            identifier = _identifier()
        probabilities = dict(identifier.rank(text))
        return any(probabilities.get(code, 0.0) > probabilities.get(self.code, 0.0)
                   for code in voted)
