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
  l'a signé ?" is read in the context that gives "l'" its meaning;
* **a prior** toward the documents the previous turn cited: their passages are added to
  both rankers' candidates and their scores raised by ``prior`` of the ranker's range.

Whether a question leans on the dialogue is told by what it says
(:func:`leans_on_history`): an anaphora or an ellipsis of its own (a sentence that starts
with "Et", a pronoun that points back, "cette université", "a-t-il" without a subject…),
or too little to search for on its own: no name, and the idf mass of its terms over the
index below ``min_specificity`` ("Qui a terminé deuxième ?"). A question that stands alone
("Quand ouvre le Gitex Africa ?") is searched exactly as without a history. The rules,
thresholds and weights were measured on the dev split of ``eval/conversations.jsonl``,
with each conversation's first question also asked after the previous conversation (a
change of subject the history must not touch): ``python -m ragqa.eval.conversation_sweep``,
the table in docs/retrieval-quality.md#conversations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ragqa.index.search.analysis import Analyzer

# At most this many earlier turns are read (the API refuses more).
MAX_TURNS = 10


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

    turns: int = 2                # earlier turns whose questions lend terms (most recent first)
    lexical_weight: float = 0.25  # BM25 weight of the previous question's terms
    decay: float = 0.5            # each turn further back counts this much as the next one
    dense_turns: int = 1          # earlier questions embedded with the follow-up (0: none)
    prior: float = 0.4            # score bonus (share of a ranker's range) for cited documents
    prior_documents: int = 5      # how many of the previous turn's documents get it
    min_specificity: float = 10.0  # idf mass under which a question cannot stand alone
    markers: bool = True          # anaphora and ellipsis markers make a question lean too
    names: bool = True            # a name in a short question lets it stand alone

    def __post_init__(self) -> None:
        for name in ("lexical_weight", "decay", "prior"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")


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


def standalone(question: str) -> Followup:
    """A question searched as it is."""
    return Followup(question, question)


# Words and shapes that point back to an earlier turn, French and English: a sentence that
# starts with "Et"/"And" continues the previous one ("Et l'édition précédente ?"); the
# others are pronouns and determiners that need an antecedent. One feature beside the
# specificity below, measured together (docs/retrieval-quality.md#conversations).
_CONTINUES = re.compile(r"^\W*(?:et|and|also|aussi|mais|puis|but)\b", re.IGNORECASE)
_POINTS_BACK = re.compile(r"""
      \bl['’](?:a|ont|avait|avaient|aura)\b            # qui l'a signé
    | \bles\s+(?:a|ont|avait|avaient)\b                # les a reçus
    | \b(?:lui|leur|leurs|son|sa|ses|celui|celle|ceux|celles|cela|ça)\b
    | (?<![-'’])\b(?:il|elle|ils|elles|eux)\b(?!-)      # avec elle, d'entre elles
    | \b(?:cet|cette|ces)\s+\w+                         # cette entreprise, ces réseaux
    | \bce\s+derni                                     # ce dernier
    | \by\b(?!\s+a-t-il)                                # y sont inscrites (not "y a-t-il")
    | \ben\s+(?:est|sont|a|ont|était|étaient|compte)\b  # qui en est le directeur
    | \b(?:it|its|they|them|their|he|she|him|his|her|this|these|those)\b
    """, re.IGNORECASE | re.VERBOSE)
# "a-t-il", "est-elle": the subject is a pronoun ("De quelles consoles est-il à
# l'origine ?"), unless a noun phrase stands before the verb: a name or a determiner in
# the few words before it ("Quand Satoru Iwata est-il devenu…", "Depuis quand la
# télémédecine est-elle encadrée ?").
_INVERTED = re.compile(r"(?:\b(?:se|ne|en)\s+|\b[sn]['’])?(?P<verb>\w+)-(?:t-)?(?:il|elle|ils|elles)\b",
                       re.IGNORECASE)
_IMPERSONAL = re.compile(r"(?:^|\s)y\s*$", re.IGNORECASE)  # "y a-t-il": there is
_DETERMINERS = frozenset(
    "le la les l un une des du au aux ce cet cette ces son sa ses leur leurs mon ma mes "
    "notre nos votre vos the a an".split())


def has_marker(question: str) -> bool:
    """Whether ``question`` has a word or shape that points back to an earlier turn."""
    question = question.strip()
    if _CONTINUES.search(question) or _POINTS_BACK.search(question):
        return True
    return any(not _has_subject(question[: m.start()]) for m in _INVERTED.finditer(question)
               if not _IMPERSONAL.search(question[: m.start()]))


def _has_subject(before: str) -> bool:
    """Whether the last few words before an inverted verb hold a noun phrase: a name (not
    the question's first word), a number or a determiner."""
    words = re.findall(r"\w+", before)
    for position in range(max(0, len(words) - 5), len(words)):
        word = words[position]
        if ((position > 0 and word[0].isupper()) or any(c.isdigit() for c in word)
                or word.casefold() in _DETERMINERS):
            return True
    return False


# A name: a capitalised word (or an acronym) after the question's first word.
_NAME = re.compile(r"(?<=[\s'’(«\"-])[A-ZÀ-ÖØ-Ý][\w.-]*")


def names(question: str) -> list[str]:
    """The names ``question`` mentions (capitalised words after its first one)."""
    return _NAME.findall(question.strip())


def specificity(question: str, analyzer: Analyzer,
                idf: Callable[[Sequence[str]], list[float]]) -> float:
    """The idf mass of ``question``'s distinct terms: what it gives BM25 to search for."""
    terms = list(dict.fromkeys(analyzer(question)))
    return float(sum(idf(terms))) if terms else 0.0


def leans_on_history(question: str, analyzer: Analyzer,
                     idf: Callable[[Sequence[str]], list[float]],
                     params: FollowupParams = FOLLOWUP) -> bool:
    """Whether ``question`` needs the turns before it to be searched (see the module)."""
    if params.markers and has_marker(question):
        return True
    if params.names and names(question):
        return False
    return specificity(question, analyzer, idf) < params.min_specificity


def plan(question: str, history: Sequence[Turn], analyzer: Analyzer,
         idf: Callable[[Sequence[str]], list[float]],
         params: FollowupParams = FOLLOWUP) -> Followup:
    """How to search ``question`` asked after ``history`` (oldest turn first)."""
    earlier = [t for t in history[-MAX_TURNS:] if t.question.strip()][::-1]  # newest first
    if not earlier or not leans_on_history(question, analyzer, idf, params):
        return standalone(question)
    own = set(analyzer(question))
    lexical: list[tuple[str, float]] = []
    shown: list[str] = []
    weight = params.lexical_weight
    for turn in earlier[: params.turns]:
        words = content_words(turn.question, analyzer, own | set(analyzer(" ".join(shown))))
        if words and weight > 0:
            lexical.append((" ".join(words), weight))
            shown.extend(words)
        weight *= params.decay
    query = f"{question.strip()} ({' '.join(shown)})" if shown else question.strip()
    dense_text = None
    if params.dense_turns:
        dense_text = " ".join([t.question.strip() for t in earlier[: params.dense_turns]][::-1]
                              + [question.strip()])
    cited: tuple[str, ...] = ()
    if params.prior and params.prior_documents:
        cited = next((t.doc_ids for t in earlier if t.doc_ids), ())
        cited = tuple(dict.fromkeys(cited))[: params.prior_documents]
    if not lexical and dense_text is None and not cited:
        return standalone(question)
    return Followup(question, query, True, tuple(lexical), dense_text, cited,
                    params.prior if cited else 0.0)


_PRONOUN_SUFFIX = re.compile(r"-(?:t-)?(?:il|elle|ils|elles|on|ce|je|tu|nous|vous)$",
                             re.IGNORECASE)


def content_words(text: str, analyzer: Analyzer, known: set[str] = frozenset()) -> list[str]:
    """The words of ``text`` that are index terms (not stopwords, not "a-t-il"), as written,
    each once and none whose terms are all in ``known``: what a follow-up borrows."""
    words: list[str] = []
    seen = set(known)
    for word in re.findall(r"[\w’'.-]+", text):
        word = _PRONOUN_SUFFIX.sub("", re.split(r"['’]", word)[-1].strip(".-"))
        parts = [t for part in word.split("-") for t in analyzer(part)]
        if parts and not set(parts) <= seen:
            seen.update(parts)
            words.append(word)
    return words
