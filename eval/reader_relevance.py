"""Does the reader's answerability improve the low-relevance signal? On ``dev`` only: the
project set (answerable, unanswerable, off-topic) and a SQuAD-format set's reader-dev
articles (each question with its article and with it held out, plus the off-topic ones),
the served relevance alone against a logistic fit of the served relevance's logit and the
reader's best logit over the top :data:`~ragqa.index.reading.stage.TOP` passages.

    python -m ragqa.eval.reader_relevance --squad ../shared/benchmarks/piaf/piaf-v1.0.json

Two thresholds are reported: as ``python -m ragqa.eval.calibrate`` chooses one (at most 4 %
of the questions answered at rank 1 flagged, and the binomial rule per set), and the one
where the fit flags as many answerable questions as the served signal does ("matched"); the
served constants (``ragqa.index.reading.stage``: the fit and the matched threshold,
rounded) are counted too ("flagged served with reader").
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import numpy as np

from ragqa.eval.calibrate import fit
from ragqa.eval.metrics import auc, is_hit
from ragqa.eval.questions import Question, load_offtopic, load_questions, select
from ragqa.index.reading.stage import INTERCEPT, THRESHOLD, W_READER, W_SERVED, ReadingStage


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def rows(engine, questions: list[Question], offtopic: list[str], hold_out: bool) -> list[dict]:
    """Per search: kind, answerable, answered at 1, served relevance, flagged, and the
    reader's best logit over the top passages."""
    reading, out = engine.reading, []
    documents = list(engine.index.documents_by_id())
    asked = [(q, None) for q in questions]
    if hold_out:
        asked += [(q, [d for d in documents if d != q.doc]) for q in questions if q.answerable]
    asked += [(Question(f"off-{i}", t, "", "offtopic", None, (), ""), None)
              for i, t in enumerate(offtopic)]
    for q, doc_ids in asked:
        engine.reading = None
        result = engine.search(q.question, reading.top, doc_ids=doc_ids).result
        engine.reading = reading
        if not result.hits:
            continue
        readings = reading.reader.read(q.question, [h.quote for h in result.hits])
        positive = q.answerable and doc_ids is None
        top = result.hits[0]
        out.append({"kind": "held out" if doc_ids else q.kind, "answerable": positive,
                    "answered": positive and is_hit(top.doc_id, top.start, top.end,
                                                    q.doc or "", q.spans),
                    "relevance": result.relevance or 0.0, "flagged": result.low_relevance,
                    "reader": max(r.logit for r in readings)})
    return out


def report(parts: dict[str, list[dict]]) -> dict:
    everything = [r for rs in parts.values() for r in rs]
    part = np.array([i for i, rs in enumerate(parts.values()) for _ in rs])
    y = np.array([r["answerable"] for r in everything])
    answered = np.array([r["answered"] for r in everything])
    x = np.array([[_logit(r["relevance"]), r["reader"]] for r in everything])
    coef, intercept, threshold = fit(x, y, answered, part)
    p = 1 / (1 + np.exp(-(x @ np.array(coef) + intercept)))
    flagged = np.array([r["flagged"] for r in everything])
    positives = np.sort(p[y])
    matched = float(positives[min(int(flagged[y].sum()), len(positives) - 1)])
    served = np.array([ReadingStage.relevance(r["relevance"], r["reader"]) for r in everything])
    out: dict = {"fit": {"relevance_logit": round(coef[0], 4), "reader_logit": round(coef[1], 4),
                         "intercept": round(intercept, 4), "threshold": round(threshold, 4),
                         "threshold matched": round(matched, 4)},
                 "served": {"relevance_logit": W_SERVED, "reader_logit": W_READER,
                            "intercept": INTERCEPT, "threshold": THRESHOLD}}
    for number, (name, rs) in enumerate(parts.items()):
        idx = np.flatnonzero(part == number).tolist()
        kinds = sorted({r["kind"] for r in rs})
        table = {}
        for kind in kinds:
            here = [i for i in idx if everything[i]["kind"] == kind]
            table[kind] = {"searches": len(here),
                           "flagged served": sum(everything[i]["flagged"] for i in here),
                           "flagged with reader": int(sum(p[i] < threshold for i in here)),
                           "flagged with reader, matched": int(sum(p[i] < matched
                                                                   for i in here)),
                           "flagged served with reader": int(sum(served[i] < THRESHOLD
                                                                 for i in here))}
        pos = [i for i in idx if everything[i]["answerable"]]
        neg = [i for i in idx if not everything[i]["answerable"]]
        table["auc served"] = round(auc([everything[i]["relevance"] for i in pos],
                                        [everything[i]["relevance"] for i in neg]), 4)
        table["auc reader alone"] = round(auc([everything[i]["reader"] for i in pos],
                                              [everything[i]["reader"] for i in neg]), 4)
        table["auc with reader"] = round(auc([p[i] for i in pos], [p[i] for i in neg]), 4)
        out[name] = table
    return out


@click.command()
@click.option("--squad", "squad_file", type=click.Path(path_type=Path, exists=True))
@click.option("--limit", default=100, show_default=True,
              help="At most this many reader-dev questions of the SQuAD set.")
@click.option("--out", type=click.Path(path_type=Path), default=None)
def main(squad_file: Path | None, limit: int, out: Path | None) -> None:
    from ragqa import wiring
    from ragqa.settings import load_settings

    offtopic = load_offtopic(Path("eval/offtopic.jsonl"), "dev")
    engine = wiring.start(load_settings(reader=True)).engine
    if engine.reading is None:
        raise SystemExit("the reader did not load (see the warning above)")
    texts = {d: doc.text for d, doc in engine.index.documents_by_id().items()}
    parts = {"project dev": rows(engine, select(load_questions(
        Path("eval/questions.jsonl"), texts), "dev"), offtopic, False)}
    if squad_file is not None:
        from ragqa.eval.reader_data import reader_split
        from ragqa.eval.squad import load_squad, materialise

        documents, questions = load_squad(squad_file)
        corpus = materialise(documents, Path(".ragqa/eval"))
        engine = wiring.start(load_settings(corpus_dir=corpus, index_dir=corpus.parent / "index",
                                            reader=True)).engine
        chosen = [q for q in questions if reader_split(q.group) == "dev"][:limit]
        parts[f"{squad_file.name} reader dev"] = rows(engine, chosen, offtopic, True)
    result = report(parts)
    text = json.dumps(result, indent=1)
    click.echo(text)
    if out is not None:
        out.write_text(json.dumps({"report": result, "rows": parts}) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
