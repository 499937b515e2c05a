"""Retrieval on the same articles written as Office files, PDF and HTML ("the same
articles, other formats").

Each article of a SQuAD-format set (PIAF, the long administrative pages of
:mod:`ragqa.eval.longdocs`) is written in one format by :mod:`ragqa.eval.writing`, the
folder is indexed as ``ragqa index`` does (:func:`ragqa.wiring.start` syncs the store with
the folder), each gold span is followed into the canonical text the loader made
(:mod:`ragqa.eval.spanmap`) and the questions are asked with the service's retriever
(:func:`ragqa.eval.runner.run_questions`). Markdown goes through the same steps and is the
reference. Only ``dev`` articles are written (the split of :mod:`ragqa.eval.squad`)::

    python -m ragqa.eval.formats_eval --squad ../shared/benchmarks/piaf/piaf-v1.0.json \\
        --formats md,docx,odt,html,pdf,pptx --out eval/results/formats-piaf.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ragqa.eval.blocks import Block, context_blocks
from ragqa.eval.metrics import mrr_at, recall_at
from ragqa.eval.questions import Question, QuestionSetError, split_of
from ragqa.eval.runner import run_questions, summarise
from ragqa.eval.spanmap import map_spans
from ragqa.eval.squad import _doc_id, load_squad
from ragqa.eval.writing import PRINTABLE, WRITERS, suffix
from ragqa.index.documents.outline import HEADING_PATH_SEPARATOR


_OUTLINE_NUMBER = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*\.?|[IVXLC]{1,6}\.)\s+")


@dataclass(frozen=True)
class Article:
    """One article: its markdown id (as :func:`~ragqa.eval.squad.load_squad` names it),
    title and blocks, whose offsets are those of its markdown document."""

    doc_id: str
    title: str
    blocks: tuple[Block, ...]


def read_articles(path: Path) -> tuple[list[Article], list[Question]]:
    """The articles of a SQuAD-format file and its questions (spans in the markdown
    documents :func:`~ragqa.eval.squad.load_squad` makes)."""
    documents, questions = load_squad(path)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    articles = []
    for number, article in enumerate(data):
        title = str(article.get("title") or f"Article {number}").replace("_", " ")
        base, blocks = len(f"# {title}\n\n"), []
        for paragraph in article.get("paragraphs", []):
            context = paragraph["context"].replace("\r\n", "\n").replace("\r", "\n")
            blocks += context_blocks(context, base)
            base += len(context) + 2
        doc_id = _doc_id(number, title)
        if doc_id not in documents:  # (ids carry the article number: a changed load_squad)
            raise QuestionSetError(f"{path}: article {number} has no document {doc_id}")
        articles.append(Article(doc_id, title, tuple(blocks)))
    return articles, questions


def sample(articles: list[Article], questions: list[Question], split: str,
           max_articles: int | None, max_questions: int | None,
           seed: int = 0) -> tuple[list[Article], list[Question]]:
    """The ``split``'s articles (at most ``max_articles``, drawn with ``seed``) and their
    answerable questions (at most ``max_questions``, drawn with ``seed``), in file order."""
    chosen = [a for a in articles if split_of(a.title) == split]
    if max_articles is not None and len(chosen) > max_articles:
        keep = set(random.Random(seed).sample(range(len(chosen)), max_articles))
        chosen = [a for i, a in enumerate(chosen) if i in keep]
    ids = {a.doc_id for a in chosen}
    asked = [q for q in questions if q.answerable and q.doc in ids]
    if max_questions is not None and len(asked) > max_questions:
        keep = set(random.Random(seed).sample(range(len(asked)), max_questions))
        asked = [q for i, q in enumerate(asked) if i in keep]
    return chosen, asked


def format_id(doc_id: str, fmt: str) -> str:
    """The file name of ``doc_id`` written as ``fmt`` (``docx-bold`` is still a ``.docx``)."""
    return doc_id.rsplit(".", 1)[0] + "." + suffix(fmt)


def write_corpus(articles: list[Article], fmt: str, folder: Path) -> None:
    """Every article written as ``fmt`` in ``folder`` (files already there are kept: the
    writers are deterministic but for the packages' timestamps, which would reindex)."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        path = folder / format_id(article.doc_id, fmt)
        if not path.exists():
            staging = path.with_name(".tmp-" + path.name)
            WRITERS[fmt](staging, article.title, article.blocks)
            staging.replace(path)


@dataclass(frozen=True)
class Mapped:
    """The questions with their spans in the format's canonical text (those with no span
    mapped are left out and counted), and what was lost."""

    questions: list[Question]
    spans: int
    unmapped_spans: int
    by_answer: int  # spans of blocks not found whole, placed by their own text
    unmapped_questions: list[str]
    lost_blocks: dict[str, list[str]]  # doc id -> the texts of its blocks not found


def map_questions(articles: list[Article], questions: list[Question], fmt: str,
                  texts: dict[str, str]) -> Mapped:
    """Each question's spans followed into ``texts`` (canonical text by id)."""
    by_id = {a.doc_id: a for a in articles}
    mappings = {}
    for question in questions:
        if question.doc not in mappings:
            target = format_id(question.doc, fmt)
            text = texts.get(target, "")
            mappings[question.doc] = (target, text)
    out, spans, unmapped, by_answer, lost_questions = [], 0, 0, 0, []
    lost_blocks: dict[str, list[str]] = {}
    for question in questions:
        target, text = mappings[question.doc]
        mapping = map_spans(text, by_id[question.doc].blocks, question.spans,
                            PRINTABLE.get(fmt))
        if mapping.lost_blocks:
            lost_blocks[target] = [b.text[:120] for b in mapping.lost_blocks]
        kept = tuple(s for s in mapping.spans if s is not None)
        spans += len(mapping.spans)
        by_answer += mapping.by_answer
        unmapped += len(mapping.spans) - len(kept)
        if kept:
            out.append(Question(question.id, question.question, question.lang, question.kind,
                                target, kept, question.group))
        else:
            lost_questions.append(question.id)
    return Mapped(out, spans, unmapped, by_answer, lost_questions, lost_blocks)


def structure(records: dict) -> dict:
    """What the index made of the documents: passages, sections, titles."""
    docs = list(records.values())
    return {
        "documents": len(docs),
        "passages": sum(d.passages for d in docs),
        "sections": sum(len(d.sections) for d in docs),
        "distinct_titles": len({d.title for d in docs}),
        "titles": {d.doc_id: d.title for d in docs},
    }


def heading_above(article: Article, offset: int) -> str:
    """The innermost heading of ``article`` above markdown ``offset`` (its title if none)."""
    above = [b for b in article.blocks if b.kind == "heading" and 0 <= b.start <= offset]
    return " ".join((above[-1].text if above else article.title).split())


def heading_key(heading: str) -> str:
    """A heading as compared by :func:`answer_sections`: its words, case folded, without a
    leading outline number ("2.1 Cas général" and "CAS GÉNÉRAL" are "cas général")."""
    return " ".join(_OUTLINE_NUMBER.sub("", heading.strip()).split()).casefold()


def answer_sections(index, articles: list[Article], questions: list[Question],
                    mapped: list[Question]) -> dict:
    """How many questions' answers lie in a passage whose section is the heading the answer
    falls under in the markdown article (the section path's last part: a citation names
    the right section), out of the questions mapped."""
    by_id = {a.doc_id: a for a in articles}
    asked = {q.id: q for q in questions}
    _, count = index.counts()
    # Rows retired by a sync are absent; the range covers rows appended after them.
    by_doc: dict[str, list] = {}
    for record in index.passages_of(range(2 * count + 1000)).values():
        by_doc.setdefault(record.doc_id, []).append(record)
    right = 0
    for question in mapped:
        original = asked[question.id]
        expected = heading_above(by_id[original.doc], original.spans[0][0])
        start = question.spans[0][0]
        holding = [p for p in by_doc.get(question.doc, []) if p.start <= start < p.end]
        if any(heading_key(p.section.split(HEADING_PATH_SEPARATOR)[-1]) == heading_key(expected)
               for p in holding):
            right += 1
    return {"answers_in_right_section": right, "answers_checked": len(mapped)}


def evaluate_format(engine, articles: list[Article], questions: list[Question], fmt: str,
                    modes: list[str], k: int = 10, highlights: bool = False) -> dict:
    """Recall and MRR of ``questions`` over the engine's index of ``articles`` in
    ``fmt``, with the mapping's losses and the index's structure; with ``highlights``, how
    often the service's highlight holds the answer
    (:func:`~ragqa.eval.highlights.measure_service`)."""
    records = engine.index.documents_by_id()
    mapped = map_questions(articles, questions, fmt,
                           {doc_id: r.text for doc_id, r in records.items()})
    runs = run_questions(engine.retriever, mapped.questions, modes, k)
    metrics = summarise(runs, k)
    keep = ("questions", "recall@1", "recall@5", "recall@10", f"mrr@{k}")
    row = {key: value for key, value in metrics.items()
           if key.split(".", 1)[1] in keep}
    stats = structure(records)
    stats.update(answer_sections(engine.index, articles, questions, mapped.questions))
    titles_right = sum(1 for a in articles
                       if stats["titles"].get(format_id(a.doc_id, fmt)) == a.title)
    if highlights:
        from ragqa.eval.highlights import measure_service

        stats["highlight"] = measure_service(engine, mapped.questions, k)
    return {
        "format": fmt, "metrics": row, "asked": len(questions),
        "spans": mapped.spans, "unmapped_spans": mapped.unmapped_spans,
        "spans_by_answer": mapped.by_answer,
        "unmapped_questions": mapped.unmapped_questions, "lost_blocks": mapped.lost_blocks,
        "titles_equal_article_title": titles_right, **stats,
        # the first mode's rank of each question (None: not in the top k), for comparing
        # formats on the questions they all mapped
        "ranks": {q.id: r for q, r in zip(mapped.questions, runs[modes[0]].ranks)},
    }


def markdown_table(results: dict, mode: str = "hybrid") -> str:
    """One row per format of a :func:`main` JSON result: recall, MRR, what the spans and
    the index became."""
    lines = ["| format | questions | unmapped spans (placed by answer text) | recall@1 | "
             "recall@5 | MRR@10 | recall@5, unmapped as misses | passages | sections | "
             "titles = article's | answers in the right section |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for fmt, row in results["formats"].items():
        m = row["metrics"]
        lines.append(
            f"| {fmt} | {m[f'{mode}.questions']}/{row['asked']} | {row['unmapped_spans']}/"
            f"{row['spans']} ({row.get('spans_by_answer', 0)}) | {m[f'{mode}.recall@1']:.3f} | "
            f"{m[f'{mode}.recall@5']:.3f} | {m[f'{mode}.mrr@10']:.3f} | "
            f"{m[f'{mode}.recall@5'] * m[f'{mode}.questions'] / row['asked']:.3f} | "
            f"{row['passages']} | "
            f"{row['sections']} | {row['titles_equal_article_title']}/{row['documents']} | "
            f"{row.get('answers_in_right_section', '-')}/{row.get('answers_checked', '-')} |")
    return "\n".join(lines) + "\n"


def common_table(results: dict, k: int = 10) -> str:
    """Recall@1, recall@5 and MRR@k of each format on the questions every format mapped
    (the same questions for all), from the ranks :func:`evaluate_format` keeps."""
    rows = results["formats"]
    common = set.intersection(*(set(row["ranks"]) for row in rows.values()))
    lines = [f"On the {len(common)} questions mapped in every format:", "",
             "| format | recall@1 | recall@5 | MRR@10 | worse than md (rank) | better |",
             "|---|---|---|---|---|---|"]
    reference = rows.get("md", {}).get("ranks", {})
    for fmt, row in rows.items():
        ranks = [row["ranks"][q] for q in common]
        worse = sum(1 for q in common if q in reference
                    and (row["ranks"][q] or k + 1) > (reference[q] or k + 1))
        better = sum(1 for q in common if q in reference
                     and (row["ranks"][q] or k + 1) < (reference[q] or k + 1))
        lines.append(f"| {fmt} | {recall_at(ranks, 1):.3f} | {recall_at(ranks, 5):.3f} | "
                     f"{mrr_at(ranks, k):.3f} | {worse} | {better} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from ragqa import wiring
    from ragqa.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m ragqa.eval.formats_eval",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--formats", default="md,docx,odt,html,pdf,pptx")
    parser.add_argument("--split", choices=["dev"], default="dev",
                        help="dev only: these figures choose loader changes")
    parser.add_argument("--articles", type=int, help="at most this many articles (seeded)")
    parser.add_argument("--questions", type=int, help="at most this many questions (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--modes", default="hybrid")
    parser.add_argument("--root", type=Path, default=Path(".ragqa/formatseval"),
                        help="corpus and index folders, one pair per set and format (reused)")
    parser.add_argument("--out", type=Path, required=True, help="JSON results")
    parser.add_argument("--highlights", action="store_true",
                        help="also measure how often the highlight holds the answer")
    parser.add_argument("--no-update", action="store_true",
                        help="measure the indexes under --root as they are (built by other "
                             "code), neither writing nor indexing the corpus")
    args = parser.parse_args(argv)
    articles, questions = read_articles(args.squad)
    articles, questions = sample(articles, questions, args.split, args.articles,
                                 args.questions, args.seed)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    results = {"squad": str(args.squad), "split": args.split, "seed": args.seed,
               "articles": len(articles), "questions": len(questions), "modes": modes,
               "command": " ".join(["python -m ragqa.eval.formats_eval", *sys.argv[1:]]),
               "formats": {}}
    model = embedder = None
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        if fmt not in WRITERS:
            parser.error(f"unknown format {fmt!r}; use {', '.join(WRITERS)}")
        folder = args.root / f"{args.squad.stem}-{args.split}-{len(articles)}" / fmt
        if not args.no_update:
            write_corpus(articles, fmt, folder / "corpus")
        settings = load_settings(corpus_dir=folder / "corpus", index_dir=folder / "index")
        started_at = time.perf_counter()
        started = wiring.start(settings, update=not args.no_update, model=model,
                               embedder=embedder)
        engine = started.engine
        model, embedder = engine.model, engine.embedder
        indexed_s = time.perf_counter() - started_at
        try:
            row = evaluate_format(engine, articles, questions, fmt, modes,
                                  highlights=args.highlights)
        finally:
            engine.store.close()
        row["index_s"] = round(indexed_s, 1)
        row["refused"] = dict(started.report.refused) if started.report else {}
        results["formats"][fmt] = row
        print(fmt, json.dumps(row["metrics"]), "unmapped", row["unmapped_spans"],
              "passages", row["passages"], "sections", row["sections"],
              *(["highlight", json.dumps(row["highlight"])] if "highlight" in row else []),
              f"{indexed_s:.0f}s", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(markdown_table(results, modes[0]), flush=True)
    print(common_table(results), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
