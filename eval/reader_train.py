"""The one command that rebuilds the reader: ``python -m ragqa.eval.reader_train``.

PIAF (SQuAD format) split by article (:func:`~ragqa.eval.reader_data.reader_split`), pairs
mined with the service's retriever over PIAF's articles, the frozen layers' states cached
under ``--cache``, the top trained, the epoch with the best dev MRR@10 (top 5 reranked)
kept, and the artifact written with its card (data, split, seed, dev metrics, hash).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import pickle
import random
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

from ragqa.eval.reader_data import dev_candidates, mine_train, reader_split
from ragqa.eval.reader_metrics import dev_metrics, dev_pairs
from ragqa.index.reading.artifact import (
    DEFAULT_DIR,
    ReaderCard,
    read_card,
    read_tensors,
    sha256_file,
    write_artifact,
)
from ragqa.index.reading.train import TrainConfig

logger = logging.getLogger("ragqa.eval.reader_train")
ROOT = Path(__file__).resolve().parent.parent
PIAF = ROOT.parent / "shared" / "benchmarks" / "piaf" / "piaf-v1.0.json"


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ragqa.eval.reader_train",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--squad", type=Path, default=PIAF)
    parser.add_argument("--index-dir", type=Path, default=Path(".ragqa/reader/piaf-index"))
    parser.add_argument("--cache", type=Path, default=Path(".ragqa/reader"))
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--split-layer", type=int, default=TrainConfig.split_layer)
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--lr-layers", type=float, default=TrainConfig.lr_layers)
    parser.add_argument("--lr-heads", type=float, default=TrainConfig.lr_heads)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    parser.add_argument("--head", choices=("cls", "span"), default=TrainConfig.head)
    parser.add_argument("--norm", action=argparse.BooleanOptionalAction,
                        default=TrainConfig.norm, help="a fresh LayerNorm before the heads")
    parser.add_argument("--dev-questions", type=int, default=300)
    parser.add_argument("--dev-top", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="train questions (0: all)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu",
                        help="where the network runs (cpu, cuda): only speed differs")
    parser.add_argument("--mine-only", action="store_true")
    parser.add_argument("--rank", type=int, default=32,
                        help="store the trained layers as rank-R deltas over the base's "
                             "(0: whole, 21 MB for six layers)")
    parser.add_argument("--from-run", type=Path, default=None,
                        help="skip training: compress the artifact of a finished run (--out "
                             "of that run) at --rank, measured on the same dev questions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch
    from ragqa.eval.squad import load_squad, materialise
    from ragqa.index.reading.model import ReaderTop, load_base
    from ragqa.index.reading.train import cache_states, outputs, train

    from ragqa import wiring
    from ragqa.settings import load_settings

    torch.set_num_threads(args.threads)
    config = TrainConfig(split_layer=args.split_layer, epochs=args.epochs,
                         lr_layers=args.lr_layers, lr_heads=args.lr_heads, seed=args.seed,
                         head=args.head, norm=args.norm)
    documents, questions = load_squad(args.squad)
    corpus = materialise(documents, Path(".ragqa/eval"))
    settings = load_settings(corpus_dir=corpus, index_dir=args.index_dir)
    engine = wiring.start(settings).engine
    model = engine.model
    texts = {d: doc.text for d, doc in engine.retriever.index.documents_by_id().items()}
    train_q = [q for q in questions if reader_split(q.group) == "train"]
    dev_q = [q for q in questions if reader_split(q.group) == "dev" and q.answerable]
    if args.limit:  # a seeded sample across the train articles
        train_q = sorted(random.Random(args.seed).sample(train_q, min(args.limit, len(train_q))),
                         key=lambda q: q.id)
    dev_q = sorted(random.Random(args.seed).sample(dev_q, min(args.dev_questions, len(dev_q))),
                   key=lambda q: q.id)
    started = time.perf_counter()
    source_sha = sha256_file(args.squad)
    mined_file = args.cache / f"mined-{_key(source_sha, str(args.index_dir.resolve()), _generation(args.index_dir), args.limit, args.dev_questions, args.seed)}.pkl"
    if mined_file.is_file():  # the pairs of an earlier run over the same data and index
        examples, cands = pickle.loads(mined_file.read_bytes())
    else:
        examples = mine_train(engine.retriever, train_q, texts)
        cands = dev_candidates(engine.retriever, dev_q, k=10)
        mined_file.parent.mkdir(parents=True, exist_ok=True)
        mined_file.write_bytes(pickle.dumps((examples, cands)))
    mined_s = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for e in examples:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    logger.info("mined %d train pairs %s, %d dev questions in %.0f s", len(examples), kinds,
                len(cands), mined_s)
    if args.mine_only:
        return 0
    # The dev examples: the top --dev-top hits and the other-article hit; the full top 10's
    # relevance only orders the rest.
    top_cands = [type(c)(c.question, c.hits[:args.dev_top], c.relevant, c.answers[:args.dev_top],
                         c.other) for c in cands]
    dev_examples, where = dev_pairs(top_cands)
    base = load_base(model.path).to(args.device)
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model.path), local_files_only=True)
    weights = model.weights_sha256()
    t0 = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % 320 == 0 or done == total:
            logger.info("frozen states %d/%d (%.2f windows/s)", done, total,
                        done / (time.perf_counter() - t0))

    tag = _key(weights, config.split_layer, config.max_len, config.stride)
    train_cached = cache_states(base, tokenizer, examples, config,
                                args.cache / f"train-{tag}-{_key([asdict(e) for e in examples])}.pt",
                                progress=progress, device=args.device)
    t0 = time.perf_counter()
    dev_cached = cache_states(base, tokenizer, dev_examples, config,
                              args.cache / f"dev-{tag}-{_key([asdict(e) for e in dev_examples])}.pt",
                              progress=progress, device=args.device)
    cache_s = time.perf_counter() - started - mined_s
    top = ReaderTop(base, config.split_layer, config.head, config.norm).to(args.device)
    best: dict = {"score": -1.0}
    history: list[dict] = []
    t1 = time.perf_counter()

    command = "python -m ragqa.eval.reader_train " + " ".join(
        argv if argv is not None else sys.argv[1:])

    def card_now() -> ReaderCard:
        return ReaderCard(
            base_model=model.name, base_weights_sha256=weights, split_layer=config.split_layer,
            max_len=config.max_len, stride=config.stride, weights_sha256="", weights_bytes=0,
            seed=config.seed, head=config.head, norm=config.norm,
            data={"source": args.squad.name, "source_sha256": source_sha,
                  "split": "reader_split (eval/reader_data.py): test = today's test; today's "
                           "dev articles two in three to train, the rest dev",
                  "train_questions": len(train_q), "train_pairs": kinds,
                  "train_windows": len(train_cached.windows),
                  "dev_questions": len(cands), "dev_top": args.dev_top,
                  "dev_windows": len(dev_cached.windows)},
            training={**asdict(config), "history": list(history), "best_epoch": best["epoch"],
                      "mining_s": round(mined_s), "frozen_states_s": round(cache_s),
                      "training_s": round(time.perf_counter() - t1), "threads": args.threads},
            dev=best["metrics"],
            command=command,
        )

    def evaluate(model_top, epoch: int) -> dict:
        metrics = dev_metrics(outputs(model_top, dev_cached), dev_cached, top_cands, where,
                              dev_examples)
        # the epoch that reranks best with the rank prior the service would use with it
        score = max(v["mrr@10"] for k, v in metrics.items()
                    if k.startswith(f"rerank@{args.dev_top}:"))
        logger.info("dev epoch %d: %s", epoch, json.dumps(metrics))
        if score > best["score"]:
            # Written at once: a run stopped later still leaves its best epoch, with a card
            # that says how far it went.
            best.update(score=score, epoch=epoch, metrics=metrics)
            history.append({"epoch": epoch, "dev_mrr@10": score, "written": True})
            card = write_artifact(args.out, model_top.state_dict(), card_now())
            logger.info("wrote %s (%d bytes), epoch %d", args.out, card.weights_bytes, epoch)
        return {f"dev_mrr@10_rerank@{args.dev_top}": score}

    if args.from_run is None:
        records = train(top, train_cached, config, evaluate)
        history[:] = records
        card, trained = card_now(), read_tensors(args.out)
    else:  # a finished run's best epoch, compressed anew (its card says how it was trained)
        card, trained = read_card(args.from_run), read_tensors(args.from_run)
    if args.rank > 0:
        from ragqa.index.reading.delta import compress, expand

        fresh = ReaderTop(base, config.split_layer, config.head, config.norm).state_dict()
        small = compress(trained, fresh, args.rank)
        top.load_state_dict(expand(small, fresh))
        metrics = dev_metrics(outputs(top, dev_cached), dev_cached, top_cands, where,
                              dev_examples)
        logger.info("dev at rank %d: %s", args.rank, json.dumps(metrics))
        card = replace(card, delta_rank=args.rank, dev=metrics,
                       training={**card.training, "full_rank_dev": card.dev},
                       command=command if args.from_run is None else
                       f"{card.command} (compressed: {command})")
        trained = small
    card = write_artifact(args.out, trained, card)  # the card's full history
    logger.info("wrote %s (%d bytes)", args.out, card.weights_bytes)
    return 0


def _generation(index_dir: Path) -> str:
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        return ""

if __name__ == "__main__":
    raise SystemExit(main())
