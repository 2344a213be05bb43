"""Local inference with transformers: any ``AutoModelForImageTextToText`` checkpoint, batched.

Requests are the shared :class:`~reachqa_builder.llm.types.ChatRequest`. Image parts (data URLs)
are decoded back to PIL images, the conversation goes through the processor's chat template, and
batches are generated with left padding (so every row's new tokens start at the same column).
Rows are sorted by prompt length before batching to keep padding small; replies come back in
request order. Greedy decoding when ``temperature == 0``.

Example::

    engine = TransformersEngine(TransformersEngineConfig(model="runs/llava-reachqa-merged", batch_size=8))
    replies = engine.generate([ChatRequest(messages=[user_message("What is shown?", [png_bytes])], model="")])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from reachqa_builder.llm.types import ChatRequest, ChatResponse, decode_image_part

__all__ = ["TransformersEngine", "TransformersEngineConfig", "to_processor_messages"]


@dataclass
class TransformersEngineConfig:
    """Settings of :class:`TransformersEngine`."""

    model: str = field(metadata={"help": "model folder or Hub id (an AutoModelForImageTextToText checkpoint)"})
    adapter: str | None = field(default=None, metadata={"help": "optional PEFT (LoRA) adapter folder"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda | cuda:N"})
    dtype: str = field(default="auto", metadata={"help": "auto (bfloat16 on GPU, float32 on CPU) | float32 | bfloat16 | float16"})
    batch_size: int = field(default=8, metadata={"help": "requests per generate() call"})
    attn_implementation: str | None = field(default=None, metadata={"help": "eager | sdpa | flash_attention_2 (default: the model's)"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})
    trust_remote_code: bool = field(default=False, metadata={"help": "allow model code from the checkpoint "
                                                                     "folder / the Hub (models that need it)"})

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


def to_processor_messages(messages: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """OpenAI-format messages -> (chat-template messages with ``{"type": "image"}`` parts, PIL images)."""
    conv: list[dict[str, Any]] = []
    images: list[Any] = []
    for n, msg in enumerate(messages):
        if "role" not in msg or "content" not in msg:
            raise ValueError(f"message {n} needs 'role' and 'content', got keys {sorted(msg)}")
        content = msg["content"]
        if isinstance(content, str):
            parts = [{"type": "text", "text": content}]
        else:
            parts = []
            for part in content:
                kind = part.get("type")
                if kind == "text":
                    parts.append({"type": "text", "text": part["text"]})
                elif kind == "image_url":
                    images.append(decode_image_part(part))
                    parts.append({"type": "image"})
                else:
                    raise ValueError(f"message {n}: unsupported content part type {kind!r}")
        conv.append({"role": msg["role"], "content": parts})
    return conv, images


class TransformersEngine:
    """Batched generation with a local transformers model (see the module docstring)."""

    name = "transformers"

    def __init__(self, config: TransformersEngineConfig) -> None:
        import torch
        from transformers import AutoModelForImageTextToText

        self.config = config
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        if config.dtype == "auto":
            dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        else:
            dtype = getattr(torch, config.dtype)
        from reachqa_builder.processors import load_processor, match_model_to_processor, processor_source

        self.processor = load_processor(processor_source(config.model, config.adapter),
                                        trust_remote_code=config.trust_remote_code)
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        self.tokenizer.padding_side = "left"
        kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": config.trust_remote_code}
        if config.attn_implementation:
            kwargs["attn_implementation"] = config.attn_implementation
        model = AutoModelForImageTextToText.from_pretrained(config.model, **kwargs)
        if config.adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, config.adapter).merge_and_unload()
        match_model_to_processor(model.config, self.processor)
        self.model = model.to(self.device).eval()
        self.pad_id = self.tokenizer.pad_token_id
        if self.pad_id is None:
            self.pad_id = self.tokenizer.eos_token_id
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, (list, tuple)) else [eos]) - {None}

    # -- preparing inputs -------------------------------------------------------------------------
    def prompt(self, request: ChatRequest) -> tuple[str, list[Any]]:
        """The templated prompt text and the images of one request."""
        conv, images = to_processor_messages(request.messages)
        text = self.processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
        return text, images

    def encode(self, prompts: Sequence[tuple[str, list[Any]]]):
        """Left-padded model inputs for several prompts."""
        texts = [t for t, _ in prompts]
        images = [im for _, ims in prompts for im in ims]
        kwargs: dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
        if images:
            kwargs["images"] = images
        return self.processor(**kwargs).to(self.device)

    # -- generation -------------------------------------------------------------------------------
    def generate(self, requests: Sequence[ChatRequest]) -> list[ChatResponse]:
        """Replies to ``requests``, in order."""
        if not requests:
            return []
        prompts = [self.prompt(r) for r in requests]
        # group by generation settings, then sort each group by prompt length
        order = sorted(range(len(requests)), key=lambda i: (self._settings(requests[i]), len(prompts[i][0])))
        out: list[ChatResponse | None] = [None] * len(requests)
        batches = []
        for i in order:
            if batches and len(batches[-1]) < self.config.batch_size and \
                    self._settings(requests[batches[-1][0]]) == self._settings(requests[i]):
                batches[-1].append(i)
            else:
                batches.append([i])
        bar = None
        if self.config.progress and len(requests) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(requests), desc="generate", unit="req")
        for batch in batches:
            replies = self._generate_batch([prompts[i] for i in batch], requests[batch[0]])
            for i, reply in zip(batch, replies):
                out[i] = reply
            if bar is not None:
                bar.update(len(batch))
        if bar is not None:
            bar.close()
        return out  # type: ignore[return-value]

    @staticmethod
    def _settings(r: ChatRequest) -> tuple:
        return (r.max_tokens, r.temperature, r.top_p if r.temperature > 0 else 1.0, r.seed)

    def _generate_batch(self, prompts, request: ChatRequest) -> list[ChatResponse]:
        import torch

        inputs = self.encode(prompts)
        gen: dict[str, Any] = {"max_new_tokens": request.max_tokens, "pad_token_id": self.pad_id}
        if request.temperature > 0:
            gen.update(do_sample=True, temperature=request.temperature, top_p=request.top_p)
            if request.seed is not None:
                torch.manual_seed(request.seed)
        else:
            gen.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            output = self.model.generate(**inputs, **gen)
        prompt_len = inputs["input_ids"].shape[1]
        mask = inputs["attention_mask"]
        replies = []
        for row in range(output.shape[0]):
            new = output[row, prompt_len:].tolist()
            stop = next((k for k, tok in enumerate(new) if tok in self.eos_ids), None)
            tokens = new if stop is None else new[:stop]
            text = self.tokenizer.decode(tokens, skip_special_tokens=True).strip()
            replies.append(ChatResponse(text=text, finish_reason="length" if stop is None else "stop",
                                        prompt_tokens=int(mask[row].sum()),
                                        completion_tokens=len(tokens) + (stop is not None)))
        return replies

    def close(self) -> None:
        self.model = None
