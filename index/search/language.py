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
a follow-up's context) as a reader tells it: by its frame, not by the names and titles it
quotes. Words inside quotes or in a run of capitalised words ("Harry Potter and the
Chamber of Secrets") are left out of the counts of function words below. A question with
two or more of the analysed language's function words, more than of any other, is never
foreign, whatever its names make the identifier believe ("Où a travaillé László
Moholy-Nagy ?": Hungarian at 0.69). Then its frame (:data:`OPENERS`: the interrogative or
question verb it opens with, "Qui", "Quand", "Who", "Is"..., for the languages listed):
opening with one of the analysed language's, and as many of its function words as of any
other's, it is not foreign ("Que raconte The Old Man and the Sea ?"); opening with only
other languages' and holding a function word of one of them and none of the analysed
one's, it is ("Who judged Paul?": one function word, the identifier unsure; "What's up
veut dire quoi ?" holds "quoi": the phrase it asks about opens it). Else, as before: the
identifier's most likely language is not the analysed one, with a probability of at least
:data:`MIN_PROBABILITY` (a majority: short questions are ambiguous, and a French question
taken for English would lose BM25's help); or, too short for the identifier to be sure of
("Who signed it?": English at 0.42), the question holds two or more function words of
another language, more than of the analysed one, and the identifier rates that language
above the analysed one.
Measured on the French questions of the eval set, PIAF and the long pages (7,813) and the
conversations set's 792 French turns and rewrites: none taken for another language; of
147 English questions (eval/piaf-en.jsonl's 120, the project set's 27), all 147 found
(145 before the frame rule: not "Who judged Paul?", "What replaced rhetorical algebra?").
On questions made up to check it (eval/results/lang-session29.md), 25 of 25 short English
questions found (17 before) and 25 of 25 French questions quoting English titles read as
French (21 before).
"""

from __future__ import annotations

import functools
import re
import threading

import bm25s.stopwords as bm25s_stopwords

from ragqa.index.search.analysis import STOPWORD_LANGUAGES, stopwords
from ragqa.index.search.frame import frame_words

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

# The Snowball name of each ISO code (the first listed: "english", not "porter").
_NAMES = {code: name for name, code in reversed(ISO_CODES.items())}

_LOCK = threading.Lock()

# Function words, by ISO code: BM25's stopword lists, English's longer one (the short one
# lacks "who", "what", "when"), and French's with "a" (avoir's third person: the stock list
# holds every other form of the verb; "Où a travaillé… ?").
_FUNCTION_WORDS = {ISO_CODES[language]: frozenset(w.casefold() for w in stopwords(language))
                   for language in STOPWORD_LANGUAGES}
_FUNCTION_WORDS["en"] |= frozenset(bm25s_stopwords.STOPWORDS_EN_PLUS)
_FUNCTION_WORDS["fr"] |= frozenset({"a"})
_LETTERS = re.compile(r"[^\W\d_]+")
# The words a question opens with, by ISO code: its interrogatives and the verbs of a
# yes/no question ("Is", "Does"; "Est-ce que"). A reader goes by these, the question's
# frame, more than by the names it quotes. A word several languages open with ("que",
# "was", "is", "wie", "quando") tells only that it is one of theirs. Languages not listed
# have no frame: their questions are read as before.
OPENERS = {code: frozenset(words.split()) for code, words in {
    "en": "who whom whose what which when where why how is are was were do does did can "
          "could will would should shall has have had may",
    "fr": "qui que qu quel quelle quels quelles quoi lequel laquelle lesquels lesquelles "
          "combien comment où quand pourquoi est",
    "de": "wer wen wem wessen was wann wo woher wohin warum wieso weshalb wie welche "
          "welcher welches welchen welchem ist sind hat haben gibt kann",
    "es": "quién quiénes qué cuál cuáles cuándo dónde adónde cómo cuánto cuánta cuántos "
          "cuántas",
    "it": "chi che cosa quale quali quando dove perché come quanto quanta quanti quante",
    "pt": "quem que qual quais quando onde porque como quanto quanta quantos quantas",
    "nl": "wie wat wanneer waar waarom hoe welke welk is zijn heeft hebben",
}.items()}
# An interrogative is a function word too (German's list lacks "wann", "warum"...).
_FUNCTION_WORDS = {code: listed | OPENERS.get(code, frozenset())
                   for code, listed in _FUNCTION_WORDS.items()}
_ALL_FUNCTION_WORDS = frozenset().union(*_FUNCTION_WORDS.values())
# What a name or title is quoted in ("« The Wall »", "“Gone with the Wind”").
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|„[^“”]*[“”]|\"[^\"]*\"")


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
        one is unknown to the identifier; see the module). Its quoted words and runs of
        capitalised words are a title's or a name's, not counted: not with two or more of
        the analysed language's function words, more than of any other; nor opening with
        one of its interrogatives and holding as many of its function words as of any
        other's; yes opening with only another language's and holding one of its function
        words and none of the analysed one's; else yes when the identifier's most likely
        language is another, with at least ``min_probability``, or when two or more
        function words of another language, more than of the analysed one, and the
        identifier rating that language above the analysed one say so."""
        if self.code is None:
            return False
        words = _frame_words(text)
        counts = {code: sum(w in listed for w in words)
                  for code, listed in _FUNCTION_WORDS.items()}
        own = counts.pop(self.code, 0)
        if own >= 2 and all(own > n for n in counts.values()):
            return False
        frame = _frame(words)
        if frame and self.code in frame:
            if own >= 1 and all(own >= n for n in counts.values()):
                return False
        elif not own and any(counts[other] for other in frame if other in counts):
            return True
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

    def function_words(self, text: str) -> frozenset[str]:
        """The words that say how ``text`` is asked rather than what about, in the language
        it is written in, when that is not the analysed one (:meth:`is_foreign`): its
        function words and the words that frame a question
        (:func:`~ragqa.index.search.frame.frame_words`), casefolded. Empty for a text in
        the analysed language: its analyzer drops its stopwords, and
        :func:`~ragqa.index.search.followup.content_words` its framing words. An English
        question over a French index ("Who organises it?") holds words the French
        stopword list does not know ("who", "does", "were"): lent to a follow-up, they
        would match whatever passage holds them."""
        if self.code is None or not self.is_foreign(text):
            return frozenset()
        code = self._written_in(text)
        if code is None:
            return frozenset()
        return _FUNCTION_WORDS.get(code, frozenset()) | frame_words(_NAMES.get(code, ""))

    def _written_in(self, text: str) -> str | None:
        """The ISO code of the language ``text`` (a foreign one) is written in: the only
        other language its frame opens with, else the identifier's most likely other
        language."""
        frame = _frame(_frame_words(text)) - {self.code}
        if len(frame) == 1:
            return next(iter(frame))
        with _LOCK:
            identifier = _identifier()
        for code, _ in identifier.rank(text):
            code = "no" if code in ("nb", "nn") else code
            if code != self.code:
                return code
        return None


def _frame_words(text: str) -> list[str]:
    """``text``'s words, casefolded, less those of the names and titles it quotes: inside
    quotes, or a run of capitalised words with the small function words between them
    ("Harry Potter and the Chamber of Secrets"; the opening word starts one only when the
    next is capitalised too). Their function words are the title's language, not the
    question's."""
    words = _LETTERS.findall(_QUOTED.sub(" ", text))
    function_words = _ALL_FUNCTION_WORDS
    kept, i = [], 0
    while i < len(words):
        word = words[i]
        starts = word[0].isupper() and (i > 0 or (
            len(words) > 1 and words[1][0].isupper() and word.casefold() not in function_words))
        if not starts:
            kept.append(word.casefold())
            i += 1
            continue
        end = i + 1  # past the run's last capitalised word
        j = i + 1
        while j < len(words) and (words[j][0].isupper() or words[j].casefold() in function_words):
            if words[j][0].isupper():
                end = j + 1
            j += 1
        i = end
    return kept


def _frame(words: list[str]) -> frozenset[str]:
    """The languages (ISO codes) whose interrogatives or question verbs open ``words``: the
    first word, or the second after a function word ("En quelle année", "In which"); empty
    when the question opens otherwise."""
    for word in words[:2]:
        found = frozenset(code for code, listed in OPENERS.items() if word in listed)
        if found:
            return found
        if not any(word in listed for listed in _FUNCTION_WORDS.values()):
            break
    return frozenset()
