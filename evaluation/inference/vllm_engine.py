"""Offline batched inference with vLLM (``LLM.chat``), for GPUs. vLLM is an optional extra
(``pip install reachqa[vllm]``); importing this module works without it, building the engine
does not.

The shared :class:`~reachqa_builder.llm.types.ChatRequest` messages are already in the OpenAI
format vLLM's ``LLM.chat`` takes (image parts as data URLs), so they are passed through as they
are; vLLM applies the model's chat template and schedules all conversations of a call together.

Untested in this repository's CI (no GPU, no vLLM there); written against vLLM's documented
``LLM(...)``, ``LLM.chat(messages, sampling_params, use_tqdm=..., lora_request=...)``,
``SamplingParams`` and ``LoRARequest`` API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from reachqa_builder.llm.types import ChatRequest, ChatResponse

__all__ = ["VLLMEngine", "VLLMEngineConfig"]


@dataclass
class VLLMEngineConfig:
    """Settings of :class:`VLLMEngine`."""

    model: str = field(metadata={"help": "model folder or Hub id"})
    adapter: str | None = field(default=None, metadata={"help": "optional LoRA adapter folder (served with enable_lora)"})
    tensor_parallel_size: int = field(default=1, metadata={"help": "GPUs to shard the model over"})
    gpu_memory_utilization: float = field(default=0.9, metadata={"help": "share of GPU memory vLLM may use"})
    max_model_len: int | None = field(default=None, metadata={"help": "context length (default: the model's)"})
    max_images: int = field(default=1, metadata={"help": "most images per prompt"})
    dtype: str = field(default="auto", metadata={"help": "auto | bfloat16 | float16"})
    seed: int = field(default=0, metadata={"help": "engine seed"})
    progress: bool = field(default=True, metadata={"help": "show vLLM's progress bar"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the checkpoint / Hub"})


class VLLMEngine:
    name = "vllm"

    def __init__(self, config: VLLMEngineConfig) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError("the vllm engine needs vLLM (a GPU install): pip install 'reachqa[vllm]'") from exc
        self.config = config
        kwargs: dict[str, Any] = dict(model=config.model, tensor_parallel_size=config.tensor_parallel_size,
                                      gpu_memory_utilization=config.gpu_memory_utilization, dtype=config.dtype,
                                      seed=config.seed, limit_mm_per_prompt={"image": config.max_images},
                                      trust_remote_code=config.trust_remote_code)
        if config.max_model_len:
            kwargs["max_model_len"] = config.max_model_len
        if config.adapter:
            kwargs["enable_lora"] = True
        self.llm = LLM(**kwargs)
        self.lora = None
        if config.adapter:
            from vllm.lora.request import LoRARequest

            self.lora = LoRARequest("adapter", 1, config.adapter)

    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        from vllm import SamplingParams

        out: list[ChatResponse | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.temperature, r.top_p, r.max_tokens, r.seed), []).append(i)
        for (temperature, top_p, max_tokens, seed), idx in groups.items():
            params = SamplingParams(temperature=temperature, top_p=top_p if temperature > 0 else 1.0,
                                    max_tokens=max_tokens, seed=seed)
            results = self.llm.chat([list(requests[i].messages) for i in idx], sampling_params=params,
                                    use_tqdm=self.config.progress, lora_request=self.lora)
            for i, res in zip(idx, results):
                best = res.outputs[0]
                out[i] = ChatResponse(text=best.text.strip(), finish_reason=best.finish_reason,
                                      prompt_tokens=len(res.prompt_token_ids or []),
                                      completion_tokens=len(best.token_ids))
        return out  # type: ignore[return-value]
