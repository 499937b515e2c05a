"""What a question of a conversation leans on (index/search/followup.py): plain functions,
with the real French analyzer and a stand-in idf."""

from __future__ import annotations

import math

import pytest
from ragqa.index.search.analysis import NO_TERM, Analyzer, AnalyzerConfig
from ragqa.index.search.followup import (
    FOLLOWUP,
    SPECIFICITY_REFERENCE,
    FollowupParams,
    Turn,
    content_words,
    leans_on_history,
    plan,
    specificity,
)
from ragqa.index.search.language import QuestionLanguage
from ragqa.index.search.markers import has_marker, is_definition, names

ANALYZER = Analyzer(AnalyzerConfig())
NOKIA = Turn("Quel accord Nokia a-t-il conclu avec le Maroc ?",
             doc_ids=("002_nokia.txt", "004_blog.txt"))


def idf(terms):
    """Every term weighs 3: a question of four content terms has a specificity of 12 (a
    term the index holds none of, here only NO_TERM, weighs more than any: as over the
    project corpus, where the threshold of 10 was chosen)."""
    return [SPECIFICITY_REFERENCE if term == NO_TERM else 3.0 for term in terms]


@pytest.mark.parametrize("question", [
    "Qui l'a signé ?", "Et l'édition précédente ?", "Et en Égypte ?",
    "Combien de startups y sont inscrites au Maroc ?", "Qui en est le directeur général ?",
    "Où se trouvait son atelier ?", "Quand ont-elles été reconstruites ?",
    "De quelles consoles est-il à l'origine ?", "Qui préside cette université ?",
    "Combien d'entre elles ont été fondées par des femmes ?", "Where was it built?",
    "And the year before?",
])
def test_anaphora_and_ellipsis_are_markers(question):
    assert has_marker(question)


@pytest.mark.parametrize("question", [
    "Quand Satoru Iwata est-il devenu président de Nintendo ?",
    "Combien de réseaux 5G Ericsson a-t-il lancés dans le monde ?",
    "Depuis quand la télémédecine est-elle encadrée au Maroc ?",
    "Quand le CDG Express doit-il être mis en service ?",
    "Quel surnom donnait-on à Hans Herrmann ?",
    "Combien de visiteurs sont attendus au Gitex Africa 2025 ?",
    "Combien y a-t-il de startups au Maroc ?",
])
def test_questions_that_name_their_subject_have_no_marker(question):
    assert not has_marker(question)


def test_names_are_capitalised_words_after_the_first():
    assert names("Quand ouvre le Gitex Africa ?") == ["Gitex", "Africa"]
    assert names("Quel est le rôle de l'ADD ?") == ["ADD"]
    assert names("Qui l'a signé ?") == []


def test_specificity_is_the_idf_mass_of_distinct_terms():
    assert specificity("Qui l'a signé ?", ANALYZER, idf) == 3.0  # "sign"
    assert specificity("signé signé signé", ANALYZER, idf) == 3.0
    assert specificity("Qui est-ce ?", ANALYZER,
                       lambda t: [9.0 if x == NO_TERM else 1.0 for x in t]) < 2.0


def test_a_short_question_leans_unless_it_names_something():
    assert leans_on_history("Qui a terminé deuxième ?", ANALYZER, idf)  # 6 < 10
    assert not leans_on_history("Quand ouvre le Gitex Africa ?", ANALYZER, idf)
    assert not leans_on_history("Combien de personnes emploie le groupe industriel ?",
                                ANALYZER, idf)  # 4 terms: 12
    params = FollowupParams(names=False)
    assert leans_on_history("Quand ouvre le Gitex Africa ?", ANALYZER, idf, params)


def test_content_words_keep_index_terms_as_written():
    assert content_words(NOKIA.question, ANALYZER) == ["accord", "Nokia", "conclu", "Maroc"]
    assert content_words("Combien de participants son forum e-health a-t-il réunis ?",
                         ANALYZER) == ["participants", "forum", "e-health", "réunis"]
    # Words whose terms are already known are not borrowed twice.
    known = set(ANALYZER("Nokia Maroc"))
    assert content_words(NOKIA.question, ANALYZER, known) == ["accord", "conclu"]


def test_a_follow_up_borrows_the_previous_question():
    followup = plan("Qui l'a signé ?", [NOKIA], ANALYZER, idf)
    assert followup.history_used
    assert followup.query == "Qui l'a signé ? (accord Nokia conclu Maroc)"
    assert followup.lexical == (("accord Nokia conclu Maroc", FOLLOWUP.lexical_weight),)
    assert followup.dense_text == f"{NOKIA.question} Qui l'a signé ?"
    assert followup.cited == NOKIA.doc_ids and followup.prior == FOLLOWUP.prior


def test_older_turns_count_less_and_lend_only_new_words():
    earlier = [NOKIA, Turn("Qui l'a signé pour le Maroc ?", doc_ids=("002_nokia.txt",))]
    followup = plan("Et quand ?", earlier, ANALYZER, idf,
                    FollowupParams(lexical_weight=0.5, decay=0.5, turns=2))
    assert followup.lexical == (("signé Maroc", 0.5), ("accord Nokia conclu", 0.25))
    assert followup.cited == ("002_nokia.txt",)  # the previous turn's documents
    assert followup.query == "Et quand ? (signé Maroc accord Nokia conclu)"


def test_a_question_that_stands_alone_is_searched_as_it_is():
    question = "Combien de visiteurs sont attendus au Gitex Africa 2025 ?"
    followup = plan(question, [NOKIA], ANALYZER, idf)
    assert not followup.history_used
    assert (followup.query, followup.lexical, followup.dense_text, followup.cited) == (
        question, (), None, ())


def test_the_query_shown_reads_the_question_as_searched():
    followup = plan("  Et lors de quel événemnt ? ", [NOKIA], ANALYZER, idf)
    assert followup.query == "Et lors de quel événemnt ? (accord Nokia conclu Maroc)"
    assert followup.read_as(None) == followup.query
    assert followup.read_as("Et lors de quel événement ?") == \
        "Et lors de quel événement ? (accord Nokia conclu Maroc)"
    alone = plan("Quand ouvre le Gitex Africa ?", [], ANALYZER, idf)
    assert alone.read_as("Quand ouvre le GITEX Africa ?") == "Quand ouvre le GITEX Africa ?"


def test_no_history_no_borrowing():
    assert not plan("Qui l'a signé ?", [], ANALYZER, idf).history_used
    assert not plan("Qui l'a signé ?", [Turn("  ")], ANALYZER, idf).history_used


def test_the_prior_and_the_dense_context_can_be_turned_off():
    followup = plan("Qui l'a signé ?", [NOKIA], ANALYZER, idf,
                    FollowupParams(prior=0.0, dense_turns=0))
    assert followup.cited == () and followup.prior == 0.0 and followup.dense_text is None
    assert followup.history_used and followup.lexical


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="prior"):
        FollowupParams(prior=-1)


# A possessive or "en" before a verb points back only in a question that names nothing:
# in one that names its subject, the possessive is that subject's ("Quand Nokia a-t-il
# ouvert son centre… ?") and "où en est" is an idiom.
@pytest.mark.parametrize("question", [
    "Quand Airbus a-t-il inauguré son usine de Casablanca ?",
    "Où en est le chantier du port de Dakhla ?",
    "Combien de clients utilisent leurs cartes Visa au Maroc ?",
])
def test_a_possessive_in_a_question_that_names_its_subject_stands_alone(question):
    assert has_marker(question)  # a weak marker still
    assert not leans_on_history(question, ANALYZER, idf, earlier=[NOKIA.question])
    followup = plan(question, [NOKIA], ANALYZER, idf)
    assert not followup.history_used
    assert leans_on_history(question, ANALYZER, idf, FollowupParams(weak_markers="marker"))


@pytest.mark.parametrize("question", [
    "Où se trouvait son atelier ?", "Qui en est le directeur général ?",
    "Quel est le montant de leurs achats locaux ?",
])
def test_a_possessive_in_a_question_that_names_nothing_leans(question):
    assert plan(question, [NOKIA], ANALYZER, idf).history_used


def test_no_new_name_lets_a_possessive_lean_when_its_names_were_said_before():
    question = "Quand a-t-il ouvert son centre au Maroc ?"
    assert not plan("Quand l'entreprise a ouvert son centre au Maroc ?", [NOKIA], ANALYZER,
                    idf).history_used
    params = FollowupParams(weak_markers="no_new_name")
    assert plan("Quand l'entreprise a ouvert son centre au Maroc ?", [NOKIA], ANALYZER, idf,
                params).history_used  # "Maroc" was in the question before
    assert not plan("Quand l'entreprise a ouvert son centre au Sénégal ?", [NOKIA], ANALYZER,
                    idf, params).history_used
    assert plan(question, [NOKIA], ANALYZER, idf).history_used  # "a-t-il": a strong marker
    with pytest.raises(ValueError, match="weak_markers"):
        FollowupParams(weak_markers="sometimes")


SIGNED = Turn("Qui l'a signé ?", doc_ids=("002_nokia.txt",))
VISITORS = Turn("Combien de visiteurs sont attendus au Gitex Africa 2025 ?",
                doc_ids=("004_gitex.txt",))


def test_a_third_turn_carries_what_the_second_borrowed():
    """The name of a three-turn conversation is often in its first question only: the
    second leaned on it, and the third leans on both."""
    followup = plan("Et lors de quel événement ?", [NOKIA, SIGNED], ANALYZER, idf,
                    FollowupParams(dense_turns=2))
    assert followup.lexical == (("signé", FOLLOWUP.lexical_weight),
                                ("accord Nokia conclu Maroc",
                                 FOLLOWUP.lexical_weight * FOLLOWUP.decay))
    assert followup.dense_text == f"{NOKIA.question} {SIGNED.question} Et lors de quel événement ?"
    assert followup.cited == SIGNED.doc_ids


def test_a_follow_up_in_another_language_is_embedded_with_the_whole_chain():
    """BM25 carries a French third turn's older words; of an English one it reads none (and
    its hybrid search ranks by the model alone): the model reads every turn of the chain."""
    first = Turn("What agreement did Nokia conclude with Morocco?", doc_ids=("002_nokia.txt",))
    second = Turn("Who signed it?", doc_ids=("002_nokia.txt",))
    question = "At which event was it signed?"
    followup = plan(question, [first, second], ANALYZER, idf, foreign=True)
    assert followup.dense_text == f"{first.question} {second.question} {question}"
    # otherwise the previous question, after the names the older ones said (dense_names)
    assert plan(question, [first, second], ANALYZER, idf).dense_text == \
        f"Nokia Morocco {second.question} {question}"
    off = plan(question, [first, second], ANALYZER, idf, FollowupParams(foreign_chain=False),
               foreign=True)
    assert off.dense_text == f"Nokia Morocco {second.question} {question}"
    assert plan(question, [first, second], ANALYZER, idf, FollowupParams(dense_turns=0),
                foreign=True).dense_text is None
    # the chain still stops at a turn that stood alone
    alone = Turn("How many visitors are expected at Gitex Africa 2025?")
    assert plan(question, [first, alone], ANALYZER, idf, foreign=True).dense_text == \
        f"{alone.question} {question}"


def test_names_carried_from_older_turns_weigh_as_the_previous_ones():
    followup = plan("Et lors de quel événement ?", [NOKIA, SIGNED], ANALYZER, idf,
                    FollowupParams(carry_names=True))
    weight = FOLLOWUP.lexical_weight
    assert followup.lexical == (("signé", weight), ("Nokia Maroc", weight),
                                ("accord conclu", weight * FOLLOWUP.decay))


def test_the_chain_stops_at_a_turn_that_stood_alone():
    """After a change of subject, the turns before it lend nothing."""
    question = "Et l'édition précédente ?"
    followup = plan(question, [NOKIA, VISITORS], ANALYZER, idf, FollowupParams(dense_turns=2))
    assert [text for text, _ in followup.lexical] == ["visiteurs attendus Gitex Africa 2025"]
    assert followup.dense_text == f"{VISITORS.question} {question}"
    unchained = plan(question, [NOKIA, VISITORS], ANALYZER, idf,
                     FollowupParams(chain=False, dense_turns=2))
    assert len(unchained.lexical) == 2 and NOKIA.question in unchained.dense_text


def test_a_definition_question_stands_alone():
    question = "Qu'est-ce qu'un réseau privé ?"
    assert is_definition(question, ANALYZER) and is_definition("What is a data center?", ANALYZER)
    assert not is_definition("Qu'est-ce que c'est ?", ANALYZER)  # names nothing
    assert not plan(question, [NOKIA], ANALYZER, idf).history_used  # 2 terms: 6 < 10
    assert plan(question, [NOKIA], ANALYZER, idf, FollowupParams(definitions=False)).history_used
    assert plan("Qu'est-ce que c'est ?", [NOKIA], ANALYZER, idf).history_used
    assert plan("Qu'est-ce que sa plateforme ?", [NOKIA], ANALYZER, idf).history_used


# Impersonal "il" (a closed class of verbs: falloir, y avoir, s'agir, exister, rester,
# sembler, suffire, manquer, valoir mieux, the weather, "il est possible de"…, in every
# tense, inverted or not) refers to nothing: such a question does not point back.
@pytest.mark.parametrize("question", [
    "Faut-il s'inscrire avant le salon ?", "Faudra-t-il un badge pour entrer au salon ?",
    "Combien de temps fallait-il attendre ?", "A-t-il fallu reporter le salon ?",
    "Il faut combien de jours pour visiter le salon ?",
    "Y avait-il des exposants étrangers au salon ?", "Y aura-t-il un concours l'an prochain ?",
    "N'y a-t-il pas de tarif réduit pour les étudiants ?", "Y a-t-il eu des incidents ?",
    "Combien de pays il y avait au salon ?", "Combien de stands il y aura au salon ?",
    "Va-t-il y avoir un concours de robots ?",
    "S'agit-il d'un salon annuel ?", "S'agissait-il d'une première au salon ?",
    "De quoi s'agit-il exactement dans le programme Impulse ?",
    "Existe-t-il une aide pour les jeunes pousses ?", "Existait-il déjà un salon semblable ?",
    "Combien de billets reste-t-il pour la finale ?", "Restait-il des places au salon ?",
    "Suffit-il d'un diplôme pour candidater ?", "Manque-t-il des ingénieurs au Maroc ?",
    "Vaut-il mieux réserver le billet à l'avance ?", "Pleuvait-il pendant la course ?",
    "Que se passe-t-il après la sélection des projets ?", "Que s'est-il passé en 2019 ?",
    "Qu'adviendra-t-il des projets retenus ?",
    "Est-il possible d'exposer gratuitement au salon ?",
    "Est-il obligatoire de parler anglais pour candidater ?",
    "Semble-t-il que la demande augmente ?", "Il paraît qu'un concours est prévu ?",
    "Le salon est gratuit, paraît-il, pour les étudiants ?",
    "Fait-il chaud à Marrakech en avril ?",
])
def test_an_impersonal_il_points_nowhere(question):
    assert not has_marker(question)


@pytest.mark.parametrize("question", [
    "Quand arrive-t-il au Maroc ?", "Combien vaut-il en bourse ?", "Que fait-il au Maroc ?",
    "Est-il capable de gagner la course ?", "Où reste-t-elle pendant le salon ?",
    "Combien de temps lui faut-il pour livrer ?", "Y a-t-il un accord entre eux ?",
    "Quand est-il arrivé au Maroc ?", "Existe-t-elle encore ?", "Va-t-il mieux ?",
    "Quand paraîtra-t-il en France ?", "Quand est-il paru ?", "A-t-il manqué la finale ?",
    "Semble-t-il satisfait du contrat ?", "Que fait-il au salon ?",
])
def test_a_personal_il_still_points_back(question):
    assert has_marker(question)


# "ce" + a noun is a demonstrative, as "cette" and "ces" are; "ce" the pronoun ("ce que",
# "c'est", "ce sont", "est-ce") and the idioms "à ce jour", "en ce moment" are not.
@pytest.mark.parametrize("question", [
    "Quel rôle jouera ce centre dans la région ?", "Qui dirige ce groupe au Maroc ?",
    "Dans quelles villes ce programme itinérant est-il passé ?",
    "Combien a coûté ce projet ?",
])
def test_ce_before_a_noun_points_back(question):
    assert has_marker(question)


@pytest.mark.parametrize("question", [
    "Qu'est-ce que le programme Impulse ?", "Est-ce que Nokia a ouvert un centre à Rabat ?",
    "Ce sont combien de startups au programme Impulse ?", "Ce sera où, le salon de 2026 ?",
    "Qui a dit ce que Nokia prévoit au Maroc ?", "Ce doit être quand, la finale du concours ?",
    "Combien de startups ont été accompagnées à ce jour par Impulse ?",
    "Quel projet Nokia mène-t-il en ce moment au Maroc ?",
    "Ce n'est pas le salon de Casablanca ?",
])
def test_ce_the_pronoun_does_not_point_back(question):
    assert not has_marker(question)


# English "it" before an extraposed clause, the weather or the time refers to nothing, as
# French impersonal "il" does; "it" that stands for a thing points back.
@pytest.mark.parametrize("question", [
    "Is it possible to visit the innovation centre?", "Is it free for startups to register?",
    "How long does it take to apply?", "What does it cost to attend the fair?",
    "How much will it cost to exhibit at the fair?", "It takes how long to get a visa?",
    "Is it true that the fair moved to Marrakech?", "It is said that prices rose; by how much?",
    "Is it worth visiting the fair on the last day?", "It seems that prices rose; why?",
    "Was it necessary to register in advance?", "Is it raining in Marrakech?",
    "What time is it in Rabat?", "It's possible to apply online?",
])
def test_an_impersonal_it_points_nowhere(question):
    assert not has_marker(question)


@pytest.mark.parametrize("question", [
    "Who signed it?", "When was it announced?", "What does it cost?", "Is it possible?",
    "How long does it take?", "Where is it?", "Is it free?", "Was it signed in Marrakech?",
    "Which cities did they visit?", "When was that programme launched?",
    "Who runs the latter?", "How many people work there?", "What about Egypt?",
    "How about the year before?",
])
def test_english_words_that_point_back(question):
    assert has_marker(question)


@pytest.mark.parametrize("question", [
    "Who said that Nokia would invest in Morocco?", "Are there startups in Agadir?",
    "How many startups are there in Morocco?", "What is the company that signed the deal?",
    "Is there a fee for the exhibitors of the fair?",
])
def test_that_and_there_that_point_nowhere(question):
    assert not has_marker(question)


def test_it_the_trade_is_no_pronoun():
    assert not has_marker("How many IT jobs has Huawei created in Morocco?")
    assert not has_marker("Combien d'emplois IT Huawei a-t-il créés au Maroc ?")
    assert has_marker("WHO SIGNED IT?")


def test_the_pronoun_i_is_no_name():
    assert names("Where can I apply for the programme?") == []
    assert leans_on_history("Where can I apply?", ANALYZER, idf)


def test_words_the_index_holds_none_of_give_no_specificity():
    """An English question over French news gives BM25 next to nothing to search for,
    though each absent term has the largest idf."""
    def held(terms):  # of the question's terms, the index holds "the" alone
        return [3.0 if t == "the" else 9.0 for t in terms]
    assert specificity("How many jobs has the company created?", ANALYZER, held) < 10
    assert leans_on_history("How many jobs has the company created?", ANALYZER, held,
                            foreign=True)


def test_a_question_naming_what_no_passage_holds_stands_alone():
    # "Quelle est la recette du couscous ?" after a question on the Gitex was searched with
    # the Gitex's words: its relevance rose from 0.05 to 0.34, no longer low.
    def held(terms):
        return [SPECIFICITY_REFERENCE if t in ("couscous", NO_TERM) else 3.0 for t in terms]
    question = "Quelle est la recette du couscous ?"
    assert not leans_on_history(question, ANALYZER, held)
    assert not plan(question, [NOKIA], ANALYZER, held).history_used
    # ... unless it points back, its unknown word is a typo the search reads, or the rule
    # is off.
    assert leans_on_history("Et sa recette du couscous ?", ANALYZER, held)
    assert leans_on_history(question, ANALYZER, held, read_as="Quelle est la recette ?")
    assert leans_on_history(question, ANALYZER, held,
                            FollowupParams(unknown_stands_alone=False))


def test_the_specificity_asked_scales_with_the_index():
    # Over a reader's 22 passages idfs are about half as large as over the project's 452:
    # a question of three rare terms there is as specific as one of four here.
    def small(terms):  # ln(2 × 22 + 2) for a term no passage holds
        return [math.log(46) if t == NO_TERM else 2.0 for t in terms]
    question = "Combien de jours de congés payés ?"  # jour, congé, payé: 6.0
    assert not leans_on_history(question, ANALYZER, small)  # 6.0 >= 10 × 3.83 / 6.81
    assert leans_on_history(question, ANALYZER, small,
                            FollowupParams(relative_specificity=False))  # 6.0 < 10


def test_the_boost_goes_to_documents_of_the_turns_the_chain_kept():
    """The previous turn's documents; when it showed none, those of the turn it leaned on;
    never those of a turn before a change of subject."""
    spark = Turn("Quel est le programme SPARK de Huawei ?")  # names its subject: stands alone
    followup = plan("Quels sont ses partenaires ?", [NOKIA, spark], ANALYZER, idf)
    assert followup.history_used and followup.cited == () and followup.prior == 0.0
    leaned = Turn("Qui l'a signé ?")  # leaned on NOKIA, showed nothing
    followup = plan("Et lors de quel événement ?", [NOKIA, leaned], ANALYZER, idf)
    assert followup.cited == NOKIA.doc_ids


def test_an_earlier_turn_without_a_word_is_no_turn():
    assert plan("Qui l'a signé ?", [Turn("\u200b\u200b")], ANALYZER, idf) == \
        plan("Qui l'a signé ?", [], ANALYZER, idf)
    followup = plan("Qui l'a signé ?", [NOKIA, Turn("\u200b")], ANALYZER, idf)
    assert followup.history_used and followup.lexical[0][0] == "accord Nokia conclu Maroc"


def test_a_follow_up_that_sets_its_own_subject_borrows_the_rest():
    """"Et Huawei, …" after a question on Nokia: the earlier question's other words, not
    its names nor its documents (FollowupParams.new_subject)."""
    question = "Et Huawei, quel programme a-t-il lancé pour les startups ?"
    kept = plan(question, [NOKIA], ANALYZER, idf, FollowupParams(new_subject="keep"))
    assert kept.lexical[0][0] == "accord Nokia conclu Maroc" and kept.cited == NOKIA.doc_ids
    for rule in ("dislocated", "new_name"):
        followup = plan(question, [NOKIA], ANALYZER, idf, FollowupParams(new_subject=rule))
        assert followup.lexical[0][0] == "accord conclu"
        assert "Nokia" not in followup.dense_text and followup.cited == ()
    # a name after a preposition is no subject of its own: "Nokia" is still the subject
    dislocated = FollowupParams(new_subject="dislocated")
    for question in ("Et pour le Conseil, qu'a-t-il mis en place ?", "Et en Égypte ?"):
        assert plan(question, [NOKIA], ANALYZER, idf, dislocated).cited == NOKIA.doc_ids
    assert FOLLOWUP.new_subject == "dislocated"  # measured on dev: docs/retrieval-quality.md
    with pytest.raises(ValueError, match="new_subject"):
        FollowupParams(new_subject="always")


def test_a_follow_up_naming_its_own_year_borrows_no_other_year():
    # "Et en 2024 ?" after "… au Gitex Africa 2025 ?" was searched "(… Gitex Africa 2025)".
    gitex = Turn("Combien de visiteurs sont attendus au Gitex Africa 2025 ?",
                 doc_ids=("004_blog.txt",))
    followup = plan("Et en 2024 ?", [gitex], ANALYZER, idf)
    assert followup.query == "Et en 2024 ? (visiteurs attendus Gitex Africa)"
    assert followup.dense_text == ("Combien de visiteurs sont attendus au Gitex Africa ? "
                                   "Et en 2024 ?")
    assert followup.cited == ("004_blog.txt",)  # the same live blog covers both editions
    kept = plan("Et en 2024 ?", [gitex], ANALYZER, idf, FollowupParams(replace_years=False))
    assert kept.query.endswith("Gitex Africa 2025)")


def test_a_pasted_run_of_characters_is_borrowed_by_no_follow_up():
    pasted = Turn("Que veut dire " + "x" * 2000 + " dans le rapport Nokia ?")
    followup = plan("Et qui l'a écrit ?", [pasted], ANALYZER, idf)
    assert "xxxx" not in followup.query and "Nokia" in followup.query


def test_the_words_that_frame_a_question_are_not_borrowed():
    # "Peut-on", "Je voudrais savoir si ça marche": how the question is asked, not what about
    assert content_words("Peut-on postuler au programme de Huawei ?", ANALYZER) == \
        ["postuler", "programme", "Huawei"]
    assert content_words("Je voudrais savoir si ça marche, le programme de Nokia ?",
                         ANALYZER) == ["programme", "Nokia"]
    assert content_words("Faut-il payer pour aller au Gitex ?", ANALYZER) == ["payer", "Gitex"]
    followup = plan("Combien d'étudiants en ont bénéficié ?",
                    [Turn("Peut-on postuler au programme de Huawei ?")], ANALYZER, idf)
    assert followup.query == \
        "Combien d'étudiants en ont bénéficié ? (postuler programme Huawei)"
    # matched as written, not by stem ("marché", "pouvoirs" are kept), and never a name
    assert content_words("Quelle part du marché les pouvoirs publics veulent-ils ?",
                         ANALYZER) == ["part", "marché", "pouvoirs", "publics"]
    assert content_words("Quand a eu lieu la Marche verte ?", ANALYZER) == \
        ["Marche", "verte"]  # "a eu lieu" is a light verb, "Marche" a name
    # a language without a list borrows as before
    english = Analyzer(AnalyzerConfig(language="danish"))
    assert "voudrais" in content_words("Je voudrais savoir", english)


SPARK_DOC = "001_spark.txt"
SPARK = Turn("Qu'est-ce que le programme SPARK de Huawei ?", doc_ids=(SPARK_DOC,))
TOUR = "et dans quelles villes va-t-il poursuivre sa tournée ?"


def test_a_turn_answered_from_the_same_document_carries_the_chain_on():
    """"Combien de startups en Egypte ?" names its own subject and stands alone, but was
    answered from the programme's article, as the question before it: "il" in the next
    turn reaches SPARK and Huawei, in BM25 and in the model's text."""
    egypt = Turn("Combien de startups en Egypte ?", doc_ids=(SPARK_DOC, "004_blog.txt"))
    assert not leans_on_history(egypt.question, ANALYZER, idf, earlier=[SPARK.question])
    weight = FOLLOWUP.lexical_weight
    followup = plan(TOUR, [SPARK, egypt], ANALYZER, idf)
    assert followup.lexical == (("startups Egypte", weight),
                                ("programme SPARK Huawei", weight * FOLLOWUP.decay))
    assert followup.dense_text == f"SPARK Huawei {egypt.question} {TOUR}"
    # answered from another document: a change of subject, the chain stops there
    elsewhere = Turn(egypt.question, doc_ids=("004_blog.txt", SPARK_DOC))
    alone = plan(TOUR, [SPARK, elsewhere], ANALYZER, idf)
    assert alone.lexical == (("startups Egypte", weight),)
    assert alone.dense_text == f"{egypt.question} {TOUR}"
    off = plan(TOUR, [SPARK, egypt], ANALYZER, idf,
               FollowupParams(same_document=False, dense_names=False))
    assert off.lexical == alone.lexical and off.dense_text == alone.dense_text


def test_an_old_standalone_turn_stops_lending_once_newer_ones_stood_alone():
    """Three questions that stand alone, all answered from the programme's article, then a
    follow-up: it reads the previous one and the one before it (one link by the document
    alone), not the first."""
    first = Turn("Quels partenaires soutiennent le programme Huawei ?", doc_ids=(SPARK_DOC,))
    egypt = Turn("Combien de startups en Egypte ?", doc_ids=(SPARK_DOC,))
    tunisia = Turn("Combien de startups en Tunisie ?", doc_ids=(SPARK_DOC,))
    followup = plan(TOUR, [first, egypt, tunisia], ANALYZER, idf)
    assert [text for text, _ in followup.lexical] == ["startups Tunisie", "Egypte"]
    more = plan(TOUR, [first, egypt, tunisia], ANALYZER, idf, FollowupParams(document_links=2))
    assert [text for text, _ in more.lexical] == [
        "startups Tunisie", "Egypte", "partenaires soutiennent programme Huawei"]


def test_a_document_that_holds_most_of_the_index_does_not_carry_a_new_subject_on():
    """Where the document holds most of what is searched (a handbook alone in its index),
    a turn that names a subject of its own ("Egypte") breaks the chain; one that names
    nothing new still carries it on (an ellipsis its words do not show)."""
    egypt = Turn("Combien de startups en Egypte ?", doc_ids=(SPARK_DOC,))
    most = {SPARK_DOC: 0.9}.get
    followup = plan(TOUR, [SPARK, egypt], ANALYZER, idf, share=most)
    assert followup.lexical == (("startups Egypte", FOLLOWUP.lexical_weight),)
    assert plan(TOUR, [SPARK, egypt], ANALYZER, idf, share={SPARK_DOC: 0.4}.get).lexical == \
        plan(TOUR, [SPARK, egypt], ANALYZER, idf).lexical  # a small share: as before
    unnamed = Turn("Combien de startups africaines ont été retenues en mars dernier ?",
                   doc_ids=(SPARK_DOC,))
    assert not leans_on_history(unnamed.question, ANALYZER, idf, earlier=[SPARK.question])
    followup = plan(TOUR, [SPARK, unnamed], ANALYZER, idf, share=most)
    assert [text for text, _ in followup.lexical] == [
        "startups africaines retenues mars dernier", "programme SPARK Huawei"]
    # a definition asks about a subject of its own, named or not
    definition = Turn("Qu'est-ce qu'un réseau privé d'entreprise ?", doc_ids=(SPARK_DOC,))
    followup = plan("Dans quels secteurs ces réseaux sont-ils déployés ?", [SPARK, definition],
                    ANALYZER, idf, share=most)
    assert [text for text, _ in followup.lexical] == ["privé entreprise"]  # "réseaux": its own


GITEX_EN = [Turn("When does GITEX Africa 2025 take place?", doc_ids=("004_blog.txt",)),
            Turn("Who organises it?", doc_ids=("004_blog.txt",)),
            Turn("And how many exhibitors were there in 2024?", doc_ids=("004_blog.txt",))]


def test_each_turn_lends_what_it_was_searched_with():
    """A fourth turn reaches the first through the two that leaned on it; an English turn
    lends its content words, not "how", "many", "were"; a turn further back that only
    points back ("Who organises it?") lends what it borrowed, not its own words; and the
    follow-up's year replaces the earlier one."""
    followup = plan("et pour 2025 ?", GITEX_EN, ANALYZER, idf,
                    foreign_words=QuestionLanguage("french").function_words)
    weight = FOLLOWUP.lexical_weight
    assert followup.lexical == (("exhibitors", weight),
                                ("GITEX Africa", weight * FOLLOWUP.decay))
    assert followup.query == "et pour 2025 ? (exhibitors GITEX Africa)"
    assert followup.dense_text.startswith("GITEX Africa And how many exhibitors")
    unrelayed = plan("et pour 2025 ?", GITEX_EN, ANALYZER, idf,
                     FollowupParams(relay_pointers=False),
                     foreign_words=QuestionLanguage("french").function_words)
    assert [text for text, _ in unrelayed.lexical] == [
        "exhibitors", "organises", "GITEX Africa"]


def test_a_name_a_turn_replaced_is_not_lent_further():
    """"Et Huawei, quel accord a-t-il conclu ?" set Nokia aside: the turn after it does not
    borrow Nokia back from the first."""
    first = Turn("Quel accord Nokia a-t-il conclu avec le Maroc ?")
    huawei = Turn("Et Huawei, quel accord a-t-il conclu ?")
    followup = plan("Qui l'a signé ?", [first, huawei], ANALYZER, idf)
    borrowed = " ".join(text for text, _ in followup.lexical)
    assert "Huawei" in borrowed and "Nokia" not in borrowed and "Maroc" not in borrowed


def test_content_words_leave_out_another_languages_function_words():
    words = QuestionLanguage("french").function_words("Who organises it?")
    assert content_words("When does GITEX Africa 2025 take place?", ANALYZER,
                         function_words=words) == ["GITEX", "Africa", "2025"]


@pytest.mark.parametrize(("question", "lent"), [
    ("Quand le Gitex Africa aura-t-il lieu ?", ["Gitex", "Africa"]),
    ("Où a eu lieu la signature ?", ["signature"]),
    ("Où ce salon se tiendra-t-il ?", ["salon"]),
    ("Où le forum s'est-il tenu ?", ["forum"]),
    ("Quand se déroule la cérémonie ?", ["cérémonie"]),
    ("Où se trouve le siège de Huawei ?", ["siège", "Huawei"]),
    # the nouns alone are kept: only the phrase is light
    ("Quelle place occupe le Maroc ?", ["place", "occupe", "Maroc"]),
    ("Quel lieu accueille le salon ?", ["lieu", "accueille", "salon"]),
])
def test_light_verbs_are_not_lent(question, lent):
    """"avoir lieu", "se tenir", "se dérouler" say that something happens, not what: lent,
    they match any passage that says "lieu" or "se tiendra"."""
    assert content_words(question, ANALYZER) == lent


def test_an_english_turn_lends_no_light_verb():
    """"When does GITEX Africa 2025 take place?" lends its subject, not "take place" (over
    the French index "place" is a word of many passages), to "Who organises it?"; over an
    English index neither "When" (its analyzer's short stopword list keeps it) nor
    "happen"."""
    first = Turn("When does GITEX Africa 2025 take place?", doc_ids=("004_blog.txt",))
    followup = plan("Who organises it?", [first], ANALYZER, idf,
                    foreign_words=QuestionLanguage("french").function_words)
    assert followup.lexical == (("GITEX Africa 2025", FOLLOWUP.lexical_weight),)
    english = Analyzer(AnalyzerConfig(language="english"))
    assert content_words(first.question, english) == ["GITEX", "Africa", "2025"]
    assert content_words("When did the signing happen?", english) == ["signing"]
    assert content_words("Where is the summit held?", english) == ["summit"]
    # the noun alone is kept
    assert content_words("Which place hosts the fair?", english) == ["place", "hosts", "fair"]
