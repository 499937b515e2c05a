"""Running the embedding model's transformer with ONNX Runtime or OpenVINO instead of torch.

sentence-transformers' own ``backend="onnx"|"openvino"`` goes through Hugging Face Optimum,
whose releases require ``transformers<4.58`` (optimum-onnx) or ``<5.6`` (optimum-intel);
ragqa runs transformers 5.x, so the model is exported here, offline, from the local folder:

* the transformer's forward pass (eager attention, so the padding mask stays a graph input)
  is exported once with ``torch.onnx.export`` to ``<export_dir>/model.onnx``;
* ``onnx-int8`` is that file with its weights dynamically quantised to int8 by ONNX Runtime
  (``quantize_dynamic``): smaller and usually faster, but its vectors differ slightly, so an
  index built with it carries another model identity (see :func:`vector_variant`);
* ``openvino`` compiles the same fp32 ONNX file with OpenVINO's CPU plugin.

Tokenisation, pooling and normalisation stay those of the loaded sentence-transformers
model (its own modules), so every backend computes the same function; fp32 backends agree
with torch to ~1e-6 and share the torch model's identity.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ragqa.index.errors import ModelUnavailableError

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx", "onnx-int8", "openvino")
# ``auto``: ``onnx`` where ONNX Runtime is installed and the model exports, else ``torch``
# (same vectors either way; see :class:`ragqa.index.embedding.embedder.Embedder`).
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_inputs(st_model, texts: Sequence[str]) -> dict:
    """The input features of ``texts`` for ``st_model``, tokenised its own way:
    ``preprocess`` in sentence-transformers 6, ``tokenize`` in 5 (deprecated, with a logged
    warning, in 6)."""
    preprocess = getattr(st_model, "preprocess", None)
    if preprocess is not None:
        return preprocess(list(texts))
    return st_model.tokenize(list(texts))


def vector_variant(backend: str) -> str:
    """What, besides the weights, decides the vectors: ``""`` for fp32 backends."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    return "int8" if backend.endswith("-int8") else ""


def open_backend(st_model, backend: str, export_dir: Path | None
                 ) -> tuple[str, ExportedTransformer | None]:
    """The backend that will run ``st_model``: its name and, unless torch runs it, the
    exported transformer. ``auto`` is ``onnx`` when it can be set up, else ``torch`` with a
    warning saying why (both give the same vectors)."""
    vector_variant(backend)  # ValueError lists the backends
    if backend == "torch":
        return "torch", None
    if backend == "auto":
        if export_dir is None:
            return "torch", None
        try:
            return "onnx", ExportedTransformer(st_model, "onnx", export_dir)
        except Exception as exc:  # noqa: BLE001 - any failure: torch does the same job
            logger.warning("embedding with torch, not ONNX Runtime (2x faster on CPU): %s",
                           str(exc).splitlines()[0] if str(exc) else exc)
            return "torch", None
    if export_dir is None:
        raise ValueError(f"embedding backend {backend!r} needs an export folder")
    return backend, ExportedTransformer(st_model, backend, export_dir)


def export_onnx(st_model, export_dir: Path, *, int8: bool = False) -> Path:
    """The transformer of ``st_model`` as ONNX in ``export_dir`` (exported once, reused)."""
    import torch

    export_dir.mkdir(parents=True, exist_ok=True)
    fp32 = export_dir / "model.onnx"
    if not fp32.exists():
        module = st_model[0]
        auto_model = module.auto_model
        previous = getattr(auto_model.config, "_attn_implementation", None)
        if hasattr(auto_model, "set_attn_implementation"):
            auto_model.set_attn_implementation("eager")  # SDPA bakes the mask shape in
        sample = model_inputs(st_model, ["a short sample", "a longer sample sentence to export"])
        names = [name for name in _INPUTS if name in sample]

        class _Forward(torch.nn.Module):
            def __init__(self, model) -> None:
                super().__init__()
                self.model = model

            def forward(self, *args):
                return self.model(**dict(zip(names, args))).last_hidden_state

        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
        tmp = export_dir / f".model.onnx.tmp-{os.getpid()}"
        try:
            # The tracer's warnings are about shapes fixed at export; the axes are dynamic.
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    _Forward(auto_model).eval(), tuple(sample[n] for n in names), str(tmp),
                    input_names=names, output_names=["token_embeddings"], dynamic_axes=axes,
                    opset_version=17, dynamo=False,
                )
            os.replace(tmp, fp32)
        finally:
            tmp.unlink(missing_ok=True)
            if previous and hasattr(auto_model, "set_attn_implementation"):
                auto_model.set_attn_implementation(previous)
        logger.info("exported %s to %s", type(auto_model).__name__, fp32)
    if not int8:
        return fp32
    quantised = export_dir / "model-int8.onnx"
    if not quantised.exists():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        tmp = export_dir / f".model-int8.onnx.tmp-{os.getpid()}"
        try:
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8)
            os.replace(tmp, quantised)
        finally:
            tmp.unlink(missing_ok=True)
    return quantised


def onnx_session_options():
    """ONNX Runtime's options for the exported model: its threads do not spin after a run.

    Spinning keeps the cores busy for a while after each run, taken from what a search does
    next (the micro-batcher, FAISS, numpy): measured on 2 cores, a passage's pass with numpy
    between runs 65 -> 46 ms and the numpy after it 4 -> 0.2 ms, for ~1 ms more on a lone
    short query; served, 1.2 to 1.8 times the queries per second (README, "Performance")."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class ExportedTransformer:
    """The exported forward pass plus the model's own tokenizer, pooling and normalisation."""

    def __init__(self, st_model, backend: str, export_dir: Path) -> None:
        vector_variant(backend)
        try:
            path = export_onnx(st_model, export_dir, int8=backend == "onnx-int8")
            if backend == "openvino":
                import openvino as ov

                self._compiled = ov.Core().compile_model(str(path), "CPU")
                self._names = [i.get_any_name() for i in self._compiled.inputs]
                self._run = lambda feed: next(iter(self._compiled(feed).values()))
            else:
                import onnxruntime as ort

                session = ort.InferenceSession(str(path), onnx_session_options(),
                                               providers=["CPUExecutionProvider"])
                self._names = [i.name for i in session.get_inputs()]
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
        self._st = st_model
        self.backend = backend
        self.path = path
        # The exported graph now does the transformer's work: its torch weights (as large as
        # the export: ~470 MB for e5-small) would only sit in memory. Tokenizer, pooling
        # and normalisation stay.
        st_model[0].auto_model.to("meta")

    def token_states(self, features: dict) -> np.ndarray:
        """The last hidden states ``(texts, tokens, dim)`` of tokenized ``features``."""
        return np.asarray(self._run({n: features[n].numpy().astype(np.int64)
                                     for n in self._names}), dtype=np.float32)

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Normalised float32 vectors, one row per text (batched by length like ST does)."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), 0), dtype=np.float32)
        rows: list[np.ndarray] = []
        for begin in range(0, len(texts), batch_size):
            chunk = [texts[i] for i in order[begin : begin + batch_size]]
            rows.append(self.encode_with_states(chunk)[0])
        if rows:
            stacked = np.concatenate(rows)
            out = np.empty_like(stacked)
            out[order] = stacked
        return out

    def encode_with_states(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, dict]:
        """One batch: normalised float32 vectors, the last hidden states ``(texts, tokens,
        dim)`` they were pooled from, and the input features (padded: see its
        ``attention_mask``)."""
        import torch

        features = model_inputs(self._st, texts)
        states = self.token_states(features)
        pooled = dict(features, token_embeddings=torch.from_numpy(states))
        with torch.no_grad():
            for module in list(self._st)[1:]:
                pooled = module(pooled)
        vectors = pooled["sentence_embedding"].float().numpy()
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors, states, features
