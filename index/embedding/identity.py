"""What decides a passage's vector besides its text: the :class:`VectorIdentity`.

An index's vectors are reused, and searched, only with the identity that made them: the
model's weights, the backend's variant (int8 vectors differ from fp32 ones), the query and
passage prefixes, and whether passages are embedded with their title and section. Changing
any of them re-embeds on the next indexing run, and an index opened with another identity
is refused with a message naming what differs.

Computing it never loads the model: the prefixes come from the settings, else the model
folder's own prompts, else those its card documents; the weights are hashed once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

from ragqa.index.embedding.backends import vector_variant
from ragqa.index.embedding.models import KNOWN_PREFIXES, ResolvedModel


@dataclass(frozen=True)
class VectorIdentity:
    """Everything besides a passage's text that decides its vector (recorded in the
    manifest; equal identities make interchangeable vectors)."""

    weights_sha256: str
    variant: str = ""  # backends.INT8_VARIANT for the quantised backend, "" for fp32 ones
    query_prefix: str = ""
    passage_prefix: str = ""
    embed_context: bool = True  # "title / section / passage" embedded, not the bare passage

    def differences(self, other: VectorIdentity) -> list[str]:
        """Human-readable names of the parts that differ from ``other``."""
        return [_LABELS[f.name] for f in fields(self)
                if getattr(self, f.name) != getattr(other, f.name)]


_LABELS = {
    "weights_sha256": "model weights",
    "variant": "backend variant (RAGQA_EMBED_BACKEND)",
    "query_prefix": "query prefix (RAGQA_QUERY_PREFIX)",
    "passage_prefix": "passage prefix (RAGQA_PASSAGE_PREFIX)",
    "embed_context": "embedded context (RAGQA_EMBED_CONTEXT)",
}


def vector_identity(
    model: ResolvedModel,
    *,
    backend: str = "torch",
    query_prefix: str | None = None,
    passage_prefix: str | None = None,
    embed_context: bool = True,
) -> VectorIdentity:
    """The identity of the vectors ``model`` makes with these settings (``None`` prefixes:
    the model's own, see :func:`model_prefixes`)."""
    own_query, own_passage = model_prefixes(model)
    return VectorIdentity(
        weights_sha256=model.weights_sha256(),
        variant=vector_variant(backend, model.name),
        query_prefix=own_query if query_prefix is None else query_prefix,
        passage_prefix=own_passage if passage_prefix is None else passage_prefix,
        embed_context=embed_context,
    )


def model_prefixes(model: ResolvedModel) -> tuple[str, str]:
    """``(query, passage)`` prefixes of ``model``: the non-empty ``query`` and ``passage``
    (or ``document``) prompts of its sentence-transformers config, else those its card
    documents (by exact name), else none. Read from the folder, without loading the model
    (the same prompts sentence-transformers would load)."""
    known_query, known_passage = KNOWN_PREFIXES.get(model.name, ("", ""))
    prompts: dict[str, str] = {}
    config = model.path / "config_sentence_transformers.json"
    try:
        saved = json.loads(config.read_text(encoding="utf-8")).get("prompts") or {}
        prompts = {k: v for k, v in saved.items() if isinstance(v, str) and v}
    except (OSError, ValueError, AttributeError):
        pass  # no config (or an unreadable one): sentence-transformers has no prompts either
    return (prompts.get("query", known_query),
            prompts.get("passage", prompts.get("document", known_passage)))
