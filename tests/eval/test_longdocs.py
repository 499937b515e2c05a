"""The long structured documents built from a SQuAD-format set (eval/longdocs.py)."""

import json

from ragqa.eval.longdocs import FOOTER, NOTICE, build, render
from ragqa.eval.questions import split_of
from ragqa.eval.squad import load_squad


def _squad(articles: int = 6, paragraphs: int = 4) -> dict:
    data = []
    for a in range(articles):
        paras = []
        for p in range(paragraphs):
            context = (f"Première phrase de l'article {a}, paragraphe {p}. Deuxième phrase "
                       f"avec le nombre {a * 100 + p} au milieu. Troisième phrase ici. "
                       f"Quatrième phrase pour finir.")
            answer = f"{a * 100 + p}"
            paras.append({"context": context, "qas": [{
                "id": f"q{a}-{p}", "question": f"Quel nombre pour {a} et {p} ?",
                "answers": [{"text": answer, "answer_start": context.index(answer)}]}]})
        data.append({"title": f"Article_{a}", "paragraphs": paras})
    return {"data": data}


def test_answers_keep_their_text_at_their_new_offsets(tmp_path):
    built = build(_squad())
    path = tmp_path / "long.json"
    path.write_text(json.dumps(built, ensure_ascii=False), encoding="utf-8")
    documents, questions = load_squad(path)
    assert len(documents) == 6 and len(questions) == 24
    for q in questions:
        (start, end), = q.spans
        number = int(q.id[1:].split("-")[0]) * 100 + int(q.id.split("-")[1])
        assert documents[q.doc][start:end] == str(number)


def test_pages_are_structured_and_share_blocks():
    built = build(_squad())
    pages = [a["paragraphs"][0]["context"] for a in built["data"]]
    for page in pages:
        assert page.startswith(NOTICE + "\n\n## De quoi s'agit-il ?\n\n")
        assert page.endswith(FOOTER[-1])
        assert "## Définitions" in page and "## Où s'adresser ?" in page
    # Every four-paragraph article's last paragraph is quoted on two other pages.
    assert sum(page.count("À lire aussi : ") for page in pages) == 2 * len(pages)


def test_generation_is_deterministic_and_split_like_piaf():
    assert build(_squad()) == build(_squad())
    built = build(_squad())
    path_titles = [a["title"] for a in built["data"]]
    assert path_titles == [f"Article_{a}" for a in range(6)]
    # load_squad groups by title with "_" read as a space, as for PIAF itself.
    assert {split_of(t.replace("_", " ")) for t in path_titles} <= {"dev", "test"}


def test_render_never_cuts_inside_an_answer():
    paragraph = "Un. Deux ici. Trois là. Quatre enfin."
    span = (paragraph.index("ici. Trois"), paragraph.index("ici. Trois") + len("ici. Trois"))
    for seed in range(20):
        text, moved = render(paragraph + " " * seed, [span])
        start = moved(span[0])
        assert text[start : start + span[1] - span[0]] == "ici. Trois"
