"""``ragqa bench --formats``: how fast each file format is read into canonical text.

The same French paragraphs (PIAF's, or any given) are written as one document in every
format the indexer reads, with the libraries that write them (python-docx, python-pptx,
openpyxl, odfdo, the standard library), then read back ``repeat`` times through the
indexer's own :func:`~ragqa.index.documents.loaders.load_document`. The rate is the reader's
alone: what follows (cutting passages, embedding) costs the same for every format and is
measured by the indexing section.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from html import escape
from pathlib import Path

from ragqa.index.documents.loaders import load_document

Writer = Callable[[Path, str, Sequence[str]], None]


def _txt(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _md(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    body = "\n\n".join(f"## Partie {i // 10 + 1}\n\n{p}" if i % 10 == 0 else p
                       for i, p in enumerate(paragraphs))
    path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")


def _html(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    body = "".join((f"<h2>Partie {i // 10 + 1}</h2>" if i % 10 == 0 else "")
                   + f"<p>{escape(p)}</p>" for i, p in enumerate(paragraphs))
    path.write_text(f"<html><head><title>{escape(title)}</title></head><body><article>"
                    f"<h1>{escape(title)}</h1>{body}</article></body></html>", encoding="utf-8")


def _docx(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(title, style="Title")
    for i, p in enumerate(paragraphs):
        if i % 10 == 0:
            document.add_heading(f"Partie {i // 10 + 1}", 1)
        document.add_paragraph(p)
    document.save(str(path))


def _odt(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    from odfdo import Document, Header, Paragraph

    document = Document("text")
    body = document.body
    body.append(Header(1, title))
    for i, p in enumerate(paragraphs):
        if i % 10 == 0:
            body.append(Header(2, f"Partie {i // 10 + 1}"))
        body.append(Paragraph(p))
    document.save(str(path))


def _pptx(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    from pptx import Presentation

    deck = Presentation()
    for i, p in enumerate(paragraphs):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"{title} ({i + 1})"
        slide.placeholders[1].text = p
    deck.save(str(path))


def _odp(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    from odfdo import Document, DrawPage, Frame

    document = Document("presentation")
    for i, p in enumerate(paragraphs):
        page = DrawPage(f"p{i}", name=f"{title} ({i + 1})")
        page.append(Frame.text_frame(p, size=("20cm", "10cm"), position=("1cm", "1cm")))
        document.body.append(page)
    document.save(str(path))


def _rows(paragraphs: Sequence[str]) -> list[tuple[str, str, str]]:
    return [(f"Partie {i // 10 + 1}", str(i + 1), p) for i, p in enumerate(paragraphs)]


def _xlsx(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Paragraphes"
    sheet.append(("Partie", "Numéro", "Texte"))
    for row in _rows(paragraphs):
        sheet.append(row)
    book.save(str(path))


def _ods(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    from odfdo import Document, Table

    document = Document("spreadsheet")
    table = Table("Paragraphes")
    table.set_values([["Partie", "Numéro", "Texte"], *(list(r) for r in _rows(paragraphs))])
    document.body.clear()
    document.body.append(table)
    document.save(str(path))


def _eml(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = "Service documentation <doc@example.org>"
    message["To"] = "equipe@example.org"
    message["Date"] = "Thu, 04 Dec 2026 10:00:00 +0100"
    message.set_content("\n\n".join(paragraphs))
    path.write_bytes(message.as_bytes())


WRITERS: dict[str, Writer] = {
    ".txt": _txt, ".md": _md, ".html": _html, ".docx": _docx, ".odt": _odt, ".pptx": _pptx,
    ".odp": _odp, ".xlsx": _xlsx, ".ods": _ods, ".eml": _eml,
}


def piaf_paragraphs(path: Path, count: int) -> list[str]:
    """The first ``count`` contexts of a SQuAD-format file."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    found = [p["context"] for article in data for p in article["paragraphs"]]
    return found[:count]


def format_rates(paragraphs: Sequence[str], repeat: int = 3) -> dict:
    """Per format: the file's size, its canonical text's length, and the median seconds to
    read it (MB/s of file, thousands of characters/s of text)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="ragqa-bench-formats-") as folder:
        for suffix, write in WRITERS.items():
            path = Path(folder) / f"document{suffix}"
            write(path, "Rapport de démonstration", paragraphs)
            times, chars = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                document = load_document(path, path.name)
                times.append(time.perf_counter() - started)
                chars = len(document.text)
            seconds = statistics.median(times)
            size = path.stat().st_size
            rows.append({"format": suffix, "bytes": size, "chars": chars,
                         "read_s": round(seconds, 4),
                         "mb_per_s": round(size / 2**20 / seconds, 2),
                         "kchars_per_s": round(chars / 1000 / seconds, 1)})
    return {"paragraphs": len(paragraphs), "repeat": repeat, "rows": rows}


def markdown_formats(formats: dict) -> str:
    lines = [f"Reading each format ({formats['paragraphs']} PIAF paragraphs in one document, "
             f"median of {formats['repeat']} reads, `load_document`):", "",
             "| format | file KB | text chars | read ms | MB/s | k chars/s |",
             "|---|---|---|---|---|---|"]
    for r in formats["rows"]:
        lines.append(f"| {r['format']} | {r['bytes'] / 1024:.0f} | {r['chars']:,} | "
                     f"{r['read_s'] * 1000:.0f} | {r['mb_per_s']} | {r['kchars_per_s']} |")
    return "\n".join(lines) + "\n"
