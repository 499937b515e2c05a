"""Sample uploads shared by the write tests of both stores: one small document per format,
and a question that finds it."""

from tests.make_pdf import make_pdf
from tests.service.conftest import check_passages

HTML = ("<html><head><title>Zorglub Telecom</title></head><body><nav>Accueil | Contact</nav>"
        "<article><h1>Zorglub Telecom</h1><p>Zorglub Telecom installe un câble sous-marin "
        "entre Dakhla et les Canaries.</p></article><footer>Mentions légales</footer>"
        "</body></html>")
FILES = {
    "notes/zorglub.txt": b"Zorglub Telecom\n\nZorglub Telecom installe un cable sous-marin "
                         b"entre Dakhla et les Canaries.\n",
    "notes/zorglub.md": "# Zorglub Telecom\n\nZorglub Telecom installe un câble sous-marin "
                        "entre Dakhla et les Canaries.\n".encode(),
    "web/zorglub.html": HTML.encode(),
    "pdf/zorglub.pdf": make_pdf([["Sommaire"], ["Zorglub Telecom installe un cable "
                                                "sous-marin entre Dakhla et les Canaries."]]),
}
QUESTION = {"question": "Zorglub câble sous-marin Dakhla", "k": 3}


def upload(client, doc_id, data, *, headers=None, **form):
    """POST /v1/documents of ``data`` as ``doc_id``, with extra form fields (``title``)."""
    name = doc_id.rsplit("/", 1)[-1]
    return client.post("/v1/documents", files={"file": (name, data)},
                       data={"id": doc_id, **form}, headers=headers)


def assert_uploaded_and_found(client, doc_id, body):
    """A sample of :data:`FILES` just uploaded as ``doc_id`` (``body`` the response): it has
    passages, :data:`QUESTION` finds it first with verified quotes, its text has no page
    chrome, and a PDF's passage cites its page."""
    assert client.get(f"/v1/documents/{doc_id}").json()["passages"] >= 1
    found = client.post("/v1/search", json=QUESTION).json()
    assert found["passages"][0]["doc_id"] == doc_id
    check_passages(client, found)
    text = client.get(f"/v1/documents/{doc_id}/text").text
    assert "Accueil" not in text and "Mentions" not in text
    if doc_id.endswith(".pdf"):
        assert body["document"]["pages"] == 2 and found["passages"][0]["page"] == 2
