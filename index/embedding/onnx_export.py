"""Exporting the embedding model's transformer to ONNX, and its int8 variant.

Run in a child process (:func:`~ragqa.index.embedding.backends.exported_file` starts it):
the export loads the full torch model and copies of its weights, which the serving
process should never hold. Files are written under a temporary name, then renamed.

* ``model-r2.onnx``: the forward pass (eager attention, so the padding mask stays a graph
  input) exported with ``torch.onnx.export``, its input embedding table kept smaller with
  the same values (:mod:`ragqa.index.embedding.tables`: the bundled e5's in 60 MB, not 384).
* ``model-r2-int8.onnx``: that file quantised by :mod:`ragqa.index.embedding.int8`.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

# Bump the revision when what is exported changes; files of older revisions are not reused.
FP32_FILE = "model-r2.onnx"
INT8_FILE = "model-r2-int8.onnx"
_OLDER_FILES = ("model.onnx", "model-int8.onnx")


def export_model(model_path: Path, export_dir: Path, int8: bool) -> Path:
    """The exported file for ``model_path`` in ``export_dir`` (fp32, or int8 if ``int8``),
    exporting what is missing first. Meant for a child process."""
    export_dir.mkdir(parents=True, exist_ok=True)
    fp32 = export_dir / FP32_FILE
    if not fp32.exists():
        _export_fp32(model_path, fp32)
    path = fp32
    if int8:
        path = export_dir / INT8_FILE
        if not path.exists():
            from ragqa.index.embedding.int8 import quantise_int8

            quantise_int8(fp32, path, calibration_feeds(model_path))
    for name in _OLDER_FILES:  # never read again: their disk back
        (export_dir / name).unlink(missing_ok=True)
    return path


def calibration_feeds(model_path: Path) -> list[dict[str, np.ndarray]]:
    """The int8 recipe's calibration texts tokenised by the model's own tokenizer, one feed
    each."""
    import torch
    from sentence_transformers import SentenceTransformer

    from ragqa.index.embedding.inputs import INPUT_NAMES, model_inputs
    from ragqa.index.embedding.int8 import CALIBRATION_TEXTS

    # Only the tokenizer is used: the weights are mapped as stored, not converted.
    st_model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True,
                                   model_kwargs={"dtype": torch.float16})
    feeds = []
    for text in CALIBRATION_TEXTS:
        features = model_inputs(st_model, [text])
        feeds.append({name: features[name].numpy().astype(np.int64) for name in INPUT_NAMES
                      if name in features})
    return feeds


def _export_fp32(model_path: Path, path: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    from ragqa.index.embedding.inputs import INPUT_NAMES, model_inputs
    from ragqa.index.embedding.tables import compact_input_embeddings

    st_model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
    auto_model = st_model[0].auto_model
    if hasattr(auto_model, "set_attn_implementation"):
        auto_model.set_attn_implementation("eager")  # SDPA bakes the mask shape in
    compact_input_embeddings(auto_model)  # the same values, a third of the memory
    sample = model_inputs(st_model, ["a short sample", "a longer sample sentence to export"])
    names = [name for name in INPUT_NAMES if name in sample]

    class _Forward(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, *args):
            return self.model(**dict(zip(names, args))).last_hidden_state

    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "token_embeddings"]}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        # The tracer's warnings are about shapes fixed at export; the axes are dynamic.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _Forward(auto_model).eval(), tuple(sample[n] for n in names), str(tmp),
                input_names=names, output_names=["token_embeddings"], dynamic_axes=axes,
                opset_version=17, dynamo=False,
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
