"""Batch inference on a Ray cluster through Ray Data LLM (``ray.data.llm``; ``pip install 'reachqa[ray]'``).

Two processors of the same pipeline (requests -> Ray Dataset -> processor -> replies streamed back):

* ``vllm``: ``vLLMEngineProcessorConfig``, one vLLM replica per ``replicas`` (each on
  ``tensor_parallel_size`` GPUs), images prepared by Ray Data LLM's multimodal stage. Needs GPUs and
  ``ray[llm]`` (vLLM) on the nodes: **untested here** (no GPU, no vLLM), written against Ray 2.60's
  documented API.
* ``openai``: ``HttpRequestProcessorConfig`` against any OpenAI-compatible ``/chat/completions``
  endpoint (a ``vllm serve`` per node, SGLang, a hosted API), ``replicas`` concurrent senders;
  tested on CPU against ``tests/openai_server.py``.

Each request carries its index through the pipeline, so replies come back as they finish
(:meth:`RayDataEngine.generate_stream`) and the runner writes each prediction at once: a run
stopped midway resumes with what is missing. A reply that is not a chat completion (an HTTP error
body) comes back as an :class:`~evaluation.inference.api.APIError` and is retried by the next run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

from reachqa_builder.llm.api import APIError
from reachqa_builder.llm.types import ChatRequest, ChatResponse

__all__ = ["RayDataEngine", "RayDataEngineConfig"]


@dataclass
class RayDataEngineConfig:
    """Settings of :class:`RayDataEngine`."""

    address: str = field(metadata={"help": "Ray cluster address (auto, ray://host:port, host:port)"})
    backend: str = field(default="openai", metadata={"help": "openai (an OpenAI-compatible endpoint) or vllm"})
    model: str = field(default="", metadata={"help": "served model name (openai) or model folder / Hub id (vllm)"})
    base_url: str | None = field(default=None, metadata={"help": "the endpoint's API root with /v1 (openai)"})
    api_key: str | None = field(default=None, metadata={"help": "sent as a Bearer token (openai)"})
    replicas: int = field(default=1, metadata={"help": "concurrent senders (openai) or vLLM replicas (vllm)"})
    batch_size: int = field(default=16, metadata={"help": "rows per Ray Data batch"})
    max_retries: int = field(default=3, metadata={"help": "retries of 408/429/502/503/504 and connection errors (openai)"})
    qps: int | None = field(default=None, metadata={"help": "requests per second per sender (openai)"})
    tensor_parallel_size: int = field(default=1, metadata={"help": "GPUs per vLLM replica (vllm)"})
    engine_kwargs: dict = field(default_factory=dict, metadata={"help": "further vLLM engine arguments (vllm)"})


class RayDataEngine:
    """An inference engine (``generate``) whose requests run as one Ray Data job."""

    def __init__(self, config: RayDataEngineConfig) -> None:
        if config.backend not in ("openai", "vllm"):
            raise ValueError(f"unknown Ray Data backend {config.backend!r}; choose openai or vllm")
        if not config.model:
            raise ValueError("the Ray Data engine needs --model")
        from reachqa_builder.ray_render import connect

        self.config = config
        self.name = f"{config.backend}+ray"
        self.ray = connect(config.address)

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse | APIError]:
        out: list[ChatResponse | APIError | None] = [None] * len(requests)
        for i, reply in self.generate_stream(requests):
            out[i] = reply
        return out  # type: ignore[return-value]

    def generate_stream(self, requests: Sequence[ChatRequest]) -> Iterator[tuple[int, ChatResponse | APIError]]:
        """``(index, reply)`` for every request, in the order they finish."""
        if not requests:
            return
        rows = [{"index": i, "request": json.dumps(replace(r, model=self.config.model).payload())}
                for i, r in enumerate(requests)]
        dataset = self.ray.data.from_items(rows)
        done: set[int] = set()
        try:
            for row in self._processor()(dataset).iter_rows():
                i = int(row["index"])
                done.add(i)
                yield i, _reply(json.loads(row["reply"]), self.config.backend)
        except Exception as exc:  # the job failed (e.g. retries spent): the rest failed for this run
            message = " ".join(str(exc).split())[:300]
            for i in range(len(requests)):
                if i not in done:
                    yield i, APIError("ray_data", f"the Ray Data job stopped: {message}")

    def _processor(self):
        from ray.data.llm import build_processor

        cfg = self.config
        if cfg.backend == "openai":
            from ray.data.llm import HttpRequestProcessorConfig

            from reachqa_builder.llm.api_config import APIConfig

            server = APIConfig(base_url=cfg.base_url, api_key=cfg.api_key)  # the client's defaults: $OPENAI_BASE_URL, ...
            base, key = server.base_url.rstrip("/"), server.resolved_key()
            headers = {"Authorization": f"Bearer {key}"} if key else None
            config = HttpRequestProcessorConfig(url=f"{base}/chat/completions", headers=headers,
                                                concurrency=cfg.replicas, batch_size=cfg.batch_size,
                                                max_retries=cfg.max_retries, qps=cfg.qps)
            return build_processor(config, preprocess=_http_payload, postprocess=_http_reply)
        from ray.data.llm import vLLMEngineProcessorConfig

        config = vLLMEngineProcessorConfig(
            model_source=cfg.model, concurrency=cfg.replicas, batch_size=cfg.batch_size,
            engine_kwargs={"tensor_parallel_size": cfg.tensor_parallel_size, **cfg.engine_kwargs},
            prepare_multimodal_stage=True)
        return build_processor(config, preprocess=_vllm_inputs, postprocess=_vllm_reply)


# Row functions run on the cluster's workers: module-level, so they pickle by reference.

def _http_payload(row: dict) -> dict:
    return {"index": row["index"], "payload": json.loads(row["request"])}


def _http_reply(row: dict) -> dict:
    return {"index": row["index"], "reply": json.dumps(row["http_response"])}


def _vllm_inputs(row: dict) -> dict:
    body = json.loads(row["request"])
    sampling = {"temperature": body["temperature"], "max_tokens": body["max_tokens"],
                "top_p": body["top_p"] if body["temperature"] > 0 else 1.0}
    if body.get("seed") is not None:
        sampling["seed"] = body["seed"]
    return {"index": row["index"], "messages": body["messages"], "sampling_params": sampling}


def _vllm_reply(row: dict) -> dict:
    return {"index": row["index"], "reply": json.dumps({"choices": [{"message": {"content": row["generated_text"]},
                                                                     "finish_reason": row.get("finish_reason")}],
                                                        "usage": {"prompt_tokens": row.get("num_input_tokens", 0),
                                                                  "completion_tokens": row.get("num_generated_tokens", 0)}})}


def _reply(body: dict, backend: str) -> ChatResponse | APIError:
    """A chat completion body as a :class:`ChatResponse`; anything else as an :class:`APIError`."""
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        error = body.get("error") if isinstance(body, dict) else None
        detail = error.get("message") if isinstance(error, dict) else (error or str(body)[:200])
        return APIError("bad_reply", f"{backend} endpoint: not a chat completion ({detail})")
    if not isinstance(text, str) or not text.strip():
        return APIError("empty", f"{backend} endpoint: an empty reply")
    usage = body.get("usage") or {}
    return ChatResponse(text=text.strip(), finish_reason=choice.get("finish_reason"),
                        prompt_tokens=int(usage.get("prompt_tokens") or 0),
                        completion_tokens=int(usage.get("completion_tokens") or 0))
