"""The folder's rules of groups (a link to a restricted file gets its groups; a ``.groups``
file named like a document only in case or Unicode form hides it) hold on every path, not
only at a sync: a ``PUT``, an upload, on the server that took it and on another one over
the same folder or database. Both stores, the real model."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ragqa.index.access import UNREADABLE
from tests.service.test_permissions import KEY, auth_settings, jwks, reader  # noqa: F401
from tests.service.uploads import upload

PAYSLIP = "liens/paie.md"
LINK = "liens/raccourci.md"
TEXT = ("# Paie\n\nLa paie de mars de Quarkonia, nominative et confidentielle. "
        "Marqueur tamanoir.\n")
OPEN = "liens/ouvert.md"


def _folder(client, tmp_path: Path) -> Path:
    """The corpus folder the app's store syncs (PostgreSQL: one given to it here)."""
    store = client.app.state.engine.store
    if client.store == "postgres":
        store.corpus_dir = tmp_path / "pg-corpus"
        store.corpus_dir.mkdir(exist_ok=True)
    return store.corpus_dir


def _write(corpus: Path, doc_id: str, text: str) -> None:
    path = corpus / doc_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _status(client, doc_id: str, headers: dict) -> int:
    return client.get(f"/v1/documents/{doc_id}", headers=headers).status_code


def _eventually(check, seconds: float = 15.0) -> None:
    """``check()`` true within ``seconds`` (another files server follows the folder's
    changes from a thread of its own, within its follow interval)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "never seen"
        time.sleep(0.2)


def test_a_put_or_an_upload_reaches_the_links_to_the_document_at_once(
        write_app, jwks, tmp_path):  # noqa: F811
    with write_app(**auth_settings(jwks)) as one, write_app(**auth_settings(jwks)) as other:
        corpus = _folder(one, tmp_path)
        _write(corpus, PAYSLIP, TEXT)
        _write(corpus, OPEN, "# Ouvert\n\nUne note ouverte à tous.\n")
        (corpus / LINK).symlink_to("paie.md")
        one.app.state.engine.store.sync()
        servers = (one, other)
        _eventually(lambda: _status(other, LINK, KEY) == 200)
        for server in servers:
            assert _status(server, LINK, reader("x")) == 200  # no groups yet: every reader's

        response = one.put(f"/v1/documents/{PAYSLIP}/groups", headers=KEY,
                           json={"groups": ["rh"]})
        assert response.status_code == 200, response.text
        # At once on the server that took it, before any sync: the link holds the same text.
        assert _status(one, LINK, reader("x")) == 404
        assert _status(one, LINK, reader("rh")) == 200
        assert one.get(f"/v1/documents/{LINK}", headers=KEY).json()["groups"] == ["rh"]
        found = one.post("/v1/search", json={"question": "paie tamanoir", "k": 10},
                         headers=reader("x")).json()
        assert not {p["doc_id"] for p in found["passages"]} & {PAYSLIP, LINK}
        _eventually(lambda: _status(other, LINK, reader("x")) == 404)
        assert _status(other, LINK, reader("rh")) == 200

        # Every reader's again: the link too.
        assert one.put(f"/v1/documents/{PAYSLIP}/groups", headers=KEY,
                       json={"groups": []}).status_code == 200
        assert _status(one, LINK, reader("x")) == 200
        _eventually(lambda: _status(other, LINK, reader("x")) == 200)

        # An upload replacing the file with groups: the link gets them with it.
        body = upload(one, PAYSLIP, TEXT.replace("mars", "avril").encode(), headers=KEY,
                      groups="finance")
        assert body.status_code == 200, body.text
        assert _status(one, LINK, reader("x")) == 404
        assert _status(one, LINK, reader("finance")) == 200
        _eventually(lambda: _status(other, LINK, reader("x")) == 404)

        # A link made later gets them at the next sync, whichever store keeps them.
        (corpus / "liens/autre-lien.md").symlink_to("paie.md")
        one.app.state.engine.store.sync()
        assert _status(one, "liens/autre-lien.md", reader("x")) == 404
        assert _status(one, "liens/autre-lien.md", reader("finance")) == 200


def test_a_misnamed_sidecar_hides_a_document_uploaded_or_put_later(
        write_app, jwks, tmp_path):  # noqa: F811
    """``paie-2026.md.groups`` beside no document was meant for ``Paie-2026.md``: uploaded
    later, or given groups by a ``PUT``, it is hidden as a sync hides it (fix the name)."""
    with write_app(**auth_settings(jwks)) as client:
        corpus = _folder(client, tmp_path)
        _write(corpus, OPEN, "# Ouvert\n\nUne note ouverte à tous.\n")
        (corpus / "paie-2026.md.groups").write_text("rh\n", encoding="utf-8")
        client.app.state.engine.store.sync()
        body = upload(client, "Paie-2026.md", TEXT.encode(), headers=KEY)
        assert body.status_code == 201, body.text
        assert body.json()["document"]["groups"] == sorted(UNREADABLE)
        for groups in ("rh", "x"):
            assert _status(client, "Paie-2026.md", reader(groups)) == 404
        assert _status(client, "Paie-2026.md", KEY) == 200  # readers of everything
        put = client.put("/v1/documents/Paie-2026.md/groups", headers=KEY,
                         json={"groups": []})
        assert put.status_code == 200 and put.json()["groups"] == sorted(UNREADABLE)
        assert _status(client, "Paie-2026.md", reader("x")) == 404
        # With groups of its own on upload, it is hidden all the same.
        body = upload(client, "Paie-2026.md", TEXT.replace("mars", "mai").encode(),
                      headers=KEY, groups="rh")
        assert body.json()["document"]["groups"] == sorted(UNREADABLE)
        assert _status(client, "Paie-2026.md", reader("rh")) == 404


def test_a_link_s_own_groups_and_writes_never_reach_its_target(
        write_app, jwks, tmp_path):  # noqa: F811
    """Groups given to a link are its own (none: it follows its target), and an upload or a
    deletion under a link's id reaches the link, never the document it points at. Before,
    a files store's ``PUT`` of ``[]`` on a link removed its target's ``.groups`` file (the
    target opened to every reader), a deletion removed the target's file, and on
    PostgreSQL an upload with ``groups`` under a link's id took the target's (none), and
    its next sync gave a link its target's groups over a ``PUT``."""
    with write_app(**auth_settings(jwks)) as client:
        corpus = _folder(client, tmp_path)
        _write(corpus, PAYSLIP, TEXT)
        (corpus / f"{PAYSLIP}.groups").write_text("rh\n", encoding="utf-8")
        _write(corpus, OPEN, "# Ouvert\n\nUne note ouverte à tous.\n")
        (corpus / LINK).symlink_to("paie.md")
        opened = "liens/vers-ouvert.md"
        (corpus / opened).symlink_to("ouvert.md")
        client.app.state.engine.store.sync()
        assert _status(client, LINK, reader("x")) == 404

        response = client.put(f"/v1/documents/{LINK}/groups", headers=KEY, json={"groups": []})
        assert response.status_code == 200, response.text
        assert response.json()["groups"] == ["rh"]  # it follows its target
        assert (corpus / f"{PAYSLIP}.groups").read_text(encoding="utf-8").strip() == "rh"
        assert _status(client, PAYSLIP, reader("x")) == 404
        assert _status(client, LINK, reader("x")) == 404

        response = client.put(f"/v1/documents/{LINK}/groups", headers=KEY,
                              json={"groups": ["x"]})
        assert response.status_code == 200, response.text
        assert _status(client, LINK, reader("x")) == 200  # the writer's choice for the link
        assert _status(client, PAYSLIP, reader("x")) == 404
        client.app.state.engine.store.sync()  # kept by the next sync (PostgreSQL's undid it)
        assert _status(client, LINK, reader("x")) == 200
        assert _status(client, PAYSLIP, reader("x")) == 404

        secret = "# Secret\n\nLa prime confidentielle de Quarkonia. Marqueur okapi.\n"
        response = upload(client, opened, secret.encode(), headers=KEY, groups="rh")
        assert response.status_code == 200, response.text
        assert response.json()["document"]["groups"] == ["rh"]
        assert _status(client, opened, reader("x")) == 404
        assert _status(client, opened, reader("rh")) == 200
        assert "ouverte" in client.get(f"/v1/documents/{OPEN}/text", headers=KEY).text
        assert "ouverte" in (corpus / OPEN).read_text(encoding="utf-8")

        assert client.delete(f"/v1/documents/{LINK}", headers=KEY).status_code == 200
        assert (corpus / PAYSLIP).is_file()
        assert _status(client, PAYSLIP, KEY) == 200
        assert _status(client, PAYSLIP, reader("x")) == 404


@pytest.mark.parametrize("store", ["files"])
def test_a_hard_link_keeps_its_groups_when_its_twin_is_replaced_or_deleted(
        write_app, jwks, tmp_path):  # noqa: F811
    # A second name of a restricted file follows the name with the .groups file; replacing
    # or deleting that name through the API made the other one a file of its own, with the
    # restricted text, and every reader's.
    with write_app(**auth_settings(jwks)) as client:
        corpus = _folder(client, tmp_path)
        _write(corpus, PAYSLIP, TEXT)
        (corpus / f"{PAYSLIP}.groups").write_text("rh\n", encoding="utf-8")
        twin = "autres/copie-paie.md"
        (corpus / "autres").mkdir()
        os.link(corpus / PAYSLIP, corpus / twin)
        client.app.state.engine.store.sync()
        assert _status(client, twin, reader("x")) == 404
        assert _status(client, twin, reader("rh")) == 200

        # Replaced with other groups: held for the write (none in common: readers of
        # everything only), the link keeps those it followed, not the hold.
        replaced = upload(client, PAYSLIP, TEXT.replace("mars", "avril").encode(), headers=KEY,
                          groups="direction")
        assert replaced.status_code == 200, replaced.text
        assert _status(client, twin, reader("x")) == 404
        assert _status(client, PAYSLIP, reader("direction")) == 200
        assert "mars" in client.get(f"/v1/documents/{twin}/text", headers=reader("rh")).text
        assert (corpus / f"{twin}.groups").read_text(encoding="utf-8") == "rh\n"
        os.link(corpus / PAYSLIP, corpus / "autres/copie-2.md")  # the new version's twin
        client.app.state.engine.store.sync()
        assert _status(client, "autres/copie-2.md", reader("direction")) == 200
        assert client.delete(f"/v1/documents/{PAYSLIP}", headers=KEY).status_code == 200
        client.app.state.engine.store.sync()
        assert _status(client, twin, reader("x")) == 404
        assert _status(client, twin, reader("rh")) == 200
        assert _status(client, "autres/copie-2.md", reader("rh")) == 404
        assert _status(client, "autres/copie-2.md", reader("direction")) == 200
        found = client.post("/v1/search", json={"question": "paie tamanoir", "k": 10},
                            headers=reader("x")).json()
        assert not {twin, "autres/copie-2.md"} & {p["doc_id"] for p in found["passages"]}
