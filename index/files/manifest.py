"""An index generation's ``manifest.json``: the typed :class:`Manifest`, read and written
here only.

It makes a generation self-describing: the schema version, the model and the identity of
its vectors, the index configuration, every indexed file's hash and every refused file's
reason, counts and library versions. Loading checks it (see :mod:`ragqa.index.files.generations`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ragqa.index.config import IndexConfig
from ragqa.index.embedding.identity import VectorIdentity
from ragqa.index.errors import IndexCorruptError, ModelMismatchError
from ragqa.index.records import ModelRecord, RefusedFile

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
REBUILD_HINT = "run `ragqa index --rebuild` to rebuild it"


@dataclass(frozen=True)
class Manifest:
    generation: int
    created_at: str
    model: ModelRecord
    # None only in manifests written before vector identities were recorded: such an index
    # is re-embedded by the next indexing run and refused by a search.
    vectors: VectorIdentity | None
    config: IndexConfig
    dense: dict  # the FAISS index's description (index/files/dense.py describe())
    files: dict[str, str]  # indexed document id -> sha256 of its bytes
    refused: dict[str, RefusedFile]
    corpus_sha256: str
    documents: int
    passages: int
    versions: dict[str, str] = field(default_factory=dict)
    # Explicit titles (``.title`` sidecars) by document id: a change re-indexes.
    titles: dict[str, str] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        return {
            "schema_version": self.schema_version,
            "generation": self.generation,
            "created_at": self.created_at,
            "model": asdict(self.model),
            "vectors": asdict(self.vectors) if self.vectors is not None else None,
            "config": self.config.to_json(),
            "dense": self.dense,
            "files": dict(sorted(self.files.items())),
            "refused": {d: asdict(r) for d, r in self.refused.items()},
            "titles": dict(sorted(self.titles.items())),
            "corpus_sha256": self.corpus_sha256,
            "counts": {"documents": self.documents, "passages": self.passages},
            "versions": self.versions,
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        """Raises ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed manifest."""
        vectors = data.get("vectors")  # absent from manifests of older ragqa versions
        return cls(
            schema_version=data["schema_version"],
            generation=int(data["generation"]),
            created_at=str(data["created_at"]),
            model=ModelRecord(**data["model"]),
            vectors=VectorIdentity(**vectors) if vectors is not None else None,
            config=IndexConfig.from_json(data["config"]),
            dense=dict(data["dense"]),
            files={str(k): str(v) for k, v in data["files"].items()},
            refused={d: RefusedFile(**r) for d, r in data.get("refused", {}).items()},
            corpus_sha256=str(data["corpus_sha256"]),
            documents=int(data["counts"]["documents"]),
            passages=int(data["counts"]["passages"]),
            versions=dict(data.get("versions", {})),
            titles={str(k): str(v) for k, v in data.get("titles", {}).items()},
        )

    def check_vectors(self, identity: VectorIdentity, model_name: str) -> None:
        """Refuse to search these vectors with another identity than the one that made them."""
        if self.vectors is not None and self.vectors.weights_sha256 != identity.weights_sha256:
            raise ModelMismatchError(
                f"the index was built with embedding model {self.model.name!r} but "
                f"{model_name!r} is loaded now; {REBUILD_HINT} with this model, or configure "
                "the index's model"
            )
        if self.vectors != identity:
            what = (", ".join(self.vectors.differences(identity)) if self.vectors is not None
                    else "vector identity (built by an older ragqa)")
            raise ModelMismatchError(
                f"the index's vectors were made with another {what} than configured now; run "
                "`ragqa index` to re-embed them, or restore the index's settings"
            )


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` into a (staging) generation folder."""
    text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2)
    (folder / MANIFEST).write_text(text, "utf-8")


def read_manifest(gen_dir: Path) -> Manifest:
    """The generation's manifest, checked; :class:`IndexCorruptError` names the fix."""
    path = gen_dir / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        found = data.get("schema_version") if isinstance(data, dict) else None
        raise IndexCorruptError(
            f"{path} has schema version {found!r}, this ragqa reads {SCHEMA_VERSION}; "
            + REBUILD_HINT
        )
    try:
        return Manifest.from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IndexCorruptError(
            f"{path}: bad or missing field ({type(exc).__name__}: {exc}); {REBUILD_HINT}"
        ) from None
