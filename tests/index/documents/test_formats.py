"""HTML and PDF documents: main text, pages, and refusals that name the file.

(index/documents/formats.py; kept here while tests/index/ is being reworked elsewhere.)
"""

import pytest
from ragqa.index.documents.chunking import (
    ChunkingParams,
    chunk_document,
    make_splitter,
    page_of,
)
from ragqa.index.documents.loaders import load_document
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.sections import split_sections
from ragqa.index.errors import DocumentError

from tests.make_pdf import make_pdf

PAGE = """<html><head><meta charset="utf-8"><title>Orange 5G | Le Site</title></head><body>
<nav><a href="/">Accueil</a> | <a href="/x">Menu principal</a></nav>
<article><h1>Orange lance la 5G</h1>
<p>Orange Maroc lance la 5G à Casablanca en 2025. Le déploiement commence en juin.</p>
<h2>Data centers</h2><p>Le nouveau data center de Rabat ouvrira en juin.</p></article>
<footer>Copyright 2025 - Mentions légales</footer></body></html>"""


def test_html_keeps_the_main_text_and_headings_without_chrome(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = load_document(path, "news/page.html")
    assert "Orange Maroc lance la 5G à Casablanca en 2025." in doc.text
    assert "Menu principal" not in doc.text and "Mentions légales" not in doc.text
    assert doc.title.startswith("Orange")
    assert "Orange lance la 5G › Data centers" in [s.title for s in document_sections(doc)]
    assert doc.pages == ()


def test_pdf_pages_are_kept_and_a_section_reads_across_them(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf(
        [["Rapport annuel", "Le réseau de fibre couvre 90 % du pays."],
         ["Page deux : la 5G arrive à Rabat en juin."]],
        title="Rapport 2025",
    ))
    doc = load_document(path, "report.pdf")
    assert doc.title == "Rapport 2025"
    assert len(doc.pages) == 2 and doc.pages[0] == 0
    assert doc.text[doc.pages[1]:].startswith("Page deux")
    passages = chunk_document(doc, split_sections(doc.text, doc.title), frozenset(),
                              make_splitter(ChunkingParams(chunk_size=200, chunk_overlap=0)))
    # one section over two pages reads across the break; the passage cites its first page
    assert [(doc.text[p.start : p.end].split()[0], p.page) for p in passages] == [("Rapport", 1)]
    assert "Page deux" in doc.text[passages[0].start : passages[0].end]
    assert page_of(doc.pages, doc.text.index("Page deux")) == 2


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "not a readable PDF"),
        ("blank.pdf", make_pdf([[]]), "no extractable text"),
        ("empty.html", b"   ", "empty"),
        ("script.html", b"<html><body><script>var a;</script></body></html>", "no text"),
        ("binary.html", b"<html>\x00\x01\x02</html>", "binary"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=message) as info:
        load_document(path, name)
    assert name in str(info.value)
