"""The corpus folder listed in the order the indexer always used, and the stamps that let a
sync skip reading files whose stat did not move (issue 27, item 5)."""

import os
from pathlib import Path, PurePath

from ragqa.index.documents.corpus import NOT_A_FILE, read_corpus
from ragqa.index.documents.folder import RACY_NS, Stamp, StampCache, list_folder, suffix_of
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES
from ragqa.index.documents.reading import scan_corpus


def _tree(root: Path) -> None:
    for name in ("a-b.txt", "a/b.txt", "a/b/c.md", "a.b/x.txt", "A.txt", "é.txt", "a b.txt",
                 "z/.cache/y.txt", ".cache/y.txt", "z/.y.txt", "a/B.TXT", "a/b.txt.title",
                 "n/n.pdf.groups", "sans-suffixe", "point.", "a/b-c/d.md", "a/b/c/d/e.md"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n\nTexte de {name}.\n", "utf-8")
    (root / "lien.md").symlink_to(root / "A.txt")
    (root / "dossier-lien").symlink_to(root / "a", target_is_directory=True)
    (root / "casse.md").symlink_to(root / "nowhere.md")


def test_the_folder_is_listed_in_the_order_of_sorted_rglob(tmp_path):
    _tree(tmp_path)
    want = [p.relative_to(tmp_path).as_posix() for p in sorted(tmp_path.rglob("*"))
            if not any(part.startswith(".") for part in p.relative_to(tmp_path).parts)]
    assert [item.rel for item in list_folder(tmp_path)] == want
    assert "dossier-lien" in want and "dossier-lien/b.txt" not in want  # a link: not entered
    # and the corpus's files in the order scan_corpus gave them
    scan = read_corpus(tmp_path)
    assert [scan.paths[d] for d in scan.paths] == scan_corpus(
        tmp_path, frozenset(SUPPORTED_SUFFIXES))
    assert "lien.md" in scan.paths and "casse.md" not in scan.paths
    assert scan.unreadable == {"casse.md": NOT_A_FILE}  # said, not skipped in silence
    os.mkfifo(tmp_path / "tube.txt")
    (tmp_path / "caf\x85e.txt").write_text("Un nom que nul ne peut demander.\n", "utf-8")
    refused = read_corpus(tmp_path).unreadable
    assert refused.pop("caf\x85e.txt").startswith("a document id cannot contain")  # (C1)
    assert refused == {"casse.md": NOT_A_FILE, "tube.txt": NOT_A_FILE}
    assert set(scan.titles) == {"a/b.txt"}


def test_suffix_of_is_paths_suffix():
    for name in ("a.txt", "a.tar.gz", ".md", "a.", "a", "a..b", "..", "a.b.", "é.PDF"):
        assert suffix_of(name) == PurePath(name).suffix, name


def _old(path: Path, seconds: int = 100) -> None:
    """Set the file's times ``seconds`` back (its change time moves to now)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def test_a_file_whose_stat_did_not_move_is_not_read_again(tmp_path, monkeypatch):
    from ragqa.index.documents import corpus as module

    (tmp_path / "a.txt").write_text("Alpha\n\nUn texte.\n", "utf-8")
    (tmp_path / "b.txt").write_text("Bêta\n\nUn autre.\n", "utf-8")
    later = module.now_ns() + 10 * RACY_NS  # every file settled by then
    monkeypatch.setattr(module, "now_ns", lambda: later)
    stamps = StampCache()
    first = read_corpus(tmp_path, stamps=stamps)
    assert first.hashed == 2 and stamps.changed
    again = read_corpus(tmp_path, stamps=stamps)
    assert again.hashed == 0 and again.hashes == first.hashes
    # Same size, another modification time: read again, the new hash found.
    (tmp_path / "a.txt").write_text("Alpha\n\nUn texta.\n", "utf-8")
    _old(tmp_path / "a.txt", 50)
    changed = read_corpus(tmp_path, stamps=stamps)
    assert changed.hashed == 1 and changed.hashes["a.txt"] != first.hashes["a.txt"]
    assert changed.hashes["b.txt"] == first.hashes["b.txt"]
    # Its modification time put back (touch -d): the change time moved, read again.
    before = (tmp_path / "b.txt").stat()
    (tmp_path / "b.txt").write_text("Bêta\n\nUn autrz.\n", "utf-8")
    os.utime(tmp_path / "b.txt", ns=(before.st_atime_ns, before.st_mtime_ns))
    assert Stamp.of((tmp_path / "b.txt").stat())[:2] == Stamp.of(before)[:2]
    assert read_corpus(tmp_path, stamps=stamps).hashes["b.txt"] != first.hashes["b.txt"]
    # A file gone is forgotten.
    (tmp_path / "b.txt").unlink()
    assert read_corpus(tmp_path, stamps=stamps).hashed == 0
    assert "b.txt" not in stamps.to_json()


def test_a_file_changed_within_the_racy_window_is_found_at_the_next_scan(tmp_path,
                                                                         monkeypatch):
    """A file written again just after it was hashed, same size, in the same timestamp tick:
    its stamp does not move (simulated: stamps of size and modification time only). It was
    hashed too recently to be trusted, so the next scan reads it again."""
    from ragqa.index.documents import folder

    monkeypatch.setattr(folder.Stamp, "of", classmethod(
        lambda cls, st: cls(st.st_size, st.st_mtime_ns, 0, 0, 0)))
    doc = tmp_path / "a.txt"
    doc.write_text("Alpha\n\nUn texte.\n", "utf-8")
    stamps = StampCache()
    first = read_corpus(tmp_path, stamps=stamps)  # just written: not settled
    assert first.hashed == 1 and "a.txt" not in stamps.to_json()
    mtime = doc.stat().st_mtime_ns
    doc.write_text("Alpha\n\nUn texta.\n", "utf-8")
    os.utime(doc, ns=(mtime, mtime))  # the same stamp as when it was hashed
    again = read_corpus(tmp_path, stamps=stamps)
    assert again.hashed == 1 and again.hashes["a.txt"] != first.hashes["a.txt"]


def test_the_stamp_cache_keeps_only_settled_values():
    now = 100 * RACY_NS
    cache = StampCache()
    settled = Stamp(10, now - 2 * RACY_NS, now - 2 * RACY_NS, 1, 1)
    racy = Stamp(10, now - RACY_NS // 2, now - RACY_NS // 2, 2, 1)
    cache.put("a", settled, "x", now)
    cache.put("b", racy, "y", now)
    assert cache.get("a", settled) == "x" and cache.get("b", racy) is None
    assert cache.get("a", settled._replace(ino=3)) is None
    assert StampCache.from_json(cache.to_json()).get("a", settled) == "x"


def test_a_title_sidecar_is_read_again_only_when_its_stat_moved(tmp_path, monkeypatch):
    from ragqa.index.documents import corpus as module

    (tmp_path / "a.txt").write_text("Alpha\n\nUn texte.\n", "utf-8")
    (tmp_path / "a.txt.title").write_text("Le titre", "utf-8")
    later = module.now_ns() + 10 * RACY_NS
    monkeypatch.setattr(module, "now_ns", lambda: later)
    reads: list[Path] = []
    real = module.read_title_sidecar_or_fail

    def counted(path):
        reads.append(path)
        return real(path)

    monkeypatch.setattr(module, "read_title_sidecar_or_fail", counted)
    stamps = StampCache()
    assert read_corpus(tmp_path, stamps=stamps).titles == {"a.txt": "Le titre"}
    assert read_corpus(tmp_path, stamps=stamps).titles == {"a.txt": "Le titre"}
    assert len(reads) == 1
    (tmp_path / "a.txt.title").write_text("Un autre titre", "utf-8")
    assert read_corpus(tmp_path, stamps=stamps).titles == {"a.txt": "Un autre titre"}
    (tmp_path / "a.txt.title").unlink()
    assert read_corpus(tmp_path, stamps=stamps).titles == {}
    assert len(reads) == 2
