"""A follow-up searched through the one retriever over a ConversationView, with the real
bundled model on the real corpus."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ragqa.index.files.generations import load_index
from ragqa.index.search.conversation import ConversationView, plan_followup, search_followup
from ragqa.index.search.followup import FOLLOWUP, Followup, Turn, plan, standalone
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.retriever import Retriever, RetrievalParams
from tests.conftest import LIVE_BLOG

FOLLOWUP_WITHOUT_UNKNOWN = replace(FOLLOWUP, unknown_stands_alone=False)

NOKIA_DOC = "002_3fd3ba12ca1ab0c9.txt"
NOKIA = Turn("Quel accord Nokia a-t-il conclu avec le Maroc ?", doc_ids=(NOKIA_DOC,))
WHERE = "ont signé un protocole d’accord lors du GITEX Africa 2025 au Maroc"


@pytest.fixture(scope="module")
def retriever(corpus_index, embedder):
    params = RetrievalParams(fusion=default_fusion(embedder.model.name))
    return Retriever(load_index(corpus_index), embedder, params)


def _followup(retriever, question, history):
    index = retriever.index
    return plan(question, history, index.analyzer, index.idf)


def test_a_question_that_stands_alone_is_the_plain_search(retriever):
    question = "Combien de visiteurs sont attendus au Gitex Africa 2025 ?"
    followup = _followup(retriever, question, [NOKIA])
    assert followup == standalone(question)
    assert search_followup(retriever, followup, 5) == retriever.search(question, 5)


def test_the_follow_up_finds_what_the_previous_question_was_about(retriever):
    question = "Et lors de quel événement ?"
    alone = retriever.search(question, 5)
    assert alone.hits[0].doc_id != NOKIA_DOC
    followup = _followup(retriever, question, [NOKIA])
    result = search_followup(retriever, followup, 5)
    assert result.question == question and result.read_as is None
    # the model reads the earlier question and the follow-up together, as typed
    assert np.allclose(result.query_vector,
                       retriever.embedder.encode_queries([followup.dense_text])[0])
    assert result.hits[0].doc_id == NOKIA_DOC
    assert any(WHERE in h.quote for h in result.hits[:3])
    documents = retriever.index.documents
    for hit in result.hits:  # the promise holds for follow-ups too
        assert documents[hit.doc_id].text[hit.start:hit.end] == hit.quote


def test_a_typo_in_a_follow_up_is_read_from_the_conversations_passages(retriever):
    typed, proper = "Et lors de quel événemnt ?", "Et lors de quel événement ?"
    followup = _followup(retriever, typed, [NOKIA])
    assert followup.history_used
    result = search_followup(retriever, followup, 5)
    assert (result.question, result.read_as) == (typed, proper)
    assert followup.read_as(result.read_as) == f"{proper} (accord Nokia conclu Maroc)"
    # searched as the follow-up typed properly: both rankers (the model reads the earlier
    # question, then the follow-up as read)
    written = search_followup(retriever, _followup(retriever, proper, [NOKIA]), 5)
    assert written.read_as is None
    assert [(h.doc_id, h.start, h.score) for h in result.hits] == \
        [(h.doc_id, h.start, h.score) for h in written.hits]
    assert np.allclose(result.query_vector, written.query_vector)
    # off: as typed
    off = Retriever(retriever.index, retriever.embedder,
                    replace(retriever.params, question_typos=False))
    assert search_followup(off, followup, 5).read_as is None


def test_an_english_follow_up_is_not_read_as_french_words(retriever):
    """"signed" is a word of the question's language, not a typo of the passages' "signé".
    Nor is a word the index lacks read into one of the passages' names ("Foundation" is no
    "Fondation"): the model reads it as typed."""
    followup = _followup(retriever, "Who signed it?", [NOKIA])
    assert followup.history_used
    assert search_followup(retriever, followup, 5).read_as is None
    followup = _followup(retriever, "Was it signed at Marakech?", [NOKIA])
    assert search_followup(retriever, followup, 5).read_as is None


def test_the_earlier_question_a_follow_up_borrows_from_is_read_too(retriever):
    typed = Turn("Quel acord Nokia a-t-il conclu avec le Maroc ?", doc_ids=(NOKIA_DOC,))
    followup = plan_followup(retriever, "Qui l'a signé ?", [Turn("Bonjour"), typed])
    proper = _followup(retriever, "Qui l'a signé ?", [Turn("Bonjour"), NOKIA])
    assert followup == proper
    assert followup.lexical[0][0] == "accord Nokia conclu Maroc"
    assert followup.dense_text == f"{NOKIA.question} Qui l'a signé ?"
    # a question that stands alone reads nothing of its history; off, as typed
    gitex = "Combien de visiteurs sont attendus au Gitex Africa 2025 ?"
    assert plan_followup(retriever, gitex, [typed]) == standalone(gitex)
    off = Retriever(retriever.index, retriever.embedder,
                    replace(retriever.params, question_typos=False))
    assert plan_followup(off, "Qui l'a signé ?", [typed]).lexical[0][0] == \
        "acord Nokia conclu Maroc"


def test_borrowed_queries_add_their_weighted_bm25_scores(retriever):
    base = retriever.index
    followup = Followup("signé", "signé (Nokia)", True, lexical=(("Nokia", 0.5),))
    ids, scores = ConversationView(base, followup).lexical_top("signé", 50)
    own = dict(zip(*(a.tolist() for a in base.lexical_top("signé", 50))))
    borrowed = dict(zip(*(a.tolist() for a in base.lexical_top("Nokia", 50))))
    for row, score in zip(ids.tolist(), scores.tolist()):
        assert score == pytest.approx(own.get(row, 0.0) + 0.5 * borrowed.get(row, 0.0), rel=1e-5)
    assert list(scores) == sorted(scores, reverse=True)


def test_the_prior_lifts_the_cited_documents(retriever):
    question = "Quelles technologies pour la couverture Internet nationale ?"
    plain = Followup(question, question, True)
    lifted = Followup(question, question, True, cited=(NOKIA_DOC,), prior=1.0)
    ids, _ = ConversationView(retriever.index, plain).dense_top(
        retriever.embedder.encode_queries([question])[0], 10)
    lifted_ids, _ = ConversationView(retriever.index, lifted).dense_top(
        retriever.embedder.encode_queries([question])[0], 10)
    records = retriever.index.passages_of(lifted_ids.tolist())
    assert records[int(lifted_ids[0])].doc_id == NOKIA_DOC
    cited = [r for r in lifted_ids.tolist() if records[r].doc_id == NOKIA_DOC]
    assert lifted_ids[: len(cited)].tolist() == cited  # a bonus of the whole range: all first
    assert ids.tolist() != lifted_ids.tolist()


def test_the_prior_lifts_only_a_long_documents_best_passages(retriever):
    """With ``prior_passages``, the live blog (some sixty entries) is not lifted whole: only
    its two passages that best match the follow-up, in each ranker."""
    question = "Quelles technologies pour la couverture Internet nationale ?"
    vector = retriever.embedder.encode_queries([question])[0]
    index = retriever.index
    lifted = Followup(question, question, True, cited=(LIVE_BLOG,), prior=1.0,
                      prior_passages=2)
    best = index.dense_top(vector, 2, [LIVE_BLOG])[0].tolist()
    ids, _ = ConversationView(index, lifted).dense_top(vector, 10)
    assert ids[:2].tolist() == best
    records = index.passages_of(ids.tolist())
    assert [r for r in ids.tolist()[2:] if records[r].doc_id == LIVE_BLOG] != ids.tolist()[2:]
    words, _ = ConversationView(index, lifted).lexical_top(question, 10)
    assert words[:2].tolist() == index.lexical_top(question, 2, [LIVE_BLOG])[0].tolist()
    whole = Followup(question, question, True, cited=(LIVE_BLOG,), prior=1.0)
    ids, _ = ConversationView(index, whole).dense_top(vector, 10)
    assert {records_doc for records_doc in
            (r.doc_id for r in index.passages_of(ids.tolist()).values())} == {LIVE_BLOG}


def test_a_cited_document_gone_since_is_no_error(retriever):
    followup = _followup(retriever, "Qui l'a signé ?",
                         [Turn(NOKIA.question, doc_ids=("gone.txt", NOKIA_DOC))])
    assert search_followup(retriever, followup, 3).hits


def test_a_filter_holds_for_follow_ups(retriever):
    followup = _followup(retriever, "Qui l'a signé ?", [NOKIA])
    result = search_followup(retriever, followup, 5, doc_ids=[LIVE_BLOG])
    assert result.hits and {h.doc_id for h in result.hits} == {LIVE_BLOG}


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_every_mode(retriever, mode):
    followup = _followup(retriever, "Qui l'a signé ?", [NOKIA])
    result = search_followup(retriever, followup, 3, mode=mode)
    assert result.mode == mode and len(result.hits) == 3
    assert (result.query_vector is None) == (mode == "bm25")


def test_a_question_naming_its_subject_with_a_possessive_is_the_plain_search(retriever):
    """"son premier bureau" is Huawei's: a change of subject, searched as without history."""
    question = "En quelle année Huawei a-t-il ouvert son premier bureau au Maroc ?"
    followup = _followup(retriever, question, [NOKIA])
    assert not followup.history_used
    assert search_followup(retriever, followup, 5) == retriever.search(question, 5)


def test_a_third_turn_finds_what_the_first_named(retriever):
    """"Et lors de quel événement ?" after "Qui l'a signé ?" after the Nokia question: the
    name is in the first turn only."""
    signed = Turn("Qui l'a signé ?", doc_ids=(NOKIA_DOC,))
    followup = _followup(retriever, "Et lors de quel événement ?", [NOKIA, signed])
    assert any("Nokia" in text for text, _ in followup.lexical)
    result = search_followup(retriever, followup, 5)
    assert result.hits[0].doc_id == NOKIA_DOC
    assert any(WHERE in h.quote for h in result.hits[:3])


def test_an_english_third_turn_is_embedded_with_the_whole_chain(retriever):
    """The follow-up is English to the one language test: the model reads the first turn
    too, as BM25 reads a French third turn's."""
    first = Turn("What agreement did Nokia conclude with Morocco?", doc_ids=(NOKIA_DOC,))
    second = Turn("Who signed it?", doc_ids=(NOKIA_DOC,))
    question = "At which event was it signed?"
    followup = plan_followup(retriever, question, [first, second])
    assert followup.dense_text == f"{first.question} {second.question} {question}"
    result = search_followup(retriever, followup, 5)
    assert np.allclose(result.query_vector,
                       retriever.embedder.encode_queries([followup.dense_text])[0])
    signed = Turn("Qui l'a signé ?", doc_ids=(NOKIA_DOC,))
    french = plan_followup(retriever, "Et lors de quel événement ?", [NOKIA, signed])
    # a French one: the previous question, after the names the older turns said
    assert french.dense_text == f"Nokia Maroc {signed.question} Et lors de quel événement ?"


def test_an_off_topic_question_after_an_on_topic_one_is_searched_alone(retriever):
    # Its "couscous" no passage holds: a subject of its own, its low relevance kept (with
    # the Gitex's words borrowed it rose from 0.05 to 0.34 on the bundled model).
    from ragqa.eval.offtopic_followups import measure

    off = ["Quelle est la recette du couscous ?", "Comment faire pousser des tomates ?"]
    gitex = ["Combien de visiteurs sont attendus au Gitex Africa 2025 ?"]
    served = measure(retriever, off, gitex)
    assert served["history_used"] == 0
    assert served["flagged"] == sum(bool(retriever.search(q, 5).low_relevance) for q in off)
    before = measure(retriever, off, gitex, FOLLOWUP_WITHOUT_UNKNOWN)
    assert before["history_used"] >= 1


def test_a_follow_up_borrows_no_word_that_only_frames_the_earlier_question(retriever):
    earlier = Turn("Je voudrais savoir si ça marche, le programme Huawei SPARK au Maroc ?")
    followup = plan_followup(retriever, "Combien de startups y sont inscrites ?", [earlier])
    assert followup.history_used
    assert followup.lexical == (("programme Huawei SPARK Maroc", FOLLOWUP.lexical_weight),)


@pytest.fixture(scope="module")
def handbook(tmp_path_factory, minilm, embedder):
    """An index of one document, a handbook: every turn is answered from it."""
    from tests.support import HANDBOOK, build_index

    folder = tmp_path_factory.mktemp("handbook-corpus")
    (folder / "livret.md").write_text(HANDBOOK, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("handbook-index") / "index"
    build_index(folder, index_dir, minilm, embedder)
    params = RetrievalParams(fusion=default_fusion(embedder.model.name))
    return Retriever(load_index(index_dir), embedder, params)


def _asked(retriever, question):
    """``question`` as a client sends it back: with the documents it was answered from."""
    hits = retriever.search(question, 5).hits
    return Turn(question, doc_ids=tuple(dict.fromkeys(hit.doc_id for hit in hits)))


def test_in_a_one_document_index_an_old_question_lends_nothing_to_a_new_subject(handbook):
    """Unrelated questions in a row over one handbook are all answered from it: that says
    nothing of their subject. A question that names a subject of its own ("les Ressources
    Humaines") breaks the chain there, so a follow-up of it borrows its words, not the
    congés of the question before (before: at half the weight)."""
    leave = _asked(handbook, "Combien de jours de congés payés acquiert un salarié par mois ?")
    remote = _asked(handbook, "Qui signe l'avenant de télétravail aux Ressources Humaines ?")
    assert leave.doc_ids == remote.doc_ids == ("livret.md",)
    followup = plan_followup(handbook, "Et pour les notes de frais ?", [leave, remote])
    borrowed = " ".join(text for text, _ in followup.lexical)
    assert "avenant" in borrowed and "congés" not in borrowed
    assert followup.lexical == (("signe avenant télétravail Ressources Humaines",
                                 FOLLOWUP.lexical_weight),)
    # a turn that leans on the one before it carries the chain on, one document or many
    again = Turn("Et combien de jours de télétravail ?", doc_ids=remote.doc_ids)
    followup = plan_followup(handbook, "Qui les valide ?", [remote, again])
    assert "avenant" in " ".join(text for text, _ in followup.lexical)
