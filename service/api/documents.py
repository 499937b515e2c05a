"""``/v1/documents``: list, read, upload and delete the documents of the corpus, and set who
may read each (``groups``, :mod:`ragqa.index.access`).

A reader sees only the documents their groups may read: the list holds those alone, and any
other answers 404 exactly as an absent document does."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Body, Depends, File, Form, Path, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse

from ragqa.index.access import EVERYONE, GroupsError, Reader, parse_groups
from ragqa.index.errors import UnknownDocumentError
from ragqa.index.records import DocumentRecord
from ragqa.index.documents.ids import DOC_ID_SCHEMA, check_name_lengths, validate_doc_id
from ragqa.index.documents.loaders import SUPPORTED_SUFFIXES
from ragqa.service.deps import (
    AuditDep,
    EngineDep,
    JobsDep,
    ReaderDep,
    SettingsDep,
    limit_upload_size,
    one_of_each_field,
    require_multipart,
    require_json,
    require_reader,
    require_writer,
    too_large,
)
from ragqa.engine import Engine
from ragqa.service.errors import ApiError, error_responses
from ragqa.settings import Settings
from ragqa.service.schemas import (
    DocumentList,
    DocumentOut,
    GroupsIn,
    WriteOut,
    document_out,
    job_out,
    refused_out,
)

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/documents", tags=["documents"])
DocId = Annotated[str, Path(description="The document's path in the corpus folder",
                            json_schema_extra=DOC_ID_SCHEMA)]
reads = [Depends(require_reader)]


def indexed_id(engine: Engine, doc_id: str) -> str:
    """``doc_id`` as the index spells it: a name copied from a Mac is stored decomposed
    ("e" and a combining accent, NFD), the same name typed or sent by most clients is
    composed (NFC); either reaches the document. ``doc_id`` itself where neither is
    indexed."""
    if engine.index.document(doc_id) is not None:
        return doc_id
    for form in ("NFC", "NFD"):
        spelt = unicodedata.normalize(form, doc_id)
        if spelt != doc_id and engine.index.document(spelt) is not None:
            return spelt
    return doc_id


def find(engine: Engine, doc_id: str, reader: Reader) -> DocumentRecord:
    """The record of ``doc_id`` if ``reader`` may read it; 404 alike for one they may not
    and for an absent one."""
    validate_doc_id(doc_id)
    doc_id = indexed_id(engine, doc_id)
    readable = engine.readable(reader)
    record = engine.index.document(doc_id) if readable is None or doc_id in readable else None
    if record is None:
        raise ApiError(404, "unknown_document", f"no document {doc_id!r}; GET /v1/documents "
                       "lists them")
    return record


@router.get("", response_model=DocumentList, dependencies=reads)
def list_documents(engine: EngineDep, reader: ReaderDep) -> DocumentList:
    """Every indexed document the caller may read, with its sections, passage count, content
    hash and groups; for readers of everything, the corpus files that could not be indexed,
    with the reason."""
    index = engine.index
    generation = index.generation  # read first: the list is at least this recent
    docs = index.documents_by_id(engine.readable(reader))
    groups = engine.store.groups.all()
    refused = refused_out(index.refused()) if reader.everything else []
    return DocumentList(documents=[document_out(docs[d], groups.get(d, frozenset()))
                                   for d in sorted(docs)],
                        generation=generation if reader.everything else None,
                        refused=refused)


@router.get("/{doc_id:path}/text", response_class=PlainTextResponse, dependencies=reads,
            responses={200: {"content": {"text/plain": {}}}})
def document_text(doc_id: DocId, engine: EngineDep, reader: ReaderDep,
                  audit: AuditDep) -> PlainTextResponse:
    """The canonical text that every ``start``/``end`` offset refers to."""
    record = find(engine, doc_id, reader)
    audit.record([record.doc_id])
    return PlainTextResponse(record.text, headers={"X-Content-SHA256": record.content_hash})


@router.get("/{doc_id:path}", response_model=DocumentOut, dependencies=reads)
def get_document(doc_id: DocId, engine: EngineDep, reader: ReaderDep,
                 audit: AuditDep) -> DocumentOut:
    """One document's metadata."""
    record = find(engine, doc_id, reader)
    audit.record([record.doc_id])
    return document_out(record, engine.store.groups.of(record.doc_id))


@router.put("/{doc_id:path}/groups", response_model=DocumentOut,
            dependencies=[Depends(require_writer), Depends(require_json)],
            responses=error_responses(403, 404))
def put_groups(doc_id: DocId, body: Annotated[GroupsIn, Body()],
               engine: EngineDep, settings: SettingsDep) -> DocumentOut:
    """Who may read the document from now on (empty: every authenticated reader). Nothing
    is re-embedded; the next request of every reader sees the change."""
    record = find(engine, doc_id, EVERYONE)
    doc_id = record.doc_id  # as the index spells it
    if any("," in g or "\n" in g for g in body.groups):  # each is one name, not a list
        raise ApiError(422, "invalid_groups", "a group name cannot hold a comma or a new line")
    if any(not g.strip() for g in body.groups):  # was dropped: [""] opened the document
        raise ApiError(422, "invalid_groups", "a group name cannot be blank; send [] to let "
                       "every reader read the document")
    groups = _groups(",".join(body.groups), settings)
    engine.store.groups.set(doc_id, groups)
    logger.info("groups of %s set to %s", doc_id, sorted(groups) or "every reader")
    # What it holds now: the folder's rules may decide otherwise (a link given none follows
    # its target; a misnamed .groups file meant for it hides it until its name is fixed).
    return document_out(record, engine.store.groups.of(doc_id))


def _groups(text: str, settings: Settings) -> frozenset[str]:
    try:
        groups = parse_groups(text)
    except GroupsError as exc:
        raise ApiError(422, "invalid_groups", str(exc)) from None
    if groups and settings.auth == "none":
        # Accepted, they would restrict nothing: without an identity every caller reads
        # every document. Refused, so that nobody believes a document is protected.
        raise ApiError(422, "groups_not_enforced", "groups restrict nothing without an "
                       "identity: set RAGQA_AUTH=jwt or RAGQA_AUTH=header (docs/reliability.md"
                       ", Access) before giving a document groups")
    return groups


@router.post("", response_model=WriteOut, status_code=201,
             dependencies=[Depends(require_writer), Depends(require_multipart),
                           Depends(limit_upload_size), Depends(one_of_each_field)],
             responses={200: {"model": WriteOut, "description": "Replaced or unchanged"},
                        202: {"model": WriteOut, "description": "Stored, being indexed: "
                              "follow `job` (GET /v1/jobs/{id})"},
                        **error_responses(403, 409, 507)})
def upload_document(
    engine: EngineDep,
    jobs: JobsDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="The document: "
                                     + ", ".join(sorted(SUPPORTED_SUFFIXES)))],
    doc_id: Annotated[str | None, Form(alias="id", description="Defaults to the file name",
                                       json_schema_extra=DOC_ID_SCHEMA)]
    = None,
    title: Annotated[str | None, Form(
        max_length=1000,
        description="The document's title, kept across re-indexing (in a `.title` file "
                    "beside the document); blank (a space) removes it. Without it the title is the "
                    "document's headline (PDF/HTML metadata, else the first real heading)")]
    = None,
    groups: Annotated[str | None, Form(
        max_length=20_000,
        description="Who may read it: group names separated by commas (`rh,direction`), set "
                    "before it is indexed; blank (a space): every authenticated reader. "
                    "Without it a new document is every reader's and a replaced one keeps its "
                    "groups")]
    = None,
) -> JSONResponse:
    """Store a document durably, index it and serve it.

    Idempotent: the same bytes under the same id change nothing. 201 when created, 200 when
    replaced or unchanged, within ``RAGQA_UPLOAD_WAIT_SECONDS``; after that, 202 with the
    upload's ``job`` (``GET /v1/jobs/{id}``): it is stored and will be indexed, even if the
    server stops meanwhile. A file the indexer cannot read is refused at once (4xx).
    """
    name = doc_id if doc_id is not None else PurePosixPath(file.filename or "").name
    validate_doc_id(name)
    name = indexed_id(engine, name)  # a new version of "Procédure.docx" however spelt
    check_name_lengths(name)
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise too_large(settings)
    if not data.strip():
        raise ApiError(422, "invalid_document", f"{name}: the file is empty")
    readers = None if groups is None else _groups(groups, settings)
    job = jobs.submit(name, data, title, readers)
    job = jobs.wait(job.id, settings.upload_wait_seconds)
    if not job.finished:
        body = WriteOut(status="accepted", id=name, generation=engine.generation,
                        job=job_out(job))
        return JSONResponse(body.model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/v1/jobs/{job.id}"})
    if job.state == "cancelled":  # a DELETE of this id came first: nothing was written
        return JSONResponse(WriteOut(status="cancelled", id=name, generation=engine.generation,
                                     job=job_out(job)).model_dump(mode="json"), status_code=200)
    outcome = jobs.outcome(job.id)
    if isinstance(outcome, BaseException):
        raise outcome  # the write's own error: the same status as a synchronous write
    assert outcome is not None
    record = outcome.record
    body = WriteOut(status=outcome.status, id=outcome.doc_id, generation=outcome.generation,
                    document=document_out(record, engine.store.groups.of(record.doc_id))
                    if record else None)
    return JSONResponse(body.model_dump(mode="json"),
                        status_code=201 if outcome.status == "created" else 200)


@router.delete("/{doc_id:path}", response_model=WriteOut,
               dependencies=[Depends(require_writer)], responses=error_responses(403, 409, 507))
def delete_document(doc_id: DocId, engine: EngineDep, jobs: JobsDep) -> WriteOut:
    """Remove a document from the index (and the corpus folder); an upload of it not yet
    indexed is cancelled (``cancelled`` when there was nothing else to delete)."""
    validate_doc_id(doc_id)
    doc_id = indexed_id(engine, doc_id)
    cancelled = jobs.cancel(doc_id)
    try:
        result = engine.store.delete(doc_id)
    except UnknownDocumentError:
        if not cancelled:
            raise
        engine.store.groups.set(doc_id, frozenset())
        return WriteOut(status="cancelled", id=doc_id, generation=engine.generation,
                        job=job_out(cancelled[0]))
    engine.store.groups.set(doc_id, frozenset())  # a later upload of this id starts open
    jobs.forget_titles(doc_id)
    return WriteOut(status=result.status, id=result.doc_id, generation=result.generation,
                    job=job_out(cancelled[0]) if cancelled else None)
