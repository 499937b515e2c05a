"""The learned-highlight experiment's own parts: its features and its conditional logit."""

import numpy as np

from ragqa.eval.highlight_learned import FEATURES, Candidate, features, rate
from ragqa.eval.learned import fit_softmax
from ragqa.index.search.highlight import analysed_sentences


def _analyze(text: str) -> list[str]:
    return [w.strip(".,?").casefold() for w in text.split() if len(w) > 3]


def test_features_name_the_question_kind_against_what_a_sentence_holds():
    text = "Le programme SPARK est ouvert. Il compte 26 startups inscrites."
    sentences = analysed_sentences(text, 0, len(text), _analyze)
    question = "Combien de startups sont inscrites au programme ?"
    terms = frozenset(_analyze(question))
    x = features(question, terms, {}, sentences, [text[a:b] for a, b in
                                                  (s.span for s in sentences)],
                 np.array([0.8, 0.7]), np.array([0.5, 0.6]))
    assert x.shape == (2, len(FEATURES))
    column = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert column["quantity_digit"].tolist() == [0.0, 1.0]  # "combien" and a digit
    assert column["cosine_best"].tolist() == [1.0, 0.0]
    assert column["maxsim_best"].tolist() == [0.0, 1.0]
    assert column["first"].tolist() == [1.0, 0.0]


def test_the_conditional_logit_learns_which_feature_marks_the_right_sentence():
    rng = np.random.default_rng(0)
    width = 3
    candidates = []
    for _ in range(200):
        x = rng.normal(size=(5, width))
        right = np.zeros(5, dtype=bool)
        right[int(np.argmax(x[:, 1] + 0.3 * rng.normal(size=5)))] = True  # feature 1 tells
        candidates.append(Candidate("train", x, right, np.eye(5, dtype=bool)[0],
                                    np.zeros((5, 2))))
    w = fit_softmax([(c.features, c.right) for c in candidates], l2=0.1)
    assert int(np.argmax(w)) == 1 and w[1] > 2 * max(abs(w[0]), abs(w[2]))
    assert rate(candidates, lambda c: c.features @ w) > 0.7
    assert rate(candidates, lambda c: c.served.astype(float)) < 0.4  # always the first: chance
