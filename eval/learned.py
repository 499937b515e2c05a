"""What the fits of session 18 share (``ragqa.eval.highlight_learned``,
``ragqa.eval.rerank_learned``): their command line, the dev corpora they search, and a
conditional logit."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np


def fit_softmax(candidates: Sequence[tuple[np.ndarray, np.ndarray]], l2: float) -> np.ndarray:
    """Weights of a conditional logit over ``(features, right)`` groups (a passage's
    sentences, a search's hits): a softmax over each group's rows, the right ones'
    probability maximised (L2 penalty ``l2``); groups with no right row are left out."""
    from scipy.optimize import minimize

    groups = [(x, right / right.sum()) for x, right in candidates
              if right.any() and len(right) > 1]
    width = groups[0][0].shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.0, np.zeros(width)
        for x, target in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            total -= float(target @ np.log(p + 1e-12))
            grad -= x.T @ (target - p)
        return total + l2 * float(w @ w), grad + 2 * l2 * w

    return minimize(loss, np.zeros(width), jac=True, method="L-BFGS-B").x


def arguments(description: str) -> argparse.ArgumentParser:
    """The command line of both fits."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--piaf", type=Path,
                        default=Path("../shared/benchmarks/piaf/piaf-v1.0.json"))
    parser.add_argument("--longdocs", type=Path, default=Path(".ragqa/longdocs/longdocs-v1.json"),
                        help="the long pages (python -m ragqa.eval.longdocs)")
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--work", type=Path, default=Path(".ragqa/stored-vectors"))
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    return parser


def corpora(args: argparse.Namespace) -> Iterator[tuple[str, object, list[tuple[object, str]]]]:
    """``(name, engine, [(question, split)])`` for PIAF (its reader ``train`` and ``dev``
    articles), the long pages (``dev``) and the project (``dev``), each corpus indexed under
    ``args.work`` as served; each engine is closed when the next is made."""
    from ragqa import wiring
    from ragqa.eval.questions import load_questions, select
    from ragqa.eval.reader_data import reader_split
    from ragqa.eval.squad import load_squad, materialise
    from ragqa.settings import load_settings

    for name, path in (("PIAF", args.piaf), ("long pages", args.longdocs), ("project", None)):
        if path is None:
            corpus, index = Path("corpus"), args.work / "project" / "stored"
        else:
            documents, loaded = load_squad(path)
            corpus = materialise(documents, args.work / "corpora")
            index = corpus.parent / "stored"
        # the fusion's order: these experiments measure it, or fit what replaces it
        settings = load_settings(corpus_dir=corpus, index_dir=index, reorder=False)
        model = wiring.resolve(settings)
        wiring.index_corpus(settings, model)
        engine = wiring.start(settings, update=False, model=model).engine
        try:
            if path is None:
                texts = {d: r.text for d, r in engine.index.documents_by_id().items()}
                chosen = [(q, "dev") for q in select(load_questions(args.questions, texts), "dev")]
            else:
                chosen = [(q, reader_split(q.group)) for q in loaded
                          if reader_split(q.group) != "test"
                          and (name == "PIAF" or reader_split(q.group) == "dev")]
            yield name, engine, chosen
        finally:
            engine.close()


def write_report(report: dict, out: Path | None) -> None:
    """Print ``report`` as JSON, and write it to ``out`` when given."""
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if out is not None:
        out.write_text(text + "\n", "utf-8")
