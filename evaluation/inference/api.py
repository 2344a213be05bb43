"""Async client for OpenAI-compatible chat servers (vLLM, SGLang, lmdeploy, hosted APIs).

Every remote model call in reachqa (synthesis stages, MLLM raters, the OpenAI evaluation engine,
the LLM judge) goes through :class:`APIClient`:

* one bound on requests in flight (:class:`RequestLimiter`, an ``asyncio.Semaphore`` plus optional
  requests-per-minute and tokens-per-minute windows), shared by every caller of the client and, if
  passed explicitly, by several clients (e.g. a generator and raters on different servers);
* retries with exponential backoff and jitter on 429 (``Retry-After`` honoured), 408/409/5xx,
  timeouts, connection resets, empty replies and, when a JSON schema is required, truncated
  replies (``finish_reason == "length"``); other 4xx errors fail at once;
* structured outputs: ``ChatRequest.response_schema`` is sent as a ``json_schema``
  ``response_format``; the reply is parsed tolerantly (code fences, prose around the JSON),
  validated with ``jsonschema`` and re-asked (with the validation error) a bounded number of times;
* an on-disk reply cache keyed by the full request (:mod:`evaluation.inference.cache`);
* usage counters (requests, retries by reason, cache hits, prompt/completion tokens).

API keys come from :class:`APIConfig` (CLI flags) or the ``OPENAI_API_KEY`` environment variable;
they never appear in cache keys, logs, ``repr`` or exception messages.

Example::

    import asyncio
    from evaluation.inference.api import APIClient, APIConfig
    from evaluation.inference.types import ChatRequest

    config = APIConfig(base_url="http://localhost:8000/v1", concurrency=32, cache_path="cache.sqlite")
    schema = {"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]}

    async def main():
        async with APIClient(config) as client:
            req = ChatRequest(messages=[{"role": "user", "content": "Rate 1-5"}], model="qwen",
                              response_schema=schema)
            reply = await client.chat(req)        # reply.parsed == {"score": 4}
            many = await client.chat_many([req] * 10)   # list of ChatResponse | APIError
    asyncio.run(main())

    # from synchronous code:
    reply = APIClient(config).chat_sync(req)
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import json
import os
import random
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Iterable, Sequence

import aiohttp
import jsonschema

from .cache import ReplyCache
from .types import ChatRequest, ChatResponse

__all__ = [
    "APIClient",
    "APIConfig",
    "APIError",
    "RequestLimiter",
    "Usage",
    "parse_json_reply",
    "validate_reply",
]

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
FATAL_STATUS = frozenset({401, 403, 404})


@dataclass
class APIConfig:
    """How to reach one OpenAI-compatible server and how hard to push it.

    Args:
        base_url: the API root including ``/v1`` (``http://localhost:8000/v1``).
        api_key: bearer token; ``None`` reads ``OPENAI_API_KEY`` (empty means no header).
        concurrency: most requests in flight at once (ignored when a shared limiter is passed).
        rpm: optional requests-per-minute limit.
        tpm: optional tokens-per-minute limit (prompt estimate + ``max_tokens``, settled to the
            reported usage when the reply arrives).
        timeout: seconds allowed for one HTTP request.
        max_retries: retries of one HTTP call on retryable failures (so ``max_retries + 1`` tries).
        backoff_base: first backoff delay in seconds (doubles each retry, with jitter).
        backoff_max: cap on one backoff delay (and on an honoured ``Retry-After``).
        schema_retries: re-asks when a reply does not parse or validate against the schema.
        structured: ``json_schema`` (send the schema), ``json_object`` (ask only for JSON) or
            ``none`` (send no ``response_format``; rely on the prompt and the tolerant parser).
        cache_path: SQLite reply cache file; ``None`` disables caching.
        no_cache: bypass the cache (no reads, no writes).
    """

    base_url: str = field(default="http://localhost:8000/v1", metadata={"help": "API root, with /v1"})
    api_key: str | None = field(default=None, repr=False, metadata={"help": "key (default: $OPENAI_API_KEY)"})
    concurrency: int = field(default=16, metadata={"help": "requests in flight at most"})
    rpm: float | None = field(default=None, metadata={"help": "requests per minute limit"})
    tpm: float | None = field(default=None, metadata={"help": "tokens per minute limit"})
    timeout: float = field(default=600.0, metadata={"help": "seconds per HTTP request"})
    max_retries: int = field(default=6, metadata={"help": "retries per call on retryable failures"})
    backoff_base: float = field(default=1.0, metadata={"help": "first backoff delay (s)"})
    backoff_max: float = field(default=60.0, metadata={"help": "largest backoff delay (s)"})
    schema_retries: int = field(default=2, metadata={"help": "re-asks on invalid structured replies"})
    structured: str = field(default="json_schema", metadata={"help": "json_schema | json_object | none"})
    cache_path: str | None = field(default=None, metadata={"help": "SQLite reply cache (None: off)"})
    no_cache: bool = field(default=False, metadata={"help": "bypass the reply cache"})

    def __post_init__(self) -> None:
        if self.structured not in ("json_schema", "json_object", "none"):
            raise ValueError(f"structured must be json_schema, json_object or none, got {self.structured!r}")
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {self.concurrency}")
        if not re.match(r"^https?://", self.base_url or ""):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")

    def resolved_key(self) -> str:
        return self.api_key if self.api_key is not None else os.environ.get("OPENAI_API_KEY", "")


class APIError(Exception):
    """A call that failed for good. ``kind`` names the reason (``http_401``, ``timeout``,
    ``connection``, ``empty``, ``truncated``, ``invalid_json``, ``bad_reply`` ...), ``status`` the
    last HTTP status (or ``None``), ``attempts`` the HTTP tries made. Messages never hold keys."""

    def __init__(self, kind: str, message: str, status: int | None = None, attempts: int = 0,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in ("timeout", "connection", "empty", "truncated", "bad_reply") or (
            self.status in RETRYABLE_STATUS
        )

    @property
    def fatal(self) -> bool:
        """True when retrying later cannot help and the run should stop: a rejected key (401),
        a forbidden model (403) or an unknown model / wrong endpoint (404)."""
        return self.status in FATAL_STATUS

    @property
    def transient(self) -> bool:
        """True for outages (connection errors, timeouts, 429, 5xx): the item stays pending and a
        rerun retries it; never a reason to drop work for good."""
        return self.kind in ("timeout", "connection") or self.status in RETRYABLE_STATUS


@dataclass
class Usage:
    """Counters of one client (or several sharing it): read them for progress displays."""

    requests: int = 0          # HTTP requests sent
    replies: int = 0           # calls answered (from the server or the cache)
    cache_hits: int = 0
    failures: int = 0          # calls that raised APIError
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: collections.Counter = field(default_factory=collections.Counter)  # reason -> count
    started: float = field(default_factory=time.monotonic)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def requests_per_second(self) -> float:
        return self.requests / max(1e-9, time.monotonic() - self.started)

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests, "replies": self.replies, "cache_hits": self.cache_hits,
            "failures": self.failures, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "retries": dict(self.retries),
        }


class _Window:
    """A sliding 60-second window of (time, amount) events for rpm/tpm limits."""

    def __init__(self, limit: float, span: float = 60.0) -> None:
        self.limit = float(limit)
        self.span = float(span)
        self.events: collections.deque[list[float]] = collections.deque()

    def _prune(self, now: float) -> None:
        while self.events and now - self.events[0][0] >= self.span:
            self.events.popleft()

    def wait_time(self, amount: float, now: float) -> float:
        self._prune(now)
        used = sum(e[1] for e in self.events)
        if used + amount <= self.limit or not self.events:
            return 0.0
        # wait until enough old events leave the window
        need = used + amount - self.limit
        freed = 0.0
        for t, a in self.events:
            freed += a
            if freed >= need:
                return max(0.0, t + self.span - now)
        return max(0.0, self.events[-1][0] + self.span - now)

    def add(self, amount: float, now: float) -> list[float]:
        ev = [now, float(amount)]
        self.events.append(ev)
        return ev


class RequestLimiter:
    """The bound on requests in flight plus optional rpm/tpm windows.

    Share one instance between clients to put one bound on all of them::

        limiter = RequestLimiter(concurrency=64)
        gen = APIClient(gen_config, limiter=limiter)
        rater = APIClient(rater_config, limiter=limiter)
    """

    def __init__(self, concurrency: int, rpm: float | None = None, tpm: float | None = None,
                 window: float = 60.0) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.concurrency = int(concurrency)
        # ``window`` is the span of the rate windows in seconds (60 = "per minute"; tests shrink it)
        self._rpm = _Window(rpm, window) if rpm else None
        self._tpm = _Window(tpm, window) if tpm else None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem: asyncio.Semaphore | None = None
        self._rate_lock: asyncio.Lock | None = None
        self.in_flight = 0

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # asyncio primitives belong to one event loop
            self._loop = loop
            self._sem = asyncio.Semaphore(self.concurrency)
            self._rate_lock = asyncio.Lock()

    async def acquire(self, est_tokens: int) -> list[float] | None:
        """Wait for a slot (and rate budget); returns a ticket for :meth:`release`."""
        self._bind()
        await self._sem.acquire()
        ticket = None
        try:
            if self._rpm or self._tpm:
                async with self._rate_lock:
                    while True:
                        now = time.monotonic()
                        wait = max(self._rpm.wait_time(1, now) if self._rpm else 0.0,
                                   self._tpm.wait_time(est_tokens, now) if self._tpm else 0.0)
                        if wait <= 0:
                            break
                        await asyncio.sleep(wait)
                    now = time.monotonic()
                    if self._rpm:
                        self._rpm.add(1, now)
                    if self._tpm:
                        ticket = self._tpm.add(est_tokens, now)
        except BaseException:
            self._sem.release()
            raise
        self.in_flight += 1
        return ticket

    def release(self, ticket: list[float] | None, actual_tokens: int | None) -> None:
        if ticket is not None and actual_tokens is not None:
            ticket[1] = float(actual_tokens)  # settle the estimate to the reported usage
        self.in_flight -= 1
        self._sem.release()


# ---------------------------------------------------------------------------------------------
# Tolerant JSON parsing and validation

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


def parse_json_reply(text: str) -> Any:
    """Parse a JSON value from a model reply that may wrap it in prose or code fences.

    Tries, in order: the whole text, each fenced block, then the first JSON object or array that
    decodes starting at a ``{`` or ``[``. Raises ``ValueError`` when none is found.

    >>> parse_json_reply('Sure!\\n```json\\n{"a": 1}\\n```')
    {'a': 1}
    >>> parse_json_reply('The answer is {"ok": true} as requested.')
    {'ok': True}
    """
    if text is None:
        raise ValueError("empty reply")
    s = text.strip()
    if not s:
        raise ValueError("empty reply")
    try:
        return json.loads(s)
    except json.JSONDecodeError:
        pass
    for m in _FENCE.finditer(s):
        try:
            return json.loads(m.group(1).strip())
        except json.JSONDecodeError:
            continue
    dec = json.JSONDecoder()
    for i, ch in enumerate(s):
        if ch in "{[":
            try:
                value, _ = dec.raw_decode(s, i)
                return value
            except json.JSONDecodeError:
                continue
    raise ValueError(f"no JSON value found in reply starting {s[:60]!r}")


def validate_reply(value: Any, schema: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first problem when ``value`` does not satisfy ``schema``."""
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        raise ValueError(f"reply does not match the schema at {where}: {exc.message}") from None


def _estimate_tokens(req: ChatRequest) -> int:
    chars = 0
    images = 0
    for m in req.messages:
        c = m.get("content")
        if isinstance(c, str):
            chars += len(c)
        elif isinstance(c, list):
            for p in c:
                if p.get("type") == "text":
                    chars += len(p.get("text", ""))
                else:
                    images += 1
    return chars // 4 + 800 * images + int(req.max_tokens)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


# ---------------------------------------------------------------------------------------------


class APIClient:
    """Chat completions against one OpenAI-compatible server (see the module docstring).

    Args:
        config: the :class:`APIConfig`.
        limiter: a :class:`RequestLimiter` to share with other clients (default: a new one built
            from ``config.concurrency``, ``config.rpm``, ``config.tpm``).
        cache: a :class:`ReplyCache` to share (default: one at ``config.cache_path``).
        usage: a :class:`Usage` to share (default: a new one).
    """

    def __init__(self, config: APIConfig, limiter: RequestLimiter | None = None,
                 cache: ReplyCache | None = None, usage: Usage | None = None) -> None:
        self.config = config
        self.endpoint = config.base_url.rstrip("/")
        self.limiter = limiter or RequestLimiter(config.concurrency, config.rpm, config.tpm)
        self.cache = cache if cache is not None else ReplyCache(config.cache_path, enabled=not config.no_cache)
        if config.no_cache:
            self._read_cache = False
        else:
            self._read_cache = self.cache.enabled
        self.usage = usage or Usage()
        self._key = config.resolved_key()
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"APIClient(endpoint={self.endpoint!r}, concurrency={self.limiter.concurrency})"

    # -- session --------------------------------------------------------------------------

    async def _get_session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            headers = {"Content-Type": "application/json"}
            if self._key:
                headers["Authorization"] = f"Bearer {self._key}"
            conn = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(headers=headers, connector=conn)
            self._session_loop = loop
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> "APIClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def _redact(self, text: str) -> str:
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return text

    # -- public calls ---------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The model ids the server reports at ``GET /models``."""
        session = await self._get_session()
        try:
            async with session.get(f"{self.endpoint}/models",
                                   timeout=aiohttp.ClientTimeout(total=self.config.timeout)) as resp:
                body = await resp.text()
                if resp.status != 200:
                    raise APIError(f"http_{resp.status}", self._redact(_error_message(body)), resp.status)
                return [m["id"] for m in json.loads(body).get("data", [])]
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise APIError("connection", self._redact(f"{type(exc).__name__}: {exc}")) from None

    async def chat(self, req: ChatRequest) -> ChatResponse:
        """One chat completion: cached, rate-limited, retried, and for schema requests parsed
        into ``response.parsed`` and validated. Raises :class:`APIError` when it fails for good."""
        key = req.cache_key(self.endpoint)
        if self._read_cache:
            hit = self.cache.get(key)
            if hit is not None and (req.response_schema is None or hit.parsed is not None):
                self.usage.cache_hits += 1
                self.usage.replies += 1
                return hit
        try:
            resp = await self._chat_validated(req)
        except APIError:
            self.usage.failures += 1
            raise
        self.cache.put(key, resp)
        self.usage.replies += 1
        return resp

    async def chat_many(self, reqs: Iterable[ChatRequest],
                        return_exceptions: bool = True) -> list[ChatResponse | APIError]:
        """All requests concurrently (bounded by the limiter); results in input order. With
        ``return_exceptions`` a failed call gives its :class:`APIError` in place of a reply."""
        async def one(r: ChatRequest):
            try:
                return await self.chat(r)
            except APIError as exc:
                if return_exceptions:
                    return exc
                raise
        return list(await asyncio.gather(*(one(r) for r in reqs)))

    def chat_sync(self, req: ChatRequest) -> ChatResponse:
        """Blocking :meth:`chat` for code that is not async (not from inside a running loop)."""
        return self._run_sync(self.chat(req))

    def chat_many_sync(self, reqs: Sequence[ChatRequest],
                       return_exceptions: bool = True) -> list[ChatResponse | APIError]:
        """Blocking :meth:`chat_many`."""
        return self._run_sync(self.chat_many(reqs, return_exceptions=return_exceptions))

    def _run_sync(self, coro: Awaitable[Any]) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            coro.close()
            raise RuntimeError("chat_sync/chat_many_sync cannot run inside an event loop; await chat() instead")

        async def run():
            try:
                return await coro
            finally:
                await self.close()
        return asyncio.run(run())

    # -- internals ------------------------------------------------------------------------

    def _payload(self, req: ChatRequest) -> dict[str, Any]:
        body = req.payload()
        mode = self.config.structured
        if req.response_schema is not None and mode != "json_schema":
            if mode == "json_object":
                body["response_format"] = {"type": "json_object"}
            else:
                body.pop("response_format", None)
        return body

    async def _chat_validated(self, req: ChatRequest) -> ChatResponse:
        schema = req.response_schema
        current = req
        last: Exception | None = None
        prompt_tokens = completion_tokens = 0
        for ask in range(self.config.schema_retries + 1 if schema is not None else 1):
            resp = await self._complete(current, require_complete=schema is not None)
            prompt_tokens += resp.prompt_tokens
            completion_tokens += resp.completion_tokens
            if schema is None:
                return resp
            try:
                value = parse_json_reply(resp.text)
                validate_reply(value, schema)
            except ValueError as exc:
                last = exc
                self.usage.retries["invalid_json"] += 1
                current = replace(req, messages=tuple(req.messages) + (
                    {"role": "assistant", "content": resp.text},
                    {"role": "user", "content": (
                        f"That reply could not be used: {exc}. Answer again with only one JSON value "
                        f"that satisfies this JSON Schema, and nothing else:\n"
                        f"{json.dumps(schema, ensure_ascii=False)}")},
                ))
                continue
            resp.parsed = value
            resp.prompt_tokens, resp.completion_tokens = prompt_tokens, completion_tokens
            return resp
        raise APIError("invalid_json", self._redact(str(last)), attempts=self.config.schema_retries + 1)

    async def _complete(self, req: ChatRequest, require_complete: bool) -> ChatResponse:
        """One logical call: HTTP tries with backoff until a usable reply or a final error."""
        body = self._payload(req)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        est = _estimate_tokens(req)
        last: APIError | None = None
        for attempt in range(self.config.max_retries + 1):
            try:
                return await self._post_once(data, est, require_complete)
            except APIError as exc:
                exc.attempts = attempt + 1
                last = exc
                if not exc.retryable or attempt >= self.config.max_retries:
                    raise
                self.usage.retries[exc.kind] += 1
                if exc.retry_after is not None:
                    delay = min(exc.retry_after, self.config.backoff_max)
                else:
                    delay = min(self.config.backoff_max, self.config.backoff_base * (2 ** attempt))
                    delay *= 0.5 + random.random() / 2  # jitter
                await asyncio.sleep(delay)
        raise last  # pragma: no cover  (loop always returns or raises)

    async def _post_once(self, data: bytes, est: int, require_complete: bool) -> ChatResponse:
        session = await self._get_session()
        ticket = await self.limiter.acquire(est)
        actual: int | None = None
        try:
            self.usage.requests += 1
            try:
                async with session.post(f"{self.endpoint}/chat/completions", data=data,
                                        timeout=aiohttp.ClientTimeout(total=self.config.timeout)) as r:
                    text = await r.text()
                    status, headers = r.status, r.headers
            except asyncio.TimeoutError:
                raise APIError("timeout", f"no reply within {self.config.timeout:g} s") from None
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, ConnectionError) as exc:
                raise APIError("connection", self._redact(f"{type(exc).__name__}: {exc}")) from None
            if status != 200:
                raise APIError(f"http_{status}", self._redact(_error_message(text)), status,
                               retry_after=_retry_after(headers))
            try:
                obj = json.loads(text)
                choice = obj["choices"][0]
                content = choice["message"].get("content")
                finish = choice.get("finish_reason")
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                raise APIError("bad_reply", f"not a chat completion: {self._redact(text[:200])!r}") from None
            usage = obj.get("usage") or {}
            pt, ct = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
            self.usage.prompt_tokens += pt
            self.usage.completion_tokens += ct
            actual = pt + ct if usage else None
            if content is None or not str(content).strip():
                raise APIError("empty", f"the server returned an empty reply (finish_reason={finish})")
            if require_complete and finish == "length":
                raise APIError("truncated", "the reply was cut off at max_tokens (finish_reason=length)")
            return ChatResponse(text=str(content), finish_reason=finish, prompt_tokens=pt, completion_tokens=ct)
        finally:
            self.limiter.release(ticket, actual)


def _error_message(body: str) -> str:
    try:
        err = json.loads(body).get("error")
        if isinstance(err, dict):
            return str(err.get("message") or err)
        if err:
            return str(err)
    except (ValueError, AttributeError):
        pass
    return body[:300]


def client_from_args(base_url: str, api_key: str | None = None, **kwargs: Any) -> APIClient:
    """Shorthand: ``APIClient(APIConfig(base_url=..., api_key=..., **kwargs))``."""
    return APIClient(APIConfig(base_url=base_url, api_key=api_key, **kwargs))

