"""Model inference engines (transformers, vLLM, OpenAI-compatible servers) for ``reachqa infer``.

The OpenAI-compatible client they and every other remote call use is :mod:`reachqa_builder.llm`;
its names are still readable from here (``from evaluation.inference import APIClient``) with a
DeprecationWarning, for one release.
"""

from __future__ import annotations

from typing import Any

_MOVED = ("APIClient", "APIConfig", "APIError", "RequestLimiter", "Usage", "ReplyCache", "ChatRequest", "ChatResponse")

__all__ = sorted(_MOVED)


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from reachqa_builder.moved import moved_name

    return moved_name(__name__, name, "reachqa_builder.llm")
