"""The JSON lines of ``documents.jsonl`` and ``passages.jsonl``, in generations and segments
alike: written and read here only."""

from __future__ import annotations

import json
from pathlib import Path

from ragqa.index.documents.chunking import Passage
from ragqa.index.errors import IndexCorruptError
from ragqa.index.files.manifest import REBUILD_HINT
from ragqa.index.records import DocumentRecord


def document_row(record: DocumentRecord) -> dict:
    return {
        "doc_id": record.doc_id,
        "title": record.title,
        "content_hash": record.content_hash,
        "sections": list(record.sections),
        "passages": record.passages,
        "indexed_at": record.indexed_at,
        "pages": list(record.pages),
        "text": record.text,
    }


def passage_row(passage: Passage, key: str) -> dict:
    return {"doc_id": passage.doc_id, "start": passage.start, "end": passage.end,
            "section": passage.section, "page": passage.page, "key": key}


def read_jsonl(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None


def read_rows(folder: Path, documents: str, passages: str
              ) -> tuple[list[DocumentRecord], list[Passage], list[str]]:
    """The documents, the passages and their vector keys stored in ``folder``."""
    try:
        docs = [_document_record(row) for row in read_jsonl(folder / documents)]
        rows = read_jsonl(folder / passages)
        found = [Passage(r["doc_id"], r["start"], r["end"], r["section"], r.get("page"))
                 for r in rows]
        keys = [r["key"] for r in rows]
    except (KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{folder}: a record lacks field {exc}; {REBUILD_HINT}") from None
    return docs, found, keys


def _document_record(row: dict) -> DocumentRecord:
    return DocumentRecord(
        doc_id=row["doc_id"],
        title=row["title"],
        content_hash=row["content_hash"],
        text=row["text"],
        sections=tuple(row["sections"]),
        passages=row["passages"],
        indexed_at=row["indexed_at"],
        pages=tuple(row.get("pages", ())),
    )
