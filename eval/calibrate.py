"""Fitting the low-relevance signal on dev questions: ``python -m ragqa.eval.calibrate``.

Prints the :class:`~ragqa.index.relevance.RelevanceModel` literals to record in
``index/relevance.py`` for the served model: with coverage, cosine and ranker agreement,
with coverage and cosine only, and with coverage only. Uses dev splits only: the project set
(answerable vs unanswerable questions) and, with ``--squad``, a SQuAD-format set where
each question is asked once with its article and once with that article held out.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from ragqa.eval.metrics import auc, is_hit
from ragqa.eval.questions import Question, load_offtopic, load_questions, select
from ragqa.index.search import Retriever

MAX_FALSE_FLAGS = 0.05  # share of dev questions answered at rank 1 that may be flagged
MAX_FLAGGED_ANSWERABLE = 0.10  # share of answerable dev questions that may be flagged


def features(retriever: Retriever, questions: list[Question], hold_out: bool,
             offtopic: list[str] = ()
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X, answerable, answered_at_1, off_topic)``: rows of (coverage, cosine, agreement) of the
    hybrid search (see :mod:`ragqa.index.relevance`).

    ``offtopic`` questions (eval/offtopic.jsonl, dev) are negatives in every set."""
    questions = list(questions) + [Question(f"offtopic-{i}", text, "", "offtopic", None, (), "")
                                   for i, text in enumerate(offtopic)]
    documents = list(retriever.index.documents_by_id())
    rows, labels, answered, off = [], [], [], []
    for q in questions:
        vector = retriever.embedder.encode_queries([q.question])[0]
        filters = [None]
        if hold_out and q.answerable:
            filters.append([d for d in documents if d != q.doc])
        for doc_ids in filters:
            hits = retriever.search(q.question, 1, doc_ids=doc_ids, query_vector=vector).hits
            if not hits:
                continue
            positive = q.answerable and doc_ids is None
            rows.append(retriever.relevance_features(q.question, hits[0], vector, doc_ids))
            labels.append(positive)
            off.append(q.kind == "offtopic")
            answered.append(positive and is_hit(hits[0].doc_id, hits[0].start, hits[0].end,
                                                q.doc or "", q.spans))
    return np.array(rows, dtype=float), np.array(labels), np.array(answered), np.array(off)


def fit(x: np.ndarray, y: np.ndarray, answered: np.ndarray, part: np.ndarray
        ) -> tuple[list[float], float, float]:
    """Logistic coefficients, intercept, and the threshold that flags at most
    MAX_FALSE_FLAGS of the questions answered at rank 1 and at most MAX_FLAGGED_ANSWERABLE
    of the answerable ones *in every part* (so a set of paraphrased or cross-lingual
    questions is not sacrificed to a larger, easier one)."""
    from sklearn.linear_model import LogisticRegression

    # Balanced classes: the probability then reads the same whatever the share of
    # negatives a set happened to have (PIAF has one held-out negative per question).
    model = LogisticRegression(class_weight="balanced").fit(x, y)
    p = model.predict_proba(x)[:, 1]
    quantiles = []
    for i in np.unique(part):
        for rows, share in ((answered & (part == i), MAX_FALSE_FLAGS),
                            (y & (part == i), MAX_FLAGGED_ANSWERABLE)):
            if rows.any():
                quantiles.append(float(np.quantile(p[rows], share, method="lower")))
    return model.coef_[0].tolist(), float(model.intercept_[0]), min(quantiles, default=0.0)


def _open(corpus_dir: Path | None, index_dir: Path | None) -> Retriever:
    from ragqa import wiring
    from ragqa.settings import load_settings

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    return wiring.start(settings).engine.retriever


@click.command()
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              default=Path("eval/questions.jsonl"), show_default=True)
@click.option("--squad", "squad_files", type=click.Path(path_type=Path, exists=True),
              multiple=True, help="SQuAD-format sets, each its own part (repeatable).")
def main(questions_file: Path, squad_files: tuple[Path, ...]) -> None:
    """Fit the low-relevance model on dev and print it."""
    retriever = _open(None, None)
    texts = {d: doc.text for d, doc in retriever.index.documents_by_id().items()}
    offtopic = load_offtopic(Path("eval/offtopic.jsonl"), "dev")
    parts = [features(retriever, select(load_questions(questions_file, texts), "dev"), False,
                      offtopic)]
    names = ["project"]
    for squad_file in squad_files:
        from ragqa.eval.squad import load_squad, materialise

        names.append(squad_file.stem)
        documents, questions = load_squad(squad_file)
        corpus = materialise(documents, Path(".ragqa/eval"))
        squad = _open(corpus, corpus.parent / "index")
        parts.append(features(squad, select(questions, "dev"), True, offtopic))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    answered = np.concatenate([p[2] for p in parts])
    part = np.concatenate([np.full(len(p[1]), i) for i, p in enumerate(parts)])
    name = retriever.embedder.model.name
    # The full model, the one without ranker agreement (as fitted before it was measured),
    # and the model-free one (bm25 mode, unmeasured models).
    for label, columns in (("with cosine and agreement", [0, 1, 2]), ("with cosine", [0, 1]),
                           ("coverage only", [0])):
        coef, intercept, threshold = fit(x[:, columns], y, answered, part)
        cosine = coef[1] if len(coef) > 1 else 0.0
        agreement = coef[2] if len(coef) > 2 else 0.0
        click.echo(f"# {label}: {len(y)} dev searches ({int(y.sum())} answerable)")
        for (px, py, pa, po), set_name in zip(parts, names):
            if len(py) and py.any() and not py.all():
                probe = 1 / (1 + np.exp(-(intercept + px[:, columns] @ np.array(coef))))
                flagged = probe < threshold
                area = auc(probe[py].tolist(), probe[~py].tolist())
                click.echo(f"#   {set_name} dev AUC {area:.3f}"
                           f", flagged: negatives {flagged[~py].mean():.3f}, answerable "
                           f"{flagged[py].mean():.3f}, answered at 1 {flagged[pa].mean():.3f}"
                           f", off-topic {int(flagged[po].sum())} of {int(po.sum())}")
        click.echo(f"RelevanceModel(coverage={coef[0]:.3f}, cosine={cosine:.3f}, "
                   f"intercept={intercept:.3f}, threshold={threshold:.3f}, "
                   f"agreement={agreement:.3f})  # {name}")


if __name__ == "__main__":
    main()
