"""The database schema, as an ordered list of versioned migrations.

A migration is never edited once released: a change to the schema is a new migration with
the next version number. :data:`SCHEMA_VERSION` is the newest version this code knows; a
database whose ``schema_version`` is higher was migrated by a newer ragqa and is refused
(see :mod:`ragqa.index.pg.migrations`).

Tables (version 1):

* ``store_identity`` — one row: the embedding model (name, weights hash, dimension) and the
  settings that shape passages (chunking, analysis), as canonical JSON. A server with another
  model or other settings is refused, like the files store's manifest check.
* ``documents`` — one row per indexed document: canonical text (what every offset refers
  to), title, content hash of the uploaded bytes, page starts, section titles.
* ``refused`` — files left out of the index, with the reason (and their hash when readable).
* ``passages`` — verbatim slices ``[start_offset, end_offset)`` of a document, with section,
  page, the number of analysed terms (``length``, for BM25), the passage embedding
  (``vector(dim)``, HNSW-indexed for inner product: vectors are normalised, as in the files
  store) and the key of what was embedded (``embed_key``: a new version of a document
  reuses the vectors of its unchanged passages).
* ``postings`` — term → passage with its term frequency and the passage's length: BM25
  scored in SQL over the files store's own analysis (chosen over PostgreSQL's full-text
  search on recall; see ``eval/results/pg-lexical.md``). The key carries ``tf`` and
  ``length`` so that scoring reads the index alone (index-only scans).
* ``corpus_stats`` — one row: passage count and total analysed length, for BM25's ``N`` and
  average length, kept exact by every write in the same transaction, and ``changes``, a
  counter every write bumps (replicas compare it to drop cached results).

Version 2 adds ``corpus_context`` (one row: the boilerplate lines, generic headings and title
chrome a bulk index found over the whole corpus, applied to documents uploaded one at a
time; see :mod:`ragqa.index.documents.processing`) and ``documents.explicit_title``.

Version 3 adds ``document_groups``: the groups that may read a document (none: every
reader), kept apart from its passages so that a change re-embeds nothing; a change bumps
``corpus_stats.changes`` like any write.

Version 4 adds ``sentence_vectors``: the passage-side vector of every sentence of the
stored passages, made at index time so that a search reads a never-seen passage's sentences
with a lookup instead of a model pass (:mod:`ragqa.index.pg.sentences`). Addressed by
content: the key is a digest of the sentence's text alone, so rows are shared by every
passage that holds the sentence and are not deleted with them (the end of ``ragqa index``
reclaims those no passage holds: :mod:`ragqa.index.pg.reclaim`).

Version 5 adds ``token_vectors``: the int8 token vectors of each stored passage's quote, for
the relevance's token match and the reorder of a search's top passages, addressed by a
digest of the quote like the sentences (:mod:`ragqa.index.pg.tokens`).

Version 6 adds ``corpus_folder``: one row, the corpus folder of the last folder sync, so that
a command run elsewhere without ``--corpus`` does not sync the database with that place's
``./corpus`` (:mod:`ragqa.index.pg.origin`).

Version 7 adds ``sync_memo``: by corpus folder, what a process's folder syncs learnt of it
(the files' stamps and hashes, the plan memo, the documents found holding their side rows),
so that a process's first sync reads only what changed (:mod:`ragqa.index.pg.saved_memo`).
A cache, never the truth: checked entry by entry, and set aside when unreadable.

Version 8 adds what keeps groups given through the API from being undone by a folder sync
(:mod:`ragqa.index.pg.groups`): ``document_groups.given`` (the groups were given to that id
by a writer, a ``PUT`` or an upload, not by the folder's link rule: a link's own, as a
``.groups`` file of the link's name is on the files store), ``folder_sidecars`` (each
``.groups`` file's groups as a sync last applied them: applied again only when they change,
so a ``PUT`` made since stands) and ``document_links`` (the folder's links to its documents
as the last sync found them: a ``PUT`` on a replica that cannot see the folder reaches them).

Version 9 adds ``folder_hidden`` (the documents a misnamed ``.groups`` file hides, as the
last sync found them: a ``PUT`` on a replica that cannot read the folder keeps them hidden)
and ``folder_sidecars_unknown`` (one row while no sync has recorded an applied ``.groups``
file, as after an upgrade from version 7: the next sync keeps the groups a writer gave
since, where the store's text stays the same),
and marks a ``.groups`` file's applied groups ``given``: a link with a ``.groups`` file of
its own is recorded among the links from now on, and its own groups are not the link
rule's to write over (a ``PUT []`` removes them: it follows its target).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Oldest pgvector with HNSW indexes.
MIN_PGVECTOR = (0, 5, 0)


@dataclass(frozen=True)
class Migration:
    """One schema step; ``statements(dimension)`` gives its SQL, run in one transaction."""

    version: int
    description: str
    statements: Callable[[int], list[str]]


def _v1(dimension: int) -> list[str]:
    return [
        "CREATE EXTENSION IF NOT EXISTS vector",
        """CREATE TABLE store_identity (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            model_name text NOT NULL,
            weights_sha256 text NOT NULL,
            dimension integer NOT NULL CHECK (dimension > 0),
            settings jsonb NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE TABLE documents (
            doc_id text PRIMARY KEY,
            title text NOT NULL,
            content_hash text NOT NULL,
            text text NOT NULL,
            pages integer[] NOT NULL DEFAULT '{}',
            sections text[] NOT NULL DEFAULT '{}',
            passages integer NOT NULL DEFAULT 0,
            indexed_at timestamptz NOT NULL DEFAULT now()
        )""",
        """CREATE TABLE refused (
            doc_id text PRIMARY KEY,
            reason text NOT NULL,
            content_hash text,
            refused_at timestamptz NOT NULL DEFAULT now()
        )""",
        f"""CREATE TABLE passages (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            doc_id text NOT NULL REFERENCES documents (doc_id) ON DELETE CASCADE,
            ordinal integer NOT NULL,
            start_offset integer NOT NULL,
            end_offset integer NOT NULL,
            section text NOT NULL,
            page integer,
            length integer NOT NULL,
            embed_key text,
            embedding vector({int(dimension)}),
            UNIQUE (doc_id, ordinal),
            CHECK (0 <= start_offset AND start_offset < end_offset)
        )""",
        "CREATE INDEX passages_embedding ON passages USING hnsw (embedding vector_ip_ops)",
        """CREATE TABLE postings (
            term text NOT NULL,
            passage_id bigint NOT NULL REFERENCES passages (id) ON DELETE CASCADE,
            tf integer NOT NULL CHECK (tf > 0),
            -- the passage's length, repeated so that scoring never reads passages
            length integer NOT NULL,
            PRIMARY KEY (term, passage_id) INCLUDE (tf, length)
        )""",
        # For the cascade from passages: without it every deleted passage scans postings.
        "CREATE INDEX postings_passage ON postings (passage_id)",
        """CREATE TABLE corpus_stats (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            passages bigint NOT NULL DEFAULT 0,
            total_length bigint NOT NULL DEFAULT 0,
            changes bigint NOT NULL DEFAULT 0
        )""",
        "INSERT INTO corpus_stats DEFAULT VALUES",
    ]


def _v2(dimension: int) -> list[str]:
    del dimension
    return [
        # The corpus-wide context of a bulk index (index/documents/processing.py CorpusContext: boilerplate
        # lines, generic headings, title chrome), applied to documents uploaded one by one.
        """CREATE TABLE corpus_context (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            context jsonb NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )""",
        # A title given on upload (or in a `.title` file beside a corpus file): kept by later
        # uploads of the document that give none, like the files store's sidecar.
        "ALTER TABLE documents ADD COLUMN explicit_title text",
        # Where a document came from: `ragqa index` from the corpus folder, or an upload
        # through the API. `ragqa index` deletes only folder documents absent from the
        # folder; uploads stay until deleted through the API.
        """ALTER TABLE documents ADD COLUMN source text NOT NULL DEFAULT 'folder'
            CHECK (source IN ('folder', 'api'))""",
    ]


# The HNSW graph over the passage vectors (created by migration 1). A bulk load into an
# empty store drops it and builds it once at the end (index/pg/indexing.py): inserting
# vectors one by one into the graph costs about 5 ms each, building it afterwards a
# fraction of that. Every start re-creates it if a load was killed before it was rebuilt.
VECTOR_INDEX = "passages_embedding"
CREATE_VECTOR_INDEX = (f"CREATE INDEX IF NOT EXISTS {VECTOR_INDEX} ON passages "
                       "USING hnsw (embedding vector_ip_ops)")

def _v3(dimension: int) -> list[str]:
    del dimension
    return [
        # Who may read a document (ragqa.index.access): its groups; a document without a
        # row is every reader's. No foreign key: an upload's groups are set before its
        # document is written, so that it is never visible to readers it is not for.
        """CREATE TABLE document_groups (
            doc_id text PRIMARY KEY,
            groups text[] NOT NULL CHECK (cardinality(groups) > 0)
        )""",
        "CREATE INDEX document_groups_groups ON document_groups USING gin (groups)",
    ]


def _v4(dimension: int) -> list[str]:
    return [
        # key: the sentence's uint64 BLAKE2b-8 key (ragqa.index.sentencetable.text_keys)
        # as a signed bigint of the same bits; embedding: its float16 vector, little-endian
        # (what the files store keeps, and readable with any pgvector: halfvec needs 0.7).
        # Never searched by vector: read by key only, so no vector index.
        f"""CREATE TABLE sentence_vectors (
            key bigint PRIMARY KEY,
            embedding bytea NOT NULL CHECK (octet_length(embedding) = {2 * int(dimension)})
        )""",
    ]


def _v5(dimension: int) -> list[str]:
    del dimension  # not in a CHECK: the migration runs before the model's identity is checked
    return [
        # key: the passage quote's uint64 BLAKE2b-8 key as a signed bigint (as sentences);
        # tokens: its tokens' int8 rows, ``dimension`` bytes each (none for a passage without
        # a word). Stored out of line and not compressed (EXTERNAL): int8 vectors hardly
        # compress, and a read then copies.
        """CREATE TABLE token_vectors (
            key bigint PRIMARY KEY,
            tokens bytea NOT NULL
        )""",
        "ALTER TABLE token_vectors ALTER COLUMN tokens SET STORAGE EXTERNAL",
    ]


def _v6(dimension: int) -> list[str]:
    del dimension
    return [
        # path: absolute, links not followed (ragqa.index.origin.folder_path).
        """CREATE TABLE corpus_folder (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            path text NOT NULL,
            synced_at timestamptz NOT NULL DEFAULT now()
        )""",
    ]


def _v7(dimension: int) -> list[str]:
    del dimension
    return [
        # folder: absolute, links not followed (ragqa.index.origin.folder_path); key: a digest
        # of what the memo is valid for (its format, the folder, the settings, the cutting
        # code, the model); memo: its JSON, zlib-compressed (already: not compressed again).
        """CREATE TABLE sync_memo (
            folder text PRIMARY KEY,
            key text NOT NULL,
            memo bytea NOT NULL,
            saved_at timestamptz NOT NULL DEFAULT now()
        )""",
        "ALTER TABLE sync_memo ALTER COLUMN memo SET STORAGE EXTERNAL",
    ]


def _v8(dimension: int) -> list[str]:
    del dimension
    return [
        # given: set by a writer (a PUT, an upload), not by the link rule; rows written
        # before version 8 are taken as the rule's (it was the only one a sync kept).
        "ALTER TABLE document_groups ADD COLUMN given boolean NOT NULL DEFAULT false",
        # groups: a .groups file's, as a sync last applied them (UNREADABLE included).
        """CREATE TABLE folder_sidecars (
            doc_id text PRIMARY KEY,
            groups text[] NOT NULL
        )""",
        # target: the document of the folder the link points at (NULL: cannot be told).
        """CREATE TABLE document_links (
            doc_id text PRIMARY KEY,
            target text
        )""",
        "CREATE INDEX document_links_target ON document_links (target)",
    ]


def _v9(dimension: int) -> list[str]:
    del dimension
    return [
        # doc_id: a document a misnamed .groups file (case, Unicode form) hides, as the last
        # sync found it: kept hidden by a PUT on a replica that cannot read the folder.
        "CREATE TABLE folder_hidden (doc_id text PRIMARY KEY)",
        # A .groups file's groups, applied, are the document's own from now on (marked
        # given): a link's own file is no longer one that the link rule may write over.
        """UPDATE document_groups g SET given = true FROM folder_sidecars s
        WHERE g.doc_id = s.doc_id AND g.groups = s.groups AND NOT g.given""",
        # A row: no sync has recorded the .groups files it applied (a database synced
        # before version 8, or none yet): the next sync records them without writing them
        # over groups a writer gave since the upgrade.
        """CREATE TABLE folder_sidecars_unknown (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton)
        )""",
        """INSERT INTO folder_sidecars_unknown SELECT true
        WHERE NOT EXISTS (SELECT 1 FROM folder_sidecars)""",
    ]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "documents, refused files, passages, postings, identity, statistics", _v1),
    Migration(2, "corpus context, explicit titles, document sources", _v2),
    Migration(3, "document groups", _v3),
    Migration(4, "sentence vectors", _v4),
    Migration(5, "passage token vectors", _v5),
    Migration(6, "the corpus folder of the last sync", _v6),
    Migration(7, "what folder syncs learnt of a corpus folder", _v7),
    Migration(8, "groups given by writers, applied .groups files, the folder's links", _v8),
    Migration(9, "documents hidden by misnamed .groups files; links' own .groups files", _v9),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
