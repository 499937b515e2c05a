"""Incremental updates, atomicity and manifest checks, with the real model and FAISS."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ragqa.index.files.builder import IndexConfig, update_index
from ragqa.index.embedding.embedder import Embedder
from ragqa.index.documents.chunking import ChunkingParams
from ragqa.index.config import PROCESSING_VERSION
from ragqa.index.errors import (
    DocumentError,
    EmptyCorpusError,
    IndexCorruptError,
    IndexMissingError,
    ModelMismatchError,
)
from ragqa.index.embedding.models import ResolvedModel
from ragqa.index.search.retriever import Retriever, RetrievalParams
from ragqa.index.files.manifest import read_manifest
from ragqa.index.files.generations import CURRENT, load_index
from tests.support import build_index


def _build(corpus, index_dir, model, embedder, **kw):
    return build_index(corpus, index_dir, model, embedder, **kw)


def _never():
    raise AssertionError("the model must not be loaded when nothing needs embedding")


def test_incremental_add_change_delete(small_corpus: Path, tmp_path: Path, minilm, embedder):
    index_dir = tmp_path / "idx"
    first = _build(small_corpus, index_dir, minilm, embedder)
    assert first.generation == 1 and sorted(first.added) == ["nokia.txt", "orange.md"]
    assert first.embedded == first.passages > 0

    again = build_index(small_corpus, index_dir, minilm, embedder, load_embedder=_never)
    assert again.up_to_date and again.generation == 1

    (small_corpus / "ericsson.txt").write_text(
        "Ericsson prépare la 5G\n\nEricsson annonce des essais 5G à Tanger.\n", encoding="utf-8"
    )
    (small_corpus / "nokia.txt").write_text(
        "Nokia signe un protocole d'accord\n\nNokia ouvre un centre d'innovation à Rabat.\n",
        encoding="utf-8",
    )
    (small_corpus / "orange.md").unlink()
    update = _build(small_corpus, index_dir, minilm, embedder)
    assert update.added == ["ericsson.txt"]
    assert update.changed == ["nokia.txt"]
    assert update.removed == ["orange.md"]
    assert update.generation == 2
    index = load_index(index_dir)
    assert set(index.documents) == {"ericsson.txt", "nokia.txt"}
    # Only the new and changed passages were embedded.
    assert 0 < update.embedded < first.embedded + 2
    for row in range(len(index.passages)):
        assert index.quote(row) == index.documents[index.passages[row].doc_id].text[
            index.passages[row].start : index.passages[row].end
        ]
    retriever = Retriever(index, embedder, RetrievalParams())
    top = retriever.search("essais 5G à Tanger", 1).hits[0]
    assert top.doc_id == "ericsson.txt"


def test_reused_vectors_equal_fresh_ones(small_corpus, tmp_path, minilm, embedder):
    index_dir = tmp_path / "idx"
    _build(small_corpus, index_dir, minilm, embedder)
    (small_corpus / "extra.txt").write_text("Un autre document\n\nsur la fibre.\n", "utf-8")
    _build(small_corpus, index_dir, minilm, embedder)
    incremental = load_index(index_dir)
    _build(small_corpus, tmp_path / "fresh", minilm, embedder, rebuild=True)
    fresh = load_index(tmp_path / "fresh")
    assert incremental.vector_keys == fresh.vector_keys
    a = incremental.dense.reconstruct_n(0, incremental.dense.ntotal)
    b = fresh.dense.reconstruct_n(0, fresh.dense.ntotal)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_failure_mid_build_leaves_the_old_index_serving(small_corpus, tmp_path, minilm, embedder):
    index_dir = tmp_path / "idx"
    _build(small_corpus, index_dir, minilm, embedder)
    before = load_index(index_dir)
    (small_corpus / "new.txt").write_text("Nouveau\n\nUn texte nouveau sur le cloud.\n", "utf-8")

    def explode(staging: Path) -> None:
        assert (staging / "manifest.json").exists()  # the new generation was complete
        raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected"):
        _build(small_corpus, index_dir, minilm, embedder, before_publish=explode)
    after = load_index(index_dir)
    assert after.generation == before.generation
    assert set(after.documents) == set(before.documents)
    assert not [p for p in index_dir.iterdir() if p.name.startswith(".staging")]
    # The next run recovers and publishes the change.
    assert _build(small_corpus, index_dir, minilm, embedder).added == ["new.txt"]


def test_bad_documents_are_refused_and_the_rest_indexed(small_corpus, tmp_path, minilm,
                                                        embedder):
    index_dir = tmp_path / "idx"
    _build(small_corpus, index_dir, minilm, embedder)
    (small_corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (small_corpus / "empty.md").write_bytes(b"")
    (small_corpus / "big.txt").write_text("La fibre optique. " * 200, encoding="utf-8")
    config = IndexConfig(max_document_bytes=1000)
    report = build_index(small_corpus, index_dir, minilm, embedder, config)
    assert set(report.refused) == {"binary.txt", "empty.md", "big.txt"}
    assert "binary" in report.refused["binary.txt"] and "empty" in report.refused["empty.md"]
    assert "RAGQA_MAX_DOCUMENT_MB" in report.refused["big.txt"]
    assert report.added == [] and report.unchanged == 2 and report.embedded == 0
    served = load_index(index_dir)
    assert set(served.documents) == {"nokia.txt", "orange.md"}
    assert set(served.manifest.refused) == set(report.refused)
    # Nothing changed on disk: up to date, still reported, the model is not loaded.
    again = build_index(small_corpus, index_dir, minilm, embedder, config, load_embedder=_never)
    assert again.up_to_date and again.refused == report.refused
    # Fixing a refused file indexes it.
    (small_corpus / "empty.md").write_text("# Inwi\n\nInwi lance la 5G.\n", encoding="utf-8")
    fixed = build_index(small_corpus, index_dir, minilm, embedder, config)
    assert fixed.added == ["empty.md"] and set(fixed.refused) == {"binary.txt", "big.txt"}


def test_strict_fails_on_a_refused_file_and_keeps_the_index(small_corpus, tmp_path, minilm,
                                                            embedder):
    index_dir = tmp_path / "idx"
    _build(small_corpus, index_dir, minilm, embedder)
    (small_corpus / "binary.txt").write_bytes(b"\x00\x01\x02" * 1000)
    with pytest.raises(DocumentError, match="binary.txt"):
        _build(small_corpus, index_dir, minilm, embedder, strict=True)
    assert set(load_index(index_dir).documents) == {"nokia.txt", "orange.md"}
    assert load_index(index_dir).manifest.refused == {}
    # Once recorded as refused, a no-change run under --strict still fails.
    _build(small_corpus, index_dir, minilm, embedder)
    with pytest.raises(DocumentError, match="binary.txt"):
        _build(small_corpus, index_dir, minilm, embedder, strict=True)


def test_a_corpus_of_only_bad_files_is_an_error(tmp_path, minilm, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(b"")
    (corpus / "b.pdf").write_bytes(b"not a pdf")
    with pytest.raises(EmptyCorpusError, match="could be indexed: a.txt: .*b.pdf"):
        _build(corpus, tmp_path / "idx", minilm, embedder)


def test_empty_corpus_is_an_error(tmp_path, minilm, embedder):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyCorpusError):
        _build(tmp_path / "empty", tmp_path / "idx", minilm, embedder)
    with pytest.raises(EmptyCorpusError, match="does not exist"):
        _build(tmp_path / "nope", tmp_path / "idx", minilm, embedder)
    with pytest.raises(IndexMissingError, match="ragqa index"):
        load_index(tmp_path / "idx")


def test_manifest_describes_the_index(small_corpus, tmp_path, minilm, embedder):
    index_dir = tmp_path / "idx"
    report = _build(small_corpus, index_dir, minilm, embedder)
    manifest = load_index(index_dir).manifest
    assert manifest.schema_version == 1
    assert manifest.model.name == minilm.name
    assert manifest.model.weights_sha256 == minilm.weights_sha256()
    assert manifest.model.dimension == 384
    assert manifest.model.fallback is False
    assert manifest.vectors == embedder.identity
    assert manifest.config.chunking == ChunkingParams(chunk_size=1000, chunk_overlap=450)
    assert manifest.config.analysis.language == "french"
    assert set(manifest.files) == {"nokia.txt", "orange.md"}
    assert (manifest.documents, manifest.passages) == (2, report.passages)
    assert manifest.dense["type"] == "IndexFlatIP"
    assert {"faiss-cpu", "bm25s", "sentence-transformers"} <= set(manifest.versions)
    assert manifest.created_at
    # The file itself: the same record, written and read by index/files/manifest.py only.
    gen = index_dir / (index_dir / CURRENT).read_text().strip()
    raw = json.loads((gen / "manifest.json").read_text())
    assert raw["counts"] == {"documents": 2, "passages": report.passages}
    assert raw["model"]["weights_sha256"] == minilm.weights_sha256()
    assert read_manifest(gen) == manifest


def test_model_mismatch_is_refused(small_corpus, tmp_path, minilm, embedder):
    index_dir = tmp_path / "idx"
    _build(small_corpus, index_dir, minilm, embedder)
    index = load_index(index_dir)
    other = dataclasses.replace(index.manifest.vectors, weights_sha256="0" * 64)
    index.manifest = dataclasses.replace(index.manifest, vectors=other)  # another model's
    with pytest.raises(ModelMismatchError, match="ragqa index --rebuild"):
        Retriever(index, embedder, RetrievalParams())


def test_model_change_re_embeds_everything(small_corpus, tmp_path, minilm, embedder):
    index_dir = tmp_path / "idx"
    first = _build(small_corpus, index_dir, minilm, embedder)
    other = ResolvedModel(minilm.requested, minilm.name, minilm.path, fallback=False)
    manifest_path = index_dir / (index_dir / CURRENT).read_text().strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["vectors"]["weights_sha256"] = "f" * 64
    manifest_path.write_text(json.dumps(manifest))
    report = _build(small_corpus, index_dir, other, embedder)
    assert report.embedded == first.passages


@pytest.mark.parametrize("victim", ["manifest.json", "dense.faiss", "passages.jsonl", "bm25"])
def test_corrupt_files_give_a_clear_error(small_corpus, tmp_path, minilm, embedder, victim):
    index_dir = tmp_path / "idx"
    _build(small_corpus, index_dir, minilm, embedder)
    gen = index_dir / (index_dir / CURRENT).read_text().strip()
    target = gen / victim
    if target.is_dir():
        for f in target.iterdir():
            f.write_bytes(b"garbage")
    else:
        target.write_bytes(target.read_bytes()[: 20])
    with pytest.raises(IndexCorruptError, match=r"ragqa index --rebuild") as info:
        load_index(index_dir)
    assert victim in str(info.value)
    # A rebuild repairs it.
    _build(small_corpus, index_dir, minilm, embedder, rebuild=True)
    assert load_index(index_dir).generation > 1


def test_a_prefix_change_re_embeds_and_the_old_identity_is_refused(small_corpus, tmp_path,
                                                                   minilm, embedder):
    """Everything that changes the vectors is the index's identity: a new passage prefix
    (RAGQA_PASSAGE_PREFIX) re-embeds every passage instead of leaving stale vectors."""
    index_dir = tmp_path / "idx"
    first = _build(small_corpus, index_dir, minilm, embedder)
    prefixed = Embedder(minilm, identity=dataclasses.replace(embedder.identity,
                                                             passage_prefix="passage: "))
    again = _build(small_corpus, index_dir, minilm, prefixed)
    assert not again.up_to_date and again.generation == 2
    assert again.embedded == first.passages and again.reused == 0
    assert load_index(index_dir).manifest.vectors.passage_prefix == "passage: "
    with pytest.raises(ModelMismatchError, match="RAGQA_PASSAGE_PREFIX"):
        Retriever(load_index(index_dir), embedder, RetrievalParams())
    assert _build(small_corpus, index_dir, minilm, prefixed, load_embedder=_never).up_to_date


def test_an_embedder_of_another_identity_is_refused(small_corpus, tmp_path, minilm, embedder):
    other = dataclasses.replace(embedder.identity, query_prefix="query: ")
    with pytest.raises(ValueError, match="query prefix"):
        update_index(small_corpus, tmp_path / "idx", model=minilm, identity=other,
                     load_embedder=lambda: embedder, config=IndexConfig())


def test_an_index_built_by_older_corpus_processing_is_rebuilt(small_corpus, tmp_path, minilm,
                                                               embedder):
    # Issue 14 changed which lines are boilerplate and what BM25 indexes: an index built by
    # the old rules must not report itself up to date (its vectors are still reused).
    index_dir = tmp_path / "idx"
    first = _build(small_corpus, index_dir, minilm, embedder)
    manifest_path = index_dir / (index_dir / CURRENT).read_text().strip() / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["config"]["processing"] == PROCESSING_VERSION
    manifest["config"]["processing"] = PROCESSING_VERSION - 1
    manifest_path.write_text(json.dumps(manifest))
    report = _build(small_corpus, index_dir, minilm, embedder)
    assert not report.up_to_date and report.generation == first.generation + 1
    assert report.embedded == 0
    assert _build(small_corpus, index_dir, minilm, embedder).up_to_date


def test_an_index_folder_under_a_file_is_our_error(tmp_path, minilm, embedder):
    """The library never lets a raw OSError out: the CLI's exit 4, the API's 507."""
    from ragqa.index.errors import IndexWriteError

    blocker = tmp_path / "afile"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(IndexWriteError, match="cannot create the index folder"):
        build_index(Path("corpus"), blocker / "index", minilm, embedder)
