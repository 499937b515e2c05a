"""Per-document permissions (issue 29): groups given on upload, in a ``.groups`` sidecar or
by ``PUT /v1/documents/{id}/groups``; a reader's search ranks only what their groups may
read, and every other route answers as if the rest did not exist. Both stores, the real
model, tokens signed with keys made here as an identity provider would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.service.conftest import assert_error
from tests.service.test_auth import AUDIENCE, EC_KEY, ISSUER, RSA_KEY, _jwk, bearer, token
from tests.service.uploads import upload

WRITERS = "ragqa-editors"
API_KEY = "cle-secrete"
KEY = bearer(API_KEY)
# Small documents, each with a marker word no other document holds.
SECRETS = {
    "rh/salaires.md": ("rh", (
        "# Grille des salaires\n\nLa grille des salaires 2026 de Quarkonia prévoit une "
        "hausse pour les techniciens. Marqueur zibeline.\n")),
    "finance/budget.md": ("finance", (
        "# Budget\n\nLe budget 2026 de Quarkonia finance deux usines de batteries. "
        "Marqueur ocelot.\n")),
    "juridique/litige.md": ("juridique", (
        "# Contentieux\n\nQuarkonia conteste l'amende de la concurrence devant la cour. "
        "Marqueur pangolin.\n")),
}
MARKERS = {"rh/salaires.md": "zibeline", "finance/budget.md": "ocelot",
           "juridique/litige.md": "pangolin"}
QUESTION = "Quarkonia salaires budget amende usines"


@pytest.fixture(scope="module")
def jwks(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sso-permissions") / "jwks.json"
    path.write_text(json.dumps({"keys": [_jwk(RSA_KEY, "rsa-1"), _jwk(EC_KEY, "ec-1")]}),
                    encoding="utf-8")
    return path


def auth_settings(jwks: Path) -> dict:
    return {"auth": "jwt", "jwt_jwks": str(jwks), "jwt_issuer": ISSUER,
            "jwt_audience": AUDIENCE, "write_group": WRITERS, "api_keys": API_KEY}


def reader(*groups: str, user: str = "amina") -> dict:
    return bearer(token(groups=list(groups), preferred_username=user))


def upload_secrets(client, with_groups: bool = True) -> None:
    for doc_id, (group, text) in SECRETS.items():
        form = {"groups": group} if with_groups else {}
        response = upload(client, doc_id, text.encode(), headers=KEY, **form)
        assert response.status_code == 201, response.text
        assert response.json()["document"]["groups"] == ([group] if with_groups else [])


def search(client, headers, **body) -> dict:
    response = client.post("/v1/search", json={"question": QUESTION, "k": 5, **body},
                           headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_reader_searches_only_their_groups_documents_and_gets_a_full_top_k(
        write_app, jwks):
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client)
        everything = search(client, KEY, k=8)
        assert set(MARKERS) <= {p["doc_id"] for p in everything["passages"]}
        found = search(client, reader("rh"), k=8)
        ids = {p["doc_id"] for p in found["passages"]}
        assert "rh/salaires.md" in ids
        assert not ids & {"finance/budget.md", "juridique/litige.md"}
        assert len(found["passages"]) == 8  # full: the open corpus fills the rest
        assert "ocelot" not in json.dumps(found) and "pangolin" not in json.dumps(found)
        # A reader of two groups reads both; the write group reads everything.
        two = {p["doc_id"] for p in search(client, reader("rh", "finance"), k=8)["passages"]}
        assert {"rh/salaires.md", "finance/budget.md"} <= two
        assert "juridique/litige.md" not in two
        editor = {p["doc_id"] for p in search(client, reader(WRITERS), k=8)["passages"]}
        assert set(MARKERS) <= editor


def test_a_document_a_reader_may_not_read_answers_exactly_as_an_absent_one(write_app, jwks):
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client)
        headers = reader("rh")
        hidden, absent = "finance/budget.md", "finance/budget2.md"

        def same(path_hidden: str, path_absent: str, method: str = "GET", **kw):
            a = client.request(method, path_hidden, headers=headers, **kw)
            b = client.request(method, path_absent, headers=headers,
                               **json.loads(json.dumps(kw).replace(hidden, absent)))
            assert a.status_code == b.status_code == 404, (a.text, b.text)
            assert a.text.replace(hidden, absent) == b.text
            assert {k: v for k, v in a.headers.items() if k != "content-length"} == \
                {k: v for k, v in b.headers.items() if k != "content-length"}

        same(f"/v1/documents/{hidden}", f"/v1/documents/{absent}")
        same(f"/v1/documents/{hidden}/text", f"/v1/documents/{absent}/text")
        for route in ("/v1/search", "/v1/ask"):
            same(route, route, "POST", json={"question": QUESTION,
                                             "filters": {"doc_ids": [hidden]}})
        same("/v1/chat/completions", "/v1/chat/completions", "POST", json={
            "model": "ragqa", "messages": [{"role": "user", "content": QUESTION}],
            "ragqa": {"filters": {"doc_ids": [hidden]}}})
        # A bad question is refused before the filter, for either.
        for doc in (hidden, absent):
            response = client.post("/v1/search", headers=headers, json={
                "question": " ", "filters": {"doc_ids": [doc]}})
            assert_error(response, 422, "invalid_question")
        # A readable document in the filter is searched as ever.
        found = search(client, headers, filters={"doc_ids": ["rh/salaires.md"]})
        assert {p["doc_id"] for p in found["passages"]} == {"rh/salaires.md"}


def test_the_list_and_health_count_only_what_the_caller_may_read(write_app, jwks):
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client)
        listed = client.get("/v1/documents", headers=KEY).json()["documents"]
        total = len(listed)
        passages = {d["id"]: d["passages"] for d in listed}
        mine = client.get("/v1/documents", headers=reader("rh")).json()
        ids = {d["id"] for d in mine["documents"]}
        assert ids == set(passages) - {"finance/budget.md", "juridique/litige.md"}
        assert mine["refused"] == []
        health = client.get("/health", headers=reader("rh")).json()
        assert health["documents"] == total - 2
        assert health["passages"] == sum(passages[d] for d in ids)
        assert health["refused"] is None
        writer = client.get("/health", headers=KEY).json()
        assert writer["documents"] == total and writer["refused"] == 0
        anonymous = client.get("/health").json()
        assert anonymous["status"] == "ok" and anonymous["documents"] is None
        assert anonymous["passages"] is None
        # The generation moves with every write, hidden documents' too: readers of
        # everything only.
        assert isinstance(writer["generation"], int)
        assert isinstance(client.get("/v1/documents", headers=KEY).json()["generation"], int)
        assert health["generation"] is None and mine["generation"] is None
        assert anonymous["generation"] is None
        for text in (json.dumps(mine), json.dumps(health), client.get("/metrics").text):
            assert "budget" not in text and "litige" not in text


def test_changing_groups_re_embeds_nothing_and_is_seen_at_once(write_app, jwks):
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client)
        engine = client.app.state.engine
        before = _passage_keys(client, "finance/budget.md")
        generation = client.get("/v1/documents", headers=KEY).json()["generation"]
        assert "finance/budget.md" not in _ids(search(client, reader("rh"), k=8))
        response = client.put("/v1/documents/finance/budget.md/groups", headers=KEY,
                              json={"groups": ["rh", "direction"]})
        assert response.status_code == 200, response.text
        assert response.json()["groups"] == ["direction", "rh"]
        assert "finance/budget.md" in _ids(search(client, reader("rh"), k=8))
        assert "finance/budget.md" not in _ids(search(client, reader("finance"), k=8))
        assert _passage_keys(client, "finance/budget.md") == before
        if client.store == "files":  # no generation built: nothing indexed again
            assert engine.generation == generation
        # Empty: every reader.
        client.put("/v1/documents/finance/budget.md/groups", headers=KEY, json={"groups": []})
        assert "finance/budget.md" in _ids(search(client, reader("nobody"), k=8))
        assert_error(client.put("/v1/documents/nope.md/groups", headers=KEY,
                                json={"groups": ["rh"]}), 404, "unknown_document")
        # a blank name opened the document (200, groups []); an invisible one made a group
        # nobody could hold
        for bad in (["r h"], [""], ["rh", " "], ["\u200brh"], ["rh\ndirection"]):
            assert_error(client.put("/v1/documents/finance/budget.md/groups", headers=KEY,
                                    json={"groups": bad}), 422, "invalid_groups")
        # a body that is not JSON: 415, as every JSON route answers it
        assert_error(client.put("/v1/documents/finance/budget.md/groups", content=b"rh",
                                headers={**KEY, "Content-Type": "text/plain"}),
                     415, "unsupported_media_type")


def _ids(found: dict) -> set[str]:
    return {p["doc_id"] for p in found["passages"]}


def _passage_keys(client, doc_id: str) -> list:
    """What identifies a document's stored passages and vectors: unchanged when nothing was
    re-embedded."""
    if client.store == "files":
        view = client.app.state.engine.index
        rows = view.rows_of([doc_id]).tolist()
        return [(r, view.vector(r).tobytes()) for r in rows]
    import psycopg

    with psycopg.connect(client.database_url) as conn:
        return conn.execute("SELECT id, embed_key, embedding::text FROM passages "
                            "WHERE doc_id = %s ORDER BY id", (doc_id,)).fetchall()


def test_writers_upload_delete_and_change_groups_readers_get_403(write_app, jwks):
    with write_app(**auth_settings(jwks)) as client:
        headers = reader("rh")
        doc_id, (group, text) = next(iter(SECRETS.items()))
        assert_error(upload(client, doc_id, text.encode(), headers=headers, groups="rh"),
                     403, "forbidden")
        editor = reader(WRITERS, "rh")
        assert upload(client, doc_id, text.encode(), headers=editor,
                      groups=group).status_code == 201
        assert_error(client.put(f"/v1/documents/{doc_id}/groups", headers=headers,
                                json={"groups": []}), 403, "forbidden")
        assert_error(client.delete(f"/v1/documents/{doc_id}", headers=headers), 403,
                     "forbidden")
        assert_error(client.get("/v1/jobs", headers=headers), 403, "forbidden")
        assert client.put(f"/v1/documents/{doc_id}/groups", headers=editor,
                          json={"groups": ["finance"]}).status_code == 200
        assert client.delete(f"/v1/documents/{doc_id}", headers=KEY).status_code == 200
        # Deleted, its groups go with it: uploaded again without groups, it is open.
        assert upload(client, doc_id, text.encode(), headers=KEY).status_code == 201
        assert client.get(f"/v1/documents/{doc_id}", headers=reader("x")).status_code == 200


def test_an_upload_without_groups_keeps_them_and_a_blank_one_opens_it(write_app, jwks):
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client)
        doc_id, (group, text) = next(iter(SECRETS.items()))
        changed = text.replace("hausse", "forte hausse").encode()
        body = upload(client, doc_id, changed, headers=KEY).json()
        assert body["status"] == "replaced" and body["document"]["groups"] == [group]
        assert client.get(f"/v1/documents/{doc_id}", headers=reader("x")).status_code == 404
        body = upload(client, doc_id, changed, headers=KEY, groups=" ").json()
        assert body["status"] == "unchanged" and body["document"]["groups"] == []
        assert client.get(f"/v1/documents/{doc_id}", headers=reader("x")).status_code == 200
        assert_error(upload(client, doc_id, changed, headers=KEY, groups="a b"), 422,
                     "invalid_groups")


def test_a_groups_sidecar_is_read_by_the_sync(write_app, jwks, tmp_path):
    """``<file>.groups`` beside a corpus file, picked up by the next sync (``ragqa index``,
    a start, ``--watch``); one that cannot be parsed hides the document from readers."""
    with write_app(**auth_settings(jwks)) as client:
        store = client.app.state.engine.store
        corpus = store.corpus_dir
        if client.store == "postgres":  # the folder the database is indexed from
            corpus = tmp_path / "pg-corpus"
            corpus.mkdir()
            store.corpus_dir = corpus
        for doc_id, (_, text) in SECRETS.items():
            path = corpus / doc_id
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (corpus / "rh/salaires.md.groups").write_text("rh, direction\n", encoding="utf-8")
        (corpus / "finance/budget.md.groups").write_text("a b\n", encoding="utf-8")
        store.sync()
        rh = _ids(search(client, reader("rh"), k=10))
        assert "rh/salaires.md" in rh and "finance/budget.md" not in rh
        assert "juridique/litige.md" in rh  # no sidecar: every reader's
        assert "finance/budget.md" in _ids(search(client, KEY, k=10))
        got = client.get("/v1/documents/rh/salaires.md", headers=KEY).json()
        assert got["groups"] == ["direction", "rh"]
        if client.store == "files":  # the files store's own uploads write the sidecar
            client.put("/v1/documents/juridique/litige.md/groups", headers=KEY,
                       json={"groups": ["juridique"]})
            sidecar = corpus / "juridique/litige.md.groups"
            assert sidecar.read_text(encoding="utf-8") == "juridique\n"


def test_without_auth_groups_are_refused_and_those_already_given_warned_about(
        write_app, jwks, caplog):
    """RAGQA_AUTH=none reads everything to everyone: groups given then would protect
    nothing, so an upload or a PUT with groups is refused (422, naming RAGQA_AUTH), and a
    start over documents that have groups says so in the log."""
    with write_app(**auth_settings(jwks)) as client:
        upload_secrets(client)
    with caplog.at_level("WARNING", logger="ragqa.service.app"):
        with write_app() as client:
            warned = [r.getMessage() for r in caplog.records if "RAGQA_AUTH" in r.getMessage()]
            assert len(warned) == 1 and warned[0].startswith("3 documents have groups")
            refused = upload(client, "rh/autre.md", b"# Autre\n\nUn autre texte.\n",
                             groups="rh")
            body = assert_error(refused, 422, "groups_not_enforced")
            assert "RAGQA_AUTH" in body["message"]
            assert client.get("/v1/documents/rh/autre.md").status_code == 404
            put = client.put("/v1/documents/juridique/litige.md/groups", json={"groups": ["x"]})
            assert_error(put, 422, "groups_not_enforced")
            opened = client.put("/v1/documents/juridique/litige.md/groups", json={"groups": []})
            assert opened.status_code == 200 and opened.json()["groups"] == []


@pytest.mark.parametrize("store", ["files"])
def test_a_page_of_another_origin_may_put_groups(write_app, jwks):
    origin = "https://intranet.example"
    with write_app(**auth_settings(jwks), cors_origins=origin) as client:
        preflight = client.options("/v1/documents/x.md/groups", headers={
            "Origin": origin, "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 200, preflight.text
        assert "PUT" in preflight.headers["access-control-allow-methods"]
