"""The PostgreSQL store's groups against the folder's syncs: what a writer gives (a ``PUT``, an
upload with groups) is kept by later syncs as the files store keeps it in a ``.groups`` file,
and a ``PUT`` reaches the links a sync recorded without seeing the folder. The sync's groups
step (:func:`~ragqa.index.pg.groups.apply_sidecars`, what ``index_corpus_into`` runs before
writing any document) over a real database; ``test_indexing.py`` runs a whole sync."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from ragqa.index.access import UNREADABLE
from ragqa.index.pg.groups import PgGroups, apply_sidecars, settle_links
from ragqa.index.pg.origin import record_folder
from ragqa.index.pg.pool import Pool
from ragqa.index.pg.writes import delete_document, replace_document
from tests.index.pg.docs import make_document

RH, X = frozenset({"rh"}), frozenset({"x"})


@pytest.fixture
def pool(pg_url: str, conn: psycopg.Connection) -> Iterator[Pool]:
    """The store's pool over the ``conn`` fixture's (migrated) database."""
    opened = Pool(pg_url, size=2).open()
    try:
        yield opened
    finally:
        opened.close()


def _folder(tmp_path: Path, conn: psycopg.Connection) -> Path:
    """``paie.md`` restricted to ``rh`` by its ``.groups`` file, ``ouvert.md``, and a link
    ``lien.md`` to ``paie.md``: stored, and synced (the groups step)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paie.md").write_text("# Paie\n", encoding="utf-8")
    (corpus / "paie.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "ouvert.md").write_text("# Ouvert\n", encoding="utf-8")
    (corpus / "lien.md").symlink_to("paie.md")
    for doc_id in ("paie.md", "ouvert.md", "lien.md"):
        replace_document(conn, make_document(doc_id, "v1"))
    _sync(conn, corpus)
    return corpus


def _sync(conn: psycopg.Connection, corpus: Path) -> None:
    """A sync's groups steps, its writes landed in between (the documents' texts are not
    this module's)."""
    settle_links(conn, apply_sidecars(conn, corpus))
    record_folder(conn, corpus)


def test_a_put_on_a_link_outlasts_the_syncs(conn, pool, tmp_path):
    """Before, the next sync gave the link its target's groups again: a writer's choice
    silently undone. ``[]`` makes it follow its target, as documented."""
    corpus = _folder(tmp_path, conn)
    groups = PgGroups(pool, corpus)
    assert groups.of("lien.md") == RH
    groups.set("lien.md", X)
    _sync(conn, corpus)
    assert groups.of("lien.md") == X  # the link's own, as its own .groups file would be
    groups.set("paie.md", frozenset({"direction"}))  # its target's change leaves it
    _sync(conn, corpus)
    assert groups.of("lien.md") == X and groups.of("paie.md") == {"direction"}

    groups.set("lien.md", frozenset())  # it follows its target again, at once and later
    assert groups.of("lien.md") == {"direction"}
    _sync(conn, corpus)
    assert groups.of("lien.md") == {"direction"}
    groups.set("paie.md", RH)
    assert groups.of("lien.md") == RH


def test_a_link_s_own_groups_outlast_a_rename_of_its_target(conn, pool, tmp_path):
    """Its target renamed (the link dangles: the sync refuses it) and the link pointed at
    the new name: its own groups are still its own, as with a ``.groups`` file of its own."""
    corpus = _folder(tmp_path, conn)
    groups = PgGroups(pool, corpus)
    groups.set("lien.md", X)
    (corpus / "paie.md").rename(corpus / "paie-2026.md")
    (corpus / "paie.md.groups").rename(corpus / "paie-2026.md.groups")
    _sync(conn, corpus)
    assert groups.of("lien.md") == X
    (corpus / "lien.md").unlink()
    (corpus / "lien.md").symlink_to("paie-2026.md")
    _sync(conn, corpus)
    assert groups.of("lien.md") == X and groups.of("paie-2026.md") == RH
    # An unrestricted link to the renamed file follows it, as before.
    (corpus / "autre.md").symlink_to("paie-2026.md")
    _sync(conn, corpus)
    assert groups.of("autre.md") == RH


def test_a_put_on_a_document_with_a_groups_file_outlasts_the_syncs(conn, pool, tmp_path):
    """Before, every sync wrote the ``.groups`` file's groups again over a ``PUT`` (a
    narrowing undone); now the file is applied when it appears or changes, as the files
    store's ``PUT`` rewrites it and a later edit by hand wins."""
    corpus = _folder(tmp_path, conn)
    groups = PgGroups(pool, corpus)
    groups.set("paie.md", frozenset({"direction"}))
    _sync(conn, corpus)
    assert groups.of("paie.md") == {"direction"} and groups.of("lien.md") == {"direction"}
    groups.set("ouvert.md", X)  # no .groups file: kept, as before
    _sync(conn, corpus)
    assert groups.of("ouvert.md") == X

    (corpus / "paie.md.groups").write_text("compta\n", encoding="utf-8")  # edited: it wins
    _sync(conn, corpus)
    assert groups.of("paie.md") == {"compta"} and groups.of("lien.md") == {"compta"}

    # Deleted through the API: the folder's file is indexed again with its .groups file.
    delete_document(conn, "paie.md")
    groups.set("paie.md", frozenset())
    _sync(conn, corpus)
    assert groups.of("paie.md") == {"compta"}

    # An upload with groups under its id: the sync puts the folder's file back, with the
    # folder's groups, not the upload's.
    replace_document(conn, replace(make_document("paie.md", "v2"), source="api"))
    groups.set("paie.md", X)
    _sync(conn, corpus)
    assert groups.of("paie.md") == {"compta"}
    replace_document(conn, make_document("paie.md", "v1"))  # what the rest of the sync writes

    # An unreadable .groups file hides it when it appears, and a PUT since stands.
    (corpus / "paie.md.groups").write_text("\n", encoding="utf-8")
    _sync(conn, corpus)
    assert groups.of("paie.md") == UNREADABLE
    groups.set("paie.md", RH)
    _sync(conn, corpus)
    assert groups.of("paie.md") == RH


def test_an_upload_with_groups_under_a_link_s_id_holds_until_the_folder_s_text_returns(
        conn, pool, tmp_path):
    """The upload's text is its own, so are its groups; the next sync writes the link's
    text (its target's) back, and the link follows its target again."""
    corpus = _folder(tmp_path, conn)
    groups = PgGroups(pool, corpus)
    groups.set("lien.md", X)  # what an upload job sets, then writes the document
    groups.apply_rules("lien.md")
    replace_document(conn, replace(make_document("lien.md", "v2"), source="api"))
    assert groups.of("lien.md") == X
    pending = apply_sidecars(conn, corpus)  # until its text is written: what both allow
    assert groups.of("lien.md") == UNREADABLE
    replace_document(conn, make_document("lien.md", "v1"))
    settle_links(conn, pending)
    assert groups.of("lien.md") == RH


def test_a_put_reaches_the_recorded_links_without_the_folder(conn, pool, tmp_path):
    """A replica that cannot see the folder (none, or another one) reaches the links the
    last sync recorded: before, they kept the old groups until the next sync."""
    corpus = _folder(tmp_path, conn)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "paie.md").write_text("# Autre\n", encoding="utf-8")
    (elsewhere / "autre-lien.md").symlink_to("paie.md")  # not the database's folder
    for folder in (None, elsewhere):
        PgGroups(pool, folder).set("paie.md", frozenset({"direction"}))
        assert PgGroups(pool).of("lien.md") == {"direction"}
        assert PgGroups(pool).of("autre-lien.md") == frozenset()
        PgGroups(pool, folder).set("paie.md", RH)
        assert PgGroups(pool).of("lien.md") == RH
    # A link's own groups, given there, are kept there and by the next sync.
    PgGroups(pool).set("lien.md", X)
    PgGroups(pool).set("paie.md", frozenset({"direction"}))
    _sync(conn, corpus)
    assert PgGroups(pool).of("lien.md") == X
    assert PgGroups(pool).of("paie.md") == {"direction"}


def test_an_upload_beside_a_groups_file_placed_since_the_last_sync_is_restricted(
        conn, pool, tmp_path):
    """Before, it was every reader's until the next sync (the files store's upload lands
    beside the file, restricted at once); groups given by a writer still win."""
    corpus = _folder(tmp_path, conn)
    groups = PgGroups(pool, corpus)
    (corpus / "neuf.md.groups").write_text("rh\n", encoding="utf-8")
    groups.apply_rules("neuf.md")  # what an upload without groups runs before writing
    replace_document(conn, replace(make_document("neuf.md", "v1"), source="api"))
    assert groups.of("neuf.md") == RH
    groups.set("neuf.md", X)  # a PUT since, then a re-upload without groups: kept
    groups.apply_rules("neuf.md")
    _sync(conn, corpus)
    assert groups.of("neuf.md") == X
    (corpus / "autre.md.groups").write_text("rh\n", encoding="utf-8")
    groups.set("autre.md", X)  # an upload with groups: the job sets them first
    groups.apply_rules("autre.md")
    assert groups.of("autre.md") == X


def test_put_empty_on_a_link_with_its_own_groups_file_makes_it_follow_its_target(
        conn, pool, tmp_path):
    """Before, ``PUT []`` removed the link's groups and no rule gave it its target's: the
    restricted text was every reader's for good (the file, unchanged, is not applied again).
    The files store deletes the link's ``.groups`` file: it follows its target."""
    corpus = _folder(tmp_path, conn)
    (corpus / "lien.md.groups").write_text("direction\n", encoding="utf-8")
    _sync(conn, corpus)
    groups = PgGroups(pool, corpus)
    assert groups.of("lien.md") == {"direction"}
    groups.set("lien.md", frozenset())
    assert groups.of("lien.md") == RH
    _sync(conn, corpus)
    assert groups.of("lien.md") == RH
    groups.set("paie.md", X)  # it follows its target from now on
    assert groups.of("lien.md") == X
    _sync(conn, corpus)
    assert groups.of("lien.md") == X
    (corpus / "lien.md.groups").write_text("direction\nrh\n", encoding="utf-8")
    _sync(conn, corpus)  # its file changed: its own groups again
    assert groups.of("lien.md") == {"direction", "rh"}


def test_put_empty_on_a_link_with_its_own_groups_file_without_the_folder(conn, pool, tmp_path):
    corpus = _folder(tmp_path, conn)
    (corpus / "lien.md.groups").write_text("direction\n", encoding="utf-8")
    _sync(conn, corpus)
    PgGroups(pool, None).set("lien.md", frozenset())
    assert PgGroups(pool).of("lien.md") == RH
    _sync(conn, corpus)
    assert PgGroups(pool).of("lien.md") == RH
    PgGroups(pool, tmp_path / "elsewhere").set("paie.md", X)
    assert PgGroups(pool).of("lien.md") == X


def test_a_link_s_own_groups_file_is_kept_by_the_syncs_and_its_removal_follows_the_target(
        conn, pool, tmp_path):
    """Its own file's groups, not its target's (even a public target); removing the file
    makes it follow its target, as on the files store."""
    corpus = _folder(tmp_path, conn)
    (corpus / "l2.md").symlink_to("ouvert.md")
    (corpus / "l2.md.groups").write_text("rh\n", encoding="utf-8")
    replace_document(conn, make_document("l2.md", "v1"))
    _sync(conn, corpus)
    _sync(conn, corpus)
    groups = PgGroups(pool, corpus)
    assert groups.of("l2.md") == RH
    groups.set("ouvert.md", X)
    assert groups.of("l2.md") == RH
    (corpus / "l2.md.groups").unlink()
    _sync(conn, corpus)
    assert groups.of("l2.md") == X


def _misnamed(tmp_path: Path, conn: psycopg.Connection) -> Path:
    """``budget.md`` beside ``Budget.md.groups`` (misnamed: it hides the document)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "budget.md").write_text("# B\n", encoding="utf-8")
    (corpus / "Budget.md.groups").write_text("rh\n", encoding="utf-8")
    replace_document(conn, make_document("budget.md", "v1"))
    _sync(conn, corpus)
    return corpus


def test_a_put_keeps_a_misnamed_groups_file_s_document_hidden_without_the_folder(
        conn, pool, tmp_path):
    """Before, a replica that cannot read the folder opened it (the near name is the
    folder's to tell): the last sync's hidden documents are recorded."""
    corpus = _misnamed(tmp_path, conn)
    PgGroups(pool, None).set("budget.md", frozenset())
    assert PgGroups(pool).of("budget.md") == UNREADABLE
    (corpus / "budget.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "Budget.md.groups").unlink()  # its name fixed: the next sync applies it
    _sync(conn, corpus)
    assert PgGroups(pool).of("budget.md") == RH
    assert conn.execute("SELECT count(*) FROM folder_hidden").fetchone()[0] == 0


def test_a_replica_seeing_the_folder_through_another_path_reads_it(conn, pool, tmp_path):
    """Before, a link or mount to the recorded folder was taken as another folder: its
    rules were not read, and a ``PUT []`` opened a hidden document."""
    corpus = _misnamed(tmp_path, conn)
    alias = tmp_path / "alias"
    alias.symlink_to(corpus)
    groups = PgGroups(pool, alias)
    groups.set("budget.md", frozenset())
    assert groups.of("budget.md") == UNREADABLE
    (corpus / "neuf.md.groups").write_text("rh\n", encoding="utf-8")
    groups.apply_rules("neuf.md")  # an upload beside a .groups file placed since the sync
    assert groups.of("neuf.md") == RH


def test_put_empty_on_a_hard_link_with_its_own_groups_file_follows_its_twin(
        conn, pool, tmp_path):
    """The files store: its ``.groups`` file deleted, it follows its twin's."""
    corpus = _folder(tmp_path, conn)
    os.link(corpus / "paie.md", corpus / "double.md")
    (corpus / "double.md.groups").write_text("direction\n", encoding="utf-8")
    replace_document(conn, make_document("double.md", "v1"))
    _sync(conn, corpus)
    assert PgGroups(pool).of("double.md") == {"direction"}
    PgGroups(pool, None).set("double.md", frozenset())
    assert PgGroups(pool).of("double.md") == RH
    _sync(conn, corpus)
    assert PgGroups(pool, corpus).of("double.md") == RH


def _readable_by_anyone(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT d.doc_id FROM documents d LEFT JOIN document_groups g USING (doc_id) "
        "WHERE g.doc_id IS NULL ORDER BY 1")]


def test_a_repointed_link_opens_only_once_its_new_text_is_written(conn, pool, tmp_path):
    """Before, the groups step gave it its new (open) target's groups while the store still
    held its restricted text: readable by everyone until the write, for good if the sync
    died in between."""
    corpus = _folder(tmp_path, conn)
    replace_document(conn, make_document("lien.md", "paie-secret"))  # paie.md's text
    (corpus / "lien.md").unlink()
    (corpus / "lien.md").symlink_to("ouvert.md")
    pending = apply_sidecars(conn, corpus)  # the sync dies here
    assert "lien.md" not in _readable_by_anyone(conn)
    pending = apply_sidecars(conn, corpus)  # the next sync: still not
    assert "lien.md" not in _readable_by_anyone(conn)
    assert PgGroups(pool).of("lien.md") == RH
    replace_document(conn, make_document("lien.md", "ouvert"))  # its new text written
    settle_links(conn, pending)
    assert "lien.md" in _readable_by_anyone(conn)
    groups = PgGroups(pool, None)
    groups.set("ouvert.md", X)  # recorded with its new target
    assert groups.of("lien.md") == X


def test_an_upload_under_a_link_s_id_keeps_its_groups_until_the_folder_s_text_is_written(
        conn, pool, tmp_path):
    """Before, the groups step dropped the upload's groups for its link's target's (open):
    the uploaded text was every reader's if the sync died before writing the link."""
    corpus = _folder(tmp_path, conn)
    (corpus / "l2.md").symlink_to("ouvert.md")
    replace_document(conn, make_document("l2.md", "v1"))
    _sync(conn, corpus)
    groups = PgGroups(pool, corpus)
    groups.set("l2.md", X)  # an upload with groups under the link's id
    groups.apply_rules("l2.md")
    replace_document(conn, replace(make_document("l2.md", "secret-upload"), source="api"))
    pending = apply_sidecars(conn, corpus)  # the sync dies here
    assert groups.of("l2.md") == X
    settle_links(conn, pending)  # not written: still the upload's text
    assert groups.of("l2.md") == X
    pending = apply_sidecars(conn, corpus)
    replace_document(conn, make_document("l2.md", "ouvert"))  # the folder's text again
    settle_links(conn, pending)
    assert groups.of("l2.md") == frozenset()


def test_a_put_before_the_first_sync_after_an_upgrade_from_schema_7_stands(pg_url, tmp_path):
    """Before, that sync took every ``.groups`` file for a new one and applied it over the
    ``PUT``; nothing else moves (nor opens)."""
    from ragqa.index.pg import migrations
    from ragqa.index.pg.connect import connect
    from ragqa.index.pg.migrations import migrate
    from ragqa.index.pg.schema import MIGRATIONS

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in (("paie.md", "p"), ("putonly.md", "q"), ("budget.md", "b"),
                       ("gone.md", "g")):
        (corpus / name).write_text(text, encoding="utf-8")
    (corpus / "paie.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "Budget.md.groups").write_text("rh\n", encoding="utf-8")
    (corpus / "lien.md").symlink_to("paie.md")
    (corpus / "own.md").symlink_to("paie.md")
    (corpus / "own.md.groups").write_text("direction\n", encoding="utf-8")
    rows = {"paie.md": RH, "lien.md": RH, "putonly.md": X, "budget.md": UNREADABLE,
            "own.md": frozenset({"direction"}), "gone.md": RH}
    with connect(pg_url) as conn:
        original = migrations.MIGRATIONS
        migrations.MIGRATIONS = MIGRATIONS[:7]  # what a ragqa of schema version 7 applied
        try:
            migrate(conn, dimension=8)
        finally:
            migrations.MIGRATIONS = original
        for doc_id, groups in rows.items():
            conn.execute("INSERT INTO document_groups (doc_id, groups) VALUES (%s, %s)",
                         (doc_id, sorted(groups)))
        migrate(conn, dimension=8)
        for doc_id in rows:
            replace_document(conn, make_document(doc_id, "v1"))
        pool = Pool(pg_url, size=2).open()
        try:
            PgGroups(pool, None).set("paie.md", frozenset({"direction"}))
            _sync(conn, corpus)
            groups = PgGroups(pool, corpus)
            assert groups.of("paie.md") == {"direction"}
            assert groups.of("lien.md") == {"direction"}
            assert {doc_id: groups.of(doc_id) for doc_id in rows if doc_id not in (
                "paie.md", "lien.md")} == {k: v for k, v in rows.items() if k not in (
                    "paie.md", "lien.md")}
            (corpus / "paie.md.groups").write_text("rh\ncompta\n", encoding="utf-8")
            _sync(conn, corpus)  # recorded: a later edit of the file is applied
            assert groups.of("paie.md") == {"rh", "compta"}
        finally:
            pool.close()


def test_a_stricter_edit_of_a_groups_file_wins_over_a_put_and_reaches_the_link(
        conn, pool, tmp_path):
    corpus = _folder(tmp_path, conn)
    groups = PgGroups(pool, corpus)
    groups.set("paie.md", frozenset({"rh", "tous"}))
    _sync(conn, corpus)
    (corpus / "paie.md.groups").write_text("direction\n", encoding="utf-8")
    _sync(conn, corpus)
    assert groups.of("paie.md") == {"direction"} and groups.of("lien.md") == {"direction"}


def test_an_upload_after_a_stricter_groups_edit_gets_the_file_s_groups(conn, pool, tmp_path):
    """A ``.groups`` file's groups a sync applied are marked as given (a link's own); an
    upload made after the file was narrowed took them for a writer's and kept the wider
    ones until the next sync (the files store's upload lands beside the file: ``rh``)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "paie.md").write_text("# Paie\n", encoding="utf-8")
    (corpus / "paie.md.groups").write_text("rh\ntous\n", encoding="utf-8")
    replace_document(conn, make_document("paie.md", "v1"))
    _sync(conn, corpus)
    groups = PgGroups(pool, corpus)
    assert groups.of("paie.md") == {"rh", "tous"}
    (corpus / "paie.md.groups").write_text("rh\n", encoding="utf-8")  # no sync since
    groups.apply_rules("paie.md")  # an upload, on a replica that sees the folder
    replace_document(conn, replace(make_document("paie.md", "v2"), source="api"))
    assert groups.of("paie.md") == RH
    groups.set("paie.md", X)  # a writer's groups stay a writer's at the next upload
    groups.apply_rules("paie.md")
    assert groups.of("paie.md") == X


def test_an_upload_of_a_repointed_link_s_new_target_keeps_the_link_narrowed(conn, pool,
                                                                            tmp_path):
    """A sync died after its groups step: ``lien.md`` now points at ``ouvert.md`` but still
    holds ``paie.md``'s text, narrowed to ``rh``. An upload of its new target on a replica
    that sees the folder gave the link the open target's groups: the old secret text
    readable by everyone until a sync completed."""
    corpus = _folder(tmp_path, conn)
    (corpus / "lien.md").unlink()
    (corpus / "lien.md").symlink_to("ouvert.md")
    apply_sidecars(conn, corpus)  # the sync dies here, the link's text not yet written
    groups = PgGroups(pool, corpus)
    assert groups.of("lien.md") == RH
    groups.apply_rules("ouvert.md")  # an upload of ouvert.md without groups
    replace_document(conn, replace(make_document("ouvert.md", "v2"), source="api"))
    assert groups.of("lien.md") == RH
    groups.set("ouvert.md", frozenset({"tous"}))  # a PUT on the new target
    assert groups.of("lien.md") in (UNREADABLE, RH)
    _sync(conn, corpus)  # a whole sync writes the link's text, then settles it
    assert groups.of("lien.md") == {"tous"}
