"""Loose text in an HTML container that also holds blocks, as a browser shows it.

``<div>Bloc <b>gras</b> <p>dans</p> suite</div>`` is three lines on screen: the run of
loose text and inline elements before the paragraph, the paragraph, the run after it. The
readers (:mod:`ragqa.index.documents.webpages` before trafilatura,
:mod:`ragqa.index.documents.wholepages` for a page read whole) walk blocks, so each run is
wrapped in a ``<p>`` of its own first (a paragraph the page's CSS gives its look too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.etree import _Element


def wrap_runs(container: _Element, in_run: Callable[[str], bool],
              keep_blank_tails: bool = False) -> None:
    """Wrap each run of ``container``'s loose text and of its children whose tag is
    ``in_run`` (inline elements) in a ``<p>``, the other children (blocks, comments) left
    between them; whitespace after a block stays there with ``keep_blank_tails``, else
    goes."""
    from lxml.html import Element

    children = list(container)  # rebuilt in one pass: indexing an lxml child walks the list
    for child in children:
        container.remove(child)  # its tail goes with it: loose text after it
    kept: list[_Element] = []
    run: _Element | None = None  # the <p> that collects the current run
    if container.text and container.text.strip():
        run = Element("p")
        run.text = container.text
        kept.append(run)
    container.text = None
    for child in children:
        if isinstance(child.tag, str) and in_run(child.tag):
            if run is None:
                run = Element("p")
                kept.append(run)
            run.append(child)  # its tail (more loose text) with it
            continue
        run = None  # a block (or a comment) ends the run; loose text after it opens one
        tail, child.tail = child.tail, None
        kept.append(child)
        if tail and tail.strip():
            run = Element("p")
            run.text = tail
            kept.append(run)
        elif tail and keep_blank_tails:
            child.tail = tail
    container.extend(kept)
