"""SQuAD-format and BEIR-format sets as retrieval benchmarks.

A SQuAD file becomes a corpus of one document per article (``# title`` then its
paragraphs), chunked like any other document; each question's gold span is its answer's
offset in that document. Questions are split into dev/test *by article*, so no article
feeds both the choice of defaults and the reported figures.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from ragqa.eval.questions import Question, QuestionSetError

_UNSAFE = re.compile(r"[^\w.-]+")


def _doc_id(number: int, title: str) -> str:
    slug = _UNSAFE.sub("_", title).strip("_")[:60] or "article"
    return f"{number:04d}_{slug}.md"


def load_squad(path: Path) -> tuple[dict[str, str], list[Question]]:
    """``(documents by id, questions)`` from a SQuAD v1/v2 JSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QuestionSetError(f"{path}: not a readable SQuAD-format file ({exc})") from None
    try:
        return _articles(data)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise QuestionSetError(f"{path}: not a SQuAD-format file: an article, paragraph or "
                               f"question without the expected fields ({exc!r})") from None


def _articles(data) -> tuple[dict[str, str], list[Question]]:
    documents: dict[str, str] = {}
    questions: list[Question] = []
    for number, article in enumerate(data):
        title = str(article.get("title") or f"Article {number}").replace("_", " ")
        doc_id = _doc_id(number, title)
        text = f"# {title}\n\n"
        for paragraph in article.get("paragraphs", []):
            base = len(text)
            context = paragraph["context"].replace("\r\n", "\n").replace("\r", "\n")
            text += context + "\n\n"
            for qa in paragraph.get("qas", []):
                spans = tuple(
                    (base + a["answer_start"], base + a["answer_start"] + len(a["text"]))
                    for a in qa.get("answers", [])
                    if context[a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"]
                )
                questions.append(
                    Question(
                        id=str(qa["id"]),
                        question=qa["question"],
                        lang="",
                        kind="unanswerable" if qa.get("is_impossible") else "squad",
                        doc=doc_id if spans else None,
                        spans=spans,
                        group=title,
                    )
                )
        documents[doc_id] = text.rstrip("\n") + "\n"
    return documents, questions


def load_beir(folder: Path) -> tuple[dict[str, str], list[Question]]:
    """``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv``; relevance is per document,
    so any passage of a relevant document counts (its whole text is the gold span)."""
    try:
        documents = {}
        for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                title = row.get("title") or ""
                body = f"# {title}\n\n{row['text']}\n" if title else f"{row['text']}\n"
                documents[_UNSAFE.sub("_", str(row["_id"])) + ".md"] = body
        queries = {}
        for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                queries[str(row["_id"])] = row["text"]
        qrels: dict[str, list[str]] = {}
        for line in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
            qid, did, score = line.split("\t")[:3]
            if float(score) > 0:
                qrels.setdefault(qid, []).append(_UNSAFE.sub("_", did) + ".md")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QuestionSetError(f"{folder}: not a readable BEIR folder ({exc})") from None
    questions = [
        Question(qid, queries[qid], "", "beir", docs[0], ((0, len(documents[docs[0]])),), qid)
        for qid, docs in sorted(qrels.items())
        if qid in queries and docs[0] in documents
    ]
    return documents, questions


def materialise(documents: dict[str, str], root: Path) -> Path:
    """Write the documents as a corpus folder under ``root`` (reused across runs)."""
    digest = hashlib.sha256(
        "".join(f"{k}\0{v}" for k, v in sorted(documents.items())).encode()
    ).hexdigest()[:16]
    corpus = root / digest / "corpus"
    if not corpus.is_dir():
        staging = root / digest / ".corpus-tmp"
        staging.mkdir(parents=True, exist_ok=True)
        for doc_id, text in documents.items():
            (staging / doc_id).write_text(text, encoding="utf-8")
        staging.rename(corpus)
    return corpus
