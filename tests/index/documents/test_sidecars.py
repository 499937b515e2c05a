"""``.groups`` sidecars fail closed: whatever with the suffix cannot be read as one (a
dangling link, a folder, another case) hides its document rather than leave it open."""

from pathlib import Path

from ragqa.index.access import UNREADABLE
from ragqa.index.documents.sidecars import read_corpus_groups


def _doc(corpus: Path, name: str) -> Path:
    path = corpus / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Doc\n\nTexte.\n", encoding="utf-8")
    return path


def test_a_sidecar_that_is_not_a_readable_file_hides_its_document(tmp_path):
    corpus = tmp_path / "corpus"
    _doc(corpus, "ok.md")
    (corpus / "ok.md.groups").write_text("rh\n", encoding="utf-8")
    _doc(corpus, "lien.md")
    (corpus / "lien.md.groups").symlink_to(tmp_path / "nowhere")  # dangling
    _doc(corpus, "dossier.md")
    (corpus / "dossier.md.groups").mkdir()
    _doc(corpus, "sous/casse.md")
    (corpus / "sous" / "casse.md.GROUPS").write_text("rh\n", encoding="utf-8")
    _doc(corpus, "deux.md")
    (corpus / "deux.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "deux.md.Groups").write_text("finance\n", encoding="utf-8")
    _doc(corpus, "ouvert.md")
    _doc(corpus, ".cache/x.md")
    (corpus / ".cache" / "x.md.GROUPS").mkdir()  # hidden folders are skipped, as ever
    assert read_corpus_groups(corpus) == {
        "ok.md": frozenset({"rh"}), "lien.md": UNREADABLE, "dossier.md": UNREADABLE,
        "sous/casse.md": UNREADABLE, "deux.md": UNREADABLE}


def test_a_link_to_a_readable_sidecar_is_read(tmp_path):
    corpus = tmp_path / "corpus"
    _doc(corpus, "a.md")
    (tmp_path / "shared.groups").write_text("rh, direction\n", encoding="utf-8")
    (corpus / "a.md.groups").symlink_to(tmp_path / "shared.groups")
    assert read_corpus_groups(corpus) == {"a.md": frozenset({"rh", "direction"})}
