"""The one LLM client we need: OpenAI chat completions, spoken by Ollama, llama.cpp's server,
vLLM and LM Studio alike.

Built on the ``openai`` package's async client, which brings timeouts and bounded retries
(connection errors, 408, 429, 5xx) with backoff. This module turns its exceptions into ours
(:mod:`ragqa.service.llm.errors`) so the rest of the service never sees an ``openai`` type.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import openai

from ragqa.service.llm.errors import (
    LLMBadResponseError,
    LLMError,
    LLMTimeoutError,
    LLMUnavailableError,
)

if TYPE_CHECKING:
    from ragqa.settings import Settings

logger = logging.getLogger(__name__)

Message = dict[str, str]


@dataclass(frozen=True)
class LLMConfig:
    """Where the LLM server is and how to call it (from ``RAGQA_LLM_*``)."""

    base_url: str
    model: str | None = None  # None: the first model the server lists
    api_key: str = ""
    timeout: float = 60.0  # seconds, per attempt: connect and each read
    retries: int = 1
    max_tokens: int = 512
    temperature: float = 0.1


@dataclass(frozen=True)
class Completion:
    text: str
    model: str


def llm_client(settings: Settings) -> LLMClient | None:
    """The client for ``RAGQA_LLM_*``, or None when ``RAGQA_LLM_URL`` is not set."""
    if not settings.llm_url:
        return None
    return LLMClient(LLMConfig(
        base_url=settings.llm_url, model=settings.llm_model or None,
        api_key=settings.llm_api_key, timeout=settings.llm_timeout,
        retries=settings.llm_retries, max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    ))


class LLMClient:
    """Async chat completions against one OpenAI-compatible server. Creating it touches no
    network; call :meth:`aclose` when done."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self._model = config.model
        self._client = openai.AsyncOpenAI(
            base_url=config.base_url,
            # Local servers ignore the key, but the client insists on having one.
            api_key=config.api_key or "not-needed",
            timeout=config.timeout,
            max_retries=config.retries,
        )

    async def model(self) -> str:
        """The configured model, or else the first one the server lists (asked once)."""
        if self._model is None:
            try:
                page = await self._client.models.list()
                ids = [m.id for m in page.data if isinstance(getattr(m, "id", None), str)]
            except Exception as exc:  # noqa: BLE001 - every failure becomes one of ours
                raise _ours(exc) from exc
            if not ids:
                raise LLMBadResponseError("the LLM server lists no model; set RAGQA_LLM_MODEL")
            self._model = ids[0]
        return self._model

    async def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None,
                       temperature: float | None = None) -> Completion:
        """One whole answer (``max_tokens`` and ``temperature`` default to the config's)."""
        model = await self.model()
        try:
            response = await self._client.chat.completions.create(
                **self._request(model, messages, max_tokens, temperature))
        except Exception as exc:  # noqa: BLE001
            raise _ours(exc) from exc
        try:
            text = response.choices[0].message.content
        except (AttributeError, IndexError, KeyError, TypeError):
            text = None
        if not isinstance(text, str):
            raise LLMBadResponseError("the LLM server's answer has no message content")
        return Completion(text=text, model=_model_name(response, model))

    async def stream(self, messages: Sequence[Message]) -> TextStream:
        """Start a streamed answer. Connection errors and timeouts before the first byte are
        raised here, so a caller can still answer with an error status."""
        model = await self.model()
        try:
            upstream = await self._client.chat.completions.create(
                **self._request(model, messages), stream=True)
        except Exception as exc:  # noqa: BLE001
            raise _ours(exc) from exc
        kind = upstream.response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            await upstream.close()
            raise LLMBadResponseError("the LLM server's answer is not a chat completion "
                                      f"stream (content type {kind or 'none'})")
        return TextStream(upstream, model)

    async def aclose(self) -> None:
        await self._client.close()

    def _request(self, model: str, messages: Sequence[Message], max_tokens: int | None = None,
                 temperature: float | None = None) -> dict[str, Any]:
        return {"model": model, "messages": list(messages),
                "max_tokens": self.config.max_tokens if max_tokens is None else max_tokens,
                "temperature": self.config.temperature if temperature is None else temperature}


class TextStream:
    """The text pieces of a streamed answer. :meth:`aclose` closes the upstream HTTP
    response, which is how a llama.cpp, Ollama or vLLM server learns to stop generating."""

    def __init__(self, upstream: openai.AsyncStream[Any], model: str) -> None:
        self._upstream = upstream
        self.model = model

    async def __aiter__(self) -> AsyncIterator[str]:
        try:
            async for chunk in self._upstream:
                model = getattr(chunk, "model", None)
                if isinstance(model, str) and model:
                    self.model = model
                try:
                    choices = chunk.choices or []
                    piece = choices[0].delta.content if choices else None
                except (AttributeError, IndexError, TypeError) as exc:
                    raise LLMBadResponseError("the LLM server sent a malformed stream chunk") \
                        from exc
                if piece:
                    yield piece
        except LLMError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _ours(exc) from exc

    async def aclose(self) -> None:
        # Shielded: this runs when a disconnected client's task is being cancelled, and
        # the upstream connection must be closed all the same.
        with anyio.CancelScope(shield=True):
            await self._upstream.close()


def _model_name(response: Any, default: str) -> str:
    name = getattr(response, "model", None)
    return name if isinstance(name, str) and name else default


def _ours(exc: Exception) -> LLMError:
    """The error of ours that says what happened, for any failure of the client."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeoutError("the LLM server did not answer in time (RAGQA_LLM_TIMEOUT)")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailableError("the LLM server cannot be reached (RAGQA_LLM_URL)")
    if isinstance(exc, openai.APIStatusError):
        return LLMUnavailableError(f"the LLM server answered HTTP {exc.status_code}: "
                                   f"{_short(exc.message)}")
    if isinstance(exc, openai.APIError | ValueError | TypeError | AttributeError):
        # APIResponseValidationError, a streamed {"error": ...}, invalid JSON.
        return LLMBadResponseError(f"the LLM server's answer is not a chat completion: "
                                   f"{_short(str(exc))}")
    logger.exception("unexpected LLM client failure")
    return LLMError(f"the LLM call failed: {_short(str(exc))}")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
