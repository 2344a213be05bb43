"""The one request type every model call in reachqa uses.

Synthesis stages, the MLLM raters, evaluation inference (transformers, vLLM, OpenAI-compatible
servers) and the LLM judge all describe a call as a :class:`ChatRequest` and get a
:class:`ChatResponse` back. Messages follow the OpenAI chat format; an image is a content part
``{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,..."}}`` (see
:func:`image_part`), which local engines decode back into a PIL image.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion call.

    Args:
        messages: OpenAI-format chat messages; content may be a string or a list of parts
            (``{"type": "text", ...}`` / ``{"type": "image_url", ...}``).
        model: model name as the server or engine knows it.
        temperature: sampling temperature (0 = greedy).
        top_p: nucleus sampling mass.
        max_tokens: upper bound on generated tokens.
        response_schema: a JSON Schema the reply must satisfy (sent as ``response_format`` of type
            ``json_schema``); ``None`` for free text.
        schema_name: the name sent with the schema.
        seed: optional sampling seed forwarded to servers that honour it.
        extra: further request fields forwarded verbatim (e.g. ``{"n": 1}``).
    """

    messages: tuple[dict[str, Any], ...]
    model: str
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1024
    response_schema: dict[str, Any] | None = None
    schema_name: str = "reply"
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.messages, tuple):
            object.__setattr__(self, "messages", tuple(self.messages))

    def payload(self) -> dict[str, Any]:
        """The JSON body of ``POST /v1/chat/completions`` for this request (no secrets in it)."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(self.messages),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
        }
        if self.response_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": self.schema_name, "schema": self.response_schema, "strict": True},
            }
        if self.seed is not None:
            body["seed"] = self.seed
        body.update(self.extra)
        return body

    def cache_key(self, endpoint: str = "") -> str:
        """A stable hash of everything that determines the reply (endpoint + full request body)."""
        blob = json.dumps({"endpoint": endpoint, "body": self.payload()}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class ChatResponse:
    """The reply to a :class:`ChatRequest`.

    Args:
        text: the assistant message content.
        finish_reason: ``stop``, ``length``, ... as reported by the engine.
        prompt_tokens: tokens in the prompt (0 when unknown).
        completion_tokens: tokens generated (0 when unknown).
        cached: True when the reply came from the on-disk cache, not the model.
        parsed: the JSON value parsed and validated against ``response_schema``, if any.
    """

    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    parsed: Any = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def image_part(image: Any, fmt: str = "JPEG") -> dict[str, Any]:
    """A chat content part holding an image as a data URL.

    ``image`` may be raw encoded bytes (JPEG/PNG as rendered: sent unchanged), a path, or a PIL image.
    """
    from reachqa_builder.imagedata import image_bytes

    data = image_bytes(image, pil_format=fmt)
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"}}


def decode_image_part(part: dict[str, Any]):
    """Inverse of :func:`image_part`: a PIL image from a data-URL content part."""
    from PIL import Image

    url = part["image_url"]["url"]
    if not url.startswith("data:"):
        raise ValueError(f"only data: URLs can be decoded locally, got {url[:40]!r}")
    data = base64.b64decode(url.split(",", 1)[1])
    return Image.open(io.BytesIO(data)).convert("RGB")


def user_message(text: str, images: list[Any] = ()) -> dict[str, Any]:
    """A user chat message with images first, then the text."""
    parts = [image_part(im) for im in images]
    parts.append({"type": "text", "text": text})
    return {"role": "user", "content": parts if images else text}
