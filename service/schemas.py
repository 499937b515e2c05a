"""Request and response bodies of the HTTP API (also printed by ``ragqa ask --json``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ragqa.index.reading.stage import Answer as Reading
from ragqa.index.records import RefusedFile
from ragqa.index.search.followup import MAX_TURNS
from ragqa.index.search.retriever import (
    BLANK_PATTERN,
    MAX_QUESTION_CHARS,
    QUESTION_PATTERN,
    Hit,
    SearchResult,
    unpaired_surrogate,
)
from ragqa.index.records import DocumentRecord
from ragqa.index.documents.ids import DOC_ID_SCHEMA

# The question of the documented example bodies (Swagger's "Try it out"): one the bundled
# corpus (French news on Morocco's digital economy) answers, so a first try finds passages.
EXAMPLE_QUESTION = "Combien de visiteurs sont attendus au Gitex Africa 2025 ?"
SEARCH_EXAMPLE = {"question": EXAMPLE_QUESTION, "k": 5}
ASK_EXAMPLE = {**SEARCH_EXAMPLE, "generate": True, "stream": False}


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_ids: list[Annotated[str, Field(json_schema_extra=DOC_ID_SCHEMA)]] | None = Field(
        None, min_length=1, max_length=1000, description="Search only these documents"
    )


# The bounds of a request's conversation: turns, an answer's length, documents per turn,
# and all its text together (questions and answers).
MAX_ANSWER_CHARS = 8000
MAX_TURN_DOCUMENTS = 50
MAX_HISTORY_CHARS = 24000


class HistoryTurn(BaseModel):
    """An earlier turn of the conversation: untrusted data that only helps to understand a
    follow-up ("Qui l'a signé ?"), never instructions."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description=f"What was asked (1 to {MAX_QUESTION_CHARS} characters, not only spaces "
                    "or control characters)",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS,
                           "pattern": QUESTION_PATTERN})
    answer: str | None = Field(None, description="What was answered (optional; up to "
                               f"{MAX_ANSWER_CHARS} characters)")
    doc_ids: list[Annotated[str, Field(json_schema_extra=DOC_ID_SCHEMA)]] | None = Field(
        None, description="The documents that turn cited or showed, best first (optional)")

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        if re.fullmatch(BLANK_PATTERN, value):  # what QUESTION_PATTERN leaves out
            raise ValueError("an earlier turn's question is empty")
        if len(value) > MAX_QUESTION_CHARS:
            raise ValueError(f"an earlier turn's question is {len(value)} characters long; "
                             f"the limit is {MAX_QUESTION_CHARS}")
        if (broken := unpaired_surrogate(value)) is not None:
            raise ValueError(f"an earlier turn's question {broken}")
        return value

    @field_validator("answer")
    @classmethod
    def _answer(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_ANSWER_CHARS:
            raise ValueError(f"an earlier turn's answer is {len(value)} characters long; "
                             f"the limit is {MAX_ANSWER_CHARS}: cut it")
        if value is not None and (broken := unpaired_surrogate(value)) is not None:
            raise ValueError(f"an earlier turn's answer {broken}")
        return value

    @field_validator("doc_ids")
    @classmethod
    def _doc_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) > MAX_TURN_DOCUMENTS:
            raise ValueError(f"{len(value)} documents in one turn; the limit is "
                             f"{MAX_TURN_DOCUMENTS}")
        return value


def json_integer(value: object) -> object:
    """``value`` unless it is a JSON boolean or string, which lax parsing would read as an
    integer (``true`` as 1, ``"5"`` as 5) where the schema says integer."""
    if isinstance(value, bool | str):
        raise ValueError(f"{value!r} is not a JSON integer")
    return value


class SearchRequest(BaseModel):
    # The example is the body Swagger's "Try it out" starts from (without it, Swagger makes
    # one up from the patterns: a one-letter question and random document ids).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SEARCH_EXAMPLE]})

    # The limits are documented in the schema but checked by `validate_question`, whose
    # messages say what to fix.
    question: str = Field(
        description=f"1 to {MAX_QUESTION_CHARS} characters, not only spaces or control "
                    "characters",
        json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS,
                           "pattern": QUESTION_PATTERN},
        examples=[EXAMPLE_QUESTION],
    )
    # A JSON integer, as the schema says: 5 or 5.0 (JSON Schema's integers), not true or "5".
    k: int = Field(5, ge=1, le=50, description="Number of passages")
    filters: Filters | None = None
    history: list[HistoryTurn] | None = Field(
        None, description=f"The conversation's earlier turns, oldest first (at most "
        f"{MAX_TURNS}, {MAX_HISTORY_CHARS} characters in all): a follow-up is searched with "
        "what it leans on, see `retrieval.query`",
        # Published for clients; checked by the validator below, whose message says what to do.
        json_schema_extra={"maxItems": MAX_TURNS})

    @field_validator("k", mode="before")
    @classmethod
    def _k(cls, value: object) -> object:
        return json_integer(value)

    @field_validator("history")
    @classmethod
    def _history(cls, value: list[HistoryTurn] | None) -> list[HistoryTurn] | None:
        if value is None:
            return None
        if len(value) > MAX_TURNS:
            raise ValueError(f"{len(value)} earlier turns; send at most the last {MAX_TURNS}")
        size = sum(len(t.question) + len(t.answer or "") for t in value)
        if size > MAX_HISTORY_CHARS:
            raise ValueError(f"the earlier turns hold {size} characters; the limit is "
                             f"{MAX_HISTORY_CHARS}: send fewer turns or shorter answers")
        return value


class AskRequest(SearchRequest):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [ASK_EXAMPLE]})

    # strict: JSON true/false only, as the schema says (not 1, 1.0 or "yes").
    generate: bool = Field(True, strict=True,
                           description="Write an answer from the passages (needs an LLM)")
    stream: bool = Field(False, strict=True,
                         description="Answer as text/event-stream events (see README)")


class Span(BaseModel):
    start: int
    end: int


class PassageOut(BaseModel):
    rank: int
    score: float = Field(description=(
        "The fusion's score of the passage (BM25 and dense scores fused, normalised per "
        "question): comparable within one response only, not a confidence; `rank` is the "
        "order (the top passages reordered by their measures, RAGQA_REORDER); see relevance"))
    doc_id: str
    title: str
    section: str
    quote: str = Field(description="Exactly text[start:end] of the document's canonical text")
    start: int
    end: int
    highlight: Span | None = None
    page: int | None = None
    answer_span: Span | None = Field(None, description=(
        "With the reader on (RAGQA_READER): where it found the answer in this passage "
        "(document offsets inside [start:end]; the highlight is then its sentence), when its "
        "answerability is at least 0.5; null otherwise and with the reader off"))
    answerability: float | None = Field(None, description=(
        "With the reader on: its probability that this passage answers, for each passage "
        "it read (the top RAGQA_READER_TOP); null for the others and with the reader off"))


class RetrievalInfo(BaseModel):
    mode: str
    model: str
    fallback: bool
    query: str | None = Field(None, description=(
        "What was searched: the question (typed wholly without accents or wholly in lower "
        "case: with its words as the documents write them, e.g. `etudiants` -> `étudiants`), "
        "or, for a follow-up, the question made to stand alone (rewritten by the LLM, or "
        "followed by the words it borrowed from the history)"))
    history_used: bool = Field(False, description="Whether the history changed what was "
                               "searched")
    history_method: Literal["llm", "context"] | None = Field(None, description=(
        "How: `llm` (rewritten by the LLM) or `context` (the earlier turns' words, the "
        "previous question read with it, its documents preferred); null when not used"))


class SearchResponse(BaseModel):
    model_config = ConfigDict(extra="allow")

    question: str
    passages: list[PassageOut]
    low_relevance: bool = Field(
        False, description="True when the best passage is probably not an answer")
    relevance: float | None = Field(
        None, description="Estimated probability (0-1) that the best passage answers")
    borderline: bool = Field(
        False, description="low_relevance, but near its threshold (RAGQA_LLM_BORDERLINE): "
                           "with an LLM configured, /v1/ask lets it read the passages (it "
                           "abstains with reason_code llm_abstained when they do not answer)")
    retrieval: RetrievalInfo
    took_ms: float


class Citation(BaseModel):
    n: int = Field(description="The [n] marker: the passage of rank n")
    doc_id: str
    start: int
    end: int
    quote: str = Field(description="The cited passage, exactly text[start:end]")


class Answer(BaseModel):
    text: str = Field(description="The answer, with [n] markers that point to passages")
    citations: list[Citation]
    model: str = Field(description="The LLM that wrote it (`ragqa` for an abstention)")
    grounded: bool = Field(description="True when the answer cites at least one passage")
    removed_markers: list[int] = Field(
        default_factory=list, description="[n] markers that pointed to no passage, removed")


# Why an answer is missing, abstains or is not grounded, for programs (the `reason` beside
# it is for people and may change wording). Documented in README's API section.
ReasonCode = Literal[
    "generate_false",    # the request said "generate": false
    "no_llm",            # no LLM configured (RAGQA_LLM_URL unset)
    "low_relevance",     # the passages do not seem to answer: abstained without the LLM
                         # (a `borderline` search goes to the LLM instead)
    "no_passage",        # nothing matched the question at all
    "llm_unavailable",   # the LLM server refused the connection or answered an error
    "llm_timeout",       # the LLM server did not answer within RAGQA_LLM_TIMEOUT
    "llm_bad_response",  # the LLM answered something unusable (not a completion, empty)
    "llm_error",         # any other LLM failure
    "not_grounded",      # the LLM answered but cited no passage
    "llm_abstained",     # the LLM read the passages and said they do not answer ([0])
]


class AskResponse(SearchResponse):
    answer: Answer | None
    reason: str | None = Field(
        None, description="Why `answer` is null, or why it abstained or is not grounded "
                          "(for people; wording may change)")
    reason_code: ReasonCode | None = Field(
        None, description="`reason` for programs: null exactly when `reason` is null")


class GroupsIn(BaseModel):
    """``PUT /v1/documents/{id}/groups``: who may read a document from now on."""

    model_config = ConfigDict(extra="forbid")

    groups: list[str] = Field(max_length=100, description="Group names (no spaces or "
                              "commas); empty: every authenticated reader",
                              json_schema_extra={"examples": [["rh", "direction"]]})


class DocumentOut(BaseModel):
    id: str
    title: str
    sections: list[str]
    passages: int
    content_hash: str
    indexed_at: str
    pages: int | None = Field(None, description="Page count of paginated sources")
    chars: int = Field(description="Length of the canonical text")
    groups: list[str] = Field(default_factory=list, description="The groups whose members "
                              "may read it (RAGQA_AUTH=jwt|header); empty: every reader")


class RefusedOut(BaseModel):
    id: str = Field(description="The file's path in the corpus folder")
    reason: str = Field(description="Why it is not indexed (unreadable, too large, binary...)")


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    generation: int | None = Field(description="The store's generation (it moves with every "
                                   "write, hidden documents' included): for readers of "
                                   "everything only, else null")
    refused: list[RefusedOut] = Field(
        default_factory=list, description="Corpus files left out of the index, with the reason")


class JobOut(BaseModel):
    """An upload being indexed (``/v1/jobs/{id}``)."""

    id: str
    kind: str = Field("upload", description="upload, or sync (the corpus folder's changes, "
                      "`ragqa serve --watch`)")
    document: str = Field(description="The document id the upload is stored under (empty "
                          "for a sync)")
    state: str = Field(description="queued, running, done, failed or cancelled")
    passages_done: int = Field(description="Passages embedded so far")
    passages_total: int | None = Field(description="Passages to embed (null until known)")
    rate: float | None = Field(description="Passages embedded per second so far")
    error: str | None = Field(None, description="Why it failed or was cancelled")
    status: str | None = Field(None, description="Once done: created, replaced or unchanged")
    generation: int | None = Field(None, description="Once done: the generation serving it")
    created_at: float = Field(description="When accepted (Unix time)")
    finished_at: float | None = None


class JobList(BaseModel):
    jobs: list[JobOut]


class WriteOut(BaseModel):
    status: str = Field(description="created, replaced, unchanged or deleted; accepted (202: "
                        "stored durably, being indexed: follow `job`); cancelled (a delete "
                        "that stopped an upload not yet indexed)")
    id: str
    generation: int
    document: DocumentOut | None = None
    job: JobOut | None = Field(None, description="The upload's job (202), or the cancelled "
                               "ones' (delete)")


class HealthOut(BaseModel):
    status: str
    model: str
    fallback: bool
    documents: int | None = Field(description="Documents the caller may read (all of them "
                                  "without RAGQA_AUTH, for an API key or the write group); "
                                  "null for a caller without an identity under RAGQA_AUTH")
    passages: int | None = Field(description="Their passages (null as `documents`)")
    generation: int | None = Field(description="The store's generation (it moves with every "
                                   "write, hidden documents' included): for readers of "
                                   "everything only, else null")
    refused: int | None = Field(0, description="Corpus files left out of the index (listed by "
                                "GET /v1/documents); for readers of everything only, else null")
    backend: str = Field(description="What runs the embedding model: torch, onnx, "
                         "onnx-int8 or openvino (RAGQA_EMBED_BACKEND=auto picks the one measured best "
                         "for the model: onnx-int8 for the bundled e5, else onnx)")
    store: str = Field("files", description="Where the index lives: files (RAGQA_INDEX_DIR) "
                       "or postgres (RAGQA_DATABASE_URL)")
    reader: bool = Field(False, description="Whether the trained reader reads the top "
                         "passages (RAGQA_READER on and its weights loaded over this model)")


def refused_out(refused: dict[str, RefusedFile]) -> list[RefusedOut]:
    """The refused files a store records, by id."""
    return [RefusedOut(id=doc_id, reason=entry.reason)
            for doc_id, entry in sorted(refused.items())]


def document_out(record: DocumentRecord,
                 groups: frozenset[str] = frozenset()) -> DocumentOut:
    return DocumentOut(
        id=record.doc_id,
        title=record.title,
        sections=list(record.sections),
        passages=record.passages,
        content_hash=record.content_hash,
        indexed_at=record.indexed_at,
        pages=len(record.pages) or None,
        chars=len(record.text),
        groups=sorted(groups),
    )


def passage_out(hit: Hit, highlight: tuple[int, int] | None = None,
                answer: Reading | None = None) -> PassageOut:
    return PassageOut(
        highlight=Span(start=highlight[0], end=highlight[1]) if highlight else None,
        answer_span=Span(start=answer.start, end=answer.end)
        if answer is not None and answer.start is not None and answer.end is not None else None,
        answerability=answer.answerability if answer is not None else None,
        rank=hit.rank,
        score=hit.score,
        doc_id=hit.doc_id,
        title=hit.title,
        section=hit.section,
        quote=hit.quote,
        start=hit.start,
        end=hit.end,
        page=hit.page,
    )


def search_response(
    result: SearchResult, *, took_ms: float,
    highlights: Sequence[tuple[int, int]] | None = None,
    query: str | None = None, history_used: bool = False, history_method: str | None = None,
    answers: Sequence[Reading | None] = (),
) -> SearchResponse:
    """The ``/v1/search`` body; ``highlights`` holds each passage's best sentence span,
    ``answers`` the reader's answer in each (when it read them); ``query`` what was searched
    (the question when not given)."""
    spans = highlights if highlights is not None else [None] * len(result.hits)
    answers = answers or [None] * len(result.hits)
    return SearchResponse(
        question=result.question,
        passages=[passage_out(h, span, answer)
                  for h, span, answer in zip(result.hits, spans, answers, strict=True)],
        low_relevance=result.low_relevance,
        relevance=result.relevance,
        borderline=result.borderline,
        retrieval=RetrievalInfo(mode=result.mode, model=result.model, fallback=result.fallback,
                                query=query or result.question, history_used=history_used,
                                history_method=history_method if history_used else None),
        took_ms=round(took_ms, 2),
    )


def job_out(job) -> JobOut:
    """A :class:`~ragqa.index.jobs.Job` as the API shows it."""
    return JobOut(id=job.id, kind=job.kind, document=job.doc_id, state=job.state,
                  passages_done=job.passages_done, passages_total=job.passages_total,
                  rate=job.rate, error=job.error, status=job.status, generation=job.generation,
                  created_at=job.created_at, finished_at=job.finished_at)
