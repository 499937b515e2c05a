from pathlib import Path

import pytest

from ragqa.index.documents.reading import decode_text, extract_title, load_text_document
from ragqa.index.errors import DocumentError
from tests.conftest import CORPUS


def test_utf8_bom_is_stripped_and_newlines_normalised():
    assert decode_text("\ufeffBonjour\r\nle monde\r".encode("utf-8"), "a.txt") == "Bonjour\nle monde\n"


def test_latin1_text_is_detected():
    text = "Le ministère de la Transition numérique a présenté sa stratégie à Rabat. " * 5
    assert decode_text(text.encode("cp1252"), "legacy.txt") == text


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"\x00\x01\x02PNG\x00\x00binary" * 50, "binary"),
        (bytes(range(256)) * 40, "binary"),
    ],
)
def test_unusable_files_are_refused_naming_the_file(data, message):
    with pytest.raises(DocumentError, match=rf"^bad\.txt: .*{message}"):
        decode_text(data, "bad.txt")


def test_title_is_first_heading_else_first_line():
    assert extract_title("\n\n## **Une annonce**\n\ntexte", "x") == "Une annonce"
    assert extract_title("\n  Première ligne  \nsuite", "x") == "Première ligne"
    assert extract_title("\n\n", "fallback") == "fallback"


def test_corpus_documents_load_with_titles():
    doc = load_text_document(CORPUS / "002_3fd3ba12ca1ab0c9.txt", "002_3fd3ba12ca1ab0c9.txt")
    assert doc.title.startswith("Nokia et le gouvernement du Maroc signent")
    assert doc.text == (CORPUS / "002_3fd3ba12ca1ab0c9.txt").read_text(encoding="utf-8")


def test_unreadable_file_is_reported(tmp_path: Path):
    with pytest.raises(DocumentError, match="missing.txt: cannot be read"):
        load_text_document(tmp_path / "missing.txt", "missing.txt")
