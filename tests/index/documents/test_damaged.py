"""A damaged file is one refused file, never a failed run: found by an audit, a zip member
whose data does not inflate (a disk or transfer error) and a PDF with a filter pypdf does not
implement made `ragqa index` and `ragqa ask` stop with "unexpected failure" (exit 1) until
someone found and removed the file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from ragqa.index.documents.corpus import load_documents, read_corpus
from ragqa.index.documents.loaders import load_document
from ragqa.index.errors import DocumentError
from tests.make_pdf import make_pdf


def _garble(data: bytes, member: str) -> bytes:
    """``data`` (a zip) with bytes of ``member``'s deflated data flipped, its directory
    intact: opening works, reading the member does not."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    start = info.header_offset
    name, extra = (int.from_bytes(out[start + i:start + i + 2], "little") for i in (26, 28))
    begin = start + 30 + name + extra
    for i in range(begin + 2, begin + 2 + min(12, info.compress_size - 4)):
        out[i] ^= 0xA5
    return bytes(out)


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Le délai de prévenance est de quinze jours. " * 40)
    buffer = io.BytesIO()
    document.save(buffer)
    return _garble(buffer.getvalue(), "word/document.xml")


def _xlsx() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for i in range(200):
        workbook.active.append(["Ville", f"Valeur {i} " * 20])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _garble(buffer.getvalue(), "xl/worksheets/sheet1.xml")


def _pdf() -> bytes:
    good = make_pdf([["Un rapport sur le budget annuel de la direction."] * 3])
    return good.replace(b"<< /Length", b"<< /Filter /NoSuchDecode /Length", 1)


@pytest.mark.parametrize(("name", "make"), [("note.docx", _docx), ("tableau.xlsx", _xlsx),
                                            ("rapport.pdf", _pdf)])
def test_a_damaged_file_is_refused_and_the_others_indexed(tmp_path: Path, name, make):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / name).write_bytes(make())
    (corpus / "conges.md").write_text("# Congés\n\nLe délai est de quinze jours.\n", "utf-8")
    with pytest.raises(DocumentError, match=f"^{name}: the file could not be read; it may "
                                            "be damaged"):
        load_document(corpus / name, name)
    documents, refused = load_documents(read_corpus(corpus, 10**8))
    assert [d.doc_id for d in documents] == ["conges.md"]
    assert refused[name].startswith("the file could not be read; it may be damaged (")
