"""The reader end to end on the real bundled e5: a tiny training run (seconds), its
artifact loaded by hash, spans that are exact slices of their passages, and a reader
refused over other base weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from ragqa.index.reading.artifact import ReaderCard, ReaderUnavailableError, write_artifact
from ragqa.index.reading.delta import compress, expand
from ragqa.index.reading.pairs import windows
from ragqa.index.reading.reader import open_reader
from ragqa.index.reading.train import Example, TrainConfig, cache_states, train

PASSAGES = [
    ("Le programme SPARK accompagne les jeunes entreprises.  Cette année, 26 startups sont "
     "inscrites au programme SPARK, dont la moitié à Casablanca."),
    "Orange Maroc lance la 5G à Casablanca en 2025 ; le réseau couvrira Rabat en 2026.",
    ("Nokia et le ministère signent un accord pour la fibre optique et la couverture "
     "nationale.\n\nLe nouveau data center de Rabat ouvrira en juin."),
]


def _examples() -> list[Example]:
    out = []
    for question, answer, passage in [
        ("Combien de startups sont inscrites au programme SPARK ?", "26 startups", 0),
        ("Quand Orange lance-t-il la 5G ?", "2025", 1),
        ("Quand ouvrira le data center de Rabat ?", "juin", 2),
    ]:
        text = PASSAGES[passage]
        start = text.index(answer)
        out.append(Example(question, text, (start, start + len(answer)), "positive"))
        out.append(Example(question, PASSAGES[(passage + 1) % 3], None, "other-article"))
    return out


@pytest.fixture(scope="module", params=[("cls", False, 0), ("span", True, 0), ("span", True, 4)],
                ids=["cls", "span-norm", "span-norm-delta"])
def trained(request: pytest.FixtureRequest, converted: Path,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from ragqa.index.embedding.models import ResolvedModel
    from ragqa.index.reading.model import ReaderTop, load_base
    from transformers import AutoTokenizer

    config = TrainConfig(max_len=96, stride=32, epochs=2, batch=4, head=request.param[0],
                         norm=request.param[1])
    base = load_base(converted)
    tokenizer = AutoTokenizer.from_pretrained(str(converted), local_files_only=True)
    cached = cache_states(base, tokenizer, _examples(), config)
    assert sum(cached.labels) == 3 and all(s is not None for s, l in
                                           zip(cached.spans, cached.labels) if l)
    top = ReaderTop(base, config.split_layer, config.head, config.norm)
    history = train(top, cached, config)
    assert len(history) == 2 and all(h["loss"] > 0 for h in history)
    folder = tmp_path_factory.mktemp("reader")
    weights = ResolvedModel("e5", "e5", converted, False).weights_sha256()
    rank = request.param[2]
    state = top.state_dict()
    if rank:  # low-rank deltas over a fresh top (the base's own layers)
        fresh = ReaderTop(base, config.split_layer, config.head, config.norm).state_dict()
        state = compress(state, fresh, rank)
    write_artifact(folder, state, ReaderCard(
        base_model="e5", base_weights_sha256=weights, split_layer=config.split_layer,
        max_len=config.max_len, stride=config.stride, weights_sha256="", weights_bytes=0,
        seed=config.seed, head=config.head, norm=config.norm, delta_rank=rank))
    if rank:  # what the loader rebuilds is the state the factors stand for
        loaded = open_reader(converted, weights, folder).top.state_dict()
        expected = expand({k: v.half().float() for k, v in state.items()}, fresh)
        for name, value in expected.items():
            assert torch.allclose(loaded[name], value, atol=1e-6), name
    return folder, weights


def test_spans_are_exact_slices_of_their_passages(trained, converted: Path) -> None:
    folder, weights = trained
    reader = open_reader(converted, weights, folder)
    long = " ".join(PASSAGES) * 4  # several windows at max_len 96
    readings = reader.read("Combien de startups sont inscrites ?", [*PASSAGES, long, ""])
    assert len(readings) == 5
    for reading, passage in zip(readings, [*PASSAGES, long, ""]):
        assert passage[reading.start:reading.end] == reading.span
        assert 0.0 <= reading.answerability <= 1.0
        assert reading.span == reading.span.strip()
    assert readings[4].span == ""


def test_reader_over_other_base_weights_is_refused(trained, converted: Path) -> None:
    folder, _ = trained
    with pytest.raises(ReaderUnavailableError, match="completes"):
        open_reader(converted, "f" * 64, folder)


def test_windows_cover_a_long_passage_with_true_offsets(converted: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(converted), local_files_only=True)
    passage = " ".join(PASSAGES) * 5
    cut = windows(tokenizer, [("Quand ?", passage)], max_len=64, stride=16)
    assert len(cut) > 3 and all(len(w) <= 64 for w in cut)
    covered = [o for w in cut for o in w.offsets if o is not None]
    assert min(a for a, _ in covered) == 0
    assert max(b for _, b in covered) == len(passage.rstrip())
    start = passage.index("26 startups")
    holding = [w for w in cut if w.answer_tokens(start, start + len("26 startups"))]
    assert holding
    first, last = holding[0].answer_tokens(start, start + len("26 startups"))
    assert passage[holding[0].offsets[first][0]:holding[0].offsets[last][1]].strip() == "26 startups"


def test_the_committed_reader_scores_the_passage_that_answers_higher(converted: Path) -> None:
    """The committed artifact over the bundled e5 (questions and passages of our own, not
    PIAF's): each question's answering passage outscores the two that do not answer it,
    and its span is an exact slice of that passage."""
    from ragqa.index.embedding.models import ResolvedModel
    from ragqa.index.reading.artifact import CARD, DEFAULT_DIR

    if not (DEFAULT_DIR / CARD).exists():
        pytest.skip("no reader committed")
    weights = ResolvedModel("e5", "e5", converted, False).weights_sha256()
    reader = open_reader(converted, weights, DEFAULT_DIR)
    assert reader.card.delta_rank > 0
    for example in _examples()[::2]:
        readings = reader.read(example.question, PASSAGES)
        mine = PASSAGES.index(example.passage)
        others = [r.answerability for i, r in enumerate(readings) if i != mine]
        assert readings[mine].answerability > max(others), (example.question, readings)
        assert example.passage[readings[mine].start:readings[mine].end] == readings[mine].span
