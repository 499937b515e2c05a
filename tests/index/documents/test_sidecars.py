"""``.groups`` sidecars fail closed: whatever with the suffix cannot be read as one (a
dangling link, a folder, another case) hides its document rather than leave it open."""

from pathlib import Path

from ragqa.index.access import UNREADABLE
from ragqa.index.documents.group_rules import read_corpus_groups


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


def test_a_sidecar_meant_for_a_document_never_leaves_it_open(tmp_path):
    """Each of these left its document every reader's, with nothing in the log (found by
    an audit): an empty or blank sidecar, one named in another case or Unicode form than
    its document, a link to a restricted file; a BOM made the group unholdable."""
    import unicodedata

    corpus = tmp_path / "corpus"
    for name in ("vide.txt", "blanc.txt", "Bonus.txt", "bom.txt", "piege.txt", "ouvert.txt"):
        _doc(corpus, name)
    (corpus / "vide.txt.groups").write_text("", encoding="utf-8")
    (corpus / "blanc.txt.groups").write_text("  \n , \n", encoding="utf-8")
    (corpus / "bonus.txt.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "bom.txt.groups").write_bytes("\ufeffrh\n".encode())
    nfc = unicodedata.normalize("NFC", "prime-équipe.txt")
    _doc(corpus, nfc)
    (corpus / (unicodedata.normalize("NFD", nfc) + ".groups")).write_text("rh\n", "utf-8")
    (corpus / "piege.txt.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "lien-piege.txt").symlink_to(corpus / "piege.txt")
    (corpus / "lien-ouvert.txt").symlink_to(corpus / "ouvert.txt")
    found = read_corpus_groups(corpus)
    assert found["vide.txt"] == found["blanc.txt"] == UNREADABLE
    assert found["Bonus.txt"] == found[nfc] == UNREADABLE  # fix the sidecar's name
    assert found["bom.txt"] == frozenset({"rh"})
    assert found["lien-piege.txt"] == found["piege.txt"] == frozenset({"rh"})
    assert "ouvert.txt" not in found and "lien-ouvert.txt" not in found


def test_a_link_whose_target_cannot_be_told_is_hidden(tmp_path):
    """A link holds its target's text: one into the folder at nothing listed (its target
    deleted, a file of a hidden folder) or that cannot be resolved (a loop) is hidden; one
    out of the folder follows no groups of the folder's."""
    from ragqa.index.documents.group_rules import read_folder_groups

    corpus = tmp_path / "corpus"
    _doc(corpus, "a.md")
    _doc(corpus, ".prive/secret.md")
    outside = _doc(tmp_path, "dehors.md")
    (corpus / "parti.md").symlink_to(corpus / "supprime.md")
    (corpus / "cache.md").symlink_to(corpus / ".prive" / "secret.md")
    (corpus / "boucle.md").symlink_to(corpus / "boucle.md")
    (corpus / "dehors.md").symlink_to(outside)
    (corpus / "lien.md").symlink_to(corpus / "a.md")
    found = read_corpus_groups(corpus)
    assert found == {"parti.md": UNREADABLE, "cache.md": UNREADABLE, "boucle.md": UNREADABLE}
    folder = read_folder_groups(corpus)
    assert folder.links["lien.md"] == "a.md" and "dehors.md" not in folder.links
    assert folder.ruled(lambda target: frozenset({"rh"}), among={"lien.md"}) == {
        "lien.md": frozenset({"rh"})}


def test_a_misnamed_sidecar_reaches_documents_the_folder_does_not_list(tmp_path):
    """PostgreSQL's uploads are not in the folder: a ``.groups`` file meant for one of them
    hides it all the same."""
    from ragqa.index.documents.group_rules import read_folder_groups

    corpus = tmp_path / "corpus"
    _doc(corpus, "a.md")
    (corpus / "paie.md.groups").write_text("rh\n", encoding="utf-8")
    folder = read_folder_groups(corpus)
    assert folder.near == frozenset()
    assert folder.nearly_named(["Paie.md", "paie.md", "autre.md"]) == {"Paie.md"}
    assert folder.ruled(lambda target: None, unlisted=["Paie.md"]) == {"Paie.md": UNREADABLE}


def test_a_hard_link_gets_the_groups_of_its_twin(tmp_path):
    """A hard link is a second name of the same file (the same text): without a ``.groups``
    file of its own it gets the groups of the name that has one, and is hidden when its
    names' files disagree. Before, ``ln paie.md copie.md`` left the copy open to every
    reader."""
    import os

    corpus = tmp_path / "corpus"
    paie = _doc(corpus, "rh/paie.md")
    (corpus / "rh" / "paie.md.groups").write_text("rh\n", encoding="utf-8")
    os.link(paie, corpus / "copie.md")
    os.link(paie, corpus / "rh" / "autre.md")
    (corpus / "rh" / "autre.md.groups").write_text("finance\n", encoding="utf-8")
    _doc(corpus, "ouvert.md")
    found = read_corpus_groups(corpus)
    assert found == {"rh/paie.md": frozenset({"rh"}), "rh/autre.md": frozenset({"finance"}),
                     "copie.md": UNREADABLE}  # its two twins' files disagree
    (corpus / "rh" / "autre.md.groups").unlink()
    found = read_corpus_groups(corpus)
    assert found == {"rh/paie.md": frozenset({"rh"}), "rh/autre.md": frozenset({"rh"}),
                     "copie.md": frozenset({"rh"})}


def test_ragqa_s_own_hold_reads_back_silently_a_hand_placed_empty_file_says_so(tmp_path, caplog):
    # While a version whose groups share none with the old one's is indexed, the document
    # is kept to readers of everything; the log said "it names no group ... hidden until
    # it is fixed", which an administrator reads as a broken file.
    from ragqa.index.documents.sidecars import HELD_SIDECAR, read_groups_sidecar

    held, placed = tmp_path / "note.md", tmp_path / "autre.md"
    (tmp_path / "note.md.groups").write_text(HELD_SIDECAR, encoding="utf-8")
    (tmp_path / "autre.md.groups").write_text("\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        assert read_groups_sidecar(held) == UNREADABLE
        assert not caplog.records
        assert read_groups_sidecar(placed) == UNREADABLE
        assert "names no group" in caplog.text
