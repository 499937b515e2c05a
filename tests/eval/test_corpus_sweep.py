"""The BM25-only corpus-processing harness (eval/corpus_sweep.py), on a toy corpus."""

from dataclasses import replace

from ragqa.eval.corpus_sweep import NAIVE, NEW, TODAY, Corpus, measure, passages_for
from ragqa.eval.questions import Question
from ragqa.index.documents.reading import Document

_FOOTER = "Suivez-nous sur les réseaux sociaux pour ne rien manquer"


def _corpus() -> Corpus:
    docs, questions = [], []
    for i, (subject, fact) in enumerate([("Rabat", "La ville compte 600 000 habitants."),
                                         ("Fès", "Sa médina date du IXe siècle."),
                                         ("Agadir", "Le port accueille des chalutiers.")]):
        # (a generic heading above one of its level: a section holding only its heading;
        # above a deeper one it would open that one's section)
        text = (f"# {subject}\n\n## Qui est concerné ?\n\n## Cas général\n\n{fact}\n\n"
                f"## Où s'adresser ?\n\nAllô Service Public répond au 39 39.\n")
        docs.append(Document(f"{i}.md", text, subject, ""))
        start = text.index(fact)
        questions.append(Question(f"q{i}", f"{subject} : {fact[:-1]} ?", "fr", "squad",
                                  f"{i}.md", ((start, start + len(fact)),), subject))
    blog = "".join(f"## Entrée {n}\n\nNouvelle {n} du jour.\n\n{_FOOTER}\n\n" for n in range(3))
    docs.append(Document("blog.md", blog, "Blog", ""))
    return Corpus("toy", docs, questions)


def test_naive_windows_tile_each_document():
    corpus = _corpus()
    passages, texts = passages_for(corpus, replace(NAIVE, chunk_size=50))
    for doc in corpus.documents:
        mine = [p for p in passages if p.doc_id == doc.doc_id]
        assert "".join(doc.text[p.start : p.end] for p in mine).strip() == doc.text.strip()
        assert all(p.end - p.start <= 50 for p in mine)


def test_new_rules_keep_shared_lines_and_drop_the_template_and_empty_generic_sections():
    corpus = _corpus()
    new_passages, new_texts = passages_for(corpus, NEW)
    assert any("39 39" in t for t in new_texts)  # shared by 3 documents: content
    assert not any(_FOOTER in t for t in new_texts)  # repeated inside one document
    assert not any(t.rstrip().endswith("## Qui est concerné ?") for t in new_texts)
    old_passages, old_texts = passages_for(corpus, TODAY)
    assert not any("39 39" in t for t in old_texts)
    assert any(t.rstrip().endswith("## Qui est concerné ?") for t in old_texts)
    assert len(old_passages) > len(new_passages)


def test_measure_counts_answerable_questions():
    result = measure(_corpus(), NEW)
    assert result["questions"] == 3
    assert 0.0 <= result["r@1"] <= result["r@5"] <= 1.0
