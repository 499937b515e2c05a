"""DELETE /v1/documents/{id} on the files store erases: once a deleted upload is answered,
and once the merge a corpus document's delete asks for has run, no file under the index
folder holds a byte of the document's text (docs/http-api.md)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.conftest import CORPUS
from tests.index.files.test_erasure import CONTACTS, NAMES
from tests.service.uploads import upload
from tests.support import files_holding, wait_until

FILES_ONLY = pytest.mark.parametrize("store", ["files"])
QUESTION = {"question": "Qui contacter pour la fibre optique ?", "k": 3}


def _unique_words(doc_id: str) -> list[str]:
    """Words of corpus document ``doc_id`` (ASCII, long: stored as written in every file
    that holds the text) that no other corpus file holds, even inside a longer word or
    with its accents folded (as the BM25 terms are)."""
    def folded(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                       if not unicodedata.combining(c))

    others = " ".join(folded(p.read_text("utf-8")) for p in CORPUS.rglob("*.txt")
                      if p.name != doc_id)
    words = set(re.findall(r"[A-Za-z]{9,}", (CORPUS / doc_id).read_text("utf-8")))
    return sorted(w for w in words if w.lower() not in others)


@FILES_ONLY
def test_a_deleted_upload_leaves_no_byte_of_its_text_under_the_index_folder(write_app):
    with write_app() as client:
        index = client.corpus.parent / "index"
        response = upload(client, "equipe/contacts.docx", CONTACTS,
                          title=f"Contacts de {NAMES[0]}")  # kept in its job's record too
        assert response.status_code == 201, response.text
        assert files_holding(index, NAMES)  # the check sees it while it is indexed
        deleted = client.delete("/v1/documents/equipe/contacts.docx")
        assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
        assert files_holding(index, NAMES) == []  # once answered, not later
        assert client.post("/v1/search", json=QUESTION).status_code == 200
    with write_app() as client:  # a restart serves what is left
        ids = {d["id"] for d in client.get("/v1/documents").json()["documents"]}
        assert "equipe/contacts.docx" not in ids and len(ids) == 5
        assert client.post("/v1/search", json=QUESTION).json()["passages"]


@FILES_ONLY
def test_a_deleted_corpus_document_leaves_the_generation_at_once(write_app):
    doc_id = "002_3fd3ba12ca1ab0c9.txt"
    words = _unique_words(doc_id)
    assert len(words) >= 3
    with write_app() as client:
        index = client.corpus.parent / "index"
        assert files_holding(index, words)
        before = client.get("/health").json()["generation"]
        replaced = upload(client, "004_ec1b8a876384ec69.txt", "Remplacé\n\nUn texte tout neuf "
                          "sur la fibre optique.\n".encode())
        assert replaced.json()["status"] == "replaced"
        # its names (a capital: not a word the index's own files use, as "documents")
        old_words = [w for w in _unique_words("004_ec1b8a876384ec69.txt") if w[0].isupper()]
        assert client.delete(f"/v1/documents/{doc_id}").status_code == 200
        # The generation held both texts: a merge rebuilds it at once, in the background.
        wait_until(lambda: not files_holding(index, [*words, *old_words]),
                   what="the merge that erases the deleted and replaced texts", timeout=180)
        health = client.get("/health").json()
        assert health["generation"] > before + 2 and health["documents"] == 4
        assert client.post("/v1/search", json=QUESTION).json()["passages"]
    with write_app() as client:
        ids = {d["id"] for d in client.get("/v1/documents").json()["documents"]}
        assert doc_id not in ids and len(ids) == 4
        assert "neuf" in client.get("/v1/documents/004_ec1b8a876384ec69.txt/text").text
