"""eval.highlight_foreign: the highlight measure split by the question's language, on the
real e5 index of the corpus."""

from ragqa.eval.highlight_foreign import measure
from ragqa.eval.questions import load_questions, select
from ragqa.index.files.generations import load_index
from ragqa.index.search.highlight import Highlighter
from ragqa.index.search.retriever import FusionParams, RetrievalParams, Retriever
from tests.conftest import ROOT


def test_english_and_french_questions_are_counted_apart(e5_corpus_index, e5_embedder):
    index = load_index(e5_corpus_index)
    retriever = Retriever(index, e5_embedder, RetrievalParams(
        fusion=FusionParams("minmax", 0.5), crosslingual_dense_weight=1.0))
    texts = {d: r.text for d, r in index.documents.items()}
    questions = select(load_questions(ROOT / "eval" / "questions.jsonl", texts), "dev")
    english = [q for q in questions if q.lang == "en"][:6]
    french = [q for q in questions if q.lang == "fr"][:6]
    highlighter = Highlighter(index.lexical.analyzer, idf=index.lexical.idf,
                              embed=retriever.sentence_vectors)
    counts = measure(retriever, highlighter, english + french, (0.3, 30.0))
    held, retrieved = counts["french"]
    assert 0 < retrieved <= len(french) and 0 <= held <= retrieved
    # the English ones are read as foreign and measured at each weight, the same passages
    assert counts["foreign at 0.3"][1] == counts["foreign at 30"][1] > 0
    assert counts["french"][1] + counts["foreign at 30"][1] <= len(english) + len(french)
