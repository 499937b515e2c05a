"""Deterministic documents for the PostgreSQL store's tests: each version's passages can be
checked against its content hash alone (no fixture state needed)."""

from __future__ import annotations

import hashlib

import numpy as np

from ragqa.index.pg.writes import DocumentWrite, PassageRow

DIM = 8


def vector_for(seed: str) -> np.ndarray:
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))
    v = rng.standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def make_document(doc_id: str, version: str, passages: int = 3) -> DocumentWrite:
    """``passages`` paragraphs naming the document and version; one passage per paragraph."""
    paragraphs = [f"Paragraphe {i} de {doc_id} version {version} : réseau fibre {i % 3}."
                  for i in range(passages)]
    text = "\n\n".join(paragraphs) + "\n"
    rows, offset = [], 0
    for i, paragraph in enumerate(paragraphs):
        terms = tuple(paragraph.casefold().replace(":", " ").replace(".", " ").split())
        rows.append(PassageRow(start=offset, end=offset + len(paragraph), section=doc_id,
                               page=None, terms=terms, vector=vector_for(f"{doc_id}/{version}/{i}"),
                               embed_key=f"{doc_id}/{version}/{i}"))
        offset += len(paragraph) + 2
    return DocumentWrite(
        doc_id=doc_id, title=doc_id, text=text,
        content_hash=content_hash(doc_id, version, passages), passages=tuple(rows),
        sections=(doc_id,),
    )


def content_hash(doc_id: str, version: str, passages: int) -> str:
    return hashlib.sha256(f"{doc_id}|{version}|{passages}".encode()).hexdigest()
