"""Questions typed without accents or capitals (``index/search/typed.py``): read with the
corpus's word forms, by the real model over the real corpus's index."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ragqa.index.files.generations import load_index
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.relevance import default_relevance
from ragqa.index.search.reorder import default_reorder
from ragqa.index.search.retriever import RetrievalParams, Retriever
from ragqa.index.search.typed import (
    WordForms,
    corrected,
    long_words,
    marked_letters,
    restored,
    slipped,
    typed_plainly,
)

TEXT = ("Le ministère du Numérique annonce que Huawei forme des étudiants au Maroc. "
        "Selon le ministère, Huawei a formé 2000 étudiants. Un rapport du ministère, "
        "publié au Maroc, cite Huawei et le programme SPARK. Le programme SPARK, dit le "
        "ministère, est ouvert. ") * 3


def test_which_questions_are_typed_plainly():
    assert typed_plainly("combien d'etudiants au maroc ?")
    assert typed_plainly("Combien d'etudiants au Maroc ?")  # no accent anywhere
    assert typed_plainly("combien d'étudiants au maroc ?")  # no capital anywhere
    assert not typed_plainly("Combien d'étudiants au Maroc ?")
    assert not typed_plainly("2024 ?")
    # a no-break space before "?" or an ellipsis is no accent; a script without capitals
    # (Arabic) is never typed "plainly"
    assert typed_plainly("Combien d'etudiants au Maroc\u00a0?") and typed_plainly("et apres…")
    assert not typed_plainly("كم عدد الطلاب في المغرب")


def test_words_take_the_forms_the_passages_write():
    forms = WordForms.written_in([TEXT])
    assert (forms.restore("combien d'etudiants le ministere et huawei forment-ils au maroc")
            == "combien d'étudiants le ministère et Huawei forment-ils au Maroc")
    # without accents but with capitals: accents only; in lower case with accents: capitals
    assert forms.restore("Combien d'etudiants forme Huawei ?") == \
        "Combien d'étudiants forme Huawei ?"
    assert forms.restore("le programme spark du ministère") == "le programme SPARK du ministère"
    # typed properly, or a form the passages also write often enough, or too short: as typed
    for question in ["Combien d'étudiants le ministère forme-t-il au Maroc ?",
                     "a ou la", "le programme de zzz"]:
        assert forms.restore(question) == question
    # a capital that only starts sentences does not count ("Le", "Selon", "Un")
    assert forms.restore("selon le rapport") == "selon le rapport"
    # a no-break space does not keep a question from its accents
    assert forms.restore("Combien d'etudiants au Maroc\u00a0?") == \
        "Combien d'étudiants au Maroc\u00a0?"


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    """The default corpus's documents (real French news text)."""
    folder = Path(__file__).resolve().parents[3] / "corpus"
    return [path.read_text("utf-8") for path in sorted(folder.glob("*.txt"))]


def test_a_question_is_restored_as_by_every_form_of_the_passages(corpus_texts):
    """``restored`` keys only the question's words' forms: it must read every question as
    the forms of every word of the passages would (the corpus's own sentences, typed
    without accents, in lower case, or both)."""
    texts = corpus_texts[:10]
    forms = WordForms.written_in(texts)
    sentences = [s.strip() for text in corpus_texts[:10] for s in text.split(". ")
                 if 20 < len(s) < 200][:300]
    changed = 0
    for sentence in sentences:
        plain = "".join(c for c in unicodedata.normalize("NFKD", sentence)
                        if not unicodedata.combining(c))
        for question in (plain, sentence.lower(), plain.lower()):
            assert restored(question, texts) == forms.restore(question)
            changed += restored(question, texts) != question
    assert changed > 50  # the comparison restores words, not only leaves them as typed


def test_words_after_an_elision_count_whatever_the_apostrophe():
    forms = WordForms.written_in(["le choix d’émergence, puis l’intérêt qu’ISESCO porte "
                                  "jusqu’à Oujda. " * 3])
    assert forms.restore("l'emergence et l'interet de l'isesco") == \
        "l'émergence et l'intérêt de l'ISESCO"


def test_a_word_the_index_does_not_hold_is_read_as_the_passages_nearest():
    forms = [TEXT + " Une œuvre du ministère. " * 2]  # the passages, best first
    # one letter dropped, doubled, swapped or changed, with or without its accents; the
    # form the passages write, a capital that starts the word kept
    assert corrected("Combien d'étudiants le minstère forme-t-il ?", {"minstère"}, forms) == \
        "Combien d'étudiants le ministère forme-t-il ?"
    assert corrected("Que fait huwaei au Maroc ?", {"huwaei"}, forms) == \
        "Que fait Huawei au Maroc ?"
    assert corrected("QUE FAIT HUWAEI ?", {"HUWAEI"}, forms) == "QUE FAIT HUAWEI ?"
    assert corrected("Prorgamme et etudiiants", {"Prorgamme", "etudiiants"}, forms) == \
        "Programme et étudiants"
    # the same word but for accents or a ligature comes first ("oeuvre": "œuvre")
    assert corrected("Quelle oeuvre ?", {"oeuvre"}, forms) == "Quelle œuvre ?"
    # only the words named; a word nothing is one edit from stays as typed
    assert corrected("le minstère et le minstère", set(), forms) == "le minstère et le minstère"
    assert corrected("la zzzzzzz du Maroc", {"zzzzzzz"}, forms) == "la zzzzzzz du Maroc"
    # words that may be typos: five letters or more, letters only
    assert long_words("Qui dirige l'organisation ICT4Peace en 2024 ?") == {"dirige", "organisation"}
    # five-letter words one edit apart are often two words ("jaune", "jeune"): left alone
    jeune = ["un jeune public, un jeune étudiant. " * 3]
    assert corrected("le métal jaune", {"jaune"}, jeune) == "le métal jaune"
    assert corrected("le métal jaune", {"jaune"}, ["le métal jaunes. " * 3]) \
        == "le métal jaunes"


def test_a_correct_word_is_not_read_as_another_one_edit_away():
    # the passages' words one edit from words they do not write
    passages = ["Les salariés du ministère espère un accord autour du contrat, chaque "
                "salarié. La présidente réside à Rabat. " * 3]
    # a slip keeps the first letter ("préside" is no slip of "réside"), changes a letter
    # for a neighbouring key only ("auteur"/"autour", "espèce"/"espère": e/o, c/r), and
    # misses no accent its writer types elsewhere (the "é" of "développeur")
    for question, word in [("Quel est le salaire d'un développeur ?", "salaire"),
                           ("Qui préside le conseil ?", "préside"),
                           ("Qui est l'auteur du contrat ?", "auteur"),
                           ("Quelle espèce est protégée ?", "espèce")]:
        assert corrected(question, {word}, passages) == question
    # typos are still read: a letter dropped, swapped, doubled, or a neighbouring key
    assert corrected("Que fait le minstère ?", {"minstère"}, passages) == \
        "Que fait le ministère ?"
    assert corrected("Que fait le minidtère ?", {"minidtère"}, passages) == \
        "Que fait le ministère ?"
    assert corrected("Combien de salairés ?", {"salairés"}, passages) == \
        "Combien de salariés ?"
    # an accent its writer never types may be missed with the slip ("ù" typed, not "è")
    assert corrected("Où est le minstere ?", {"minstere"}, passages) == \
        "Où est le ministère ?"
    assert corrected("Où est le minstere ?", {"minstere"}, passages, marks={"è"}) == \
        "Où est le minstere ?"
    assert marked_letters("Où est le Ministère ? Ça") == {"ù", "è", "ç"}
    assert slipped("huwaei", "Huawei") and slipped("Qelles", "Quelles")
    assert not slipped("Qelles", "Elles")
    assert not slipped("salaires", "salariés", {"é"}) and slipped("salaires", "salariés")


@pytest.fixture(scope="module")
def retriever(e5_corpus_index, e5_embedder):
    name = e5_embedder.model.name
    params = RetrievalParams(fusion=default_fusion(name), relevance=default_relevance(name),
                             reorder=default_reorder(name))
    return Retriever(load_index(e5_corpus_index), e5_embedder, params)


def test_a_plainly_typed_question_is_read_with_the_corpus_forms(retriever, e5_embedder):
    typed = "combien de startups sont inscrites au programme spark de huawei"
    result = retriever.search(typed, 5)
    assert result.question == typed
    assert result.read_as == "combien de startups sont inscrites au programme SPARK de Huawei"
    assert np.allclose(result.query_vector, e5_embedder.encode_queries([result.read_as])[0])
    # what the model reads decides: off, the question's own vector
    off = Retriever(retriever.index, e5_embedder,
                    RetrievalParams(**{**retriever.params.__dict__, "question_forms": 0}))
    plain = off.search(typed, 5)
    assert plain.read_as is None
    assert np.allclose(plain.query_vector, e5_embedder.encode_queries([typed])[0])
    # a question typed properly, in bm25 mode, or in another language: as typed
    proper = "Combien de startups sont inscrites au programme SPARK ?"
    read = retriever.search(proper, 5)
    assert read.read_as is None
    # (it holds no accented letter: read, left unchanged, and ranked with the BM25 search
    # its reading made: the same passages, scores and verdict as with the forms off)
    alone = off.search(proper, 5)
    assert [(h.doc_id, h.start, h.score) for h in read.hits] == \
        [(h.doc_id, h.start, h.score) for h in alone.hits]
    assert (read.relevance, read.low_relevance) == (alone.relevance, alone.low_relevance)
    assert retriever.search(typed, 5, mode="bm25").read_as is None
    assert retriever.model_question("how many startups joined the huawei spark programme") \
        == "how many startups joined the huawei spark programme"


def test_a_typo_is_read_by_both_rankers_as_the_word_the_passages_write(retriever, e5_embedder):
    typed = "Combien de startups sont inscrites au programme SPARK de Huwaei ?"
    proper = "Combien de startups sont inscrites au programme SPARK de Huawei ?"
    result = retriever.search(typed, 5)
    assert (result.question, result.read_as) == (typed, proper)
    assert np.allclose(result.query_vector, e5_embedder.encode_queries([proper])[0])
    written = retriever.search(proper, 5)
    assert written.read_as is None
    assert [(h.doc_id, h.start, h.score) for h in result.hits] == \
        [(h.doc_id, h.start, h.score) for h in written.hits]
    # in bm25 mode too (which folds accents and case itself: only typos are read there)
    lexical = retriever.search(typed, 5, mode="bm25")
    assert lexical.read_as == proper
    assert [(h.doc_id, h.start, h.score) for h in lexical.hits] == \
        [(h.doc_id, h.start, h.score) for h in retriever.search(proper, 5, mode="bm25").hits]
    # off, or where a restricted reader's documents hold no "Huawei": as typed
    off = Retriever(retriever.index, e5_embedder, replace(retriever.params, question_typos=False))
    assert off.search(typed, 5).read_as is None
    assert off.search(typed, 5, mode="bm25").read_as is None
    others = frozenset(d for d, record in retriever.index.documents_by_id().items()
                       if "huawei" not in record.text.lower())
    assert retriever.search(typed, 5, scope=others).read_as is None
    # (a word held only outside a reader's documents is unknown to that reader)
    assert "Huawei" in retriever._unknown_words("Que fait Huawei ?", others)
    assert "Huawei" not in retriever._unknown_words("Que fait Huawei ?", None)
    # a correct word the documents do not write is not read as their word one edit away
    # ("salaires" as "salariés" when the writer types the "é" of "employés")
    asked = "Les salaires des employés augmentent-ils avec l'IA ?"
    assert retriever.model_question(asked) == asked
    # a decomposed accent (macOS, text copied from a PDF) does not cut a word in two
    decomposed = unicodedata.normalize("NFD", "Combien d'étudiants de Huwaei sont inscrits ?")
    assert retriever.search(decomposed, 5).read_as == \
        "Combien d'étudiants de Huawei sont inscrits ?"
