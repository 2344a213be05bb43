"""Async client for OpenAI-compatible chat servers (vLLM, SGLang, lmdeploy, hosted APIs).

Every remote model call in reachqa (synthesis stages, MLLM raters, the OpenAI evaluation engine,
the LLM judge) goes through :class:`APIClient`. Requests travel through the official
``openai.AsyncOpenAI``, which owns the HTTP side: connections, timeouts, the key, retries of
timeouts, connection errors, 408/409/429/5xx (``Retry-After`` honoured). On top, this module keeps
what the package does not do:

* one bound on requests in flight (:class:`RequestLimiter`: a semaphore plus optional
  requests-per-minute and tokens-per-minute windows) over every HTTP try, openai's retries
  included, shareable by several clients (a generator and raters on different servers);
* retries of status-200 replies that cannot be used (empty, not a chat completion, truncated
  when a JSON schema is required), within the same ``max_retries`` budget, and the backoff
  schedule of :class:`APIConfig` in place of openai's fixed one;
* structured outputs: ``ChatRequest.response_schema`` is sent as a ``json_schema``
  ``response_format``; the reply is parsed tolerantly (code fences, prose around the JSON),
  validated with ``jsonschema`` and re-asked (with the validation error) a bounded number of times;
* an on-disk reply cache keyed by the full request (:mod:`reachqa_builder.llm.cache`), usage
  counters (requests, retries by reason, cache hits, tokens) and one error type, :class:`APIError`.

Keys come from :class:`APIConfig` or ``$OPENAI_API_KEY``, the server from ``base_url`` or
``$OPENAI_BASE_URL``; keys never appear in cache keys, logs, ``repr`` or exception messages.

Example::

    import asyncio
    from reachqa_builder.llm import APIClient, APIConfig, ChatRequest

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
import contextvars
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Iterable, Sequence

import httpx2
import jsonschema
import openai

from reachqa_builder.redact import redact_urls

from .api_config import DEFAULT_BASE_URL, APIConfig  # noqa: F401 (re-exported)
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

logger = logging.getLogger(__name__)

FATAL_STATUS = frozenset({401, 403, 404})
# replies with status 200 that cannot be used; openai accepts them, this module retries them
REPLY_FAULTS = frozenset({"empty", "truncated", "bad_reply"})
# of those, the ones that are the server's fault (an HTML error page, not JSON, no ``choices``):
# an outage like a 5xx, so the item stays pending when the retries run out
SERVER_REPLY_FAULTS = frozenset({"bad_reply"})


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
        """True when another try may succeed: an outage (:attr:`transient`) or an unusable reply."""
        return self.transient or self.kind in REPLY_FAULTS

    @property
    def fatal(self) -> bool:
        """True when retrying later cannot help and the run should stop: a rejected key (401),
        a forbidden model (403) or an unknown model / wrong endpoint (404)."""
        return self.status in FATAL_STATUS

    @property
    def transient(self) -> bool:
        """True for outages (connection errors, timeouts, 408/409/429, 5xx, a status-200 reply that
        is not a chat completion): the item stays pending and a rerun retries it; never a reason to
        drop work for good."""
        status = self.status or 0  # the statuses openai retries
        return (self.kind in ("timeout", "connection") or self.kind in SERVER_REPLY_FAULTS
                or status in (408, 409, 429) or status >= 500)


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

    def release(self, ticket: list[float] | None, actual_tokens: int | None = None) -> None:
        """Free the slot taken by :meth:`acquire` (and settle its token estimate, if known)."""
        self.settle(ticket, actual_tokens)
        self.in_flight -= 1
        self._sem.release()

    @staticmethod
    def settle(ticket: list[float] | None, actual_tokens: int | None) -> None:
        """Replace a request's token estimate in the tpm window by the usage the server reported."""
        if ticket is not None and actual_tokens is not None:
            ticket[1] = float(actual_tokens)


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


# ---------------------------------------------------------------------------------------------
# The layer under openai: every HTTP attempt (first try or one of openai's retries) passes through
# the limiter and the usage counters; openai's retry delays follow APIConfig.backoff.


@dataclass
class _Call:
    """One logical call in progress (one :meth:`APIClient._complete`), seen by the HTTP layer."""

    client: "APIClient"
    est_tokens: int
    attempts: int = 0                 # HTTP tries so far
    timeouts: int = 0                 # of those, tries that timed out
    last_failure: str | None = None   # why the previous try failed (the next one retries it)
    ticket: list[float] | None = None  # tpm ticket of the latest try, settled to reported usage
    held: bool = False                # a slot taken before openai built the request, for its first try


_CALL: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("reachqa_api_call", default=None)


class _MeteredHTTPClient(openai.DefaultAsyncHttpxClient):
    """openai's default HTTP client; inside a call, each request it sends takes a limiter slot
    (and rate budget) and is counted, with the reason it is retried."""

    async def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        call = _CALL.get()
        if call is None:  # list_models and other requests outside chat(): not metered
            return await super().send(request, **kwargs)
        usage, limiter = call.client.usage, call.client.limiter
        if call.last_failure is not None:
            usage.retries[call.last_failure] += 1
            call.last_failure = None
        if call.held:  # the first try of a create(): its slot was taken before openai's work on it
            call.held = False
        else:  # one of openai's retries
            call.ticket = await limiter.acquire(call.est_tokens)
        call.attempts += 1
        usage.requests += 1
        client = call.client
        notice = client._watch() if client.config.notice_after > 0 else None
        try:
            response = await super().send(request, **kwargs)
        except httpx2.TimeoutException:
            call.last_failure = "timeout"
            call.timeouts += 1
            if call.timeouts > client.config.timeout_retries:  # openai passes its own errors on, unretried
                raise openai.APITimeoutError(request=request) from None
            raise
        except httpx2.RequestError:
            call.last_failure = "connection"
            raise
        finally:
            if notice is not None:
                notice()
            limiter.release(call.ticket)
        if response.status_code >= 400:
            call.last_failure = f"http_{response.status_code}"
        return response


class _AsyncOpenAI(openai.AsyncOpenAI):
    """``openai.AsyncOpenAI`` with the backoff of the call's :class:`APIConfig` between retries.

    openai has no public setting for its delays (0.5 s doubling to 8 s); this overrides the one
    method that computes them. A ``Retry-After`` the server sent is still honoured by openai.
    """

    def _calculate_retry_timeout(self, remaining_retries: int, options: Any, response_headers: Any = None) -> float:
        call = _CALL.get()
        retry_after = self._parse_retry_after_header(response_headers)
        if call is None or (retry_after is not None and 0 < retry_after < math.inf):
            return super()._calculate_retry_timeout(remaining_retries, options, response_headers)
        return call.client.config.backoff(call.attempts - 1)


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
        self.display_url = redact_urls(self.endpoint)  # what messages show: no credentials
        self._last_notice = -math.inf
        self.limiter = limiter or RequestLimiter(config.concurrency, config.rpm, config.tpm)
        self.cache = cache if cache is not None else ReplyCache(config.cache_path, enabled=not config.no_cache)
        self._read_cache = self.cache.enabled and not config.no_cache
        self.usage = usage or Usage()
        self._key = config.resolved_key()
        # without a key, openai needs a placeholder and the header omitted per request
        self._headers = None if self._key else {"Authorization": openai.Omit()}
        self._openai: _AsyncOpenAI | None = None
        self._openai_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"APIClient(endpoint={self.display_url!r}, concurrency={self.limiter.concurrency})"

    # -- the openai client, one per event loop ----------------------------------------------

    def _client(self) -> _AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._openai is None or self._openai_loop is not loop:
            self._openai = _AsyncOpenAI(api_key=self._key or "no-key", base_url=self.endpoint,
                                        timeout=self.config.timeout, max_retries=self.config.max_retries,
                                        http_client=_MeteredHTTPClient())
            self._openai_loop = loop
        return self._openai

    async def close(self) -> None:
        if self._openai is not None and self._openai_loop is asyncio.get_running_loop():
            await self._openai.close()
        self._openai = None

    async def __aenter__(self) -> "APIClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def _redact(self, text: str) -> str:
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return redact_urls(text)

    def _watch(self):
        """Start watching one HTTP try; returns the function that stops it. While the try waits,
        :meth:`_still_waiting` runs every ``notice_after`` seconds."""
        loop, every, started = asyncio.get_running_loop(), self.config.notice_after, time.monotonic()
        handle = None

        def fire() -> None:
            nonlocal handle
            self._still_waiting(time.monotonic() - started)
            handle = loop.call_later(every, fire)

        handle = loop.call_later(every, fire)
        return lambda: handle.cancel()

    def _still_waiting(self, waited: float) -> None:
        """One line (at most one per ``notice_after`` seconds per client) while requests wait."""
        now = time.monotonic()
        if now - self._last_notice < self.config.notice_after * 0.9:
            return
        self._last_notice = now
        c = self.config
        logger.warning("still waiting for %s: no reply after %.3g s (%d request(s) in flight); a try gives up after "
                       "%g s and is retried %d time(s) (--timeout, --timeout-retries)", self.display_url,
                       waited, self.limiter.in_flight, c.timeout, c.timeout_retries)

    def _error(self, exc: openai.OpenAIError) -> APIError:
        """The :class:`APIError` for an exception of the openai package (key redacted)."""
        if isinstance(exc, openai.APITimeoutError):
            return APIError("timeout", f"no reply within {self.config.timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return APIError("connection", self._redact(f"{type(cause).__name__}: {cause}"))
        if isinstance(exc, openai.APIStatusError):  # openai keeps only a JSON body's message; add any other body
            text = f"{exc.message} {exc.body if isinstance(exc.body, str) else ''}"
            return APIError(f"http_{exc.status_code}", self._redact(text)[:300].strip(), exc.status_code,
                            retry_after=self._client()._parse_retry_after_header(exc.response.headers))
        return APIError("client", self._redact(f"{type(exc).__name__}: {exc}"))

    # -- public calls ---------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The model ids the server reports at ``GET /models``."""
        try:
            return [m.id async for m in self._client().models.list(extra_headers=self._headers)]
        except openai.OpenAIError as exc:
            raise self._error(exc) from None

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
        """One logical call: openai's tries, then ours while the reply is unusable, all within
        ``max_retries`` retries; returns a usable reply or raises the final :class:`APIError`."""
        body = self._payload(req)
        call = _Call(client=self, est_tokens=_estimate_tokens(req))
        token = _CALL.set(call)
        try:
            client = self._client()
            while True:
                # the slot is taken here, not in the HTTP layer, so calls waiting for one spend no CPU
                call.ticket, call.held = await self.limiter.acquire(call.est_tokens), True
                try:
                    return await self._create(client, body, call, require_complete)
                except APIError as exc:
                    exc.attempts = call.attempts
                    tries_left = self.config.max_retries + 1 - call.attempts
                    if exc.kind not in REPLY_FAULTS or tries_left <= 0:
                        raise
                    call.last_failure = exc.kind
                    await asyncio.sleep(self.config.backoff(call.attempts - 1))
                    client = self._client().with_options(max_retries=tries_left - 1)
                finally:
                    if call.held:  # openai failed before sending anything
                        call.held = False
                        self.limiter.release(call.ticket)
        finally:
            _CALL.reset(token)

    async def _create(self, client: _AsyncOpenAI, body: dict[str, Any], call: _Call,
                      require_complete: bool) -> ChatResponse:
        """One ``POST /chat/completions`` through openai (its retries included) -> ChatResponse.

        The body goes as built (``client.post``, openai's way to send any request): the typed
        ``chat.completions.create`` would re-walk every message and image part to send the same bytes.
        """
        try:
            response = await client.post("/chat/completions", body=body, cast_to=httpx2.Response,
                                         options={"headers": self._headers} if self._headers else {})
        except openai.OpenAIError as exc:
            raise self._error(exc) from None
        try:
            obj = response.json()
            choice = obj["choices"][0]
            content, finish = choice["message"].get("content"), choice.get("finish_reason")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise APIError("bad_reply", f"not a chat completion: {self._redact(response.text[:200])!r}") from None
        usage = obj.get("usage") or {}
        pt, ct = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        self.usage.prompt_tokens += pt
        self.usage.completion_tokens += ct
        self.limiter.settle(call.ticket, pt + ct if usage else None)
        if content is None or not str(content).strip():
            raise APIError("empty", f"the server returned an empty reply (finish_reason={finish})")
        if require_complete and finish == "length":
            raise APIError("truncated", "the reply was cut off at max_tokens (finish_reason=length)")
        return ChatResponse(text=str(content), finish_reason=finish, prompt_tokens=pt, completion_tokens=ct)
