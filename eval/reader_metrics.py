"""Dev measures of the reader: answerability AUC against mined negatives, span exact match
and F1 on the passages holding the answer, and the service's top hits reranked by it
(recall@1, MRR@10 against the current order) for a few N."""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Sequence

from ragqa.eval.metrics import auc, first_hit_rank
from ragqa.index.reading.train import Example

BETAS = (0.0, 0.5, 1.0, 2.0, 3.0, 4.0)  # rerank_order's rank penalties tried on dev
NS = (3, 5, 10)  # how many of the top hits are reranked
_ARTICLES = re.compile(r"\b(le|la|les|l|un|une|des|du|de|d|the|a|an)\b")


def normalise(text: str) -> str:
    """SQuAD's answer normalisation with French articles: lower case, no accents, no
    punctuation, no articles, single spaces."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    text = "".join(" " if c in string.punctuation or c in "«»’" else c for c in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def span_f1(predicted: str, gold: str) -> float:
    p, g = normalise(predicted).split(), normalise(gold).split()
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g or common == 0:
        return float(p == g)
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def rerank_order(logits: Sequence[float], n: int, beta: float = 0.0) -> list[int]:
    """Positions of the hits after reranking the first ``n`` by ``logit - beta ln(rank)``;
    the rest keep their order."""
    head = sorted(range(min(n, len(logits))),
                  key=lambda i: -(logits[i] - beta * __import__("math").log(i + 1)))
    return head + list(range(min(n, len(logits)), len(logits)))


def ranking(relevant: Sequence[Sequence[bool]], orders: Sequence[Sequence[int]]) -> dict:
    """recall@1 and MRR@10 of questions whose hits are taken in ``orders``."""
    ranks = [first_hit_rank([rel[i] for i in order]) for rel, order in zip(relevant, orders)]
    n = len(ranks) or 1
    return {"recall@1": round(sum(r == 1 for r in ranks) / n, 4),
            "mrr@10": round(sum(1 / r for r in ranks if r is not None and r <= 10) / n, 4)}


def answerability(positives: Sequence[float], negatives: Sequence[float]) -> dict:
    return {"auc": round(auc(list(positives), list(negatives)), 4),
            "positives": len(positives), "negatives": len(negatives)}


def spans(pairs: Sequence[tuple[str, str]]) -> dict:
    """Exact match and F1 of ``(predicted, gold)`` answers."""
    n = len(pairs) or 1
    return {"exact_match": round(sum(normalise(p) == normalise(g) for p, g in pairs) / n, 4),
            "f1": round(sum(span_f1(p, g) for p, g in pairs) / n, 4), "count": len(pairs)}


def dev_pairs(cands: list) -> tuple[list[Example], list[tuple[int, int]]]:
    """Dev candidates as examples, and each example's ``(question, hit)`` (-1: other)."""
    examples, where = [], []
    for qi, c in enumerate(cands):
        for hi, (hit, answer) in enumerate(zip(c.hits, c.answers)):
            examples.append(Example(c.question.question, hit.quote, answer, "dev"))
            where.append((qi, hi))
        if c.other is not None:
            examples.append(Example(c.question.question, c.other.quote, None, "other-article"))
            where.append((qi, -1))
    return examples, where


def dev_metrics(outs: list, cached, cands: list, where: list, examples: list[Example]) -> dict:
    """Dev measures from per-window outputs (a passage takes its best window)."""
    from ragqa.index.reading.reader import best_span

    logit: dict[int, float] = {}
    span: dict[int, str] = {}
    for w, (value, start, end) in zip(cached.windows, outs):
        if w.pair not in logit or value > logit[w.pair]:
            logit[w.pair] = value
            _, s, e = best_span(start, end, w, examples[w.pair].passage)
            span[w.pair] = examples[w.pair].passage[s:e]
    pos, neg, answered = [], [], []
    per_q: list[list[float]] = [[float("-inf")] * len(c.relevant) for c in cands]
    for pair, (qi, hi) in enumerate(where):
        value = logit.get(pair, float("-inf"))
        if hi >= 0:
            per_q[qi][hi] = value
        answer = examples[pair].answer
        if answer is not None:
            pos.append(value)
            answered.append((span.get(pair, ""), examples[pair].passage[answer[0]:answer[1]]))
        elif hi < 0 or not cands[qi].relevant[hi]:
            neg.append(value)
    relevant = [c.relevant for c in cands]
    out = {"answerability": answerability(pos, neg), "span": spans(answered),
           "baseline": ranking(relevant, [list(range(len(r))) for r in relevant])}
    depth = max(len(c.hits) for c in cands)
    for n in [n for n in NS if n <= depth]:
        for beta in BETAS:
            out[f"rerank@{n}:beta{beta}"] = ranking(
                relevant, [rerank_order(l, n, beta) for l in per_q])
    return out
