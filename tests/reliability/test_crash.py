"""Crashes and broken disks: kill -9 of the server around uploads, corrupted index files,
a full disk while indexing. (kill -9 of `ragqa index` itself: tests/index/test_kill.py.)"""

from __future__ import annotations

import gc
import os
import random
import resource
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.generations import (
    BM25_DIR,
    CURRENT,
    DENSE,
    DOCUMENTS,
    MANIFEST,
    PASSAGES,
    load_index,
)
from ragqa.service.app import create_app

from tests.service.conftest import make_settings
from tests.support import RAGQA, build_index, child_env, start, stop

pytestmark = pytest.mark.heavy  # tens of seconds each: `make test-heavy`, run by CI

NOTE = "# Zorglub\n\nZorglub Telecom pose un câble sous-marin à Dakhla.\n"


def test_acknowledged_upload_survives_kill_minus_9_of_the_server(small_corpus, tmp_path):
    index = tmp_path / "index"
    server = start(small_corpus, index, tmp_path / "serve-1.log")
    try:
        with httpx.Client(base_url=server.base_url, timeout=120) as client:
            response = client.post("/v1/documents", data={"id": "notes/zorglub.md"},
                                   files={"file": ("zorglub.md", NOTE.encode())})
            assert response.status_code == 201, response.text
            # A second upload in flight, killed at a seeded moment: it may or may not land.
            racing = threading.Thread(target=_post_quietly, args=(server.base_url,))
            racing.start()
            time.sleep(random.Random(8).uniform(0.0, 1.0))
            server.kill()  # SIGKILL right after the acknowledgement: no shutdown code runs
            racing.join()
    finally:
        stop(server)
    load_index(index)  # consistent after the kill
    server = start(small_corpus, index, tmp_path / "serve-2.log")
    try:
        with httpx.Client(base_url=server.base_url, timeout=120) as client:
            assert client.get("/v1/documents/notes/zorglub.md/text").text == NOTE
            found = client.post("/v1/search", json={"question": "Zorglub Dakhla", "k": 1})
            assert found.json()["passages"][0]["doc_id"] == "notes/zorglub.md"
            listed = {d["id"] for d in client.get("/v1/documents").json()["documents"]}
            # The racing upload is served after the restart exactly when its file landed.
            assert ("racing.md" in listed) == (small_corpus / "racing.md").is_file()
    finally:
        output = stop(server)
    assert "Traceback" not in output


def _post_quietly(base_url: str) -> None:
    try:
        httpx.post(f"{base_url}/v1/documents", files={"file": ("racing.md", b"# Course\n\nUn.")},
                   timeout=60)
    except httpx.HTTPError:
        pass  # the server died under it: expected


@pytest.fixture
def built(small_corpus, tmp_path, minilm, embedder) -> Path:
    index = tmp_path / "index"
    build_index(small_corpus, index, minilm, embedder)
    return index


def _gen(index: Path) -> Path:
    return index / (index / CURRENT).read_text().strip()


@pytest.mark.parametrize("name", [MANIFEST, DOCUMENTS, PASSAGES, DENSE, BM25_DIR, CURRENT])
def test_a_truncated_index_file_stops_the_start_naming_file_and_fix(small_corpus, built, name):
    target = built / CURRENT if name == CURRENT else _gen(built) / name
    if target.is_dir():  # bm25/: truncate its largest file
        target = max((p for p in target.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2] if name != CURRENT else b"gen-9")
    app = create_app(make_settings(small_corpus, built), update_index=False)
    with pytest.raises(IndexCorruptError) as raised:
        with TestClient(app):
            pass
    message = str(raised.value)
    assert str(target) in message or str(target.parent) in message, message
    assert "ragqa index --rebuild" in message


def test_corrupt_index_cli_start_is_one_line_and_rebuild_fixes_it(small_corpus, built):
    dense = _gen(built) / DENSE
    dense.write_bytes(dense.read_bytes()[:100])
    proc = subprocess.run([*RAGQA, "serve", "--corpus", str(small_corpus), "--index",
                           str(built), "--port", "0"], capture_output=True, text=True,
                          env=child_env(), timeout=300)
    assert proc.returncode == 4
    lines = [line for line in proc.stderr.splitlines() if line.startswith("ragqa: error:")]
    assert len(lines) == 1 and str(dense) in lines[0] and "ragqa index --rebuild" in lines[0]
    assert "Traceback" not in proc.stderr
    fixed = subprocess.run([*RAGQA, "index", "--rebuild", "--corpus", str(small_corpus),
                            "--index", str(built)], capture_output=True, text=True,
                           env=child_env(), timeout=300)
    assert fixed.returncode == 0, fixed.stderr
    assert set(load_index(built).documents) == {"nokia.txt", "orange.md"}


def _mount_small_tmpfs(folder: Path, size_kb: int) -> bool:
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs",
                           str(folder)], capture_output=True)
    return done.returncode == 0


def test_full_disk_while_indexing_is_a_clear_error_and_the_served_index_survives(
        small_corpus, tmp_path, minilm, embedder):
    """A real full disk (a 2 MB tmpfs, filled) when the machine lets us mount one; otherwise
    the same boundary simulated honestly: the indexer runs under RLIMIT_FSIZE, so its first
    write past 4 kB fails with EFBIG, as a disk quota would."""
    disk = tmp_path / "disk"
    mounted = _mount_small_tmpfs(disk, 2048)
    try:
        index = disk / "index"
        build_index(small_corpus, index, minilm, embedder)
        before = load_index(index)
        (small_corpus / "grand.md").write_text(
            "# Grand\n\n" + "Le réseau de fibre relie Rabat et Casablanca. " * 200, "utf-8")
        limit = None
        if mounted:
            free = os.statvfs(disk)
            filler = disk / "filler"
            filler.write_bytes(b"\0" * max(0, free.f_bavail * free.f_frsize - 8 * 1024))
        else:
            limit = 4096

        def no_room() -> None:
            if limit is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        proc = subprocess.run([*RAGQA, "index", "--corpus", str(small_corpus), "--index",
                               str(index)], capture_output=True, text=True, env=child_env(),
                              timeout=300, preexec_fn=no_room)
        print(f"\nfull disk ({'tmpfs' if mounted else 'RLIMIT_FSIZE'}): {proc.stderr.strip()}")
        assert proc.returncode == 4, proc.stderr
        line = proc.stderr.strip().splitlines()[-1]
        assert line.startswith("ragqa: error: cannot write the index at")
        assert "free some space" in line and "unchanged" in line
        after = load_index(index)
        assert after.generation == before.generation
        assert set(after.documents) == set(before.documents)
        assert not [p for p in index.iterdir() if p.name.startswith(".staging")]
        if mounted:
            (disk / "filler").unlink()
            again = subprocess.run([*RAGQA, "index", "--corpus", str(small_corpus),
                                    "--index", str(index)], capture_output=True, text=True,
                                   env=child_env(), timeout=300)
            assert again.returncode == 0, again.stderr
            assert "grand.md" in load_index(index).documents
    finally:
        if mounted:
            before = after = None  # loaded indexes hold their vector tables' files open:
            gc.collect()  # closed, or the mount stays busy
            if subprocess.run(["umount", str(disk)], capture_output=True).returncode:
                subprocess.run(["umount", "-l", str(disk)], capture_output=True)
            shutil.rmtree(disk, ignore_errors=True)
