"""Hostile and odd documents: each is indexed or refused with a message naming it, never a
crash, with memory bounded. Uploads go through the real app; corpus-level cases through a
real `ragqa index` whose peak memory is measured."""

from __future__ import annotations

import io
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from ragqa.index.files.generations import load_index
from tests.make_pdf import make_pdf
from tests.support import RAGQA, child_env
from tests.service.conftest import assert_error

TEXT = "Zorglub Telecom pose un câble sous-marin entre Dakhla et les Canaries.\n"


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([[TEXT.strip()]]))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb_pdf(inflated_mb: int = 300) -> bytes:
    """A valid PDF (~300 kB) whose one content stream inflates to ``inflated_mb`` MB."""
    packer = zlib.compressobj(9)
    chunk = b"BT /F1 12 Tf (A) Tj ET\n" * 40_000  # ~1 MB of text-showing operators
    stream = b"".join(packer.compress(chunk) for _ in range(inflated_mb)) + packer.flush()
    pdf = make_pdf([["placeholder"]])
    old = pdf[pdf.index(b"<< /Length"):pdf.index(b"endstream") + len(b"endstream")]
    new = (b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
           + b"\nendstream")
    from pypdf import PdfReader, PdfWriter  # rewrite so that the xref offsets are right

    broken = pdf.replace(old, new)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(broken), strict=False))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


NESTED_HTML = ("<html><body>" + "<div>" * 5000 + "<p>Zorglub profond</p>" + "</div>" * 10
               + "<p>non fermé <b><i>Zorglub</body>").encode()
CASES = {
    "binary.txt": (bytes(range(256)) * 64, 422),
    # Not UTF-8 but a clean reading in a legacy encoding: indexed as such (README, Loading).
    "invalid-utf8.md": (b"\xff\xfe\xfa\xfb\xc3\x28\xa0\xa1" * 500, 201),
    "invalid-utf8.txt": (b"Zorglub \x00\xff\xc3\x28" * 500, 422),
    "empty.txt": (b"", 422),
    "blank.md": (b" \n\t\n", 422),
    # 5,000 nested divs: lxml gives up on the tree, so the page is refused as holding no text.
    "nested.html": (NESTED_HTML, 422),
    "malformed.html": (b"<html><<<>>><p>Zorglub <div></span></p></tr>", 201),
    "binary.html": (b"\x00\x01PK\x03\x04" * 100, 422),
    "malformed.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ntrailer <<>>\n%%EOF", 422),
    "truncated.pdf": (make_pdf([[TEXT.strip()]])[:300], 422),
    "encrypted.pdf": (encrypted_pdf(), 422),
    "zip.pdf": (b"PK\x03\x04" + b"\x00" * 200, 422),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_uploads_are_indexed_or_refused_clearly(write_client, name):
    data, status = CASES[name]
    health = write_client.get("/health").json()
    response = write_client.post("/v1/documents", files={"file": (name, data)})
    assert response.status_code == status, response.text
    if status == 201:
        assert write_client.get(f"/v1/documents/{name}/text").status_code == 200
    else:
        error = assert_error(response, status, "invalid_document")
        assert name in error["message"]
        assert write_client.get("/health").json() == health
    assert write_client.get("/health").status_code == 200


@pytest.mark.parametrize("name", [
    "avec des espaces.txt", "ünïcödé 文書.md", "-rf.txt", "--help.md", "l" * 240 + ".txt",
    "a;b&c|d$(e).txt", "sous/dossier profond/x.md",
])
def test_odd_file_names_are_indexed_and_served(write_client, name):
    response = write_client.post("/v1/documents", files={"file": ("x.txt", TEXT.encode())},
                                 data={"id": name})
    assert response.status_code == 201, response.text
    assert write_client.get(f"/v1/documents/{name}/text").text == TEXT
    assert write_client.delete(f"/v1/documents/{name}").status_code == 200


_MEASURE = ("import resource, subprocess, sys\n"
            "code = subprocess.call(sys.argv[2:])\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "open(sys.argv[1], 'w').write(str(peak)); sys.exit(code)\n")


def _peak_rss_mb(command: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``command`` under a fresh parent; the command's peak resident memory in MB."""
    out = tmp_path / "peak-rss"
    proc = subprocess.run([sys.executable, "-c", _MEASURE, str(out), *command],
                          capture_output=True, text=True, env=child_env(), timeout=900)
    return proc, int(out.read_text()) / 1024


def test_zip_bomb_pdf_is_bounded(tmp_path):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb_pdf())
    code = ("import sys; from pathlib import Path; from ragqa.index.documents.loaders import load_document\n"
            "from ragqa.index.errors import DocumentError\n"
            "try:\n    d = load_document(Path(sys.argv[1]), 'bomb.pdf'); print(len(d.text))\n"
            "except DocumentError as e:\n    print('refused:', e)\n")
    proc, peak = _peak_rss_mb([sys.executable, "-c", code, str(path)], tmp_path)
    print(f"\nzip bomb PDF ({path.stat().st_size // 1024} kB -> 300 MB): "
          f"{proc.stdout.strip()[:200]}"
          f"; peak RSS {peak:.0f} MB")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("refused: bomb.pdf:") and "limit" in proc.stdout
    assert peak < 1500


def test_a_100_mb_text_file_is_refused_before_being_read(small_corpus, tmp_path):
    big = small_corpus / "énorme.txt"
    with open(big, "wb") as handle:
        for _ in range(100):
            handle.write(("La fibre relie Rabat et Casablanca. " * 30_000)[: 2**20].encode())
    index = tmp_path / "index"
    proc, peak = _peak_rss_mb([*RAGQA, "index", "--corpus", str(small_corpus),
                               "--index", str(index)], tmp_path)
    line = next((s for s in proc.stderr.splitlines() if "énorme.txt" in s), "")
    print(f"\n100 MB text file: exit {proc.returncode}, {line.strip()}; peak RSS {peak:.0f} MB")
    assert proc.returncode == 0, proc.stderr
    assert line.strip().startswith("refused: énorme.txt: 100.0 MB")
    assert "RAGQA_MAX_DOCUMENT_MB" in line
    assert "énorme.txt" not in load_index(index).documents and load_index(index).documents
    assert peak < 1500


def test_a_corpus_of_hostile_files_indexes_the_rest_and_lists_each_refusal(small_corpus,
                                                                          tmp_path):
    for name, (data, _) in CASES.items():
        (small_corpus / name).write_bytes(data)
    index = tmp_path / "index"
    proc = subprocess.run([*RAGQA, "index", "--corpus", str(small_corpus), "--index",
                           str(index)], capture_output=True, text=True, env=child_env(),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    refused = {line.split(": ")[1] for line in proc.stderr.splitlines()
               if line.startswith("  refused: ")}
    assert refused == {name for name, (_, status) in CASES.items() if status == 422}
    served = load_index(index)
    assert set(served.documents) == {"nokia.txt", "orange.md"} | {
        name for name, (_, status) in CASES.items() if status == 201}
    assert set(served.manifest.refused) == refused


@pytest.mark.slow
def test_10000_tiny_files_are_indexed(tmp_path):
    corpus = tmp_path / "tiny"
    for i in range(10_000):
        folder = corpus / f"d{i // 500:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"note-{i}.txt").write_text(f"Note {i}\n\nLa note {i} parle de fibre.\n")
    proc, peak = _peak_rss_mb([*RAGQA, "index", "--corpus", str(corpus),
                               "--index", str(tmp_path / "index")], tmp_path)
    print(f"\n10,000 tiny files: {proc.stdout.strip().splitlines()[-1]}; peak RSS {peak:.0f} MB")
    assert proc.returncode == 0, proc.stderr
    assert "10000 documents" in proc.stdout
