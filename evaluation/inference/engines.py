"""Choose an inference engine by name: ``transformers``, ``vllm`` or ``openai``.

Every engine has ``name`` and ``generate(requests: Sequence[ChatRequest]) -> list[ChatResponse]``
(the openai engine may return an ``APIError`` in place of a reply that failed for good).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    from reachqa_builder.llm.api import APIError
    from reachqa_builder.llm.types import ChatRequest, ChatResponse

__all__ = ["ENGINES", "Engine", "make_engine"]

ENGINES = ("transformers", "vllm", "openai")


@runtime_checkable
class Engine(Protocol):
    """What every inference engine implements (``TransformersEngine``, ``VLLMEngine``, ``OpenAIEngine``)."""

    name: str

    def generate(self, requests: Sequence["ChatRequest"]) -> list["ChatResponse | APIError"]:
        """One reply per request, in order (an ``APIError`` in place of a reply that failed for good)."""
        ...


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


def check_model_path(value: str | None, what: str = "model") -> None:
    """A local engine's model (or adapter) is a folder or a Hub id: something that cannot be a Hub id
    (``/abs/path``, ``./x``, ``a/b/c``) and does not exist fails with "no model at PATH", not with the
    Hub client's repo-id error."""
    if value is None or os.path.exists(os.path.expanduser(value)):
        return
    if value.startswith((".", "/", "~")) or not _HUB_ID.match(value):
        raise FileNotFoundError(f"no {what} at {value} (not a folder here, and not a Hub id 'owner/name')")


def make_engine(kind: str, *, model: str, adapter: str | None = None, batch_size: int = 8, device: str = "auto",
                dtype: str = "auto", base_url: str | None = None, api_key: str | None = None, concurrency: int = 16,
                cache_path: str | None = None, tensor_parallel_size: int = 1, progress: bool = True,
                ray: str | None = None, replicas: int = 1, **extra: Any) -> Engine:
    if ray:  # the cluster at this address runs the requests as one Ray Data job
        from .ray_engine import RayDataEngine, RayDataEngineConfig

        if kind not in ("vllm", "openai") or adapter:
            raise ValueError("--ray runs the vllm or openai engine (no --adapter: merge it first, reachqa merge-lora)")
        return RayDataEngine(RayDataEngineConfig(
            address=ray, backend=kind, model=model, base_url=base_url, api_key=api_key, replicas=replicas,
            batch_size=batch_size, tensor_parallel_size=tensor_parallel_size,
            engine_kwargs={"trust_remote_code": True} if extra.get("trust_remote_code") else {}))
    if kind in ("transformers", "vllm"):
        check_model_path(model)
        check_model_path(adapter, "adapter")
    if kind == "transformers":
        from .transformers_engine import TransformersEngine, TransformersEngineConfig

        return TransformersEngine(TransformersEngineConfig(model=model, adapter=adapter, batch_size=batch_size,
                                                           device=device, dtype=dtype, progress=progress, **extra))
    if kind == "vllm":
        from .vllm_engine import VLLMEngine, VLLMEngineConfig

        return VLLMEngine(VLLMEngineConfig(model=model, adapter=adapter, tensor_parallel_size=tensor_parallel_size,
                                           progress=progress, **extra))
    if kind == "openai":
        from reachqa_builder.llm.api import APIConfig
        from .openai_engine import OpenAIEngine

        if adapter:
            raise ValueError("--adapter applies to local engines; serve the adapter with your server instead")
        config = APIConfig(base_url=base_url or None, api_key=api_key,  # None: $OPENAI_BASE_URL or localhost
                           concurrency=concurrency, cache_path=cache_path, **extra)
        return OpenAIEngine(config, model)
    raise ValueError(f"unknown engine {kind!r}; choose from {', '.join(ENGINES)}")
