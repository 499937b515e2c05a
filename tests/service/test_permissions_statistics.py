"""A restricted reader's results owe nothing to the documents they may not read (issue 29):
BM25's statistics (document frequencies, passage count, average length) and every idf of
their search (relevance, highlights, a follow-up's reading) are those of their allowlist's
passages. So a store that differs only by a hidden document holding the question's words
answers them byte for byte the same. Both stores, the real model, real tokens."""

from __future__ import annotations

import pytest

from tests.service.test_permissions import (
    KEY,
    QUESTION,
    auth_settings,
    jwks,  # noqa: F401 - the fixture
    reader,
    upload_secrets,
)
from tests.service.uploads import upload

HIDDEN = "direction/plan.md"
# The questions' words, many times: it moves their document frequencies, the passage count
# and the average length of the whole store.
HIDDEN_TEXT = ("# Plan Quarkonia\n\n" + "\n\n".join(
    f"Quarkonia salaires {i} : grille des salaires, budget, amende, usines, techniciens "
    "de Quarkonia, hausse des salaires et budget des usines, xylophone."
    for i in range(12)) + "\n")
# Readable by the reader: a passage whose highlight is chosen by idf alone. "xylophone" is
# rarer than "marimba" among what they read (its sentence wins); counting the hidden
# document, it would be far more common (the other sentence would).
INSTRUMENTS = {
    "rh/instruments.md": "# Instruments\n\nLe marimba de la fanfare est accordé. "
                         "Le xylophone de la fanfare est accordé.\n",
    "rh/orchestre.md": "# Orchestre\n\nLe marimba de l'orchestre sonne juste.\n",
}
BODIES = [
    {"question": QUESTION, "k": 8},
    {"question": "Quelle hausse des salaires pour les techniciens de Quarkonia ?", "k": 5},
    {"question": "Maroc Telecom fibre optique budget", "k": 5},
    {"question": QUESTION, "k": 5, "filters": {"doc_ids": ["rh/salaires.md"]}},
    {"question": "Le marimba ou le xylophone ?", "k": 3},
    {"question": "Et la grille des salaires ?", "k": 5,
     "history": [{"question": "Que prévoit Quarkonia pour les techniciens ?",
                  "doc_ids": ["rh/salaires.md"]}]},
]


def answers(client, headers, bodies=BODIES) -> list[dict]:
    """Each body's ``/v1/search`` answer, all of it but the time it took."""
    out = []
    for body in bodies:
        response = client.post("/v1/search", headers=headers, json=body)
        assert response.status_code == 200, response.text
        found = response.json()
        found.pop("took_ms")
        out.append(found)
    return out


@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
def test_a_hidden_document_changes_nothing_a_restricted_reader_gets(
        write_app, jwks, mode):  # noqa: F811
    with write_app(**auth_settings(jwks), retrieval_mode=mode) as client:
        upload_secrets(client)
        for doc_id, text in INSTRUMENTS.items():
            response = upload(client, doc_id, text.encode(), headers=KEY, groups="rh")
            assert response.status_code == 201, response.text
        rh = reader("rh")
        allowed = sorted(d["id"] for d in client.get("/v1/documents", headers=rh)
                         .json()["documents"])
        before = answers(client, rh)
        assert "rh/salaires.md" in {p["doc_id"] for p in before[0]["passages"]}
        assert all(found["passages"] for found in before)
        # What a restricted reader got before the fix: the filter with the store's statistics.
        filtered = [{**body, "filters": {"doc_ids": allowed}} for body in BODIES[:2]]
        old_way = answers(client, KEY, filtered)

        response = upload(client, HIDDEN, HIDDEN_TEXT.encode(), headers=KEY, groups="direction")
        assert response.status_code == 201, response.text
        assert HIDDEN in {p["doc_id"] for p in answers(client, reader("direction"),
                                                       BODIES[:1])[0]["passages"]}

        after = answers(client, rh)
        assert after == before  # passages, order, scores, relevance, highlights: all of it
        # The hidden document does weigh on the whole store's statistics: the old way moves.
        assert answers(client, KEY, filtered) != old_way


def test_a_reader_of_everything_keeps_the_whole_store_statistics(write_app, jwks):  # noqa: F811
    with write_app(**auth_settings(jwks), retrieval_mode="bm25") as client:
        upload_secrets(client)
        response = upload(client, HIDDEN, HIDDEN_TEXT.encode(), headers=KEY, groups="direction")
        assert response.status_code == 201, response.text
        everything = answers(client, KEY, BODIES[:2])
        # A reader whose groups read every document: an allowlist of them all, the same
        # statistics, so the same answers as a reader of everything.
        assert answers(client, reader("rh", "finance", "juridique", "direction"),
                       BODIES[:2]) == everything
        assert HIDDEN in {p["doc_id"] for p in everything[0]["passages"]}
        # And one who may not read the hidden document gets other scores for the rest.
        rh = answers(client, reader("rh"), BODIES[:1])[0]["passages"]
        scores = {(p["doc_id"], p["start"]): p["score"] for p in everything[0]["passages"]}
        shared = [p for p in rh if (p["doc_id"], p["start"]) in scores]
        assert shared and any(p["score"] != scores[(p["doc_id"], p["start"])] for p in shared)
