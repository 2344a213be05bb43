"""How to reach one OpenAI-compatible server: :class:`APIConfig`, in a module without the ``openai``
import, so settings that embed or share it (synthesis, command-line flags) load fast."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass, field

from reachqa_builder.redact import redact_urls

__all__ = ["APIConfig", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "http://localhost:8000/v1"


@dataclass
class APIConfig:
    """How to reach one OpenAI-compatible server and how hard to push it (see each field's help).

    ``max_retries`` is one budget per call for openai's retries (timeouts, connection errors,
    408/409/429/5xx) and this module's (unusable replies): at most ``max_retries + 1`` HTTP tries.
    Delays follow ``backoff_base * 2**retry`` capped at ``backoff_max``, with jitter; a server's
    ``Retry-After`` is honoured as openai does (up to two minutes; a longer one is not retried).
    ``timeout`` bounds each phase of one HTTP try (connect, send, wait for bytes), as in openai;
    a try that times out is retried at most ``timeout_retries`` times (within ``max_retries``), so
    with the defaults a server that accepts requests and never answers costs a call at most
    2 x 300 s plus backoff (about 10 minutes), not 7 x 600 s. While a try waits longer than
    ``notice_after`` seconds the client logs one "still waiting" line (again every
    ``notice_after`` seconds while it lasts).
    """

    base_url: str | None = field(default=None, metadata={
        "help": f"API root, with /v1 (default: $OPENAI_BASE_URL, else {DEFAULT_BASE_URL})"})
    api_key: str | None = field(default=None, repr=False, metadata={
        "help": "key (default: $OPENAI_API_KEY; empty: no Authorization header)"})
    concurrency: int = field(default=16, metadata={
        "help": "requests in flight at most (ignored when a shared RequestLimiter is passed)"})
    rpm: float | None = field(default=None, metadata={"help": "requests per minute limit"})
    tpm: float | None = field(default=None, metadata={
        "help": "tokens per minute limit (prompt estimate + max_tokens, settled to the reported usage)"})
    timeout: float = field(default=300.0, metadata={"help": "seconds per HTTP request phase"})
    max_retries: int = field(default=6, metadata={"help": "retries per call on outages and unusable replies"})
    timeout_retries: int = field(default=1, metadata={
        "help": "of those, retries after a try that timed out (a hung server gives up after (1 + this) x timeout)"})
    notice_after: float = field(default=20.0, metadata={
        "help": "seconds a request may wait before a 'still waiting for SERVER' line is logged (0: never)"})
    backoff_base: float = field(default=1.0, metadata={"help": "first backoff delay (s)"})
    backoff_max: float = field(default=60.0, metadata={"help": "largest backoff delay (s)"})
    schema_retries: int = field(default=2, metadata={"help": "re-asks on invalid structured replies"})
    structured: str = field(default="json_schema", metadata={
        "help": "json_schema (send the schema) | json_object (ask for JSON) | none (no response_format)"})
    cache_path: str | None = field(default=None, metadata={"help": "SQLite reply cache (None: off)"})
    no_cache: bool = field(default=False, metadata={"help": "bypass the reply cache"})

    def __post_init__(self) -> None:
        if self.base_url is None:
            self.base_url = os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        if self.structured not in ("json_schema", "json_object", "none"):
            raise ValueError(f"structured must be json_schema, json_object or none, got {self.structured!r}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0 or self.timeout_retries < 0:
            raise ValueError(f"max_retries and timeout_retries must be >= 0, got {self.max_retries}, "
                             f"{self.timeout_retries}")
        if not re.match(r"^https?://", self.base_url):
            raise ValueError(f"base_url must start with http:// or https://, got {redact_urls(self.base_url)!r}")

    @property
    def display_url(self) -> str:
        """``base_url`` as it may be shown or written: user and password replaced by ``***``."""
        return redact_urls(self.base_url)

    def resolved_key(self) -> str:
        return self.api_key if self.api_key is not None else os.environ.get("OPENAI_API_KEY", "")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (0-based): ``backoff_base * 2**retry``
        capped at ``backoff_max``, times a jitter factor in [0.5, 1)."""
        return min(self.backoff_max, self.backoff_base * 2 ** min(retry, 60)) * (0.5 + random.random() / 2)
