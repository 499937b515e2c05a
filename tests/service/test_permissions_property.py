"""The proof of issue 29 as a property, over both stores: for random groups given to every
document and random readers, no route returns a passage, id, title, count or highlight of a
document outside the reader's groups, and a reader's search is exactly a search restricted
to what they may read (a full top k of it).

One app per store with the corpus plus three small documents (each with a marker word no
other holds); each example gives every document random groups through ``PUT
/v1/documents/{id}/groups`` (nothing re-embedded, so examples are cheap), then asks every
read route as a random reader. Real model, real FAISS or PostgreSQL, real tokens.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.test_permissions import (
    KEY,
    MARKERS,
    QUESTION,
    auth_settings,
    jwks,  # noqa: F401 - the fixture
    reader,
    upload_secrets,
)

GROUPS = ("rh", "finance", "juridique", "direction")
QUESTIONS = (QUESTION, "Combien de visiteurs sont attendus au Gitex Africa 2025 ?",
             "Qui conteste l'amende devant la cour ?")
group_sets = st.frozensets(st.sampled_from(GROUPS), max_size=2)


def may_read(document: frozenset[str], groups: frozenset[str]) -> bool:
    return not document or bool(document & groups)


def test_no_route_shows_a_reader_what_their_groups_may_not_read(write_app, jwks):  # noqa: F811
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client, with_groups=False)
        listed = client.get("/v1/documents", headers=KEY).json()["documents"]
        documents = {d["id"]: d for d in listed}
        ids = sorted(documents)

        @settings(max_examples=12, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(assignment=st.fixed_dictionaries({d: group_sets for d in ids}),
               groups=group_sets, question=st.sampled_from(QUESTIONS),
               k=st.integers(1, 8), asked=st.sampled_from(ids))
        def check(assignment, groups, question, k, asked):
            for doc_id, given_groups in assignment.items():
                response = client.put(f"/v1/documents/{doc_id}/groups", headers=KEY,
                                      json={"groups": sorted(given_groups)})
                assert response.status_code == 200, response.text
            allowed = {d for d in ids if may_read(assignment[d], groups)}
            hidden = set(ids) - allowed
            headers = reader(*groups)
            seen: list[str] = []

            def call(method: str, path: str, **kw):
                response = client.request(method, path, headers=headers, **kw)
                seen.append(response.text)
                return response

            body = {"question": question, "k": k}
            found = call("POST", "/v1/search", json=body).json()
            assert {p["doc_id"] for p in found["passages"]} <= allowed
            # Exactly the search of a reader of everything restricted to `allowed` when
            # nothing is hidden (with hidden documents, the reader's BM25 statistics are
            # those of `allowed` alone: tests/service/test_permissions_statistics.py).
            if allowed:
                same = client.post("/v1/search", headers=KEY, json={
                    **body, "filters": {"doc_ids": sorted(allowed)}}).json()
                if not hidden:
                    assert [(p["doc_id"], p["start"], p["highlight"])
                            for p in found["passages"]] == [
                        (p["doc_id"], p["start"], p["highlight"]) for p in same["passages"]]
                available = sum(documents[d]["passages"] for d in allowed)
                assert len(found["passages"]) >= min(k, available, 1)
            else:
                assert found["passages"] == []
            # A conversation whose history names hidden documents borrows nothing from them.
            history = [{"question": "Et le budget ?", "doc_ids": sorted(hidden)[:3]}]
            followup = call("POST", "/v1/search", json={**body, "history": history}).json()
            assert {p["doc_id"] for p in followup["passages"]} <= allowed
            for stream in (False, True):
                call("POST", "/v1/ask", json={**body, "stream": stream})
            chat = call("POST", "/v1/chat/completions", json={
                "model": "ragqa", "messages": [{"role": "user", "content": question}],
                "ragqa": {"k": k}}).json()
            assert {p["doc_id"] for p in chat["ragqa"]["passages"]} <= allowed
            listing = call("GET", "/v1/documents").json()
            assert {d["id"] for d in listing["documents"]} == allowed
            health = call("GET", "/health").json()
            assert health["documents"] == len(allowed)
            assert health["passages"] == sum(documents[d]["passages"] for d in allowed)
            for path in (f"/v1/documents/{asked}", f"/v1/documents/{asked}/text"):
                response = call("GET", path)
                assert response.status_code == (200 if asked in allowed else 404)
            filtered = call("POST", "/v1/search",
                            json={**body, "filters": {"doc_ids": [asked]}})
            assert filtered.status_code == (200 if asked in allowed else 404)
            # Nothing of a hidden document anywhere: its id, its marker word, its title.
            text = "\n".join(seen)
            for doc_id in hidden:
                assert json.dumps(doc_id) not in text, doc_id
                if doc_id in MARKERS:
                    assert MARKERS[doc_id] not in text
                    assert documents[doc_id]["title"] not in text

        check()
