"""Follow-ups asked after an unrelated turn (eval/unrelated_turns.py), over a handbook
alone in its index: the real model, the real loaders."""

from __future__ import annotations

import json
from dataclasses import replace

from ragqa.eval.conversations import load_conversations
from ragqa.eval.unrelated_turns import measure
from ragqa.index.files.generations import load_index
from ragqa.index.search.followup import FOLLOWUP
from ragqa.index.search.fusion import default_fusion
from ragqa.index.search.retriever import Retriever, RetrievalParams
from tests.support import HANDBOOK, build_index


def _turn(question, answer, **extra):
    return {"question": question, "doc": "livret.md", "answers": [answer], **extra}


def test_a_follow_up_borrows_nothing_from_the_conversation_before(tmp_path, minilm, embedder):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "livret.md").write_text(HANDBOOK, encoding="utf-8")
    build_index(folder, tmp_path / "index", minilm, embedder)
    retriever = Retriever(load_index(tmp_path / "index"), embedder,
                          RetrievalParams(fusion=default_fusion(embedder.model.name)))
    rows = [
        {"id": "h1", "corpus": "project", "split": "dev", "turns": [
            _turn("Combien de jours de congés payés acquiert un salarié par mois ?",
                  "deux jours et demi de congés payés par mois"),
            _turn("Qui les valide ?", "le\nresponsable les valide sous huit jours",
                  kind="pronoun", standalone="Qui valide les congés payés ?")]},
        {"id": "h2", "corpus": "project", "split": "dev", "turns": [
            _turn("Qui signe l'avenant de télétravail aux Ressources Humaines ?",
                  "qui signe un avenant au contrat"),
            _turn("Et pour les notes de frais ?", "remboursés sur justificatif",
                  kind="ellipsis", standalone="Qui signe les notes de frais ?")]}]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    conversations = load_conversations(path, {"livret.md": HANDBOOK}, "project")
    served = measure(retriever, conversations)
    assert (served["followups"], served["borrowing"]) == (2, 0)
    # the rule before: the handbook answered both, so "congés payés" went on to "frais"
    before = measure(retriever, conversations, params=replace(FOLLOWUP, document_share=1.0))
    assert before["borrowing"] == 1
