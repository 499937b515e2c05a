"""Office files that are refused before any parsing, each with a reason naming the file:
corrupt zips, zip bombs, password-protected (encrypted) files, macro-enabled files."""

from __future__ import annotations

import io
import random
import zipfile

import docx
import pytest
from odfdo import Document as OdfDocument
from odfdo import Paragraph
from ragqa.index.documents import packages
from ragqa.index.documents.loaders import load_document
from ragqa.index.errors import DocumentError

OFFICE_NAMES = ["a.docx", "a.xlsx", "a.pptx", "a.odt", "a.ods", "a.odp"]


def docx_bytes(text: str = "Le budget est validé.") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def refused(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError) as info:
        load_document(path, name)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    return message


@pytest.mark.parametrize("name", OFFICE_NAMES)
def test_corrupt_and_truncated_packages_are_refused(tmp_path, name):
    assert "not a valid zip package" in refused(tmp_path, name, b"PK\x03\x04 garbage " * 50)
    truncated = docx_bytes()[:2000]
    assert "not a valid zip package" in refused(tmp_path, name, truncated)


@pytest.mark.parametrize("name", OFFICE_NAMES)
def test_a_web_page_named_as_an_office_file_says_so(tmp_path, name):
    # A web application's "export to Excel" writes an HTML table under a .xlsx name: it
    # was called corrupt or truncated.
    page = "\ufeff<html><body><table><tr><td>Paie</td></tr></table></body></html>"
    message = refused(tmp_path, name, page.encode("utf-8"))
    assert "an HTML or XML page named as" in message and "rename it .html" in message


def test_a_zip_that_is_not_an_office_package_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("notes.txt", "rien")
    assert "no [Content_Types].xml" in refused(tmp_path, "a.docx", buffer.getvalue())
    assert "no content.xml" in refused(tmp_path, "a.odt", buffer.getvalue())


def bomb(member_bytes: int) -> bytes:
    """A .docx-shaped zip with one member of ``member_bytes`` zeros (highly compressible),
    written in chunks so that the test itself stays small in memory."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        with package.open("word/media/zeros.bin", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("name", OFFICE_NAMES)
def test_a_zip_bomb_is_refused_from_its_directory(tmp_path, name):
    message = refused(tmp_path, name, bomb(4 * 2**20))  # 4 MB of zeros in 4 kB: ratio 1000
    assert "inflates" in message and "zip bomb" in message


def test_a_package_over_the_total_size_is_refused(tmp_path):
    data = bomb(packages.MAX_UNCOMPRESSED_BYTES + 2**20)  # 201 MB of zeros, 200 kB zipped
    assert len(data) < 2**20
    message = refused(tmp_path, "big.xlsx", data)
    assert "inflates to 201 MB, over the 200 MB limit" in message


def test_an_xml_part_over_its_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(packages, "MAX_XML_PART_BYTES", 10_000)
    message = refused(tmp_path, "long.docx", docx_bytes("Une phrase assez longue. " * 2000))
    assert "word/document.xml inflates to" in message and "limit for one part" in message


def cfb(encrypted: bool) -> bytes:
    """An OLE compound file's start, as Office writes an encrypted .docx (with an
    EncryptionInfo stream) or an old binary .doc."""
    directory = ("EncryptionInfo" if encrypted else "WordDocument").encode("utf-16-le")
    return packages.CFB_MAGIC + b"\0" * 504 + directory + b"\0" * 1000


@pytest.mark.parametrize("name", OFFICE_NAMES[:3])
def test_encrypted_ooxml_is_refused_as_password_protected(tmp_path, name):
    assert "encrypted (password-protected)" in refused(tmp_path, name, cfb(encrypted=True))
    assert "old binary Office file" in refused(tmp_path, name, cfb(encrypted=False))


def test_a_zip_with_encrypted_members_is_refused(tmp_path):
    data = bytearray(docx_bytes())
    at = data.find(b"PK\x01\x02")  # the central directory's first record: its flag bits
    data[at + 8] |= 0x1
    assert "encrypted (password-protected)" in refused(tmp_path, "a.docx", bytes(data))


def test_encrypted_opendocument_is_refused(tmp_path):
    document = OdfDocument("text")
    document.body.append(Paragraph("Secret"))
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    manifest = parts["META-INF/manifest.xml"].replace(
        b'manifest:full-path="content.xml"',
        b'manifest:full-path="content.xml"><manifest:encryption-data '
        b'manifest:checksum-type="SHA1/1K" manifest:checksum="x"/></manifest:file-entry'
        b'><manifest:file-entry manifest:media-type="" manifest:full-path="x"', 1)
    encrypted = io.BytesIO()
    with zipfile.ZipFile(encrypted, "w") as target:
        for name, data in parts.items():
            target.writestr(name, manifest if name == "META-INF/manifest.xml" else data)
    message = refused(tmp_path, "secret.odt", encrypted.getvalue())
    assert "encrypted (password-protected)" in message


def test_macro_enabled_files_are_refused(tmp_path):
    assert "macro-enabled Office files (.docm) are not accepted; save it as .docx" in refused(
        tmp_path, "macros.docm", docx_bytes())
    # A .docm renamed .docx: its main part says so.
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    renamed = io.BytesIO()
    with zipfile.ZipFile(renamed, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"wordprocessingml.document.main+xml",
                                    b"ms-word.document.macroEnabled.main+xml")
            target.writestr(info, data)
    assert "a macro-enabled Word document" in refused(tmp_path, "a.docx", renamed.getvalue())


def test_a_docx_with_a_macro_part_but_a_plain_type_is_read_macros_ignored(tmp_path):
    source = zipfile.ZipFile(io.BytesIO(docx_bytes()))
    with_macros = io.BytesIO()
    with zipfile.ZipFile(with_macros, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub AutoOpen() End Sub")
    path = tmp_path / "a.docx"
    path.write_bytes(with_macros.getvalue())
    assert load_document(path, "a.docx").text == "Le budget est validé."


def test_legacy_office_suffixes_are_refused_with_a_hint(tmp_path):
    assert "unsupported file type .doc; save it as .docx" in refused(tmp_path, "a.doc", b"x")
    # an upload's id is checked first, with the same hints
    from ragqa.index.documents.ids import UnsupportedFileTypeError, check_suffix

    for doc_id, hint in [("a.doc", "save it as .docx"), ("b.docm", "as .docx without macros")]:
        with pytest.raises(UnsupportedFileTypeError, match=hint):
            check_suffix(doc_id)


def office_bytes(name: str) -> tuple[bytes, str]:
    """A small valid file of ``name``'s type, and the name of its main XML part."""
    buffer = io.BytesIO()
    suffix = name.rsplit(".", 1)[1]
    if suffix == "docx":
        return docx_bytes(), "word/document.xml"
    if suffix == "xlsx":
        import openpyxl

        workbook = openpyxl.Workbook()
        workbook.active.append(["Ville", "Visiteurs"])
        workbook.save(buffer)
        return buffer.getvalue(), "xl/worksheets/sheet1.xml"
    if suffix == "pptx":
        import pptx

        deck = pptx.Presentation()
        deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = "Bilan"
        deck.save(buffer)
        return buffer.getvalue(), "ppt/slides/slide1.xml"
    kind = {"odt": "text", "ods": "spreadsheet", "odp": "presentation"}[suffix]
    OdfDocument(kind).save(buffer)
    return buffer.getvalue(), "content.xml"


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l0 "ha">'
                  + b"".join(b'<!ENTITY l%d "%s">' % (i, b"&l%d;" % (i - 1) * 10)
                             for i in range(1, 10))
                  + b"]><l>&l9;</l>")


@pytest.mark.parametrize("name", OFFICE_NAMES)
@pytest.mark.parametrize("damage", [b"<not xml", BILLION_LAUGHS])
def test_damaged_xml_inside_a_valid_zip_is_refused(tmp_path, name, damage):
    data, part = office_bytes(name)
    source = zipfile.ZipFile(io.BytesIO(data))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            target.writestr(info, damage if info.filename == part else source.read(info))
    message = refused(tmp_path, name, damaged.getvalue())
    assert "not a readable" in message or "holds no text" in message


@pytest.mark.parametrize("name", OFFICE_NAMES)
def test_randomly_damaged_parts_raise_only_document_errors(tmp_path, name):
    """Seeded mutations of a valid file's XML parts: each loads or is refused with a
    DocumentError, never another exception (the HTTP layer would answer 500)."""
    rng = random.Random(name)
    data, _ = office_bytes(name)
    source = zipfile.ZipFile(io.BytesIO(data))
    insertions = [b"<w:p>", b"</a:p>", b'<text:s text:c="999999999"/>',
                  b'table:number-columns-repeated="99999999" ', b"&#0;", b"<table:table-row>"]
    for _ in range(30):
        damaged = io.BytesIO()
        with zipfile.ZipFile(damaged, "w") as target:
            for member in source.namelist():  # names: writestr() updates a ZipInfo given
                part = bytearray(source.read(member))
                if member.endswith(".xml") and part and rng.random() < 0.5:
                    at = rng.randrange(len(part))
                    if rng.random() < 0.5:
                        del part[at:at + rng.randint(1, 40)]
                    else:
                        part[at:at] = rng.choice(insertions)
                target.writestr(member, bytes(part))
        path = tmp_path / name
        path.write_bytes(damaged.getvalue())
        try:
            load_document(path, name)
        except DocumentError as exc:
            assert str(exc).startswith(f"{name}: ")
