"""Encrypted PDFs: refused when a password is needed to open them, read when the encryption
only restricts printing or copying (an owner password, the empty user password)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from ragqa.index.documents.loaders import load_document
from ragqa.index.errors import DocumentError

from tests.make_pdf import make_pdf


def encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(
        [["Rapport annuel", "Le réseau couvre 90 % du pays."]], title="Rapport 2025"))))
    writer.encrypt(user_password=user_password, owner_password="proprietaire",
                   algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_that_needs_a_password_is_refused(tmp_path):
    path = tmp_path / "secret.pdf"
    path.write_bytes(encrypted("secret"))
    with pytest.raises(DocumentError, match="secret.pdf: the PDF is encrypted"):
        load_document(path, "secret.pdf")


def test_a_pdf_with_only_an_owner_password_is_read(tmp_path):
    path = tmp_path / "restreint.pdf"
    path.write_bytes(encrypted(""))
    doc = load_document(path, "restreint.pdf")
    assert "Le réseau couvre 90 % du pays." in doc.text and doc.title == "Rapport 2025"
