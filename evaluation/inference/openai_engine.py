"""Inference through any OpenAI-compatible server (vllm serve, SGLang, lmdeploy, hosted APIs).

A thin adapter over the shared :class:`~reachqa_builder.llm.api.APIClient`: requests keep their
images as data URLs, concurrency / retries / caching are the client's. A request that fails for
good comes back as its :class:`~reachqa_builder.llm.api.APIError` (never as an empty answer),
so the runner leaves it out of the prediction file and a later run retries it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from reachqa_builder.llm.api import APIClient, APIConfig, APIError
from reachqa_builder.llm.types import ChatRequest, ChatResponse

__all__ = ["OpenAIEngine"]


class OpenAIEngine:
    name = "openai"

    def __init__(self, config: APIConfig, model: str) -> None:
        if not model:
            raise ValueError("the openai engine needs the served model name (--model)")
        self.config = config
        self.model = model
        self.client = APIClient(config)

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse | APIError]:
        reqs = [replace(r, model=self.model) for r in requests]
        return self.client.chat_many_sync(reqs, return_exceptions=True)

    @property
    def usage(self):
        return self.client.usage
