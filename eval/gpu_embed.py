"""Passage embedding speed of the bundled model on a GPU: what a GPU worker would add when a
corpus is too large to embed on CPU cores (README, "Scaling out").

Two steps, because the GPU machine has no network and takes only small files along:

``pack`` (here, with ragqa installed) writes a folder of about 50 MB: the converted model
without its 250,037-row word-embedding table (192 MB), only the rows of the tokens the
packed passages use (so for those passages the model is exactly the bundled one), the
tokenizer, the passages' embedding inputs as the index builds them (``passage: `` prefix,
title and section context) and their vectors from the served index, as the reference::

    python -m ragqa.eval.gpu_embed pack --index .ragqa/index --out .ragqa/gpu-pack

``run`` (there: torch, sentence-transformers and safetensors, nothing of ragqa) rebuilds the
model folder, checks its vectors against the reference (cosine), then times
``SentenceTransformer.encode`` (tokenisation, forward pass, pooling, normalisation: the
whole cost) over the passages repeated to ``--passages``, per dtype and batch size::

    python eval/gpu_embed.py run --pack .ragqa/gpu-pack --out results.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np

WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
CARRIED = ("config.json", "config_sentence_transformers.json", "modules.json",
           "sentence_bert_config.json", "special_tokens_map.json", "tokenizer.json",
           "tokenizer_config.json", "1_Pooling", "2_Normalize")


def pack(index_dir: Path, out: Path) -> None:
    from safetensors.numpy import load_file, save_file

    from ragqa import wiring
    from ragqa.index.files.builder import embed_input
    from ragqa.index.files.dense import all_vectors
    from ragqa.index.files.generations import load_index
    from ragqa.settings import load_settings

    loaded = load_index(index_dir)
    vectors = loaded.manifest.vectors
    model = wiring.resolve(load_settings())
    if model.weights_sha256() != vectors.weights_sha256:
        raise SystemExit(f"{index_dir} was embedded with another model than {model.name}")
    texts = []
    for p in loaded.passages:
        doc = loaded.documents[p.doc_id]
        texts.append(vectors.passage_prefix + embed_input(
            doc.title, p.section, doc.text[p.start:p.end], vectors.embed_context))
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model.path))
    used = sorted({i for ids in tokenizer(texts, truncation=True, max_length=512)["input_ids"]
                   for i in ids} | set(tokenizer.all_special_ids))
    shutil.rmtree(out, ignore_errors=True)
    (out / "model").mkdir(parents=True)
    for name in CARRIED:
        source = Path(model.path) / name
        if source.is_dir():
            shutil.copytree(source, out / "model" / name)
        elif source.is_file():
            shutil.copy2(source, out / "model" / name)
    weights = load_file(str(Path(model.path) / "model.safetensors"))
    table = weights.pop(WORD_EMBEDDINGS)
    save_file(weights, str(out / "model" / "slim.safetensors"))
    np.savez(out / "word_rows.npz", ids=np.asarray(used, dtype=np.int64), rows=table[used],
             shape=np.asarray(table.shape))
    (out / "passages.json").write_text(json.dumps(texts, ensure_ascii=False), "utf-8")
    np.save(out / "reference.npy", all_vectors(loaded.dense).astype(np.float32))
    print(f"packed {len(texts)} passages, {len(used)} of {table.shape[0]} token rows, "
          f"into {out}")


def rebuild(pack_dir: Path, folder: Path) -> Path:
    """The full sentence-transformers folder: word rows of unused tokens are zeros."""
    from safetensors.numpy import load_file, save_file

    shutil.copytree(pack_dir / "model", folder, dirs_exist_ok=True)
    weights = load_file(str(folder / "slim.safetensors"))
    (folder / "slim.safetensors").unlink()
    rows = np.load(pack_dir / "word_rows.npz")
    table = np.zeros(tuple(rows["shape"]), dtype=rows["rows"].dtype)
    table[rows["ids"]] = rows["rows"]
    weights[WORD_EMBEDDINGS] = table
    save_file(weights, str(folder / "model.safetensors"))
    return folder


def run(pack_dir: Path, passages: int, batch_sizes: list[int], dtypes: list[str],
        rounds: int, device: str = "cuda") -> dict:
    import tempfile

    import torch
    from sentence_transformers import SentenceTransformer

    texts = json.loads((pack_dir / "passages.json").read_text("utf-8"))
    reference = np.load(pack_dir / "reference.npy")
    with tempfile.TemporaryDirectory() as tmp:
        model = SentenceTransformer(str(rebuild(pack_dir, Path(tmp) / "model")), device=device)
    cuda = device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    out: dict = {"device": torch.cuda.get_device_name(0) if cuda else device,
                 "torch": torch.__version__,
                 "passages": passages, "distinct_passages": len(texts),
                 "mean_chars": round(float(np.mean([len(t) for t in texts])), 1), "rows": []}
    workload = (texts * (passages // len(texts) + 1))[:passages]
    for dtype in dtypes:
        model = model.half() if dtype == "fp16" else model.float()
        got = model.encode(texts, batch_size=64, normalize_embeddings=True)
        cosine = np.sum(got.astype(np.float32) * reference, axis=1)
        out[f"cosine_vs_cpu_{dtype}"] = {"min": round(float(cosine.min()), 5),
                                         "mean": round(float(cosine.mean()), 5)}
        for batch in batch_sizes:
            model.encode(workload[: batch * 4], batch_size=batch)  # warm-up, autotuning
            best = None
            for _ in range(rounds):
                sync()
                started = time.perf_counter()
                model.encode(workload, batch_size=batch)
                sync()
                took = time.perf_counter() - started
                best = took if best is None else min(best, took)
            row = {"dtype": dtype, "batch": batch, "seconds": round(best, 3),
                   "passages_per_s": round(passages / best, 1),
                   "peak_gpu_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)
                   if cuda else None}
            out["rows"].append(row)
            print(row, flush=True)
        if cuda:
            out["rows"].append(_forward_only(model, workload, max(batch_sizes), dtype))
            print(out["rows"][-1], flush=True)
    return out


def _forward_only(model, workload: list[str], batch: int, dtype: str) -> dict:
    """The GPU's share alone: batches tokenised beforehand, only the forward pass timed."""
    import torch

    order = sorted(range(len(workload)), key=lambda i: -len(workload[i]))
    batches = [model.tokenize([workload[i] for i in order[b:b + batch]])
               for b in range(0, len(order), batch)]
    batches = [{k: v.to(model.device) for k, v in f.items() if isinstance(v, torch.Tensor)}
               for f in batches]
    with torch.inference_mode():
        model(batches[0])
        torch.cuda.synchronize()
        started = time.perf_counter()
        for features in batches:
            model(features)
        torch.cuda.synchronize()
    took = time.perf_counter() - started
    return {"dtype": dtype, "batch": batch, "forward_only": True, "seconds": round(took, 3),
            "passages_per_s": round(len(workload) / took, 1)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="write the folder to take to the GPU machine")
    p.add_argument("--index", type=Path, default=Path(".ragqa/index"))
    p.add_argument("--out", type=Path, default=Path(".ragqa/gpu-pack"))
    r = sub.add_parser("run", help="time the embedding on the GPU")
    r.add_argument("--pack", type=Path, default=Path(".ragqa/gpu-pack"))
    r.add_argument("--passages", type=int, default=50_000)
    r.add_argument("--batch-sizes", default="64,128,256,512,1024")
    r.add_argument("--dtypes", default="fp16,fp32")
    r.add_argument("--rounds", type=int, default=2)
    r.add_argument("--device", default="cuda")
    r.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "pack":
        pack(args.index, args.out)
        return
    result = run(args.pack, args.passages, [int(b) for b in args.batch_sizes.split(",")],
                 args.dtypes.split(","), args.rounds, args.device)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main()
