"""An HTML page read whole, in the vocabulary of trafilatura's extraction.

trafilatura's main-content heuristics need text to weigh: on a short page (an intranet
notice, a news listing of a few items) its main pass finds little and it falls back on
rescues that keep paragraphs but drop headings (a listing's items lost all their titles
but the first) or dump the page's text as one paragraph (a notice's ``<h1>`` glued to its
sentence). Such a page has no boilerplate to leave out but its chrome, so
:mod:`~ragqa.index.documents.webpages` reads it whole instead, and reads a page
trafilatura finds nothing in alike: :func:`page_body` gives the page's ``<body>`` as
trafilatura's ``bare_extraction`` gives its main content (``head``, ``p``,
``list``/``item``, ``table``/``row``/``cell``, ``quote``, ``code``, ``hi``, ``lb``,
``ref``, containers as ``div``), for the same walk.

What trafilatura's cleaning drops is dropped (its own lists: scripts, forms' controls and
their labels, media...) but for words a reader sees on a short page: a date in ``<time>``,
a figure's caption, a ``<label>`` outside a form; and so is the page's chrome (the XPaths
given: ``<nav>``, the page's ``<header>``, ``<footer>``, ``<aside>``..., and, when asked,
the blocks its class and id names call chrome, :mod:`~ragqa.index.documents.pagechrome`).
A ``<details>``'s ``<summary>`` is a heading over its text. A table laying the page out
(:func:`~ragqa.index.documents.htmltables.page_tables`: a content cell of headings beside a
menu) is no table: its cells are read as the page's blocks.
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

from ragqa.index.documents.htmlruns import wrap_runs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lxml.etree import _Element

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTS = frozenset({"ul", "ol", "dl"})
_QUOTES = frozenset({"blockquote", "pre", "q"})
_HIGHLIGHTS = {"em": "#i", "i": "#i", "b": "#b", "strong": "#b", "u": "#u", "kbd": "#t",
               "samp": "#t", "tt": "#t", "var": "#t", "sub": "#sub", "sup": "#sup"}
# Kept as they are: trafilatura's own names, and a table's.
_KEPT = frozenset({"p", "code", "table", "caption"})
# Containers besides lxml's block tags: read as ``div``. Any other element is inline (its
# words kept in their line), as a browser shows an element it does not know (Word's <o:p>).
_CONTAINERS = frozenset({"article", "aside", "details", "dialog", "figcaption", "figure",
                         "footer", "header", "hgroup", "main", "nav", "section", "search",
                         "tbody", "thead", "tfoot"})


def page_body(root: _Element, chrome_xpaths: Iterable[str] = (), *,
              named_chrome: bool = False) -> _Element | None:
    """The text of the page ``root`` (left as it is), its ``<body>`` but the elements
    ``chrome_xpaths`` name (and, with ``named_chrome``, the blocks named chrome by their
    class or id), as trafilatura's extraction writes it; None without a body."""
    from lxml import etree
    from lxml.html import defs
    from trafilatura.settings import MANUALLY_CLEANED, MANUALLY_STRIPPED

    from ragqa.index.documents import pagechrome
    from ragqa.index.documents.htmltables import lay_out_tables, page_tables

    root = deepcopy(root)
    body = root if root.tag == "body" else root.find("body")
    if body is None:
        return None
    dropped = {e for xpath in chrome_xpaths for e in body.xpath(xpath)
               if isinstance(e, etree._Element)}
    if named_chrome:
        dropped.update(pagechrome.named_chrome(body))
    dropped.update(e for e in body.iter(etree.Comment, etree.ProcessingInstruction))
    # A form's text stays (its controls and their labels go); the chrome goes where
    # ``chrome_xpaths`` say; a date, a figure (its media go) and its caption stay.
    cleaned = frozenset(MANUALLY_CLEANED) - {"form", "nav", "footer", "aside", "time",
                                             "figure", "label"}
    dropped.update(e for e in body.iter() if e.tag in cleaned)
    dropped.update(label for label in body.iter("label")
                   if any(a.tag == "form" for a in label.iterancestors()))
    for elem in dropped:
        if elem is not body and elem.getparent() is not None:
            _drop(elem)
    for table in page_tables(body):
        _unwrap(table)  # a page laid out with a table: its cells are the page's blocks
    lay_out_tables(body)  # no span left: a spanned cell stands in each of its rows
    etree.strip_tags(body, *MANUALLY_STRIPPED)
    blocks = ((defs.block_tags | defs.list_tags | defs.table_tags | _CONTAINERS | {"summary"})
              - {"del", "ins"})
    for container in [e for e in body.iter(etree.Element)
                      if e.tag in _CONTAINERS or e.tag in ("div", "form", "center")]:
        _wrap_runs(container, blocks)
    heads = _header_cells(body)
    stripped = []
    for elem in body.iter(etree.Element):
        tag = elem.tag
        if elem is body or tag in _KEPT:
            continue
        if tag in _HEADINGS:
            elem.attrib.clear()
            elem.set("rend", tag)
            elem.tag = "head"
        elif tag == "summary":
            elem.tag = "head"
        elif tag in _LISTS:
            _list(elem)
        elif tag in ("li", "dt", "dd"):  # outside a list: a line of its own
            elem.tag = "item"
        elif tag in ("br", "hr"):
            elem.tag = "lb"
        elif tag in _QUOTES:
            elem.tag = "quote"
        elif tag in ("del", "s", "strike"):
            elem.tag = "del"
        elif tag in _HIGHLIGHTS:
            rend = _HIGHLIGHTS[tag]
            elem.attrib.clear()
            elem.set("rend", rend)
            elem.tag = "hi"
        elif tag == "a":
            elem.tag = "ref"
        elif tag == "tr":
            elem.tag = "row"
        elif tag in ("td", "th"):
            elem.attrib.clear()
            if elem in heads:
                elem.set("role", "head")
            elem.tag = "cell"
        elif tag in ("list", "item", "row", "cell", "head", "hi", "lb", "ref", "quote", "del"):
            pass  # already converted (a list's items)
        elif tag in defs.block_tags or tag in _CONTAINERS:  # a div, a section...
            elem.tag = "div"
        else:
            stripped.append(elem)
    for elem in stripped:
        elem.tag = "span"
    etree.strip_tags(body, "span")
    for table in list(body.iter("table")):
        caption = table.find("caption")
        if caption is not None:  # the table's title: a line of its own before it
            caption.tag = "p"
            caption.tail = None
            table.addprevious(caption)
    body.tag = "body"
    body.attrib.clear()
    return body


def _wrap_runs(container: _Element, blocks: frozenset[str]) -> None:
    """Wrap each run of loose text and inline elements of a container that also holds
    blocks in a ``<p>``: a line of its own, as a browser shows it (``<div>Bloc <p>dans</p>
    suite</div>`` is three lines), and a paragraph the page's CSS gives its look."""
    if any(isinstance(c.tag, str) and c.tag in blocks for c in container):
        wrap_runs(container, lambda tag: tag not in blocks)


def _unwrap(table: _Element) -> None:
    """A layout table, its row groups, rows and cells (not a nested table's) as ``div``: each
    cell's headings, paragraphs and tables read in the page's order."""
    parts, rows = [table], []
    for child in table:
        if child.tag in ("thead", "tbody", "tfoot"):
            parts.append(child)
            rows.extend(row for row in child if row.tag == "tr")
        elif child.tag == "tr":
            rows.append(child)
        elif child.tag == "caption":
            parts.append(child)
    cells = [cell for row in rows for cell in row if cell.tag in ("td", "th")]
    for part in (*parts, *rows, *cells):
        part.tag = "div"


def _drop(elem: _Element) -> None:
    """Remove ``elem`` and its content, keeping the text after it."""
    parent = elem.getparent()
    if elem.tail:
        previous = elem.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + elem.tail
        else:
            parent.text = (parent.text or "") + elem.tail
    parent.remove(elem)


def _list(elem: _Element) -> None:
    """A list and its items as trafilatura names them (a definition list's terms and
    definitions ``dt-1``, ``dd-1``...)."""
    elem.attrib.clear()
    elem.set("rend", elem.tag)
    elem.tag = "list"
    number = 1
    for item in elem.iter("li", "dt", "dd"):
        if item.tag in ("dt", "dd"):
            item.attrib.clear()
            item.set("rend", f"{item.tag}-{number}")
            if item.tag == "dd":
                number += 1
        item.tag = "item"


def _header_cells(body: _Element) -> set[_Element]:
    """The cells of each table's first row holding a ``<th>``: its header's, as trafilatura
    marks them (``role="head"``)."""
    heads: set[_Element] = set()
    for table in body.iter("table"):
        for row in table.iter("tr"):
            if _table_of(row) is table and any(cell.tag == "th" for cell in row):
                heads.update(cell for cell in row if cell.tag == "th")
                break
    return heads


def _table_of(row: _Element) -> _Element | None:
    parent = row.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent
