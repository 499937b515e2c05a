"""What can go wrong with the LLM server, each with a machine-readable ``code``.

``/v1/ask`` turns these into ``answer: null`` with the message as ``reason`` (status 200);
``/v1/chat/completions`` answers them with the status :mod:`ragqa.service.errors` gives them and
the common error body.
"""

from __future__ import annotations

from ragqa.index.errors import RagqaError


class LLMError(RagqaError):
    """The LLM could not give an answer."""

    code = "llm_error"


class LLMUnavailableError(LLMError):
    """Connection refused or reset, or an HTTP error status from the LLM server."""

    code = "llm_unavailable"


class LLMTimeoutError(LLMError):
    """The LLM server did not answer within ``RAGQA_LLM_TIMEOUT``."""

    code = "llm_timeout"


class LLMBadResponseError(LLMError):
    """The LLM server answered something that is not a chat completion."""

    code = "llm_bad_response"
