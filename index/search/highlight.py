"""Pointing at the sentence of a passage that best answers a question.

A highlight is a span of the document's canonical text inside a passage's ``[start, end)``
(so a client can underline it in the quote or in the full text with the same offsets).
The sentence is chosen by the analysed terms it shares with the question and, when the
caller passes the question's vector and the model's encoder, by the model's similarity;
a heading-only line is never chosen when a content sentence matches, unless it alone holds
the figure or time asked; its terms count for each sentence under it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache

from ragqa.index.cachestats import CacheCount, CacheCounter
from ragqa.index.search.answerkind import Asked, month_terms, periods, written_years
from ragqa.index.search.ordinals import LAST, item_number
from ragqa.index.documents.numbering import division_word, outline_number
from ragqa.index.documents.sections import entry_headline, heading_title

# A sentence ends at ., !, ? or … (optionally followed by a closing quote or bracket) and
# whitespace, or at a line break: live-blog entries and lists have no final punctuation.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»”\"')\]]?\s+|\n+")
# A full stop that ends no sentence (see :func:`_ends_no_sentence`): after a title before
# a name ("M. Dupont", "Mme. Durand", "Dr. Petit"), an abbreviation before a number or a
# lower-case word ("p. 12", "art. 4", "cf. la note"), an initial in a name ("J. K.
# Rowling", "44 av. J.-C."), or the number opening a line ("3. Délais de paiement").
_TITLE = re.compile(r"(?:^|(?<=[\s(\[«\"'’]))(?:M|MM|Mmes?|Mlles?|Drs?|Pr|Me|Mgr|Ste?)\.$")
_ABBREVIATED = re.compile(
    r"(?:^|(?<=[\s(\[«\"'’]))(?i:av|apr|art|cf|chap|fig|vol|pp?|env|hab|sq|éd|trad|coll|vs|"
    r"n[o°]?)\.$")
_INITIAL = re.compile(r"(?:^|(?<=[\s(\[«\"'’-]))[A-ZÀ-Ý]\.$")
_INITIAL_BEFORE = re.compile(r"(?:^|[\s(\[«\"'’])[A-ZÀ-Ý]\.[-\s]?[A-ZÀ-Ý]\.$")
_NAME_BEFORE = re.compile(r"(?:^|[\s(\[«\"'’])[A-ZÀ-Ý][a-zà-ÿ]+\s[A-ZÀ-Ý]\.$")
# A preposition before an initial introduces a name ("signé par C. Martin", "chez B.
# Durand"); a lone capital ending a sentence follows a noun ("au bâtiment B."), "et" ("les
# groupes A et B."), or "à", "de", "entre" in a range ("classés de A à E.").
_NAMING_BEFORE = re.compile(r"(?:^|[\s(\[«\"'’])(?:par|avec|pour|selon|chez)\s[A-ZÀ-Ý]\.$")
_LINE_NUMBER = re.compile(r"(?:^|\n)[^\S\n]*(?:\d{1,3}\.)+$")
_BEFORE = 16  # characters read before a full stop to tell an abbreviation
_AFTER = 16  # ... and after it
# Words that open a sentence far more often than they follow an initial in a name: "la
# Station F. Quel est ...", "la Série A. Comment ...", "la Wii U. Toujours ..."
_OPENERS = frozenset("""le la les l un une des du de d il elle ils elles on nous vous je j ce
    cette ces cet c ça comment quel quelle quels quelles que qu qui quand où pourquoi même
    toujours mais et puis depuis dans en au aux pour par sur avec après avant selon ainsi
    cependant enfin alors aussi the a an in on it he she they this these that what how when
    why""".split())
_WORD = re.compile(r"[^\W\d_]+")


def sentence_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, whitespace-trimmed, in order."""
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        stop = match.start()
        if text[stop - 1] == "." and "\n" not in match.group() and _ends_no_sentence(
                text, max(start, stop - _BEFORE), stop,
                text[match.end():min(end, match.end() + _AFTER)]):
            continue
        yield from _trim(text, cursor, stop)
        cursor = match.end()
    yield from _trim(text, cursor, end)


def _opens_sentence(after: str) -> bool:
    """Whether the word ``after`` starts with usually opens a sentence (see :data:`_OPENERS`)."""
    word = _WORD.match(after)
    return word is not None and word.group().casefold() in _OPENERS


def _ends_no_sentence(text: str, start: int, stop: int, after: str) -> bool:
    """Whether the full stop ending ``text[start:stop]``, ``after`` following it, ends a
    title, an abbreviation, an initial or a line's opening number rather than a sentence.
    An ordinary word or a lone capital ending a sentence ("le vol.", "l'art.", "au
    bâtiment B.") still ends it."""
    before = text[start:stop]
    token = before.rsplit(None, 1)[-1][:-1] if before.strip() else ""
    if len(token) > 5 and "." not in token and "-" not in token:
        return False  # a word of six letters or more: the sentence's (most of them)
    following = after[:1]
    if _TITLE.search(before):
        return following.isupper()  # M. Dupont
    if _ABBREVIATED.search(before):
        return following.isdigit() or following.islower() or after.startswith(("J.", "J-"))
    if before.endswith("J.-C."):  # "av. J.-C.": an era, which ends many a sentence
        return not following.isupper()
    if _INITIAL.search(before):
        return (bool(re.match(r"[A-ZÀ-Ý][.-]", after))  # J. K., another initial
                or bool(_INITIAL_BEFORE.search(before))  # J. K., J.-C.
                or (following.isupper() and not _opens_sentence(after)  # John F. K
                    and bool(_NAME_BEFORE.search(before) or _NAMING_BEFORE.search(before))))
    number = _LINE_NUMBER.search(before)
    return bool(number) and (before[number.start()] == "\n" or start == 0
                             or text[start - 1] == "\n")


def _trim(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        yield start + lead, start + lead + len(stripped)


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage: its span, its analysed terms, whether it is a heading."""

    span: tuple[int, int]
    terms: frozenset[str]
    heading: bool  # a whole line that only names what follows (see :func:`is_heading_only`)
    asks: bool = False  # a question (an interview's): what follows it is the answer
    # the years it writes (:func:`~ragqa.index.search.answerkind.written_years`): its terms
    # cannot tell "en 2000" from "2.000 emplois"
    years: frozenset[str] = frozenset()
    periods: frozenset[str] = frozenset()  # the quarters, half-years it names ("T3 2024")
    item: int | None = None  # the number of the list item it opens ("1. …", "Étape 2 : …")
    # a heading's terms without a live-blog entry's date and time (None: ``terms``): what
    # it says, whose figure a sentence under it may repeat
    said: frozenset[str] | None = None


Sentences = list[Sentence]
# Normalised vectors of texts, one row each (the embedding model's passage side).
EmbedTexts = Callable[[Sequence[str]], np.ndarray]
# The corpus-wide weight (idf) of each analysed term, e.g. the BM25 index's.
TermWeights = Callable[[Sequence[str]], Sequence[float]]
# The model's cosines between the question and the sentences of the given indices.
Similarity = Callable[[Sequence[int]], np.ndarray]
MAX_EMBEDDED = 3  # sentences of one passage compared by the model, at most

# Weight of the model's cosine added to the analysed-term score (scaled to [0, 1] within
# the passage). Chosen on the dev split of eval/questions.jsonl with the bundled MiniLM
# (`python -m ragqa.eval.highlights`): 0.05 to 0.6 all give 49/71, 0 gives 48, 1 gives 48, 2
# gives 46; 0.3 is the middle of the plateau (README, "Highlight").
SIMILARITY_WEIGHT = 0.3
# The weight for a question in another language than the index's (an English question over
# French passages: it shares names at most with them, so its terms say little), every
# sentence compared: the model's cosine decides, the terms break near-ties. Chosen on the
# dev splits' questions so read (the project set's English ones, eval/piaf-en.jsonl's): the
# highlight held the answer for 42 of 76 at 0.3 (3 contenders), 45 at 3, 49 at 10 and 30,
# 50 at 100, 49 at 1,000 (every sentence); 30 is the middle of the plateau (README,
# "Highlight").
FOREIGN_SIMILARITY_WEIGHT = 30.0
# Share of an interview question's term score passed to the sentence right after it: what
# the question asks, the answer under it says. (A heading's terms count for every sentence
# under it, :func:`_under`.)
CARRY = 0.5
_LABEL_MAX_WORDS = 12
_TITLE_LINE_MAX_WORDS = 8
_ENDS_SENTENCE = re.compile(r"[.!?…][»”\"')\]]?$")
# A label and its value ("Fournisseur retenu : Bechtle"), not a heading ending with a colon
_LABEL_VALUE = re.compile(r"^[^:]*[^\W\d_][^:]*\s:\s*[^\s:]")
_EMPHASIS = re.compile(r"^(\*\*|__)(.+)\1$")


def is_heading_only(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a whole line that is a heading, not content.

    Markdown headings and live-blog entry lines (:func:`ragqa.index.documents.sections.heading_title`), and
    short label lines: wholly bold, or in capitals, or ending with a colon, without a final
    full stop (``**A PROPOS DE HUAWEI MAROC :**``, ``Chiffres clés :``). A label with its
    value ("Fournisseur retenu : Bechtle") is content, unless it names a numbered part
    ("Article 3 : Durée").
    """
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if line.strip() != text[start:end]:
        return False
    if heading_title(line) is not None:
        return True
    bare = line.strip()
    emphasis = _EMPHASIS.match(bare)
    inner = emphasis.group(2).strip() if emphasis else bare
    if len(inner.split()) > _LABEL_MAX_WORDS or _ENDS_SENTENCE.search(inner):
        return False
    if _LABEL_VALUE.match(inner) and not _is_numbered_part(inner):
        return False  # "Microsoft 365 E3 : 1 200 licences": a fact, as a slide states it
    letters = [c for c in inner if c.isalpha()]
    capitals = bool(letters) and all(c.isupper() for c in letters)
    short = len(inner.split()) <= _TITLE_LINE_MAX_WORDS and not inner.endswith(("?", ","))
    return bool(emphasis) or capitals or inner.endswith(":") or short


def _is_numbered_part(line: str) -> bool:
    """Whether ``line`` names a numbered part of a text ("Article 3 : Durée", "Partie 1 :
    Contexte"), which is a heading with a colon."""
    return outline_number(line) is not None or division_word(line) is not None


def analysed_sentences(
    text: str, start: int, end: int, analyze: Callable[[str], list[str]]
) -> Sentences:
    """The sentences of ``text[start:end]`` with the set of terms of each."""
    sentences = []
    for s, e in sentence_spans(text, start, end):
        sentence, heading = text[s:e], is_heading_only(text, s, e)
        said = entry_headline(sentence) if heading else sentence
        sentences.append(Sentence(
            (s, e), frozenset(analyze(sentence)), heading,
            sentence.rstrip(" »”\"')").endswith("?"), written_years(sentence),
            periods(sentence), item_number(sentence),
            frozenset(analyze(said)) if said != sentence else None))
    return sentences


def best_sentence(
    sentences: Sentences,
    wanted: set[str] | frozenset[str],
    default: tuple[int, int],
    similarity: Similarity | None = None,
    weight: float = SIMILARITY_WEIGHT,
    idf: dict[str, float] | None = None,
    most: int | None = MAX_EMBEDDED,
    asked: Asked | None = None,
) -> tuple[int, int]:
    """The span of the sentence that best matches the question (see :func:`highlight_span`).

    A shared term scores its corpus ``idf`` (1 without) times ``1 + log(sentences /
    sentences holding it)``: terms rare in the corpus and within the passage weigh more.

    ``similarity``, when given, returns the model's cosine between the question and the
    sentences of the given indices; it is added to the analysed-term score (scaled to
    [0, 1] within the passage) as ``terms + weight * cosine``. It is asked only about the
    sentences that could still win (a cosine moves a score by at most ``2 * weight``), at
    most ``most`` of them (:data:`MAX_EMBEDDED`, so a request embeds few sentences; None:
    every one).

    ``asked``: what the question asks for (:mod:`ragqa.index.search.answerkind`): a sentence
    holding it gains, one naming only other years or quarters loses, a share of the best
    term score; the list item it asks for ("la première étape") gains.

    A heading's terms count for every sentence under it (the passage's sentences after it
    up to the next heading), as if each wrote them: the heading may lift its section
    over another, never one of its sentences over another. A heading holding what is asked
    ("L'UM6P formera 200.000 jeunes…" for "combien") lends the bonus to the sentence under
    it repeating it, and is itself a highlight when none does.
    """
    if not sentences:
        return default
    return _decide(sentences, _plan(sentences, wanted, similarity is not None, weight, idf,
                                    most, asked), similarity, weight)


@dataclass(frozen=True)
class _Plan:
    """What the terms decided in one passage: the sentence (``chosen``), or the
    ``contenders`` (indices, in passage order) the model's cosine settles, and their term
    scores."""

    chosen: int | None
    contenders: tuple[int, ...] = ()
    scores: np.ndarray | None = None


def _plan(sentences: Sentences, wanted: set[str] | frozenset[str], with_similarity: bool,
          weight: float, idf: dict[str, float] | None,
          most: int | None = MAX_EMBEDDED, asked: Asked | None = None) -> _Plan:
    """:func:`best_sentence`'s term scores (``sentences`` not empty), the model comparing
    at most ``most`` sentences (None: every one that could win). Plain Python, not
    numpy: a passage has a few sentences, and numpy's cost per call was most of it."""
    frequency: dict[str, int] = {}
    # Headings and interview questions name a topic, they do not say anything about it:
    # one is the highlight only when no content sentence matches at all (or a heading
    # alone holds what is asked); a heading's terms count for each sentence under it, the
    # sentence right after a question inherits part of its match.
    content = [not (s.heading or s.asks) for s in sentences]
    under = _under(sentences, content)
    shared = [(s.terms | sentences[h].terms if h is not None else s.terms) & wanted
              for s, h in zip(sentences, under)]
    for found in shared:
        for term in found:
            frequency[term] = frequency.get(term, 0) + 1
    corpus = idf or {}
    count = len(sentences)
    lexical = [sum(corpus.get(t, 1.0) * (1.0 + math.log(count / frequency[t]))
                   for t in found) for found in shared]
    lexical = [score + CARRY * (lexical[i - 1] if i and sentences[i - 1].asks else 0.0)
               * is_content for i, (score, is_content) in enumerate(zip(lexical, content))]
    extra = _told(sentences, under, content, asked) if asked is not None else [0.0] * count
    if any(extra):
        content = [c or (x > 0 and s.heading) for c, x, s in zip(content, extra, sentences)]
    matched = [score > 0 for score in lexical]
    allowed = [c and (m or with_similarity) for c, m in zip(content, matched)]
    if not any(allowed):
        allowed = content if any(content) and not any(matched) else matched
    if not any(allowed):
        return _Plan(0)
    top = max(lexical)
    score = [x / top for x in lexical] if top > 0 else lexical
    score = [x if ok else -math.inf for x, ok in zip(score, allowed)]
    if asked is not None:
        # the number opening a list item ("5. Retirez votre carte") is no figure; a heading
        # opened by what it holds gains that once (its extra), not the kind's bonus again
        score = [x + (0.0 if s.heading else
                      asked.adjustment(s.terms - {str(s.item)}, s.years, s.periods)) + bonus
                 if x > -math.inf else x for x, s, bonus in zip(score, sentences, extra)]
    if with_similarity and weight > 0:
        floor = max(score) - 2 * weight
        # the best by terms first (a stable sort keeps document order among equals)
        contenders = sorted((i for i, x in enumerate(score) if x >= floor),
                            key=lambda i: -score[i])[:most]
        if len(contenders) > 1:
            contenders.sort()
            return _Plan(None, tuple(contenders), np.array([score[i] for i in contenders]))
    return _Plan(max(range(count), key=score.__getitem__))  # ties go to the earlier sentence


def _under(sentences: Sentences, content: list[bool]) -> list[int | None]:
    """The index of the heading each content sentence is under (the last one before it in
    the passage), None for the others and for content before any heading."""
    under: list[int | None] = []
    heading = None
    for sentence, is_content in zip(sentences, content):
        under.append(heading if is_content else None)
        if sentence.heading:
            heading = len(under) - 1
    return under


def _told(sentences: Sentences, under: list[int | None], content: list[bool],
          asked: Asked) -> list[float]:
    """What each sentence gains beyond :meth:`Asked.adjustment`, as a share of the best
    term score: the sentence under a heading that repeats the heading's answer to what is
    asked (its figure, its date) gains the kind's bonus, and the heading itself when no
    content sentence of the passage holds a figure or date at all (a heading's "200.000
    jeunes" is no answer to what a sentence's "3 milliards" answers); the list item asked
    for gains the position's bonus, or the first sentence under it where the item is a
    label line ("Étape 1 :")."""
    extra = [0.0] * len(sentences)
    if asked.kind is not None:
        holding = any(is_content and asked.answers(s.terms - {str(s.item)}, s.years)
                      for s, is_content in zip(sentences, content))
        for h, heading in enumerate(sentences):
            if not heading.heading:
                continue
            told = asked.answers(heading.said or heading.terms, heading.years)
            if not told:
                continue
            repeating = [i for i, at in enumerate(under) if at == h and sentences[i].terms & told]
            for i in repeating or ([] if holding else [h]):
                extra[i] += asked.bonus
    position = asked.position
    if position is not None:
        items = [i for i, s in enumerate(sentences) if s.item is not None and position.counted
                 & (s.terms | (sentences[under[i]].terms if under[i] is not None else
                               frozenset()))]
        numbers = [sentences[i].item for i in items]
        wanted = max(n for n in numbers if n is not None) if position.number == LAST and \
            numbers else position.number
        for i in items:
            if sentences[i].item != wanted:
                continue
            if content[i]:
                extra[i] += position.bonus
            else:  # a label line: what it says is the sentence under it
                first = next((j for j, at in enumerate(under) if at == i), None)
                if first is not None:
                    extra[first] += position.bonus
    return extra


def _decide(sentences: Sentences, plan: _Plan, similarity: Similarity | None,
            weight: float) -> tuple[int, int]:
    """The span of the plan's sentence, or of the contender best by terms plus ``weight``
    times the model's cosine."""
    if plan.chosen is not None:
        return sentences[plan.chosen].span
    assert similarity is not None and plan.scores is not None
    blended = plan.scores + weight * similarity(plan.contenders)
    return sentences[plan.contenders[int(np.argmax(blended))]].span


def highlight_span(
    text: str,
    start: int,
    end: int,
    question: str,
    analyze: Callable[[str], list[str]],
    *,
    query_vector: np.ndarray | None = None,
    embed: EmbedTexts | None = None,
    weight: float = SIMILARITY_WEIGHT,
    idf: TermWeights | None = None,
) -> tuple[int, int]:
    """The sentence of ``text[start:end]`` that best matches ``question``.

    ``analyze`` turns text into terms (the index's BM25 analyzer, so stemming and accent
    folding match retrieval); terms rare within the passage, and in the corpus when
    ``idf`` gives the corpus's term weights, weigh more. With
    ``query_vector`` (the question's normalised vector) and ``embed`` (the same model's
    passage encoder), the model's similarity joins the term match. A heading-only line is
    never chosen when a content sentence matches (unless it alone holds the figure or time
    asked, :func:`best_sentence`). Ties go to the earlier sentence; with no
    match at all, the first content sentence is returned.
    """
    sentences = analysed_sentences(text, start, end, analyze)
    similarity = None
    if query_vector is not None and embed is not None:
        similarity = functools.partial(_embedded_similarity, embed, text, sentences,
                                       query_vector)
    wanted = frozenset(analyze(question))
    return best_sentence(sentences, wanted, (start, end), similarity, weight,
                         _idf(idf, wanted),
                         asked=Asked.of(question, month_terms(analyze), analyze))


def _embedded_similarity(embed: EmbedTexts, text: str, sentences: Sentences,
                         vector: np.ndarray, indices: Sequence[int]) -> np.ndarray:
    """The model's cosines between ``vector`` and the sentences of ``indices``."""
    return embed([text[slice(*sentences[i].span)] for i in indices]) @ vector


def _idf(idf: TermWeights | None, terms: set[str] | frozenset[str]) -> dict[str, float] | None:
    if idf is None:
        return None
    ordered = sorted(terms)
    return dict(zip(ordered, idf(ordered)))


@dataclass(frozen=True)
class Focus:
    """What one question asks for, prepared once per request: its analysed terms, their
    corpus weights and (when the model's similarity counts) its vector, the weight of the
    model's cosine and how many sentences of a passage it compares at most (None: all)."""

    terms: frozenset[str]
    weights: dict[str, float] | None
    vector: np.ndarray | None
    weight: float = SIMILARITY_WEIGHT
    most: int | None = MAX_EMBEDDED
    asked: Asked | None = None  # what kind of answer, which years (None: unsaid)


class Highlighter:
    """:func:`highlight_span` over one index generation, remembering each passage's
    analysed sentences and (with an embedding model) each sentence's vector.

    A passage's text never changes within an index generation, so only the question is
    analysed per request (:meth:`focus`), and a sentence is embedded once (and only when it
    could win): the passages returned most often cost a lookup. The caches hold at most
    ``cache_size`` passages and ``4 * cache_size`` sentence vectors. Thread-safe.
    """

    def __init__(self, analyze: Callable[[str], list[str]], cache_size: int = 4096,
                 embed: EmbedTexts | None = None, weight: float = SIMILARITY_WEIGHT,
                 idf: TermWeights | None = None,
                 counters: dict[str, CacheCounter] | None = None) -> None:
        """``counters``: where the hits and misses of the two caches are counted, under
        ``highlight_sentences`` and ``highlight_vectors`` (an engine passes the same ones to
        each highlighter it makes, so the counts outlive generations)."""
        self._analyze = analyze
        self._months = month_terms(analyze)
        self._idf = idf
        self._embed = embed if weight > 0 else None
        self._weight = weight
        self._cache: LRUCache = LRUCache(maxsize=cache_size)
        self._vectors: LRUCache = LRUCache(maxsize=4 * cache_size)
        self._lock = threading.Lock()
        counters = counters or {}
        self.counters = {name: counters.get(name) or CacheCounter()
                         for name in ("highlight_sentences", "highlight_vectors")}

    def cache_counts(self) -> dict[str, CacheCount]:
        """Hits and misses so far of the analysed-sentence and sentence-vector caches."""
        return {name: counter.snapshot() for name, counter in self.counters.items()}

    @property
    def uses_model(self) -> bool:
        """Whether the model's similarity counts (an encoder and a weight above 0)."""
        return self._embed is not None

    def focus(self, question: str, query_vector: np.ndarray | None = None,
              idf: TermWeights | None = None, *, foreign: bool = False) -> Focus:
        """``question`` prepared for :meth:`span`; ``query_vector`` (the question's vector
        from the index's model) adds the model's similarity when :attr:`uses_model`;
        ``idf``: this request's term weights instead of the highlighter's (a restricted
        reader's, over the documents they may read); ``foreign``: the question is in
        another language than the index's (the retriever's test), so the model's cosine
        over every sentence decides (:data:`FOREIGN_SIMILARITY_WEIGHT`)."""
        terms = frozenset(self._analyze(question))
        vector = query_vector if self.uses_model else None
        weights = _idf(idf if idf is not None else self._idf, terms)
        asked = Asked.of(question, self._months, self._analyze)
        if foreign and vector is not None:
            return Focus(terms, weights, vector, FOREIGN_SIMILARITY_WEIGHT, None, asked)
        return Focus(terms, weights, vector, self._weight, asked=asked)

    def spans(self, focus: Focus,
              passages: Sequence[tuple[str, str, int, int] | tuple[str, str, int, int, int]]
              ) -> list[tuple[int, int]]:
        """:meth:`span` of each ``(doc_id, text, start, end[, offset])``, the sentences the
        model must compare embedded together in one call (one call per passage cost several
        times as much: each pays the encoder's fixed overhead)."""
        if focus.vector is None:
            return [self._span(focus, *passage) for passage in passages]
        plans = []
        wanted: dict[tuple[str, int, int], str] = {}
        for doc_id, text, start, end, *rest in passages:
            offset = rest[0] if rest else 0
            sentences = self._sentences(doc_id, text, start, end, offset)
            plan = _plan(sentences, focus.terms, True, focus.weight, focus.weights,
                         focus.most, focus.asked) if sentences else _Plan(None)
            plans.append((sentences, plan))
            for i in plan.contenders:  # the sentences the model's cosine settles
                a, b = sentences[i].span
                wanted[(doc_id, a, b)] = text[a - offset : b - offset]
        with self._lock:
            missing = [key for key in wanted if key not in self._vectors]
        self.counters["highlight_vectors"].add(hits=len(wanted) - len(missing),
                                               misses=len(missing))
        if missing:
            assert self._embed is not None
            fresh = self._embed([wanted[key] for key in missing])
            with self._lock:
                for key, vector in zip(missing, fresh):
                    self._vectors[key] = vector
        spans = []
        for (doc_id, text, start, end, *rest), (sentences, plan) in zip(passages, plans):
            if not sentences:
                spans.append((start, end))
                continue
            similarity = functools.partial(self._similarity, focus.vector, doc_id, text,
                                           sentences, rest[0] if rest else 0)
            spans.append(_decide(sentences, plan, similarity, focus.weight))
        return spans

    def span(self, focus: Focus, doc_id: str, text: str, start: int,
             end: int, offset: int = 0) -> tuple[int, int]:
        """The span of the sentence of the passage ``[start:end]`` of ``doc_id`` that best
        matches ``focus``. ``text`` is the document's text from ``offset`` on: the whole of
        it, or the passage with the rest of its first and last lines (what tells whether a
        sentence is a whole line); spans are the document's offsets either way."""
        return self._span(focus, doc_id, text, start, end, offset)

    def _span(self, focus: Focus, doc_id: str, text: str, start: int, end: int,
              offset: int = 0) -> tuple[int, int]:
        sentences = self._sentences(doc_id, text, start, end, offset)
        similarity = None
        if focus.vector is not None:
            similarity = functools.partial(self._similarity, focus.vector, doc_id, text,
                                           sentences, offset)
        return best_sentence(sentences, focus.terms, (start, end), similarity, focus.weight,
                             focus.weights, focus.most, focus.asked)

    def _sentences(self, doc_id: str, text: str, start: int, end: int,
                   offset: int = 0) -> Sentences:
        key = (doc_id, start, end)
        with self._lock:
            sentences = self._cache.get(key)
        self.counters["highlight_sentences"].add(hits=sentences is not None,
                                                 misses=sentences is None)
        if sentences is None:
            sentences = analysed_sentences(text, start - offset, end - offset, self._analyze)
            if offset:
                sentences = [dataclasses.replace(s, span=(s.span[0] + offset, s.span[1] + offset))
                             for s in sentences]
            with self._lock:
                self._cache[key] = sentences
        return sentences

    def _similarity(self, vector: np.ndarray, doc_id: str, text: str, sentences: Sentences,
                    offset: int, indices: Sequence[int]) -> np.ndarray:
        return self._sentence_vectors(doc_id, text, sentences, indices, offset) @ vector

    def _sentence_vectors(self, doc_id: str, text: str, sentences: Sentences,
                          indices: Sequence[int], offset: int = 0) -> np.ndarray:
        """Vectors of the given sentences, embedding only those not seen before."""
        keys = [(doc_id, *sentences[i].span) for i in indices]
        with self._lock:
            found = [self._vectors.get(key) for key in keys]
        missing = [n for n, vector in enumerate(found) if vector is None]
        if missing:
            assert self._embed is not None
            fresh = self._embed([text[keys[n][1] - offset : keys[n][2] - offset]
                                 for n in missing])
            with self._lock:
                for n, vector in zip(missing, fresh):
                    found[n] = vector
                    self._vectors[keys[n]] = vector
        return np.stack(found)
