"""The one OpenAI-compatible client every remote model call goes through (synthesis, raters, judge, engines).

The public surface of the client (synthesis, the judge and the ``openai`` engine import it)::

    from reachqa_builder.llm import APIClient, APIConfig, APIError, ChatRequest, ChatResponse

``APIClient`` (:mod:`.api`) sends requests through the official ``openai`` package and adds the
reply cache (:class:`ReplyCache`), JSON-schema checks and re-asks, the shared limiter
(:class:`RequestLimiter`) and usage counts (:class:`Usage`). Names load on first use, so importing
this package (or :mod:`.types`) does not import ``openai``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import APIClient, APIError, RequestLimiter, Usage
    from .api_config import APIConfig
    from .cache import ReplyCache
    from .types import ChatRequest, ChatResponse

_EXPORTS = {
    "APIClient": ".api", "APIConfig": ".api_config", "APIError": ".api", "RequestLimiter": ".api", "Usage": ".api",
    "ReplyCache": ".cache", "ChatRequest": ".types", "ChatResponse": ".types",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
