"""Sample uploads shared by the write tests of both stores: one small document per format,
and a question that finds it."""

from tests.make_pdf import make_pdf

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
