"""``ragqa bench --formats``: how fast each file format is read into canonical text.

The same French paragraphs (PIAF's, or any given) are written as one document in every
format the indexer reads, with the libraries that write them (python-docx, python-pptx,
openpyxl, odfdo, the standard library; the text formats' writers are the retrieval eval's,
:mod:`ragqa.eval.writing`), then read back ``repeat`` times through the
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
from pathlib import Path

from ragqa.eval.blocks import partie_blocks
from ragqa.eval.writing import WRITERS as WRITERS_BY_FORMAT
from ragqa.index.documents.loaders import load_document

Writer = Callable[[Path, str, Sequence[str]], None]


def _txt(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _shared(fmt: str) -> Writer:
    """The eval's writer of ``fmt`` (:mod:`ragqa.eval.writing`), given plain paragraphs
    under a heading "Partie n" every ten."""
    write = WRITERS_BY_FORMAT[fmt]

    def written(path: Path, title: str, paragraphs: Sequence[str]) -> None:
        write(path, title, partie_blocks(list(paragraphs)))

    return written


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


def _csv(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(("Partie", "Numéro", "Texte"))
        writer.writerows(_rows(paragraphs))


def _eml(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    message = EmailMessage()
    message["Subject"] = title
    message["From"] = "Service documentation <doc@example.org>"
    message["To"] = "equipe@example.org"
    message["Date"] = "Thu, 04 Dec 2026 10:00:00 +0100"
    message.set_content("\n\n".join(paragraphs))
    path.write_bytes(message.as_bytes())


WRITERS: dict[str, Writer] = {
    ".txt": _txt, ".md": _shared("md"), ".html": _shared("html"), ".docx": _shared("docx"),
    ".odt": _shared("odt"), ".pptx": _shared("pptx"), ".odp": _odp, ".xlsx": _xlsx,
    ".ods": _ods, ".csv": _csv, ".eml": _eml,
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
