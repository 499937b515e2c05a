"""One document's passages, given the corpus around it: what both stores index.

Three properties of a document's passages depend on the rest of the corpus
(:class:`CorpusContext`): boilerplate lines (a line repeated in three sections of any
document is dropped wherever it occurs), generic headings (a section title heading
sections in three documents names no subject) and title chrome (preamble lines shared by
several documents are never a title, nor part of a passage). Everything else is the
document's own: its title, sections, passages, embedding inputs and their keys, and the
texts BM25 analyses.

The files store recomputes the context over the whole corpus on every run. The PostgreSQL
store computes it the same way on a bulk ``ragqa index`` and stores it; a document
uploaded through the API is processed with the stored context (and its own boilerplate),
so documents already stored keep their passages: the cost of a write stays the document's.
Given the same corpus and context, :func:`process_document` gives both stores the same
passages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ragqa.index.documents.boilerplate import find_boilerplate, find_generic_headings
from ragqa.index.documents.chunking import Passage, chunk_document
from ragqa.index.documents.reading import Document
from ragqa.index.documents.outline import OutlinedDocument, document_sections, template_parts
from ragqa.index.documents.sections import Section, heading_title
from ragqa.index.documents.titles import (
    MAX_TITLE_CHARS,
    headline,
    normalise,
    preamble_lines,
    shared_preamble_lines,
)


@dataclass(frozen=True)
class CorpusContext:
    """The corpus-wide properties that shape one document's title and passages
    (normalised lines, see :func:`ragqa.index.documents.boilerplate.normalise_line` and
    :func:`ragqa.index.documents.titles.normalise`)."""

    boilerplate: frozenset[str] = frozenset()
    generic_headings: frozenset[str] = frozenset()
    chrome: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {"boilerplate": sorted(self.boilerplate),
                "generic_headings": sorted(self.generic_headings),
                "chrome": sorted(self.chrome)}

    @classmethod
    def from_json(cls, data: dict) -> CorpusContext:
        return cls(frozenset(data.get("boilerplate", ())),
                   frozenset(data.get("generic_headings", ())),
                   frozenset(data.get("chrome", ())))


@dataclass(frozen=True)
class ProcessedDocument:
    """A document with its final title, its sections and its passages in order; for each
    passage, what the model embeds (``inputs``), its key (``keys``, vectors are reused by
    it) and what BM25 analyses (``bm25_texts``)."""

    document: Document
    sections: tuple[str, ...]
    passages: tuple[Passage, ...]
    inputs: tuple[str, ...]
    keys: tuple[str, ...]
    bm25_texts: tuple[str, ...]


def title_chrome(documents: Sequence[Document]) -> frozenset[str]:
    """Preamble lines of several documents: site chrome. Whatever gave a document its title
    (its text, or its file: Word's Title style, HTML's ``<title>``, a deck's first slide),
    the notice every page of a site shares is chrome. Copies of one file count once
    (:func:`distinct`)."""
    return shared_preamble_lines(doc.text for doc in distinct(documents))


def distinct(documents: Sequence[Document]) -> list[Document]:
    """``documents`` with copies of one file (the same bytes under several names) kept
    once, the first of them: what is counted across a corpus (site chrome, generic
    headings) is counted by distinct document, so three copies of a report do not make its
    title line chrome."""
    first: dict[str, Document] = {}
    for doc in documents:
        first.setdefault(doc.content_hash, doc)
    return list(first.values())


def retitle(doc: Document, chrome: frozenset[str], explicit: str | None = None) -> Document:
    """``doc`` with its final title: ``explicit`` if given, else the headline found with
    the corpus's chrome left out."""
    if explicit is not None:
        return replace(doc, title=explicit, title_source="explicit")
    if chrome and doc.title_source == "text":
        return replace(doc, title=headline(doc.text, doc.title, chrome))
    if chrome and doc.title_source == "layout" and " ".join(doc.title.split()).casefold() in chrome:
        # a letterhead set larger than the title: the headline the chrome leaves
        return replace(doc, title=headline(doc.text, doc.title, chrome))
    return doc


def corpus_context(
    documents: Sequence[Document], explicit: dict[str, str] | None = None
) -> tuple[list[Document], CorpusContext]:
    """The documents with their final titles, and the context computed over all of them."""
    explicit = explicit or {}
    chrome = title_chrome(documents)
    titled = [retitle(doc, chrome, explicit.get(doc.doc_id)) for doc in documents]
    split = [document_sections(doc) for doc in titled]
    firsts = {id(doc) for doc in distinct(titled)}
    return titled, CorpusContext(
        boilerplate=find_boilerplate((doc.text, template_parts(doc, secs))
                                     for doc, secs in zip(titled, split)),
        generic_headings=find_generic_headings([s.title for s in secs]
                                               for doc, secs in zip(titled, split)
                                               if id(doc) in firsts),
        chrome=chrome,
    )


def process_document(
    doc: Document,
    context: CorpusContext,
    splitter: RecursiveCharacterTextSplitter,
    *,
    contextual: bool,
    own_boilerplate: bool = False,
) -> ProcessedDocument:
    """Cut the (already titled) ``doc`` into passages with ``context``.

    ``own_boilerplate`` adds the lines ``doc`` itself repeats section after section to the
    context's (a document processed alone, whose lines the stored context never saw).
    """
    sections: list[Section] = document_sections(doc)
    boilerplate = context.boilerplate
    if own_boilerplate:
        boilerplate = boilerplate | find_boilerplate([(doc.text, template_parts(doc, sections))])
    skipped, minor = front_matter(doc, context.chrome)
    passages = tuple(chunk_document(doc, sections, boilerplate, splitter,
                                    context.generic_headings, skipped, minor))
    quotes = [doc.text[p.start : p.end] for p in passages]
    inputs = tuple(embed_input(doc.title, p.section, q, contextual)
                   for p, q in zip(passages, quotes))
    return ProcessedDocument(
        document=doc,
        sections=tuple(s.title for s in sections),
        passages=passages,
        inputs=inputs,
        keys=tuple(vector_key(text) for text in inputs),
        bm25_texts=tuple(bm25_text(doc.title, p.section, q) for p, q in zip(passages, quotes)),
    )


def front_matter(doc: Document, chrome: frozenset[str]) -> tuple[frozenset[int], frozenset[int]]:
    """Offsets of the lines of ``doc``'s preamble that no passage holds (page chrome: calls
    to action, lines shared by several documents' preambles, breadcrumbs) and of those that
    make no passage on their own (chrome, kickers, rules, bylines, the title line itself);
    a headline other than the title, such as a standfirst, is content. The lines opening a
    PDF that its layout repeats on the other pages (a header, "Page 1": ``page_chrome_kept``)
    are chrome too, and those stacked under them (a footer printed third, a table's header
    row: ``page_chrome_stacked``) make no passage on their own."""
    skipped, minor = set(), set()
    if isinstance(doc, OutlinedDocument) and (doc.page_chrome_kept or doc.page_chrome_stacked):
        offset, running = 0, doc.page_chrome_kept | doc.page_chrome_stacked
        for line in doc.text.split("\n"):  # the first page's top lines
            key = normalise(line)
            if line.strip() and key not in running:
                break
            if key not in doc.page_chrome_stacked:
                skipped.add(offset)  # (a stacked line, as a table's header row, is content)
            minor.add(offset)
            offset += len(line) + 1
    for line in preamble_lines(doc.text, chrome):
        if line.kind == "chrome":
            skipped.add(line.start)
        if line.kind != "headline" or line.text[:MAX_TITLE_CHARS] == doc.title:
            minor.add(line.start)
    return frozenset(skipped), frozenset(minor)


def embed_input(title: str, section: str, quote: str, contextual: bool) -> str:
    """The text the model sees for a passage (the quote itself stays verbatim)."""
    if not contextual:
        return quote
    head = [title]
    if section != title and not quote.startswith(section[:40]):
        head.append(section)
    return "\n".join(head) + "\n\n" + quote


def vector_key(text: str) -> str:
    """The key a passage's vector is stored and reused by: a hash of what was embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def bm25_text(title: str, section: str, quote: str) -> str:
    """What BM25 indexes for a passage: the document's title, then the quote.

    The title says what a passage deep in a page is about; section headings are left out,
    being generic and repeated on structured pages ("Qui est concerné ?"). Measured:
    eval/results/corpus-processing.md#bm25-text. ``section`` is kept in the signature for
    callers that compose other texts from the same parts.
    """
    del section
    first_line = quote.partition("\n")[0]
    if quote.startswith(title[:40]) or heading_title(first_line) == title:
        return quote
    return f"{title}\n{quote}"
