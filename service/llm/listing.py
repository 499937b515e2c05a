"""The answer written without an LLM: the closest passages, listed in the question's language.

Used by the OpenAI-compatible endpoint, whose clients show only the message text: each
passage appears whole, as a markdown quote, under its ``[n]`` marker, its title and its
place (document id and character offsets, page for PDFs), without its first lines where
they only repeat the title or the section (:mod:`ragqa.service.headings`; the offsets are
then those of what is quoted). A quote longer than
:data:`MAX_QUOTE_CHARS` is cut at a word boundary and ends with a visible "[…]"; the
offsets then still give the whole passage.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragqa.service.headings import shown_from
from ragqa.service.llm.abstain import guess_language
from ragqa.service.schemas import PassageOut

MAX_QUOTE_CHARS = 4000

_WORDS = {
    "fr": {
        "lead": "Aucun LLM n’est configuré : voici les passages des documents les plus proches "
                "de la question, cités mot pour mot.",
        "low": "Les documents ne semblent pas répondre à cette question (et aucun LLM n’est "
               "configuré). Voici les passages les plus proches, à vérifier avant de vous y fier.",
        "none": "Aucun LLM n’est configuré et aucun passage des documents ne correspond à cette "
                "question.",
        "chars": "caractères", "page": "p.", "cut": "passage coupé ; texte complet aux "
                                                   "caractères indiqués",
    },
    "en": {
        "lead": "No LLM is configured: here are the passages of the documents closest to the "
                "question, quoted word for word.",
        "low": "The documents do not seem to answer this question (and no LLM is configured). "
               "Here are the closest passages: check them before relying on them.",
        "none": "No LLM is configured and no passage of the documents matches this question.",
        "chars": "characters", "page": "p.", "cut": "passage cut; the whole text is at the "
                                                    "characters given",
    },
}


def passages_text(question: str, passages: Sequence[PassageOut], low_relevance: bool,
                  default_language: str = "fr") -> str:
    """The passages as one readable message in ``question``'s language (French or English,
    ``default_language`` when the words do not tell)."""
    words = _WORDS[guess_language(question, default_language)]
    if not passages:
        return words["none"]
    blocks = [words["low"] if low_relevance else words["lead"]]
    for n, p in enumerate(passages, start=1):
        head = f"[{n}] {p.title}"
        if p.section and p.section != p.title:
            head += f" — {p.section}"
        # The quote without its first lines where they repeat the head's title or section;
        # the offsets are those of what is quoted.
        at = shown_from(p.quote, p.title, p.section)
        where = f"{p.doc_id}, {words['chars']} {p.start + at}–{p.end}"
        if p.page:
            where += f", {words['page']} {p.page}"
        quote, cut = _bounded(p.quote[at:])
        lines = [f"> {line}".rstrip() for line in quote.split("\n")]
        if cut:
            lines[-1] += " […]"
            lines.append(f"({words['cut']})")
        blocks.append(f"{head} ({where})\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def _bounded(quote: str) -> tuple[str, bool]:
    """``quote`` whole, or cut at the last space before :data:`MAX_QUOTE_CHARS`."""
    quote = quote.strip("\n")
    if len(quote) <= MAX_QUOTE_CHARS:
        return quote, False
    cut = quote.rfind(" ", 0, MAX_QUOTE_CHARS)
    return quote[: cut if cut > MAX_QUOTE_CHARS // 2 else MAX_QUOTE_CHARS].rstrip(), True
