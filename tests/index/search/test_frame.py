"""The words that frame a question (index/search/frame.py)."""

from __future__ import annotations

from ragqa.index.search.frame import frame_words, frames


def test_the_verbs_and_fillers_that_frame_a_question():
    for word in ("Peut", "pouvez", "voudrais", "savoir", "Faut", "aller", "si", "ça", "SI",
                 "déjà", "deja"):
        assert frames(word, "french"), word
    assert frames("Could", "english")


def test_words_that_name_something_do_not_frame_it():
    # as written, accents included: "marché" is no "marche", "pouvoirs" no "pouvoir"
    for word in ("marché", "pouvoirs", "pouvoir", "faits", "postuler", "Huawei", "ca"):
        assert not frames(word, "french"), word
    # a decomposed accent is the same word
    assert frames("c\u0327a", "french")
    assert frame_words("danish") == frozenset()
