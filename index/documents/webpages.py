"""HTML pages: the main text as a person reads it, with its headings as structure.

trafilatura finds the main content (navigation, footers and other chrome left out) and the
page's title; this module lays that content out as the other structured formats are
(:mod:`ragqa.index.documents.layout`): ``<h1>``-``<h6>`` are
:class:`~ragqa.index.documents.outline.Heading` records with their heading path, never a
``#`` in the text; paragraphs are one line per ``<br>`` (whitespace in the source, hard
wraps included, is a space, as a browser shows it); list items are lines; table rows are
``header : value`` lines; a ``<pre>`` (or a code block) keeps its lines verbatim, and a
line of it is content, never a heading. Nothing a converter adds (``#``, pipes, backticks,
fences, bullets, emphasis marks) reaches the canonical text.

Why trafilatura's element tree rather than its markdown or its serialised XML: the
markdown *is* converter syntax (a ``# `` line of a ``<pre>`` read back as a heading, table
pipes in quotes), and the serialised XML trims the whitespace of everything but ``<code>``,
so a ``<pre>`` it does not take for code loses its line breaks. :func:`trafilatura.bare_extraction`
gives the same main content before serialisation (its documented ``.body`` tree, in
trafilatura's XML vocabulary: ``head``, ``p``, ``list``/``item``, ``table``/``row``/``cell``,
``quote``, ``code``, ``hi``, ``lb``). Every ``<pre>`` is wrapped in a ``<code>`` before
extraction, so that trafilatura keeps its whitespace and the walk below can tell it from a
``<blockquote>`` (both become ``quote``).

A paragraph that opens with a date and a time of day ("18-04 à 17:52 Titre", a live blog's
entry) starts a section, as it did when sections were cut in the markdown.

A short page (under :data:`SHORT_PAGE_CHARS` once its chrome is left out: a notice, a
listing of a few news items) is read whole (:mod:`~ragqa.index.documents.wholepages`):
trafilatura's heuristics need more text to weigh, and on such a page fell back on rescues
that dropped its headings or glued its lines into one paragraph. There the chrome that
trafilatura would tell by its class and id names (``<div id="bandeau">``, ``<ul
class="menu">``) is left out by :mod:`~ragqa.index.documents.pagechrome`. A page trafilatura finds
nothing in is read whole too, and one whose every word is in its chrome, chrome included.
Several ``<article>`` elements of similar size are a listing's items (:func:`_listed_articles`):
trafilatura reads them all, not the first alone. Tables whose cells span rows or columns,
or whose header holds several rows, are laid out as their grids before the extraction
(:mod:`~ragqa.index.documents.htmltables`): a row reads "Titulaires Hommes : 12", and a
cell spanning three rows stands in each.

A paragraph wholly in bold may be a heading set by hand
(:mod:`~ragqa.index.documents.handheadings`): bold by ``<b>``/``<strong>``, or by the
page's own CSS, and larger than the body text or not, as
:mod:`~ragqa.index.documents.htmllooks` reads them from the page before the extraction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ragqa.index.documents.handheadings import HandOutline, Look
from ragqa.index.documents.htmllooks import PageLooks
from ragqa.index.documents.htmlruns import wrap_runs
from ragqa.index.documents.htmltables import lay_out_tables, needs_layout
from ragqa.index.documents.layout import (
    HEADER_SEPARATOR,
    TextBuilder,
    clean_lines,
    one_line,
    table_lines,
    unwrap,
)
from ragqa.index.documents.outline import OutlinedDocument
from ragqa.index.documents.sections import is_dated_entry
from ragqa.index.documents.titles import metadata_title
from ragqa.index.documents.wholepages import page_body
from ragqa.index.errors import DocumentError

if TYPE_CHECKING:
    from lxml.etree import _Element

HTML_SUFFIXES = frozenset({".html", ".htm"})
# Page chrome that HTML5 marks as such: pruned before extraction, because on short pages
# trafilatura falls back to a baseline extraction that would keep it. The page's header
# only: an article's or a section's holds its title and its date.
CHROME_XPATHS = ["//nav", "//header[not(ancestor::article or ancestor::section or ancestor::main)]",
                 "//footer", "//aside", "//*[@role='navigation']"]
# A dated entry sits below every heading level: the next entry or any heading ends it.
ENTRY_LEVEL = 7
# A page whose text (its chrome left out) is shorter is read whole: trafilatura's main-content
# heuristics need more to weigh (:mod:`~ragqa.index.documents.wholepages`).
SHORT_PAGE_CHARS = 1000
# Articles of a page are a listing's items when the shortest holds this share of the
# longest's text at least (:func:`_listed_articles`).
LISTED_SHARE = 0.2
DEFAULT_HEADING_LEVEL = 3  # a ``head`` without its level, as trafilatura renders one

_BREAK = "\x00"  # a <br> inside inline text, until the text is cut into lines
_LEVEL = re.compile(r"^h([1-6])$")
_INLINE = frozenset({"hi", "ref", "del", "lb", "span", "sub", "sup", "graphic", "abbr",
                     "code", "quote"})
_BLOCKS = frozenset({"head", "p", "list", "table", "quote", "code"})
# The blocks matched with the page's lines (:func:`_css_looks`): the innermost ones (not
# ``code``, inline in a paragraph as often as a block: "host" would match a later line).
_MATCHED = ("head", "p", "item", "cell")
_LINE_TAGS = frozenset({"head", "p", "list", "item", "table", "row", "div"})


def read_html(data: bytes, doc_id: str) -> OutlinedDocument:
    """The :class:`OutlinedDocument` of the HTML page ``data`` (``doc_id`` names it in
    errors); :class:`DocumentError` when it holds no text."""
    import trafilatura  # heavy (lxml, dateparser): loaded only when an HTML file is read

    builder = TextBuilder()
    title: str | None = None
    tree = trafilatura.load_html(data)
    if tree is not None:
        _keep_preformatted(tree)
        _wrap_loose_text(tree)
        looks = PageLooks(tree, CHROME_XPATHS)  # read only: the extraction sees the page as it is
        page = _for_extraction(tree)
        # bare_extraction works on a copy: the tree is left as it is.
        extracted = trafilatura.bare_extraction(
            page, include_comments=False, include_tables=True, include_formatting=True,
            favor_recall=True, prune_xpath=CHROME_XPATHS, with_metadata=True)
        body = extracted.body if extracted is not None else None
        whole: _Element | None = None  # the page read whole, unless trafilatura found more
        if body is None or _chars(body) < SHORT_PAGE_CHARS:
            whole = page_body(page, CHROME_XPATHS, named_chrome=True)
            if whole is not None and (body is None or _chars(whole) < SHORT_PAGE_CHARS):
                body = whole  # too short for trafilatura's heuristics: read whole
        if body is not None:
            builder = _laid_out(body, looks)
        if not builder.text().strip() and body is not whole:
            # trafilatura kept no words: the page's own
            whole = page_body(page, CHROME_XPATHS, named_chrome=True)
            if whole is not None:
                builder = _laid_out(whole, looks)
        if not builder.text().strip():  # every word in the page's chrome: all of them
            everything = page_body(page)
            if everything is not None:
                builder = _laid_out(everything, looks)
        if extracted is not None:
            # trafilatura reads og:title, then <title> without the site name, then <h1>.
            title = metadata_title(extracted.title)
    if not builder.text().strip():  # no body to read (a frameset): all the visible text
        builder.paragraph(trafilatura.html2txt(data) or "")
    if not builder.text().strip():
        raise DocumentError(f"{doc_id}: the HTML page holds no text")
    return builder.document(doc_id, data, title)


def _laid_out(body: _Element, looks: PageLooks) -> TextBuilder:
    """The text of ``body`` (trafilatura's vocabulary), hand-set headings found at the end."""
    outline = HandOutline()
    _blocks(body, outline, _css_looks(body, looks))
    builder = TextBuilder()
    outline.replay(builder)
    return builder


def _chars(body: _Element) -> int:
    """How many characters the words of ``body`` hold, spaces between them counted once."""
    return len(one_line(" ".join(body.itertext())))


def _for_extraction(tree: _Element) -> _Element:
    """The page as the extraction reads it: ``tree`` itself, or a copy whose callouts are
    paragraphs (:func:`_inline_divs_as_paragraphs`), whose listed articles are sections
    (:func:`_listed_articles`) and whose tables are laid out as their grids
    (:mod:`~ragqa.index.documents.htmltables`)."""
    from copy import deepcopy

    page = _inline_divs_as_paragraphs(tree)
    if _listed_articles(page) or needs_layout(page):
        if page is tree:
            page = deepcopy(tree)
        for article in _listed_articles(page):
            article.tag = "section"
        lay_out_tables(page)
    return page


def _listed_articles(tree: _Element) -> list[_Element]:
    """The ``<article>`` elements of a listing (a news page's items), outside the page's
    chrome and none inside another, when there are several and none dwarfs another (the
    shortest holds at least :data:`LISTED_SHARE` of the longest's words); else none.
    trafilatura takes a page's first ``<article>`` for its main content: a listing's other
    items were lost, or their paragraphs kept without their headings. One long article and
    short ones (a post and its related teasers) is no listing."""
    from lxml import etree

    chrome = {e for xpath in CHROME_XPATHS for e in tree.xpath(xpath)
              if isinstance(e, etree._Element)}
    articles = [a for a in tree.iter("article")
                if not any(p.tag == "article" or p in chrome for p in a.iterancestors())
                and a not in chrome]
    if len(articles) < 2:
        return []
    sizes = [len(one_line(" ".join(a.itertext()))) for a in articles]
    return articles if min(sizes) >= LISTED_SHARE * max(sizes) else []


def _keep_preformatted(tree: _Element) -> None:
    """Wrap the content of every ``<pre>`` in a ``<code>``: trafilatura then keeps its
    whitespace, and a ``<pre>`` stays recognisable after extraction (:func:`_preformatted`)."""
    from lxml.html import Element

    for pre in list(tree.iter("pre")):
        if len(pre) == 1 and pre[0].tag == "code" and _blank(pre.text, pre[0].tail):
            continue  # already <pre><code>
        code = Element("code")
        code.text, pre.text = pre.text, None
        code.extend(list(pre))
        pre.append(code)


def _inline_divs_as_paragraphs(tree: _Element) -> _Element:
    """A copy of ``tree`` whose ``<div>`` holding text and inline elements only (a callout:
    ``<div class="alert"><strong>Attention :</strong> la DSI…``) is a ``<p>``: trafilatura
    reads such a div as a paragraph but drops the space after its first inline element
    ("Attention :la DSI"). The page's own tree, whose looks are read, is left as it is."""
    from copy import deepcopy

    inline = _inline_tags()
    divs = [div for div in tree.iter("div")
            if len(div) and all(isinstance(c.tag, str) and c.tag in inline for c in div)]
    if not divs:
        return tree
    copy = deepcopy(tree)
    for div in copy.iter("div"):
        if len(div) and all(isinstance(c.tag, str) and c.tag in inline for c in div):
            div.tag = "p"
    return copy


def _inline_tags() -> frozenset[str]:
    from lxml.html import defs

    return frozenset(defs.special_inline_tags | defs.phrase_tags | defs.font_style_tags
                     | {"mark", "time", "wbr", "label"})


def _wrap_loose_text(tree: _Element) -> None:
    """Wrap each run of text and inline elements standing directly in ``<body>`` in a
    ``<p>``: trafilatura drops the body's own text (a page of ``<br>`` lines lost its first
    line) and makes a paragraph of every line after it; inside a ``<p>`` the lines stay
    lines, as a browser shows them."""
    body = tree if tree.tag == "body" else tree.find("body")
    if body is None or _blank(body.text, *(child.tail for child in body)):
        return
    wrap_runs(body, _inline_tags().__contains__, keep_blank_tails=True)


def _blank(*texts: str | None) -> bool:
    return not any(t and t.strip() for t in texts)


def _preformatted(elem: _Element) -> bool:
    """Whether a block keeps its lines: a ``<pre>`` (a ``quote`` or ``code`` wrapping one
    ``code``) or a multi-line code block."""
    if elem.tag not in ("quote", "code"):
        return False
    if len(elem) == 1 and elem[0].tag == "code" and _blank(elem.text, elem[0].tail):
        return True
    return elem.tag == "code" and "\n" in "".join(elem.itertext()).strip()


def _css_looks(body: _Element, looks: PageLooks) -> dict[_Element, Look]:
    """The look the page's CSS gives each paragraph of the extraction ``body`` where it
    gives one (bold, larger than the body text), matched by text
    (:meth:`PageLooks.looks`). Every block is matched, in order, and not the paragraphs
    alone: a heading, a list item or a cell before a paragraph moves the match past the
    page's lines before it (a menu's "Inscriptions" ahead of the article's)."""
    blocks = [block for block in body.iter(*_MATCHED)
              if next(block.iterdescendants(*_MATCHED), None) is None]
    found = looks.looks([_inline(block, br=" ") for block in blocks])
    return {block: look for block, look in zip(blocks, found)
            if look is not None and block.tag == "p"}


def _blocks(container: _Element, builder: HandOutline,
            looks: Mapping[_Element, Look]) -> None:
    """Lay out the blocks of ``container``; loose inline text between them is a paragraph;
    ``looks`` what the page's CSS makes of its paragraphs (:func:`_css_looks`)."""
    run: list[str] = [container.text or ""]
    for child in container:
        tag = child.tag
        if not isinstance(tag, str):  # a comment or a processing instruction
            run.append(child.tail or "")
            continue
        if tag == "lb":
            run.append(_BREAK)
        elif tag in _INLINE and not (tag in _BLOCKS and _stands_alone(child, run)):
            run.append(_inline(child))
        else:
            _paragraph(run, builder)
            run = []
            _block(child, builder, looks)
        run.append(child.tail or "")
    _paragraph(run, builder)


def _stands_alone(elem: _Element, run: list[str]) -> bool:
    """Whether a ``quote`` or ``code`` among loose text is a block of its own (nothing but
    blanks around it) rather than a word of the text."""
    return _preformatted(elem) or (_blank(*run) and _blank(elem.tail))


def _block(elem: _Element, builder: HandOutline, looks: Mapping[_Element, Look]) -> None:
    tag = elem.tag
    if tag == "head":
        match = _LEVEL.match(elem.get("rend", ""))
        builder.heading(_inline(elem, br=" "), int(match.group(1)) if match
                        else DEFAULT_HEADING_LEVEL)
    elif tag == "p":
        css = looks.get(elem)  # what the page's CSS says of it first
        _paragraph([_inline(elem)], builder,
                   css if css is not None else Look(bold=_all_bold(elem, False)))
    elif tag == "list":
        builder.block(_list_lines(elem))
    elif tag == "table":
        builder.block(table_lines(*_table(elem)))
    elif _preformatted(elem):
        builder.block(_pre_lines(elem))
    else:  # a blockquote, a div, a section: its own blocks
        _blocks(elem, builder, looks)


def _paragraph(run: Iterable[str], builder: HandOutline, look: Look = Look()) -> None:
    """A paragraph from inline text (``<br>`` marked with :data:`_BREAK`): one line per
    ``<br>``, hard-wrapped lines joined; a live blog's dated entry heads a section. A
    one-line paragraph in bold is recorded with its look: it may be a heading set by hand
    (:mod:`~ragqa.index.documents.handheadings`)."""
    lines = _lines("".join(run))
    if lines and is_dated_entry(lines[0]):
        builder.heading(lines[0], ENTRY_LEVEL)
        lines = lines[1:]
    if look.bold and len(lines) == 1:
        builder.paragraph(lines[0], look)
    else:
        builder.block(lines)


def _all_bold(elem: _Element, bold: bool) -> bool:
    """Whether every piece of text with words under ``elem`` (not its tail) is bold: inside
    ``<b>``/``<strong>`` (trafilatura's ``hi rend="#b"``); CSS bold is read apart
    (:meth:`PageLooks.looks`)."""
    if elem.tag == "hi" and "#b" in elem.get("rend", ""):
        bold = True
    if elem.text and elem.text.strip() and not bold:
        return False
    for child in elem:
        if isinstance(child.tag, str) and not _all_bold(child, bold):
            return False
        if child.tail and child.tail.strip() and not bold:
            return False
    return True


def _lines(text: str) -> list[str]:
    return unwrap([line for part in text.split(_BREAK) if (line := one_line(part))])


def _inline(elem: _Element, br: str = _BREAK) -> str:
    """The text of ``elem`` and its descendants (not its tail), ``<br>`` as ``br``."""
    parts = [elem.text or ""]
    for child in elem:
        if isinstance(child.tag, str):
            if child.tag == "lb":
                parts.append(br)
            elif child.tag in _LINE_TAGS:  # a block inside inline text: a line of its own
                parts.extend((br, _inline(child, br), br))
            elif child.tag == "cell":
                parts.extend((" ", _inline(child, br), " "))
            else:
                parts.append(_inline(child, br))
        parts.append(child.tail or "")
    return "".join(parts)


def _pre_lines(elem: _Element) -> list[str]:
    """A ``<pre>``'s lines as they are (indentation kept), markup around words dropped."""
    text = "".join(elem.itertext())
    return [line for line in clean_lines(text) if line.strip()]


def _list_lines(elem: _Element) -> list[str]:
    """A list's items as lines, nested lists' items after their item's; a definition
    list's ``term : definition``."""
    lines: list[str] = []
    term: str | None = None
    for item in elem:
        if item.tag != "item":
            continue
        item_lines = _item_lines(item)
        rend = item.get("rend", "")
        if rend.startswith("dt"):
            if term is not None:
                lines.append(term)
            term = " ".join(item_lines) or None
            continue
        if term is not None and rend.startswith("dd") and item_lines:
            item_lines[0] = f"{term}{HEADER_SEPARATOR}{item_lines[0]}"
            term = None
        lines.extend(item_lines)
    if term is not None:
        lines.append(term)
    return lines


def _item_lines(item: _Element) -> list[str]:
    """An item's own text (its paragraphs, its ``<br>`` lines), then its nested lists'."""
    lines: list[str] = []
    run: list[str] = [item.text or ""]
    for child in item:
        if not isinstance(child.tag, str):
            pass
        elif child.tag == "list":
            lines.extend(_lines("".join(run)))
            run = []
            lines.extend(_list_lines(child))
        elif _preformatted(child):
            lines.extend(_lines("".join(run)))
            run = []
            lines.extend(_pre_lines(child))
        elif child.tag in ("p", "head", "quote"):
            run.extend((_BREAK, _inline(child), _BREAK))
        else:
            run.append(_inline(child))
        run.append(child.tail or "")
    lines.extend(_lines("".join(run)))
    return lines


def _table(elem: _Element) -> tuple[list[list[str]], bool | None]:
    """A table's rows of cell texts, and whether its first row is marked as its header."""
    rows = [row for row in elem.iter("row") if _nearest_table(row) is elem]
    cells = [[c for c in row if c.tag == "cell"] for row in rows]
    texts = [[one_line(_inline(c, br=" ")) for c in row] for row in cells]
    header = True if cells and cells[0] and all(c.get("role") == "head"
                                                 for c in cells[0]) else None
    return texts, header


def _nearest_table(row: _Element) -> _Element | None:
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent
