"""A trained token match for the reorder, measured on dev (not served):
``python -m ragqa.eval.late_interaction``.

The served reorder (:mod:`ragqa.eval.rerank_learned`) weighs each top hit's token match: the
mean over the question's tokens of each one's best cosine with the passage's stored token
vectors (e5's last layer, made at index time). A late-interaction reader (ColBERT's MaxSim)
trained for the task would cost no more at query time: the same stored vectors, a
projection of the question's tokens and a weight per question token. This experiment trains
one over the frozen vectors and asks whether it adds to the served features:

* ``token match alone``: the top ``N`` ordered by the untrained token match only;
* ``gate``: a weight per question token (a softmax of a learned direction, so stop words
  and question words can count less), the served features' weights fitted first and frozen,
  the learned match's weight trained with it;
* ``projection``: the gate and a 384 x 384 projection of the question's tokens (from the
  identity), the features' weights trained too.

Each is trained on PIAF's reader ``train`` articles (a softmax over each search's top ``N``,
Adam, seed 0) and reported after every epoch on the three dev sets of the served fit (PIAF's
reader ``dev`` articles, the long pages' same articles, the project's ``dev`` split), beside
the served features alone. The ``test`` splits are not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ragqa.eval.learned import arguments, corpora, fit_softmax, write_report
from ragqa.eval.rerank_learned import collect

TOP = 5
EPOCHS = 4
CONFIGS = (("gate", 3e-3), ("gate", 1e-2), ("projection", 1e-3))


@dataclass
class Tokens:
    """One search's top hits: served features, which hold the answer, the question's token
    vectors and each hit's stored token vectors (float16 rows)."""

    split: str
    features: np.ndarray
    right: np.ndarray
    question: np.ndarray
    passages: list[np.ndarray]


def late_score(question, passages, mask, direction, projection=None):
    """Each passage's weighted MaxSim (torch tensors): ``question`` (q, d) tokens, optionally
    projected and normalised again; ``passages`` (n, l, d) padded with ``mask`` (n, l); the
    weight of each question token a softmax of ``question @ direction`` (a zero direction:
    the plain mean, i.e. the served token match)."""
    import torch

    asked = question if projection is None else torch.nn.functional.normalize(
        question @ projection, dim=-1)
    sims = torch.einsum("qd,nld->nql", asked, passages)
    best = sims.masked_fill(~mask[:, None, :], -1e4).max(-1).values  # (n, q)
    return best @ torch.softmax(question @ direction, 0)


def _tensors(search: Tokens, top: int):
    import torch

    hits = search.passages[:top]
    longest = max(len(p) for p in hits)
    padded = np.zeros((len(hits), longest, search.question.shape[1]), np.float32)
    mask = np.zeros((len(hits), longest), bool)
    for i, rows in enumerate(hits):
        padded[i, :len(rows)] = rows
        mask[i, :len(rows)] = True
    return (torch.tensor(search.features[:top], dtype=torch.float32),
            torch.tensor(search.question, dtype=torch.float32), torch.tensor(padded),
            torch.tensor(mask))


def _scores(searches: Sequence[Tokens], logits, top: int) -> dict[str, float]:
    """Recall@1 and MRR@10 with each search's top ``top`` ordered by ``logits(search)``."""
    first = []
    for search in searches:
        order = np.arange(len(search.right))
        head = min(top, len(order))
        order[:head] = np.argsort(-logits(search), kind="stable")
        right = search.right[order][:10]
        first.append(int(np.argmax(right)) + 1 if right.any() else None)
    n = max(len(first), 1)
    return {"recall@1": round(sum(r == 1 for r in first) / n, 4),
            "mrr@10": round(sum(1 / r for r in first if r is not None) / n, 4)}


def _measured(dev: dict[str, list[Tokens]], logits, top: int) -> dict:
    out = {name: _scores(found, logits, top) for name, found in dev.items()}
    out["mean mrr@10"] = round(float(np.mean([m["mrr@10"] for m in out.values()])), 4)
    return out


def train(train_set: Sequence[Tokens], dev: dict[str, list[Tokens]], kind: str, rate: float,
          base: np.ndarray, top: int = TOP, epochs: int = EPOCHS) -> list[dict]:
    """Train one configuration; its dev scores after each epoch."""
    import torch

    torch.manual_seed(0)
    width = train_set[0].question.shape[1]
    weights = torch.nn.Parameter(torch.tensor(base, dtype=torch.float32),
                                 requires_grad=kind == "projection")
    direction = torch.nn.Parameter(torch.zeros(width))
    scale = torch.nn.Parameter(torch.tensor(0.0))
    projection = torch.nn.Parameter(torch.eye(width)) if kind == "projection" else None
    trained = [p for p in (weights, direction, scale, projection)
               if p is not None and p.requires_grad]
    optimiser = torch.optim.Adam(trained, lr=rate)

    def forward(search: Tokens):
        features, question, passages, mask = _tensors(search, top)
        late = late_score(question, passages, mask, direction, projection)
        return features @ weights + 10 * scale * late

    def logits(search: Tokens) -> np.ndarray:
        with torch.no_grad():
            return forward(search).numpy()

    history = []
    for epoch in range(epochs):
        for i in np.random.RandomState(epoch).permutation(len(train_set)):
            search = train_set[i]
            right = search.right[:top]
            if not right.any() or len(right) < 2:
                continue
            target = torch.tensor(right / right.sum(), dtype=torch.float32)
            loss = -(target * torch.log_softmax(forward(search), 0)).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        history.append({"epoch": epoch + 1, "scale": round(float(scale.detach()), 3),
                        **_measured(dev, logits, top)})
    return history


def _windows(hit) -> list[str]:
    """The quotes of the stored passages ``hit`` was joined from, as the search reads their
    tokens (none when it is one)."""
    return [hit.quote[a - hit.start:b - hit.start] for a, b in hit.windows]


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(__doc__.splitlines()[0]).parse_args(argv)
    held: list[tuple[np.ndarray, list[np.ndarray]]] = []

    def keep(retriever, question: str, hits, vector: np.ndarray) -> np.ndarray:
        held.append((retriever.embedder.token_vectors(question, query=True),
                     [retriever.passage_tokens.of(h.quote, _windows(h)).astype(np.float16)
                      for h in hits]))
        return np.zeros((len(hits), 0))

    sets: dict[str, list[Tokens]] = {}
    for name, engine, chosen in corpora(args):
        held.clear()
        searches = collect(engine.retriever, chosen, extra=keep)
        sets[name] = [Tokens(s.split, s.features, s.right, q.astype(np.float32), p)
                      for s, (q, p) in zip(searches, held) if len(q)]
    train_set = [s for s in sets["PIAF"] if s.split == "train"]
    dev = {name: [s for s in found if s.split == "dev"] for name, found in sets.items()}
    base = fit_softmax([(s.features[:TOP], s.right[:TOP]) for s in train_set], 0.01)

    def served(search: Tokens) -> np.ndarray:
        return search.features[:TOP] @ base

    def alone(search: Tokens) -> np.ndarray:
        return np.array([float((search.question @ p.T.astype(np.float32)).max(1).mean())
                         for p in search.passages[:TOP]])

    report: dict = {"fitted on": f"PIAF reader train, {len(train_set)} searches",
                    "dev searches": {name: len(found) for name, found in dev.items()},
                    "top": TOP,
                    "dev": {"the served features (top 5, L2 0.01)": _measured(dev, served, TOP),
                            "token match alone": _measured(dev, alone, TOP)}}
    for kind, rate in CONFIGS:
        report["dev"][f"{kind}, rate {rate}"] = train(train_set, dev, kind, rate, base)
    write_report(report, args.out)


if __name__ == "__main__":
    main()
