"""Follow-up questions: what a question of a conversation leans on, without an LLM.

"Quel accord Nokia a-t-il conclu avec le Maroc ?" then "Qui l'a signé ?": the second
question alone names nothing the documents could be searched for. :func:`plan` decides
whether a question leans on the earlier turns and, when it does, what it borrows from
them (:class:`Followup`):

* **BM25**: the earlier questions' own terms, added as extra queries whose scores count
  ``lexical_weight`` times as much as the question's, and ``decay`` times less for each
  turn further back (a BM25 score is a sum over query terms, so this is the BM25 score of
  a weighted query);
* **dense**: the model embeds the previous question and the follow-up together, so "Qui
  l'a signé ?" is read in the context that gives "l'" its meaning (a follow-up in another
  language than the index's, whose older turns BM25 cannot carry, with every turn the
  chain below reads);
* **a prior** toward the documents the previous turn cited: their passages are added to
  both rankers' candidates, and the best ``prior_passages`` of each for the follow-up (in
  the dense ranker; in BM25, for the question and for each borrowed query) get their scores
  raised by ``prior`` of the ranker's range: a live blog of sixty entries is not lifted
  whole.

Whether a question leans on the dialogue is told by what it says
(:func:`leans_on_history`, from the words :mod:`~ragqa.index.search.markers` reads): an
anaphora or an ellipsis of its own (a sentence that starts with "Et", a pronoun that
points back, "cette université", "a-t-il" without a subject…), a possessive or "en"
before a verb in a question that names nothing ("Où se trouvait son atelier ?"; in "Quand
Nokia a-t-il ouvert son centre… ?" the possessive is Nokia's, and "Où en est le projet… ?"
is an idiom), or too little to search for on its own: no name, not
a definition ("Qu'est-ce qu'un réseau privé ?"), and the idf mass of its terms over the
index below ``min_specificity`` ("Qui a terminé deuxième ?"). A question that stands alone
("Quand ouvre le Gitex Africa ?") is searched exactly as without a history.

The turns a follow-up reads form a chain (:func:`read_turns`): the previous turn, and the
one before it only if the previous one carried on from it (:func:`carries_on`: it leaned
on it, or stood alone by its words but was answered from the same document), and so on
back, so a third turn carries what the second borrowed ("Qui l'a signé ?" then "Et lors de
quel événement ?": "Nokia" is in the first question only), and the subject a conversation
has left lends nothing. The same document says the subject went on only where it is a
small part of what is searched: in an index of one handbook every turn is answered from
it, so there a turn that names a subject of its own breaks the chain; and a chain goes
through one such link at most, so an old standalone turn stops lending once newer ones
stood alone. The turns are resolved in order: each lends what it was searched
with, not the names and years it replaced itself, nor the function words of its language
when that is not the index's, and one further back that only points back ("Who organises
it?") lends what it borrowed, not its own words. The rules,
thresholds and weights were measured on the dev split of ``eval/conversations.jsonl``,
with each conversation's first question also asked after the previous conversation (a
change of subject the history must not touch): ``python -m ragqa.eval.conversation_sweep``,
the table in docs/retrieval-quality.md#conversations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ragqa.index.search.analysis import NO_TERM, Analyzer
from ragqa.index.search.frame import frames, light_verbs
from ragqa.index.search.markers import is_definition, names, pointing_back

# At most this many earlier turns are read (the API refuses more).
MAX_TURNS = 10
# A longer run of word characters is borrowed by no follow-up ("anticonstitutionnellement"
# is 25; a URL or a pasted run of "x" is no subject).
MAX_BORROWED_CHARS = 40


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation: what was asked, what was answered (optional),
    and the documents that answer cited or showed, best first (optional)."""

    question: str
    answer: str = ""
    doc_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class FollowupParams:
    """How a follow-up borrows from the turns before it (see the module's docstring)."""

    # Earlier turns whose questions lend terms (most recent first): each turn lends what it
    # was searched with, its own words and what it borrowed in turn, so a fourth turn
    # reaches the first through the two that leaned on it (with ``decay`` per turn).
    turns: int = MAX_TURNS
    lexical_weight: float = 0.25  # BM25 weight of the previous question's terms
    decay: float = 0.5            # each turn further back counts this much as the next one
    dense_turns: int = 1          # earlier questions embedded with the follow-up (0: none)
    # A follow-up in another language than the index's is embedded with every turn the chain
    # read (when dense_turns is not 0): BM25 carries the older turns' words for one in the
    # index's language, but reads none of another's, and its hybrid search ranks by the
    # model alone (crosslingual_dense_weight).
    foreign_chain: bool = True
    prior: float = 0.3            # score bonus (share of a ranker's range) for cited documents
    prior_documents: int = 5      # how many of the previous turn's documents get it
    # How many passages of each such document get it, its best for the follow-up in each
    # ranker (0: all of its candidates): a long document should not be lifted whole.
    prior_passages: int = 3
    min_specificity: float = 10.0  # idf mass under which a question cannot stand alone
    # The idf mass asked of a question as chosen (over the project corpus's 452 passages) or
    # scaled by the index's own weight of a term no passage holds, ln(2N + 2), against that
    # corpus's (SPECIFICITY_REFERENCE): over a reader's 22 passages, idfs are half as large
    # and almost any question fell under 10 (a new subject borrowed the last one's words).
    relative_specificity: bool = True
    # A question without a marker that holds a word no passage holds ("Quelle est la recette
    # du couscous ?" after a question on the Gitex) names a subject of its own: it stands
    # alone, and its low relevance stays.
    unknown_stands_alone: bool = True
    markers: bool = True          # anaphora and ellipsis markers make a question lean too
    names: bool = True            # a name in a short question lets it stand alone
    # When a weak marker (a possessive, "en" before a verb) makes a question lean: always
    # ("marker"), only in a question that names nothing ("no_name"), or that names nothing
    # the earlier questions did not ("no_new_name").
    weak_markers: str = "no_name"
    chain: bool = True            # read an older turn only if the turn after it leaned on it
    # ... or stood alone by its words but was answered from the document the turn before it
    # was ("Combien de startups en Egypte ?" after "Qu'est-ce que le programme SPARK de
    # Huawei ?", both answered by the programme's article: the subject went on).
    same_document: bool = True
    # ... but where that document holds more than this share of the passages searched (a
    # handbook alone in its index, a live blog beside four articles), being answered from
    # it says nothing of the subject: there the link holds only for a turn that names
    # nothing of its own nor asks a definition, an ellipsis its words do not show ("À
    # quel âge faut-il commencer ?" after "Qu'a signé l'UM6P avec la Fédération… ?").
    # 1: any document.
    document_share: float = 0.5
    # At most this many links of a chain by the document alone: a standalone turn reached
    # through one passes nothing further back but what it leaned on, so an old standalone
    # turn stops lending once newer ones stood alone.
    document_links: int = 1
    # The names the older turns of the chain said (those not embedded, dense_turns) join
    # the model's text: what the embedded turns point back to ("Combien de startups en
    # Egypte ?" read with "SPARK Huawei" when it carried on from the programme's question).
    dense_names: bool = True
    # A turn further back than the previous one that only points back (names nothing, a
    # strong marker: "Who organises it?") lends none of its own words, only what it
    # borrowed (with no decay of its own): its question's words are replaced by the newer
    # turns' ("And how many exhibitors…?", then "et pour 2025 ?"), its subject is further
    # back (the nearest turn that names one).
    relay_pointers: bool = True
    definitions: bool = True      # "Qu'est-ce qu'un réseau privé ?" stands alone
    carry_names: bool = False     # names from older turns of the chain weigh as the previous one's
    # Borrowed words weigh less when the follow-up has much of its own to search for: their
    # weight times min(1, own_mass / its idf mass) (0: always the full weight).
    own_mass: float = 0.0
    # A follow-up that names a subject of its own borrows the earlier questions' other
    # words, not their names nor their documents' boost: never ("keep"), when it names
    # anything they did not ("new_name"), or when that name is a subject set before a
    # comma ("dislocated": "Et Huawei, quel programme a-t-il lancé ?").
    new_subject: str = "dislocated"
    # A follow-up that names a year of its own ("Et en 2024 ?" after "… en 2025 ?") borrows
    # the earlier questions' other words, not their years (the documents' boost is kept:
    # one live blog covers both editions).
    replace_years: bool = True

    def __post_init__(self) -> None:
        for name in ("lexical_weight", "decay", "prior", "prior_passages", "own_mass",
                     "document_share", "document_links"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.weak_markers not in WEAK_MARKER_RULES:
            raise ValueError(f"weak_markers must be one of {', '.join(WEAK_MARKER_RULES)}")
        if self.new_subject not in NEW_SUBJECT_RULES:
            raise ValueError(f"new_subject must be one of {', '.join(NEW_SUBJECT_RULES)}")


WEAK_MARKER_RULES = ("marker", "no_name", "no_new_name")
# ln(2 × 452 + 2): BM25's idf of a term no passage holds over the project corpus (452
# passages), where ``min_specificity`` was chosen.
SPECIFICITY_REFERENCE = math.log(2 * 452 + 2)
# An analysed term shorter than this is no word a question names a subject with.
_UNKNOWN_MIN_CHARS = 4
# A verb's form the documents do not use ("Quels partenaires le soutiennent ?" over texts
# that write "soutient") is no subject of its own: French conjugated endings.
_VERB_FORM = re.compile(r"(?:ent|ons|ez|ait|aient|ais|ont|era|eront|erait|iez|ions)$")
NEW_SUBJECT_RULES = ("keep", "new_name", "dislocated")
# "Et Huawei, … ?": a subject set out before a comma (not "Et pour le Conseil, … ?").
_DISLOCATED = re.compile(r"^\W*(?:et|and)\s+(?!(?:pour|en|à|au|aux|dans|de|du|des|chez|avec|sur"
                         r"|selon|par|lors|comme|for|in|at|with|on|by)\b|d['’])"
                         r"(?P<subject>[^,?]+),", re.IGNORECASE)


# Measured on eval/conversations.jsonl's dev split (docs/retrieval-quality.md#conversations).
FOLLOWUP = FollowupParams()


@dataclass(frozen=True)
class Followup:
    """How one question is searched. ``history_used`` False: exactly as without a history
    (``lexical``, ``dense_text`` and ``cited`` empty)."""

    question: str
    query: str                                 # what was searched, as shown to people
    history_used: bool = False
    lexical: tuple[tuple[str, float], ...] = ()  # extra BM25 queries and their weights
    dense_text: str | None = None              # what the model embeds instead of the question
    cited: tuple[str, ...] = ()                # documents whose passages get ``prior``
    prior: float = 0.0
    prior_passages: int = 0                    # per cited document and ranker; 0: all

    def read_as(self, read: str | None) -> str:
        """:attr:`query` with the question as the search read it (``read``: its forms and
        typos, :attr:`~ragqa.index.search.retriever.SearchResult.read_as`; None: as typed)."""
        asked = self.question.strip()
        if read is None or not self.query.startswith(asked):
            return self.query
        return read.strip() + self.query[len(asked):]


def standalone(question: str) -> Followup:
    """A question searched as it is."""
    return Followup(question, question)


def specificity(question: str, analyzer: Analyzer,
                idf: Callable[[Sequence[str]], list[float]]) -> float:
    """The idf mass of ``question``'s distinct terms that the index holds: what it gives
    BM25 to search for. A term no passage holds (a word of another language, "How many jobs
    has the company created?" over French news, or a typo) gives it nothing, though its idf
    is the largest of all."""
    terms = list(dict.fromkeys(analyzer(question)))
    if not terms:
        return 0.0
    *values, absent = idf([*terms, NO_TERM])
    return float(sum(v for v in values if v < absent - 1e-9))


def unknown_terms(question: str, analyzer: Analyzer,
                  idf: Callable[[Sequence[str]], list[float]]) -> list[str]:
    """The analysed terms of ``question`` (of :data:`_UNKNOWN_MIN_CHARS` characters or more,
    not numbers nor verb forms) that no passage holds."""
    terms = [t for t in dict.fromkeys(analyzer(question))
             if len(t) >= _UNKNOWN_MIN_CHARS and not t.isdigit() and not _VERB_FORM.search(t)]
    if not terms:
        return []
    *values, absent = idf([*terms, NO_TERM])
    return [t for t, v in zip(terms, values) if v >= absent - 1e-9]


def min_specificity(params: FollowupParams,
                    idf: Callable[[Sequence[str]], list[float]]) -> float:
    """The idf mass under which a question cannot stand alone over the index ``idf``
    weighs terms for (see :attr:`FollowupParams.relative_specificity`)."""
    if not params.relative_specificity:
        return params.min_specificity
    absent = idf([NO_TERM])[0]
    return params.min_specificity * absent / SPECIFICITY_REFERENCE


def leans_on_history(question: str, analyzer: Analyzer,
                     idf: Callable[[Sequence[str]], list[float]],
                     params: FollowupParams = FOLLOWUP, earlier: Sequence[str] = (),
                     read_as: str | None = None, foreign: bool = False) -> bool:
    """Whether ``question`` needs the turns before it to be searched (see the module);
    ``earlier``: the questions asked before it (for ``weak_markers="no_new_name"``);
    ``read_as``: the question with its typos read (a typo is no unknown subject);
    ``foreign``: in another language than the index's, whose words the index holds none
    of (they name no subject of its own)."""
    marker = pointing_back(question) if params.markers else None
    if marker == "strong":
        return True
    own = names(question)
    if marker == "weak":
        if params.weak_markers == "marker" or not own:
            return True
        if params.weak_markers == "no_new_name":
            said = {w.casefold() for text in earlier for w in re.findall(r"[\w.-]+", text)}
            if all(name.casefold() in said for name in own):
                return True
    if params.definitions and is_definition(question, analyzer):
        return False
    if params.names and own:
        return False
    if params.unknown_stands_alone and marker is None and not foreign and unknown_terms(
            read_as or question, analyzer, idf):
        return False
    return specificity(question, analyzer, idf) < min_specificity(params, idf)


def asks(turn: Turn) -> bool:
    """Whether ``turn`` asked something: a word, not blanks or invisible characters only
    ("\u200b" is no whitespace to :meth:`str.strip`)."""
    return re.search(r"\w", turn.question) is not None


def read_turns(history: Sequence[Turn], analyzer: Analyzer,
               idf: Callable[[Sequence[str]], list[float]],
               params: FollowupParams = FOLLOWUP,
               share: Callable[[str], float] | None = None) -> list[Turn]:
    """The earlier turns a follow-up asked after ``history`` (oldest first) reads, newest
    first: at most ``params.turns``; with ``params.chain``, a turn further back only while
    the turn after it carried on from it (:func:`carries_on`, ``share`` as there), by the
    document alone at most ``params.document_links`` times: a third turn carries what the
    second borrowed from the first, and after a change of subject the turns before it lend
    nothing."""
    earlier = [t for t in history[-MAX_TURNS:] if asks(t)][::-1]  # newest first
    read = earlier[: min(1, params.turns)]
    links = 0
    for depth in range(1, min(params.turns, len(earlier))):
        link = _link(earlier[depth - 1], earlier[depth:], analyzer, idf, params, share)
        links += link == "document"
        if link is None or links > params.document_links:
            break
        read.append(earlier[depth])
    return read


def carries_on(turn: Turn, before: Sequence[Turn], analyzer: Analyzer,
               idf: Callable[[Sequence[str]], list[float]],
               params: FollowupParams = FOLLOWUP,
               share: Callable[[str], float] | None = None) -> bool:
    """Whether ``turn`` carried on from the turns ``before`` it (newest first), so that a
    follow-up of ``turn`` reads them too: always without ``params.chain``; else when it
    leaned on them, or (``params.same_document``) when it stood alone by its words but was
    answered from the document the turn before it was (the first of each one's
    ``doc_ids``), one that holds at most ``params.document_share`` of the passages searched
    (``share``: of a document id; None: every document a small share), or any document for
    a turn that names nothing the turns before it did not and asks no definition."""
    return _link(turn, before, analyzer, idf, params, share) is not None


def _link(turn: Turn, before: Sequence[Turn], analyzer: Analyzer,
          idf: Callable[[Sequence[str]], list[float]], params: FollowupParams,
          share: Callable[[str], float] | None) -> str | None:
    """How ``turn`` carried on from the turns ``before`` it (:func:`carries_on`): "leans",
    "document" (by the document alone), or None (it did not)."""
    if not params.chain:
        return "leans"
    if leans_on_history(turn.question, analyzer, idf, params, [t.question for t in before]):
        return "leans"
    if not (params.same_document and before and turn.doc_ids and before[0].doc_ids
            and turn.doc_ids[0] == before[0].doc_ids[0]):
        return None
    if share is None or share(turn.doc_ids[0]) <= params.document_share:
        return "document"
    # A subject of its own: a name the turns before it did not say, or a definition asked
    # ("Qu'est-ce qu'un réseau privé d'entreprise ?").
    said = {w.casefold() for t in before for w in re.findall(r"[\w.-]+", t.question)}
    if any(n.casefold() not in said for n in names(turn.question)) or (
            params.definitions and is_definition(turn.question, analyzer)):
        return None
    return "document"


def plan(question: str, history: Sequence[Turn], analyzer: Analyzer,
         idf: Callable[[Sequence[str]], list[float]],
         params: FollowupParams = FOLLOWUP, *, foreign: bool = False,
         read_as: str | None = None,
         foreign_words: Callable[[str], frozenset[str]] | None = None,
         share: Callable[[str], float] | None = None) -> Followup:
    """How to search ``question`` asked after ``history`` (oldest turn first); ``foreign``:
    whether it is in another language than the index analyses (``params.foreign_chain``);
    ``read_as``: the question with its typos read, as the search will read it;
    ``foreign_words``: of an earlier question, the function and framing words of its
    language when that is not the index's (casefolded; its analyzer drops only its own
    language's): an English turn over a French index lends "exhibitors", not "how",
    "were", "there"; ``share``: of a document id, the share of the passages searched it
    holds (:func:`carries_on`; None: every document a small share).

    Each turn of the chain lends what it was searched with: its own words, and what it
    borrowed in turn (the older turns' words, less the names and years its own question
    replaced), ``params.decay`` times less per turn further back."""
    earlier = [t for t in history[-MAX_TURNS:] if asks(t)][::-1]  # newest first
    if not earlier or not leans_on_history(question, analyzer, idf, params,
                                           [t.question for t in earlier], read_as, foreign):
        return standalone(question)
    read = read_turns(history, analyzer, idf, params, share)
    own = set(analyzer(question))
    lexical: list[tuple[str, float]] = []
    shown: list[str] = []
    replaced = _replaced_names(question, read, params.new_subject)
    years = _replaced_years(question, read) if params.replace_years else set()
    dropped = replaced | years  # casefolded: not lent, by this turn nor the ones before

    def borrow(text: str, weight: float) -> None:
        words = content_words(text, analyzer, own | set(analyzer(" ".join(shown))),
                              foreign_words(text) if foreign_words else frozenset())
        words = [w for w in words if w.casefold() not in dropped]
        if words and weight > 0:
            lexical.append((" ".join(words), weight))
            shown.extend(words)

    weight = params.lexical_weight
    if params.own_mass:
        weight *= min(1.0, params.own_mass / max(specificity(question, analyzer, idf), 1e-9))
    for depth, turn in enumerate(read):
        relayed = depth and params.relay_pointers and _only_points_back(turn.question)
        if not relayed:
            borrow(turn.question, weight)
        if depth == 0 and params.carry_names:
            # The older turns' names, as much as the previous turn's own words.
            borrow(" ".join(n for t in read[1:] for n in names(t.question)), weight)
        # What this turn was searched with: not the older names and years it replaced.
        dropped |= _replaced_names(turn.question, read[depth + 1:], params.new_subject)
        if params.replace_years:
            dropped |= _replaced_years(turn.question, read[depth + 1:])
        if not relayed:
            weight *= params.decay
    query = f"{question.strip()} ({' '.join(shown)})" if shown else question.strip()
    dense_text = None
    if params.dense_turns:
        embedded = len(read) if foreign and params.foreign_chain else params.dense_turns
        texts = [_without(t.question, replaced | years) for t in read[:embedded]][::-1]
        if params.dense_names:
            # The subject the older turns named, which the embedded ones point back to.
            said = {w.casefold() for text in [*texts, question]
                    for w in re.findall(r"[\w.-]+", text)}
            older = [n for t in read[embedded:] for n in names(t.question)
                     if n.casefold() not in dropped and n.casefold() not in said]
            texts = [" ".join(dict.fromkeys(older)), *texts] if older else texts
        dense_text = " ".join([*texts, question.strip()])
    cited: tuple[str, ...] = ()
    if params.prior and params.prior_documents and not replaced:
        # The previous turn's documents; when it showed none, those of the nearest turn
        # the chain kept (the previous turn leaned on it: the same subject), never those
        # of a turn the chain left.
        cited = next((t.doc_ids for t in read if t.doc_ids), ())
        cited = tuple(dict.fromkeys(cited))[: params.prior_documents]
    if not lexical and dense_text is None and not cited:
        return standalone(question)
    return Followup(question, query, True, tuple(lexical), dense_text, cited,
                    params.prior if cited else 0.0, params.prior_passages)


def _only_points_back(question: str) -> bool:
    """Whether ``question`` names nothing and points back (a strong marker: "Who organises
    it?", "Qui l'a signé ?"): its subject is in the turns before it."""
    return not names(question) and pointing_back(question) == "strong"


def _replaced_names(question: str, read: Sequence[Turn], rule: str) -> set[str]:
    """The earlier questions' names (casefolded) that ``question``'s own subject replaces
    under ``rule`` (FollowupParams.new_subject); empty: it borrows them."""
    if rule == "keep":
        return set()
    said = {n.casefold() for t in read for n in names(t.question)}
    if rule == "dislocated":
        match = _DISLOCATED.match(question)
        mine = names(f"Et {match['subject']}") if match else []
    else:
        mine = names(question)
    return said if any(n.casefold() not in said for n in mine) else set()


def _replaced_years(question: str, read: Sequence[Turn]) -> set[str]:
    """The earlier questions' years that ``question``'s own year replaces (empty when it
    names none)."""
    mine = set(_YEAR.findall(question))
    if not mine:
        return set()
    return {y for t in read for y in _YEAR.findall(t.question)} - mine


def _without(text: str, replaced: set[str]) -> str:
    """``text`` without the names in ``replaced``."""
    words = text.strip().split()
    return " ".join(w for w in words if w.strip(".,;:?!").casefold() not in replaced)


_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_PRONOUN_SUFFIX = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on|ce|je|tu|nous|vous)$",
                             re.IGNORECASE)


def content_words(text: str, analyzer: Analyzer, known: set[str] = frozenset(),
                  function_words: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` that are index terms (not stopwords, not "a-t-il") and name
    something (not the words that frame a question, "Peut-on", "Je voudrais savoir si ça",
    nor light verbs, "take place", "a-t-il eu lieu": :mod:`~ragqa.index.search.frame`;
    nor, unless a name, those in ``function_words``, casefolded: a text in another
    language's), as written, each once and none whose terms are all in ``known``: what a
    follow-up borrows."""
    words: list[str] = []
    seen = set(known)
    language = analyzer.config.language
    named = set(names(text))
    for phrase in light_verbs(text):  # "take place", "aura-t-il lieu": no subject
        if not named & set(re.findall(r"[\w.-]+", phrase[0])):
            text = text[:phrase.start()] + " " * len(phrase[0]) + text[phrase.end():]
    for word in re.findall(r"[\w’'.-]+", text):
        if len(word) > MAX_BORROWED_CHARS:
            continue  # no word: a pasted run of characters ("xxxx…" in an earlier message)
        word = _PRONOUN_SUFFIX.sub("", re.split(r"['’]", word)[-1].strip(".-"))
        if (frames(word, language) or word.casefold() in function_words) and word not in named:
            continue
        parts = [t for part in word.split("-") for t in analyzer(part)]
        if parts and not set(parts) <= seen:
            seen.update(parts)
            words.append(word)
    return words
