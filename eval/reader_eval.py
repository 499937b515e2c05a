"""The trained reader on a question set, through the service's own retrieval:
``python -m ragqa.eval.reader_eval --set project|piaf --split dev``.

Per answerable question the hybrid top 10 is read (every passage, full model); reported:
the current order's recall@1 and MRR@10 against the top N reranked by the reader's
answerability (``logit - beta ln(rank)``) for several N and beta; answerability AUC of
passages (relevant against not) and of questions (the best passage of the top 5, for
answerable questions against the set's unanswerable ones where it has some); and how often
the reader's span in the first relevant passage overlaps the gold answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from pathlib import Path

from ragqa.eval.metrics import is_hit
from ragqa.eval.reader_metrics import BETAS, NS, answerability, ranking, rerank_order
from ragqa.eval.reader_train import PIAF
from ragqa.index.reading.artifact import DEFAULT_DIR

logger = logging.getLogger("ragqa.eval.reader_eval")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragqa.eval.reader_eval")
    parser.add_argument("--set", choices=("project", "piaf"), default="project")
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--reader", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--questions", type=int, default=0, help="a seeded sample (0: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="write the metrics as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch
    from ragqa.eval.questions import load_questions, select
    from ragqa.eval.reader_data import reader_split
    from ragqa.index.reading.reader import open_reader

    from ragqa import wiring
    from ragqa.settings import load_settings

    torch.set_num_threads(args.threads)
    if args.set == "piaf":
        from ragqa.eval.squad import load_squad, materialise

        documents, loaded = load_squad(PIAF)
        corpus = materialise(documents, Path(".ragqa/eval"))
        index_dir = args.index_dir or Path(".ragqa/reader/piaf-index")
        questions = [q for q in loaded if reader_split(q.group) == args.split]
    else:
        corpus, index_dir = args.corpus, args.index_dir or Path(".ragqa/reader/project-index")
    settings = load_settings(corpus_dir=corpus, index_dir=index_dir)
    engine = wiring.start(settings).engine
    retriever = engine.retriever
    if args.set == "project":
        texts = {d: doc.text for d, doc in retriever.index.documents_by_id().items()}
        questions = select(load_questions(Path("eval/questions.jsonl"), texts), args.split)
    if args.questions:
        questions = random.Random(0).sample(questions, min(args.questions, len(questions)))
    reader = open_reader(engine.model.path, engine.model.weights_sha256(), args.reader)
    relevant, logits, pos, neg, q_pos, q_neg, overlaps = [], [], [], [], [], [], []
    started = time.perf_counter()
    for number, q in enumerate(questions):
        hits = retriever.search(q.question, 10, mode="hybrid").hits
        readings = reader.read(q.question, [h.quote for h in hits])
        best = max((r.answerability for r in readings[:5]), default=0.0)
        if not q.answerable:
            q_neg.append(best)
            continue
        q_pos.append(best)
        rel = [is_hit(h.doc_id, h.start, h.end, q.doc or "", q.spans) for h in hits]
        relevant.append(rel)
        logits.append([r.logit for r in readings])
        for r, is_rel in zip(readings, rel):
            (pos if is_rel else neg).append(r.logit)
        first = next((i for i, x in enumerate(rel) if x), None)
        if first is not None:
            h, r = hits[first], readings[first]
            s, e = h.start + r.start, h.start + r.end
            overlaps.append(any(min(e, ge) > max(s, gs) for gs, ge in q.spans))
        if number % 20 == 0:
            logger.info("%d/%d questions (%.1f s each)", number + 1, len(questions),
                        (time.perf_counter() - started) / (number + 1))
    out = {"set": args.set, "split": args.split, "questions": len(questions),
           "answerable": len(relevant), "reader": str(args.reader),
           "seconds_per_question": round((time.perf_counter() - started) / max(len(questions), 1), 2),
           "baseline": ranking(relevant, [list(range(len(r))) for r in relevant]),
           "passage_answerability": answerability(pos, neg),
           "question_answerability": answerability(q_pos, q_neg) if q_neg else None,
           "span_overlaps_gold_in_first_relevant": round(sum(overlaps) / max(len(overlaps), 1), 4)}
    for n in NS:
        for beta in BETAS:
            out[f"rerank@{n}:beta{beta}"] = ranking(relevant,
                                                    [rerank_order(l, n, beta) for l in logits])
    text = json.dumps(out, indent=1)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
