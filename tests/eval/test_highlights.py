"""eval.highlights: the answer-in-highlight measure, on the real corpus index."""

import functools
from pathlib import Path

from ragqa.eval.highlights import legacy_span_for, measure
from ragqa.eval.questions import load_questions, select
from ragqa.index.search.highlight import Highlighter
from ragqa.index.search.retriever import Retriever, RetrievalParams
from ragqa.index.files.generations import load_index
from tests.conftest import ROOT


def test_the_measure_counts_answer_passages_and_highlights(corpus_index: Path, embedder):
    index = load_index(corpus_index)
    retriever = Retriever(index, embedder, RetrievalParams())
    texts = {d: r.text for d, r in index.documents.items()}
    questions = select(load_questions(ROOT / "eval" / "questions.jsonl", texts), "dev")[:25]
    analyzer = index.lexical.analyzer
    highlighter = Highlighter(analyzer, idf=index.lexical.idf)
    now = measure(retriever, questions,
                  lambda q: functools.partial(highlighter.span, highlighter.focus(q)))
    before = measure(retriever, questions, lambda q: legacy_span_for(analyzer, q))
    whole = measure(retriever, questions, lambda q: lambda doc_id, text, s, e: (s, e))
    assert now.questions == before.questions == sum(q.answerable for q in questions)
    assert 0 < now.retrieved == before.retrieved <= now.questions
    # a highlight of the whole passage always contains the answer found in it
    assert whole.contains == whole.overlaps == whole.retrieved
    assert now.contains <= now.overlaps <= now.retrieved
    assert now.contains_rate > 0.5  # most highlights hold the answer
