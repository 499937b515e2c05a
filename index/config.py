"""How an index is shaped besides its corpus and its vectors: :class:`IndexConfig`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ragqa.index.search.analysis import AnalyzerConfig
from ragqa.index.documents.chunking import ChunkingParams
from ragqa.index.files.dense import EXACT_LIMIT
from ragqa.index.files.lexical import BM25Params
from ragqa.index.documents.titles import TITLE_RULES


# How passages and their BM25 text are derived from documents (boilerplate, empty generic
# sections, BM25 text) beyond the parameters below. Recorded, so an index built by an older
# rule is rebuilt (reusing its vectors) instead of being reported up to date. 1: before
# issue 14 (a record without the field); 2: issue 14; 3: page chrome in no passage, and no
# passage of only a title, kickers or rules (`processing.front_matter`); 4: HTML read as
# plain text with its headings as sections (`documents.webpages`), no markdown; 5: underlined
# (setext) headings as sections and a front matter block read as metadata
# (`documents.sections`), and what the December 2026 loader audit fixed (damaged files
# refused, Word, spreadsheet, e-mail and HTML text that was lost); 6: UTF-16 without a BOM
# read, legacy encodings chosen by plausibility (Mac Roman, Italian and Portuguese cp1252:
# `documents.charsets`), a meeting invitation's event read (`documents.invitations`);
# 7: PDF text as a person reads it (`documents.pdftext`: line-end hyphenation joined,
# compounds, URLs and addresses kept, ligatures as letters, hard wraps unwrapped, a long
# heading or table row kept a line of its own), and an invitation's repeated or malformed
# properties read without Python lists or the mail lost (`documents.invitations`), and
# copies of one file counted once for site chrome and generic headings; 8: a PDF's page
# breaks read as line breaks (running headers, footers and page numbers left out:
# `documents.pageedges`; a word hyphenated at a page end joined, a paragraph over the break
# joined, empty pages add nothing), a title wrapped after "de"/"la"... read whole, more
# compounds kept; an invitation's repeat rule and attendees, an attached .ics read
# (`documents.recurrence`); short non-Western legacy text read in its own alphabet;
# 9: an invitation's skipped and added dates said (EXDATE, RDATE) and its UNTIL in words,
# bare numbers topping a PDF's pages kept when they count items, a few words of Cyrillic,
# Greek or Polish legacy text read in their alphabet;
# a PDF's headings (its outline, else its larger type) as its sections, each a line of
# its own, and its title from the first page's largest type when its metadata gives none
# (`documents.pdfheadings`);
# a slide titled as the slide before it ("(suite)", "(2/3)"...) carries on its section,
# its title not repeated and passages read across it, a slide's paragraph of prose a block
# of its own (`documents.presentations`), and a heading line left alone above a block too
# long to share a passage makes none (`documents.chunking`);
# 10: a PDF's outline taken only where it outlines the document (two entries found, else
# the type's headings), its entries found on their page in any order
# (`documents.pdfheadings`); a deck's section-header slide heads the slides after it, its
# line opening the first one's section (`documents.presentations`), and the lines of a
# section's heading path alone make no passage (`documents.chunking`).
# 11: a heading set by hand in a Word, OpenDocument or HTML file (a short body line wholly
# in bold, with text under it) starts a section (`documents.handheadings`).
# 12: an HTML line made bold by the page's own CSS (a <style> sheet's simple selectors, a
# style attribute, a bold <span> around it) can be such a heading, and a larger one ranks
# above one at body size (`documents.htmlcss`, `documents.htmllooks`); a PDF line wholly
# in a bold font at any size, passing the same rules, starts a section one level below the
# type's headings, and a numbered heading in larger type ("10.2.4 CA") is no longer read
# as figures (`documents.pdfbold`, `documents.pdfheadings`); a bold numbered division
# with its name ("Article 3 : Durée") is a heading, not a label and its value.
# 13: a plain .txt file with no markdown, underlined or dated heading has the headings its
# lines make (numbered, named divisions, capitals, bare lines in an outline), read by the
# hand-heading rules (`documents.plaintext`).
# 14: running lines stacked deeper than two lines at a PDF page edge are left out, and the
# first page's lines that run on the others make no passage (`documents.pageedges`); a
# Word or OpenDocument paragraph's text boxes and notes follow it (`documents.wordml`,
# `documents.opendocument`); a full stop after an initial, "M." or an abbreviation, or
# after the number opening a line, ends no sentence (`search.highlight.sentence_spans`).
# 15: a markdown heading (below level 1) right above a deeper one opens its first
# sub-section instead of a section of its line alone (`documents.sections`); a Word or
# OpenDocument numbered list item starts with its number (`documents.wordml.Numbering`,
# `documents.opendocument.ListNumbers`).
# 16: hidden rows and columns of a workbook are left out, a cell merged down reads on each
# of its rows, numbers and dates read as their format shows them (`documents.spreadsheets`,
# `documents.cellformats`), a sheet's second table has its own header (`documents.sheets`);
# an HTML page that is not UTF-8 and declares no charset is decoded as legacy text files
# are (`documents.formats`), a callout keeps the space after its bold label
# (`documents.webpages`); a PDF page set in columns joins its wrapped lines
# (`documents.pdftext.full_width`).
# 17: a date reads alike in figures and in words ("14/04/2025", "14 avril 2025": the month's
# name, the day's own term; `search.dates`) and thousands a space separates make one number
# ("1 200"), so BM25 terms change; a sheet's two-level header names each column by both
# levels, a note under a table is a line of its own (`documents.sheetheaders`,
# `documents.sheetnotes`); a short HTML page is read whole, several articles as a listing,
# a table with spanned cells as a grid, a layout table as blocks (`documents.wholepages`,
# `documents.htmltables`, `documents.pagechrome`).
# 18: an underlined (setext) heading wrapped over up to three lines names its section whole
# (`documents.sections`).
# 19: a PDF's heading or title wrapped inside a word reads as one word ("ser-" / "vice
# public" is "service public"), a compound keeping its hyphen (`documents.linehyphens`).
PROCESSING_VERSION = 19


@dataclass(frozen=True)
class IndexConfig:
    """Chunking, BM25 analysis and the dense index type (recorded in the manifest). What
    decides the vectors is the :class:`~ragqa.index.embedding.identity.VectorIdentity`, recorded beside it."""

    chunking: ChunkingParams = field(default_factory=ChunkingParams)
    analysis: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    bm25: BM25Params = field(default_factory=BM25Params)
    exact_limit: int = EXACT_LIMIT
    processing: int = PROCESSING_VERSION
    # Titles go into every embedding input and BM25 text: new title rules, a new index.
    title_rules: int = TITLE_RULES
    # Larger files are refused before being read: one huge file must not exhaust memory
    # (its text, passages and vectors are all held while building). Not in the manifest
    # (nor compared): it decides what may be indexed, not how.
    max_document_bytes: int | None = field(default=None, compare=False)
    # Every sentence of every passage embedded at index time (:mod:`ragqa.index.files.
    # sentences`), so that the highlight and the relevance signal read a never-seen passage
    # without a model pass. Recorded: an index built without them is rebuilt with them
    # (reusing its passage vectors) when they are wanted, and the other way round.
    sentence_vectors: bool = True
    # Every passage's token vectors made at index time (:mod:`ragqa.index.tokenrows`), for
    # the relevance signal's token match and the reorder: no model pass over a top passage.
    # True, False or "auto" (for a store of at most 10,000 passages, with a model whose
    # relevance fit uses the token match). Recorded like ``sentence_vectors`` in a files
    # index; a database does not record it (it fills in what it lacks).
    token_vectors: bool | str = "auto"

    def to_json(self) -> dict:
        return {
            "chunking": asdict(self.chunking),
            "analysis": asdict(self.analysis),
            "bm25": asdict(self.bm25),
            "exact_limit": self.exact_limit,
            "processing": self.processing,
            "title_rules": self.title_rules,
            "sentence_vectors": self.sentence_vectors,
            "token_vectors": self.token_vectors,
        }

    @classmethod
    def from_json(cls, data: dict) -> IndexConfig:
        """Raises ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed record."""
        return cls(
            chunking=ChunkingParams(**data["chunking"]),
            analysis=AnalyzerConfig(**data["analysis"]),
            bm25=BM25Params(**data["bm25"]),
            exact_limit=int(data["exact_limit"]),
            processing=int(data.get("processing", 1)),  # records before version 2 had none
            title_rules=int(data.get("title_rules", 1)),
            sentence_vectors=bool(data.get("sentence_vectors", False)),  # none before
            token_vectors=_token_setting(data.get("token_vectors", False)),
        )


def _token_setting(value) -> bool | str:
    """A recorded ``token_vectors``: true, false or "auto"."""
    if value in (True, False, "auto"):
        return value
    raise ValueError(f"token_vectors is {value!r}, not true, false or auto")
