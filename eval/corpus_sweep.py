"""Corpus-processing variants measured in BM25-only mode, without any embedding model.

``ragqa eval --modes bm25`` still builds (and embeds) a full index; choosing chunking,
boilerplate and BM25-text defaults needs dozens of builds, so this module builds only the
lexical side, with the project's own code (sections, boilerplate, chunker, analyzer, bm25s,
and the service's :class:`~ragqa.index.search.retriever.Retriever` with its near-duplicate filter), and
measures recall@1/@5 and MRR@10 on the ``dev`` split of three corpus shapes:

* ``project``: ``eval/questions.jsonl`` over ``corpus/`` (news, a live blog);
* ``piaf``: PIAF v1.0, one document per article (``eval/squad.py``);
* ``longdocs``: PIAF as long administrative pages (``eval/longdocs.py``).

It also measures a naive reference: BM25 over fixed 1,000-character windows of each
document (no overlap, no sections, no boilerplate logic, the bare text).

    python -m ragqa.eval.corpus_sweep --piaf ../shared/benchmarks/piaf/piaf-v1.0.json --split dev
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import faiss

from ragqa.eval.longdocs import build as build_longdocs
from ragqa.eval.metrics import first_hit_rank, is_hit, mrr_at, recall_at
from ragqa.eval.questions import Question, load_questions, select
from ragqa.eval.squad import load_squad
from ragqa.index.search.analysis import Analyzer, AnalyzerConfig
from ragqa.index.documents.boilerplate import (MIN_CHARS, MIN_SECTIONS, find_boilerplate,
                               find_generic_headings, normalise_line)
from ragqa.index.documents.processing import bm25_text
from ragqa.index.documents.chunking import ChunkingParams, Passage, chunk_document, make_splitter
from ragqa.index.documents.reading import Document, extract_title
from ragqa.index.files.lexical import BM25Params, LexicalIndex
from ragqa.index.documents.loaders import load_document
from ragqa.index.search.retriever import RetrievalParams, Retriever
from ragqa.index.documents.outline import document_sections
from ragqa.index.documents.sections import Section, heading_title
from ragqa.index.config import IndexConfig
from ragqa.index.files.manifest import Manifest
from ragqa.index.records import ModelRecord
from ragqa.index.files.generations import LoadedIndex
from ragqa.index.records import DocumentRecord


@dataclass(frozen=True)
class Variant:
    name: str
    chunk_size: int = 1000
    chunk_overlap: int = 450
    # What BM25 indexes besides the quote: "title" (index.processing.bm25_text: the document
    # title), "section" (before issue 14: the section title, even when the quote starts with
    # its "## heading" line), "section-once" (not when it does), "none", "title+section".
    context: str = "title"
    # Which repeated lines are cut out: "within-doc" (index.boilerplate: in >= 3 sections of
    # one document), "sections3" (before issue 14: in >= 3 distinct sections of any
    # documents), "none", "short" (>= 3 sections anywhere and fewer than SHORT_WORDS words),
    # "within-doc+short" (either), "once" (kept in the first document holding it only).
    boilerplate: str = "within-doc"
    # Keep passages of sections that hold only a generic heading (before issue 14: kept).
    keep_empty_sections: bool = False
    naive: bool = False  # fixed windows of chunk_size, no overlap, bare text


SHORT_WORDS = 10


@dataclass(frozen=True)
class Corpus:
    name: str
    documents: list[Document]
    questions: list[Question]


# -- corpora -------------------------------------------------------------------------------


def _squad_corpus(name: str, documents: dict[str, str], questions: list[Question]) -> Corpus:
    docs = [Document(doc_id, text, extract_title(text, doc_id), "") for doc_id, text in
            sorted(documents.items())]
    return Corpus(name, docs, questions)


def load_corpora(piaf: Path, corpus_dir: Path, questions_file: Path, split: str) -> list[Corpus]:
    paths = sorted(p for p in corpus_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    project_docs = [load_document(p, p.name) for p in paths]
    texts = {d.doc_id: d.text for d in project_docs}
    project = Corpus("project", project_docs,
                     select(load_questions(questions_file, texts), split))
    docs, qs = load_squad(piaf)
    piaf_corpus = _squad_corpus("piaf", docs, select(qs, split))
    long_path = Path(".ragqa/longdocs/longdocs-v1.json")
    long_path.parent.mkdir(parents=True, exist_ok=True)
    long_path.write_text(json.dumps(build_longdocs(json.loads(piaf.read_text("utf-8"))),
                                    ensure_ascii=False), encoding="utf-8")
    docs, qs = load_squad(long_path)
    long_corpus = _squad_corpus("longdocs", docs, select(qs, split))
    return [project, piaf_corpus, long_corpus]


# -- boilerplate policies ------------------------------------------------------------------


def _occurrences(documents: list[Document], split: list[list[Section]]):
    """normalised line -> list of (doc_no, sec_no) where it occurs (one entry per section)."""
    seen: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for doc_no, (doc, sections) in enumerate(zip(documents, split)):
        for sec_no, section in enumerate(sections):
            for line in doc.text[section.start : section.end].split("\n"):
                key = normalise_line(line)
                if len(key) >= MIN_CHARS:
                    seen[key].add((doc_no, sec_no))
    return seen


def boilerplate_per_doc(policy: str, documents: list[Document],
                        split: list[list[Section]]) -> list[frozenset[str]]:
    n = len(documents)
    if policy == "none":
        return [frozenset()] * n
    seen = _occurrences(documents, split)
    repeated = {k: w for k, w in seen.items() if len(w) >= MIN_SECTIONS}
    if policy == "sections3":
        return [frozenset(repeated)] * n
    if policy == "within-doc":
        return [find_boilerplate((d.text, s) for d, s in zip(documents, split))] * n
    if policy == "short":
        return [frozenset(k for k in repeated if len(k.split()) < SHORT_WORDS)] * n
    per_doc: list[set[str]] = [set() for _ in range(n)]
    for key, where in repeated.items():
        by_doc = Counter(d for d, _ in where)
        if policy == "within-doc+short":
            short = len(key.split()) < SHORT_WORDS
            for d, count in by_doc.items():
                if short or count >= MIN_SECTIONS:
                    per_doc[d].add(key)
        elif policy == "once":
            first = min(by_doc)
            for d in by_doc:
                if d != first:
                    per_doc[d].add(key)
        else:
            raise ValueError(f"unknown boilerplate policy {policy!r}")
    return [frozenset(s) for s in per_doc]


# -- passages and their BM25 text ----------------------------------------------------------


def passages_for(corpus: Corpus, v: Variant) -> tuple[list[Passage], list[str]]:
    docs = corpus.documents
    if v.naive:
        passages = [Passage(d.doc_id, s, min(s + v.chunk_size, len(d.text)), d.title)
                    for d in docs for s in range(0, len(d.text), v.chunk_size)
                    if d.text[s : s + v.chunk_size].strip()]
        by_id = {d.doc_id: d for d in docs}
        return passages, [by_id[p.doc_id].text[p.start : p.end] for p in passages]
    splitter = make_splitter(ChunkingParams(v.chunk_size, v.chunk_overlap))
    split = [document_sections(d) for d in docs]
    boiler = boilerplate_per_doc(v.boilerplate, docs, split)
    generic = find_generic_headings([s.title for s in secs] for secs in split)
    passages: list[Passage] = []
    texts: list[str] = []
    for d, (doc, secs) in enumerate(zip(docs, split)):
        for p in chunk_document(doc, secs, boiler[d], splitter,
                                frozenset() if v.keep_empty_sections else generic):
            quote = doc.text[p.start : p.end]
            assert len(quote) <= v.chunk_size
            passages.append(p)
            texts.append(_context(v.context, doc.title, p.section, quote))
    return passages, texts


def _starts_with_heading(quote: str, section: str) -> bool:
    return heading_title(quote.partition("\n")[0]) == section or quote.startswith(section[:40])


def _context(how: str, title: str, section: str, quote: str) -> str:
    if how == "title":
        return bm25_text(title, section, quote)
    if how == "section":
        return quote if quote.startswith(section[:40]) else f"{section}\n{quote}"
    if how == "section-once":
        return quote if _starts_with_heading(quote, section) else f"{section}\n{quote}"
    if how == "none":
        return quote
    if how == "title+section":
        head = [h for h in dict.fromkeys((title, section))
                if not _starts_with_heading(quote, h)]
        return "\n".join([*head, quote])
    raise ValueError(f"unknown context {how!r}")


# -- measuring -----------------------------------------------------------------------------


def retriever_for(corpus: Corpus, passages: list[Passage], texts: list[str]) -> Retriever:
    analyzer = Analyzer(AnalyzerConfig())
    lexical = LexicalIndex.build(texts, analyzer, BM25Params())
    records = {d.doc_id: DocumentRecord(d.doc_id, d.title, "", d.text, (), 0, "")
               for d in corpus.documents}
    rows: dict[str, list[int]] = defaultdict(list)
    for row, p in enumerate(passages):
        rows[p.doc_id].append(row)
    # A BM25-only index in memory: no model made vectors for it.
    manifest = Manifest(0, "", ModelRecord("none", "none", "", 1, False), None, IndexConfig(),
                        {}, {}, {}, "", len(records), len(passages))
    index = LoadedIndex(Path("."), 0, manifest, records, passages, [""] * len(passages),
                        faiss.IndexFlatIP(1), lexical, dict(rows))
    # BM25 as it ranks the question as written: no typos read (what the sweep measured)
    return Retriever(index, None, RetrievalParams(mode="bm25", question_typos=False))


def measure(corpus: Corpus, v: Variant, k: int = 10) -> dict[str, float]:
    passages, texts = passages_for(corpus, v)
    retriever = retriever_for(corpus, passages, texts)
    ranks = []
    for q in corpus.questions:
        if not q.answerable:
            continue
        hits = retriever.search(q.question, k, mode="bm25").hits
        ranks.append(first_hit_rank([is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans)
                                     for h in hits]))
    return {"questions": len(ranks), "passages": len(passages),
            "r@1": recall_at(ranks, 1), "r@5": recall_at(ranks, 5), "mrr@10": mrr_at(ranks, k)}


def sweep(corpora: list[Corpus], variants: Iterable[Variant],
          report: Callable[[str], None] = print) -> list[dict]:
    rows = []
    for v in variants:
        row: dict = {"variant": v.name}
        for c in corpora:
            m = measure(c, v)
            row.update({f"{c.name}.{key}": value for key, value in m.items()})
        keys = [f"{c.name}.{m}" for c in corpora for m in ("r@1", "r@5", "mrr@10")]
        row["mean.r@5"] = sum(row[f"{c.name}.r@5"] for c in corpora) / len(corpora)
        row["mean.mrr@10"] = sum(row[f"{c.name}.mrr@10"] for c in corpora) / len(corpora)
        report(f"| {v.name} | " + " | ".join(f"{row[key]:.3f}" for key in keys)
               + f" | {row['mean.r@5']:.3f} | {row['mean.mrr@10']:.3f} |")
        rows.append(row)
    return rows


NAIVE = Variant("naive: fixed 1000-char windows", naive=True)
TODAY = Variant("before: section, sections3, empty generic sections kept", context="section",
                boilerplate="sections3", keep_empty_sections=True)
NEW = Variant("new: title, within-doc, empty generic sections dropped")

# One change at a time from the defaults before issue 14...
FROM_TODAY = (
    TODAY,
    replace(TODAY, name="before, context none", context="none"),
    replace(TODAY, name="before, context section-once", context="section-once"),
    replace(TODAY, name="before, context title", context="title"),
    replace(TODAY, name="before, boilerplate none", boilerplate="none"),
    replace(TODAY, name="before, boilerplate within-doc", boilerplate="within-doc"),
    replace(TODAY, name="before, boilerplate short", boilerplate="short"),
    replace(TODAY, name="before, boilerplate once", boilerplate="once"),
    replace(TODAY, name="before, empty generic sections dropped", keep_empty_sections=False),
    replace(TODAY, name="before, overlap 142", chunk_overlap=142),
    replace(TODAY, name="before, overlap 300", chunk_overlap=300),
    replace(TODAY, name="before, size 1500/675", chunk_size=1500, chunk_overlap=675),
)

# ... and from the new ones.
FROM_NEW = (
    NEW,
    replace(NEW, name="new, context none", context="none"),
    replace(NEW, name="new, context section", context="section"),
    replace(NEW, name="new, context section-once", context="section-once"),
    replace(NEW, name="new, context title+section", context="title+section"),
    replace(NEW, name="new, boilerplate sections3", boilerplate="sections3"),
    replace(NEW, name="new, boilerplate none", boilerplate="none"),
    replace(NEW, name="new, boilerplate within-doc+short", boilerplate="within-doc+short"),
    replace(NEW, name="new, empty generic sections kept", keep_empty_sections=True),
    replace(NEW, name="new, overlap 142", chunk_overlap=142),
    replace(NEW, name="new, overlap 300", chunk_overlap=300),
    replace(NEW, name="new, size 500/225", chunk_size=500, chunk_overlap=225),
    replace(NEW, name="new, size 800/350", chunk_size=800, chunk_overlap=350),
    replace(NEW, name="new, size 1200/450", chunk_size=1200, chunk_overlap=450),
    replace(NEW, name="new, size 1500/450", chunk_size=1500, chunk_overlap=450),
    replace(NEW, name="new, size 1500/675", chunk_size=1500, chunk_overlap=675),
    replace(NEW, name="new, size 2000/900", chunk_size=2000, chunk_overlap=900),
)

SETS = {"before": (NAIVE, *FROM_TODAY), "new": (NAIVE, *FROM_NEW)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--piaf", type=Path,
                        default=Path("../shared/benchmarks/piaf/piaf-v1.0.json"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--split", choices=("dev", "test", "all"), default="dev")
    parser.add_argument("--only", help="';'-separated variant names (default: all)")
    parser.add_argument("--set", choices=tuple(SETS), default="new",
                        help="one change at a time from the defaults before issue 14, or from "
                        "the new ones")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    corpora = load_corpora(args.piaf, args.corpus, args.questions, args.split)
    wanted = set(args.only.split(";")) if args.only else None
    variants = [v for v in SETS[args.set] if wanted is None or v.name in wanted]
    print(f"split {args.split}: " + ", ".join(
        f"{c.name} {sum(q.answerable for q in c.questions)} questions" for c in corpora))
    metrics = ("r@1", "r@5", "mrr@10")
    print("| variant | " + " | ".join(f"{c.name} {m}" for c in corpora for m in metrics)
          + " | mean r@5 | mean mrr@10 |")
    print("|---" * (2 + 3 * len(corpora) + 1) + "|")
    rows = sweep(corpora, variants)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
