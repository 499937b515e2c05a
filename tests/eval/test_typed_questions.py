"""The typed-question variants (``ragqa.eval.typed_questions``): pure text, no model."""

from __future__ import annotations

import random

import json

from ragqa.eval.typed_questions import (
    VARIANTS,
    conversation_variants,
    corpus_forms,
    speller,
    stem_speller,
    typo,
)

TEXT = ("Le ministère du Numérique annonce que Huawei forme des étudiants au Maroc. "
        "Selon le ministère, Huawei a formé 2000 étudiants. Un rapport du ministère, "
        "publié au Maroc, cite Huawei et le programme SPARK. Le programme SPARK, dit le "
        "ministère, est ouvert. ") * 10


def _restore():
    return corpus_forms([TEXT]).restore


def test_a_folded_question_gets_the_corpus_forms_back():
    restore = _restore()
    assert (restore("combien d'etudiants le ministere et huawei forment-ils au maroc")
            == "combien d'étudiants le ministère et Huawei forment-ils au Maroc")
    # wholly without accents but with capitals: accents only, the capitals as typed
    assert restore("Combien d'etudiants forme Huawei ?") == "Combien d'étudiants forme Huawei ?"
    # wholly in lower case but with accents: capitals only
    assert restore("le programme spark du ministère") == "le programme SPARK du ministère"


def test_a_question_typed_properly_is_left_alone():
    restore = _restore()
    for question in ["Combien d'étudiants le ministère forme-t-il au Maroc ?",
                     "Qui est le ministre ?", "Quel programme Huawei mène-t-il ?"]:
        assert restore(question) == question
    # short words and words the corpus does not hold stay as typed
    assert restore("a ou zzz etudiants") == "a ou zzz étudiants"


def test_typos_and_their_correction():
    rng = random.Random(0)
    changed = typo("Combien d'étudiants le ministère forme-t-il ?", rng)
    assert changed != "Combien d'étudiants le ministère forme-t-il ?"
    assert typo("Qui est-ce ?", rng) == "Qui est-ce ?"  # no word of 6 letters or more
    # folded (no accents, capitals or final "?") and one typo
    both = VARIANTS["foldtypo"]("Combien d'étudiants le ministère forme-t-il ?", random.Random(0))
    assert both == typo("combien d'etudiants le ministere forme-t-il", random.Random(0))
    assert both != "combien d'etudiants le ministere forme-t-il"
    spell = speller([TEXT])
    assert spell("Le minsitère forme des étudaints") == "Le ministère forme des étudiants"


def test_the_safer_correction_leaves_stems_the_corpus_holds_and_stopwords():
    spell = stem_speller([TEXT])
    assert spell("Le minsitère forme des étudaints") == "Le ministère forme des étudiants"
    # an inflection the corpus does not write, whose stem it holds; a stopword
    assert spell("les ministères formés quelles") == "les ministères formés quelles"
    assert speller([TEXT])("les ministères") != "les ministères"  # the plain prototype would


def test_conversation_variants_type_the_follow_ups_only(tmp_path):
    rows = [{"id": "c1", "corpus": "project", "split": "dev", "turns": [
        {"question": "Quel accord Nokia a-t-il conclu avec le Maroc ?", "doc": "a.txt"},
        {"question": "Qui l'a signé ?", "doc": "a.txt", "kind": "pronoun"},
        {"question": "Et lors de quel événement ?", "doc": "a.txt"}]}]
    source = tmp_path / "conversations.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                      encoding="utf-8")
    changed = conversation_variants(source, tmp_path / "out")
    assert changed["same"] == 0 and changed["fold"] == 2 and changed["typo"] == 1
    folded = json.loads((tmp_path / "out" / "conversations-fold.jsonl").read_text("utf-8"))
    assert [t["question"] for t in folded["turns"]] == [
        "Quel accord Nokia a-t-il conclu avec le Maroc ?", "qui l'a signe",
        "et lors de quel evenement"]
    assert folded["turns"][1]["kind"] == "pronoun" and folded["id"] == "c1"
    typed = json.loads((tmp_path / "out" / "conversations-typo.jsonl").read_text("utf-8"))
    third = typed["turns"][2]["question"]
    assert third != rows[0]["turns"][2]["question"] and len(third.split()) == 6
    every = json.loads((tmp_path / "out" / "conversations-fold-all.jsonl").read_text("utf-8"))
    assert [t["question"] for t in every["turns"]] == [
        "quel accord nokia a-t-il conclu avec le maroc", "qui l'a signe",
        "et lors de quel evenement"]
