"""``ragqa eval``: retrieval quality of the served configuration on a question set."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import click

from ragqa.eval.questions import KINDS, load_offtopic, load_questions, load_translations, select
from ragqa.eval.report import kinds_table, markdown_table, signal_table, write_report
from ragqa.eval.runner import run_questions, summarise
from ragqa.index.search.retriever import MODES

DEFAULT_QUESTIONS = Path("eval/questions.jsonl")
DEFAULT_OFFTOPIC = Path("eval/offtopic.jsonl")


@click.command("eval")
@click.option("--questions", "questions_file", type=click.Path(path_type=Path),
              default=DEFAULT_QUESTIONS, show_default=True, help="Project-format JSONL questions.")
@click.option("--squad", "squad_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Evaluate on a SQuAD-format file (its contexts become a temporary corpus).")
@click.option("--beir", "beir_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="Evaluate on a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).")
@click.option("--translations", "translations_file",
              type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="JSONL {id, lang, question}: ask only these questions of the set, in "
                   "another language (e.g. eval/piaf-en.jsonl with --squad PIAF).")
@click.option("--conversations", "conversations_file",
              type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Evaluate follow-up questions instead: a conversations file (e.g. "
                   "eval/conversations.jsonl), its project conversations, or its PIAF ones "
                   "with --squad PIAF.")
@click.option("--offtopic", "offtopic_file", default=str(DEFAULT_OFFTOPIC), show_default=True,
              help="Off-topic questions asked too, for the low-relevance signal ('' for none).")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
@click.option("-k", "k", type=click.IntRange(1, 50), default=10, show_default=True)
@click.option("--modes", default="bm25,dense,hybrid", show_default=True)
@click.option("--split", type=click.Choice(["dev", "dev2", "test", "test2", "test3", "all"]),
              default="all", show_default=True,
              help="dev2, test2, test3: splits of the conversations set only.")
@click.option("--json", "as_json", is_flag=True, help="Print one flat JSON object.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Write metrics.json, report.md and recall_at_k.png here.")
def eval_command(questions_file, squad_file, beir_dir, translations_file, conversations_file,
                 offtopic_file, corpus_dir, index_dir, k, modes, split, as_json, out_dir) -> None:
    """Measure recall@1/5/10, MRR@10, nDCG@10 and latency per mode and per question kind;
    with --conversations, follow-ups with their history, without it and rewritten by hand."""
    from ragqa import wiring
    from ragqa.settings import load_settings

    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = [m for m in mode_list if m not in MODES]
    if unknown or not mode_list:
        raise click.BadParameter(f"unknown mode(s) {unknown}; use {', '.join(MODES)}", param_hint="--modes")
    if out_dir is not None:  # before the evaluation, not after it
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(f"cannot create {out_dir}: {exc.strerror or exc}",
                                     param_hint="--out") from None
    external = None
    if split in ("dev2", "test2", "test3") and conversations_file is None:
        raise click.UsageError(f"--split {split} is a split of the conversations set only "
                               "(with --conversations)")
    if squad_file is not None and beir_dir is not None:
        raise click.UsageError("use either --squad or --beir, not both")
    if squad_file is not None or beir_dir is not None:
        from ragqa.eval.squad import load_beir, load_squad, materialise

        documents, external = load_squad(squad_file) if squad_file else load_beir(beir_dir)
        corpus_dir = materialise(documents, Path(".ragqa/eval"))
        index_dir = index_dir or corpus_dir.parent / "index"
        questions_file = squad_file or beir_dir
    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    eng = wiring.start(settings).engine
    model = eng.model
    texts = {doc_id: doc.text for doc_id, doc in eng.retriever.index.documents_by_id().items()}
    if conversations_file is not None:
        if beir_dir is not None or translations_file is not None:
            raise click.UsageError("--conversations goes with the project corpus or --squad PIAF")
        from ragqa.eval.conversation_report import report_conversations

        report_conversations(eng, settings, texts, conversations_file,
                             "piaf" if squad_file is not None else "project", split, k,
                             as_json=as_json, out_dir=out_dir)
        return
    loaded = external if external is not None else load_questions(questions_file, texts)
    if translations_file is not None:
        loaded = load_translations(translations_file, loaded)
    questions = select(loaded, split)
    offtopic = []
    # The default set is skipped where it is not (a run outside the repository); one named
    # explicitly must exist.
    if offtopic_file and (Path(offtopic_file) != DEFAULT_OFFTOPIC or DEFAULT_OFFTOPIC.is_file()):
        offtopic = load_offtopic(Path(offtopic_file), split)
    runs = run_questions(eng.retriever, questions, mode_list, k, offtopic=offtopic)
    metrics: dict = summarise(runs, k)
    fusion = eng.retriever.params.fusion
    metrics.update({
        "split": split,
        # plainly typed questions read with the corpus's forms (0: as typed; RAGQA_QUESTION_FORMS)
        "question_forms": eng.retriever.params.question_forms,
        # words the index holds no term of read as the passages' nearest (RAGQA_QUESTION_TYPOS)
        "question_typos": eng.retriever.params.question_typos,
        "questions_file": str(questions_file),
        "model": model.name,
        "fallback": model.fallback,
        "fusion": f"{fusion.method}:{fusion.dense_weight}",
        "crosslingual_dense_weight": eng.retriever.params.crosslingual_dense_weight,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
    })
    if translations_file is not None:
        metrics["translations_file"] = str(translations_file)
    asked = f" asked as translated in `{translations_file}`" if translations_file else ""
    header = (f"Question set `{questions_file}`{asked}, split `{split}` "
              f"({sum(1 for q in questions if q.answerable)} answerable questions), model "
              f"`{model.name}`{' (fallback)' if model.fallback else ''}, fusion {metrics['fusion']}"
              f"{_crosslingual(metrics['crosslingual_dense_weight'])}, "
              f"chunks {settings.chunk_size}/{settings.chunk_overlap}, k={k}, on {platform.node() or 'this machine'}.")
    kinds = sorted({q.kind for q in questions if q.answerable}, key=_kind_order)
    if out_dir is not None:
        from ragqa.eval.plot import plot_recall

        write_report(out_dir, metrics, header, mode_list, kinds)
        plot_recall(runs, out_dir / "recall_at_k.png", f"{questions_file.name}, split {split}, {model.name}", k)
    if as_json:
        click.echo(json.dumps(metrics, ensure_ascii=False))
        return
    click.echo(header + "\n")
    click.echo(markdown_table(metrics, mode_list))
    click.echo()
    if len(kinds) > 1:
        click.echo(kinds_table(metrics, mode_list, kinds))
    signal = signal_table(metrics, mode_list)
    if signal:
        click.echo("\nLow-relevance signal (negatives: " + (
            "unanswerable questions" if any(q.kind == "unanswerable" for q in questions)
            else "each question asked with its gold document held out") + "):\n")
        click.echo(signal)


def _kind_order(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _crosslingual(weight: float | None) -> str:
    return "" if weight is None else f" (dense weight {weight} for a question in another language)"
