"""The real `ragqa` command, run as a user runs it (a subprocess)."""

import json
import re
import shutil
import socket
import subprocess

import pytest
from ragqa.index.embedding.models import FALLBACK_MODEL_NAME

from tests.conftest import CORPUS, LIVE_BLOG
from tests.support import build_index, files_holding, run_ragqa

ragqa = run_ragqa


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = [l for l in proc.stderr.splitlines() if not l.startswith("ragqa: WARNING")]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ragqa: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_ask_json_is_the_search_body_with_verified_quotes(corpus_index):
    proc = ragqa("ask", "Combien de visiteurs et d'exposants sont attendus au Gitex Africa 2025 ?",
                 "-k", "4", "--json", "--corpus", str(CORPUS), "--index", str(corpus_index))
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert set(body) == {"question", "passages", "low_relevance", "relevance", "borderline",
                         "retrieval", "took_ms"}
    assert body["low_relevance"] is False
    assert body["retrieval"]["mode"] == "hybrid"
    assert body["retrieval"]["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert body["retrieval"]["fallback"] is True  # MiniLM by name: not in the hub cache here
    assert "WARNING" in proc.stderr and FALLBACK_MODEL_NAME in proc.stderr
    assert len(body["passages"]) == 4
    for p in body["passages"]:
        assert {"rank", "score", "doc_id", "title", "section", "quote", "start", "end"} <= set(p)
        text = (CORPUS / p["doc_id"]).read_text(encoding="utf-8")
        assert text[p["start"] : p["end"]] == p["quote"]
    assert body["passages"][0]["doc_id"] == LIVE_BLOG


def test_ask_prints_readable_citations(corpus_index):
    proc = ragqa("ask", "Quel protocole Nokia a signé ?", "-k", "2", "--corpus", str(CORPUS),
                 "--index", str(corpus_index))
    assert proc.returncode == 0, proc.stderr
    assert "002_3fd3ba12ca1ab0c9.txt [" in proc.stdout
    assert "1. " in proc.stdout and "2. " in proc.stdout
    assert proc.stdout.startswith("Relevance ") and "Low relevance" not in proc.stdout
    assert "retrieval score" in proc.stdout
    assert "Searched for" not in proc.stdout  # searched as typed
    # the sentence that best answers, as the widget marks it, above the quote
    assert any(line.startswith("   » ") for line in proc.stdout.splitlines())


def test_ask_does_not_print_the_section_heading_again_as_the_quotes_first_line(tmp_path):
    # A Word section's passage starts with its heading line, printed as "section:" above.
    from ragqa.index.documents.loaders import load_document

    from tests.service.test_headings import CONDITIONS, make_docx

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_docx(corpus / "guide.docx")
    proc = ragqa("ask", "Quelles conditions le demandeur doit-il remplir ?", "-k", "1",
                 "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert proc.returncode == 0, proc.stderr
    assert "   section: Conditions à remplir\n" in proc.stdout
    assert "| Conditions à remplir" not in proc.stdout
    quoted = " ".join(line[5:] for line in proc.stdout.splitlines() if line.startswith("   | "))
    a, b = map(int, re.search(r"guide\.docx \[(\d+):(\d+)\]", proc.stdout).groups())
    text = load_document(corpus / "guide.docx", "guide.docx").text
    assert " ".join(text[a:b].split()) == quoted == CONDITIONS  # the offsets of what is printed


def test_ask_says_what_it_searched_when_it_read_a_typo(corpus_index):
    proc = ragqa("ask", "Quel protocle Nokia a signé ?", "-k", "1", "--corpus", str(CORPUS),
                 "--index", str(corpus_index))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "Searched for: Quel protocole Nokia a signé ?"
    assert "002_3fd3ba12ca1ab0c9.txt [" in proc.stdout


def test_ask_says_low_relevance_before_the_passages(corpus_index):
    # The fallback model's threshold flags the farthest questions (index/search/relevance.py).
    proc = ragqa("ask", "Who won the 1998 football World Cup final?", "-k", "2",
                 "--corpus", str(CORPUS), "--index", str(corpus_index))
    assert proc.returncode == 0, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("Low relevance (") and "do not answer" in first
    assert "1. " in proc.stdout  # the closest passages are still shown, after the warning


def test_index_reports_then_is_up_to_date(small_corpus, tmp_path):
    index_dir = tmp_path / "idx"
    first = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert first.returncode == 0, first.stderr
    assert "2 added, 0 changed, 0 removed" in first.stdout
    assert "added: orange.md" in first.stdout
    assert "sentence-transformers/all-MiniLM-L6-v2 (fallback)" in first.stdout
    second = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert second.returncode == 0 and "up to date" in second.stdout
    (small_corpus / "orange.md").unlink()
    third = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert "0 added, 0 changed, 1 removed" in third.stdout


def test_index_erases_a_file_removed_by_hand(corpus_index, minilm, embedder, tmp_path):
    # `rm corpus/x.txt` then `ragqa index`: the file's text leaves the index folder before
    # the command ends (its segment's merge, as an API delete's), not at the next --rebuild
    corpus, index_dir = tmp_path / "corpus", tmp_path / "idx"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(corpus_index, index_dir)
    secret = "Ondrelique Vaszmirov"
    (corpus / "contacts.txt").write_text(
        f"Contacts du projet\n\n{secret} suit le déploiement de la fibre à Dakhla.\n", "utf-8")
    build_index(corpus, index_dir, minilm, embedder)  # in the generation
    assert files_holding(index_dir, [secret])
    (corpus / "contacts.txt").unlink()
    proc = ragqa("index", "--corpus", str(corpus), "--index", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "removed: contacts.txt" in proc.stdout
    assert files_holding(index_dir, [secret]) == []


def test_an_index_is_not_synced_to_a_default_folder_it_was_not_made_from(small_corpus, tmp_path):
    """`ragqa ask --index DIR` where ./corpus is another folder removed every document DIR
    held of its own folder (exit 0): now refused before anything loads."""
    index_dir = tmp_path / "idx"
    assert ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
    work = tmp_path / "work"
    (work / "corpus").mkdir(parents=True)
    (work / "corpus" / "autre.txt").write_text("Un autre dossier, un autre sujet.\n", "utf-8")
    served = (index_dir / "CURRENT").read_text()
    for args in (["ask", "Nokia"], ["index"], ["serve", "--port", "9"]):
        proc = ragqa(*args, "--index", str(index_dir), cwd=work)
        assert proc.returncode == 2, proc.stderr
        line = _one_error_line(proc)
        assert f"holds the folder {small_corpus}" in line and "--corpus" in line
    assert (index_dir / "CURRENT").read_text() == served
    # named, the folder is what to index there (what `ragqa index --corpus` is for) ...
    proc = ragqa("index", "--corpus", "corpus", "--index", str(index_dir), cwd=work)
    assert proc.returncode == 0 and "1 added, 0 changed, 2 removed" in proc.stdout, proc.stderr
    # ... and a folder that no longer exists (a project moved) is held against no one
    moved = tmp_path / "moved"
    work.rename(moved)
    proc = ragqa("ask", "dossier", "--index", str(index_dir), cwd=moved)
    assert proc.returncode == 0 and "autre.txt" in proc.stdout, proc.stderr


def test_a_named_model_that_cannot_be_had_is_an_error_not_the_fallback(small_corpus, tmp_path):
    """A typo in RAGQA_EMBED_MODEL re-embedded the index with the weaker fallback (exit 0);
    only the default model falls back."""
    index_dir = tmp_path / "idx"
    assert ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
    served = (index_dir / "CURRENT").read_text()
    proc = ragqa("ask", "Nokia", "--corpus", str(small_corpus), "--index", str(index_dir),
                 RAGQA_EMBED_MODEL="nonexistent/model")
    assert proc.returncode == 5
    assert "'nonexistent/model' is unavailable" in _one_error_line(proc)
    assert (index_dir / "CURRENT").read_text() == served


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_a_usage_error(question, corpus_index):
    proc = ragqa("ask", question, "--index", str(corpus_index), "--corpus", str(CORPUS))
    assert proc.returncode == 2
    assert "empty" in _one_error_line(proc)


def test_bad_k_is_a_usage_error(corpus_index):
    proc = ragqa("ask", "5G", "-k", "0", "--index", str(corpus_index))
    assert proc.returncode == 2
    # one line, as every error (click's own usage error was three)
    assert "see 'ragqa ask --help'" in _one_error_line(proc)
    assert ragqa("index", "--nope").returncode == 2


def test_serve_on_a_port_in_use_fails_before_indexing(corpus_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = ragqa("serve", "--port", str(port), "--corpus", str(CORPUS),
                     "--index", str(corpus_index))
    assert proc.returncode == 2
    assert f"RAGQA_PORT (--port): cannot listen on 127.0.0.1:{port}" in _one_error_line(proc)
    # an address of no interface of this machine names the host (TEST-NET-3, RFC 5737)
    proc = ragqa("serve", "--host", "203.0.113.7", "--port", str(port), "--corpus",
                 str(CORPUS), "--index", str(corpus_index))
    assert proc.returncode == 2
    assert "RAGQA_HOST (--host): cannot listen on 203.0.113.7" in _one_error_line(proc)


def test_serve_with_an_audit_log_it_cannot_write_fails_before_indexing(small_corpus, tmp_path):
    """Every read was served unaudited, with an error logged per request."""
    (tmp_path / "a-file").write_text("not a folder")
    proc = ragqa("serve", "--corpus", str(small_corpus), "--index", str(tmp_path / "idx"),
                 RAGQA_AUDIT_LOG=str(tmp_path / "a-file" / "reads.jsonl"))
    assert proc.returncode == 2
    assert "RAGQA_AUDIT_LOG: cannot write the audit log" in _one_error_line(proc)
    assert not (tmp_path / "idx").exists()  # before the model loads and the index is made


def test_a_ctrl_c_while_the_command_imports_is_one_line_and_exit_130():
    """The command's imports take about a second; a Ctrl-C then printed a traceback. The
    interrupt is made to arrive during the import of ragqa.cli (an import hook raises it)."""
    import sys

    hook = ("import sys\n"
            "class Interrupt:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'ragqa.cli':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Interrupt())\n"
            "from ragqa.__main__ import run\n"
            "run()\n")
    proc = subprocess.run([sys.executable, "-c", hook, "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 130
    assert proc.stderr == "ragqa: error: interrupted\n"


def test_empty_corpus_exits_3(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = ragqa("index", "--corpus", str(tmp_path / "empty"), "--index", str(tmp_path / "idx"))
    assert proc.returncode == 3
    assert "no documents to index" in _one_error_line(proc)


def test_bad_files_are_listed_and_the_rest_indexed(small_corpus, tmp_path):
    index_dir = tmp_path / "idx"
    assert ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
    served = (index_dir / "CURRENT").read_text()
    (small_corpus / "photo.txt").write_bytes(b"\x89PNG\x00\x00\x00" * 100)
    (small_corpus / "new.txt").write_text("Inwi lance la 5G à Agadir.\n", encoding="utf-8")
    # files of types the indexer does not read are named, not silently passed over (their
    # sidecars are the documents' own)
    (small_corpus / "ancien.doc").write_bytes(b"\xd0\xcf\x11\xe0 old Word")
    (small_corpus / "new.txt.title").write_text("Inwi à Agadir", encoding="utf-8")
    proc = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir), "--strict")
    assert proc.returncode == 3 and "photo.txt" in _one_error_line(proc)
    assert (index_dir / "CURRENT").read_text() == served
    proc = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert proc.returncode == 0, proc.stderr
    assert "refused: photo.txt: looks like a binary file" in proc.stderr
    assert "added: new.txt" in proc.stdout and "1 file refused" in proc.stdout
    assert "skipped: ancien.doc: unsupported file type .doc; save it as .docx" in proc.stderr
    assert "1 file of other types skipped" in proc.stdout and "new.txt.title" not in proc.stderr
    assert (index_dir / "CURRENT").read_text() != served
    again = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert "is up to date" in again.stdout and "refused: photo.txt" in again.stderr


@pytest.mark.heavy
def test_corrupt_index_exits_4_naming_the_fix(small_corpus, tmp_path):
    index_dir = tmp_path / "idx"
    assert ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0
    gen = index_dir / (index_dir / "CURRENT").read_text().strip()
    (gen / "dense.faiss").write_bytes(b"truncated")
    proc = ragqa("ask", "5G", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert proc.returncode == 4
    line = _one_error_line(proc)
    assert "dense.faiss" in line and "ragqa index --rebuild" in line
    assert ragqa("index", "--rebuild", "--corpus", str(small_corpus),
                 "--index", str(index_dir)).returncode == 0
    assert ragqa("ask", "5G", "--corpus", str(small_corpus), "--index", str(index_dir)).returncode == 0


def test_a_new_passage_prefix_re_embeds_the_index(small_corpus, tmp_path):
    """RAGQA_PASSAGE_PREFIX changes every passage vector: the index is not "up to date"."""
    index_dir = tmp_path / "idx"
    first = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir))
    assert first.returncode == 0, first.stderr
    changed = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir),
                    RAGQA_PASSAGE_PREFIX="passage: ")
    assert changed.returncode == 0, changed.stderr
    assert "up to date" not in changed.stdout and "0 reused" in changed.stdout
    same = ragqa("index", "--corpus", str(small_corpus), "--index", str(index_dir),
                 RAGQA_PASSAGE_PREFIX="passage: ")
    assert "is up to date" in same.stdout


def test_ask_about_another_corpus_uses_an_index_of_its_own(small_corpus, tmp_path):
    """`ragqa ask --corpus DIR` without --index never rebuilds the default index with DIR."""
    work = tmp_path / "work"
    work.mkdir()
    proc = ragqa("ask", "Nokia", "-k", "1", "--corpus", str(small_corpus), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "nokia.txt" in proc.stdout
    assert not (work / ".ragqa" / "index").exists()
    own = list((work / ".ragqa" / "indexes").iterdir())
    assert [p.name.startswith("small-corpus-") for p in own] == [True]
    assert (own[0] / "CURRENT").is_file()
    # Another folder of the same name elsewhere gets another index.
    other = tmp_path / "elsewhere" / "small-corpus"
    other.parent.mkdir()
    shutil.copytree(small_corpus, other)
    assert ragqa("ask", "Nokia", "--corpus", str(other), cwd=work).returncode == 0
    assert len(list((work / ".ragqa" / "indexes").iterdir())) == 2


def test_indexing_progress_is_logged_in_lines_when_not_on_a_terminal(small_corpus, tmp_path):
    proc = ragqa("index", "--corpus", str(small_corpus), "--index", str(tmp_path / "idx"))
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "passages" in line]
    total = int(re.search(r"ragqa: embedding (\d+) passages", lines[0]).group(1))
    assert re.fullmatch(rf"ragqa: embedded {total}/{total} passages \(100%\), [\d.]+ passages/s",
                        lines[-1])
    assert "\r" not in proc.stderr  # no bar drawn into a log
