"""Chat completions through the OpenAI Batch API (half the price of the same requests sent one by one).

:class:`BatchClient` wraps an :class:`~reachqa_builder.llm.api.APIClient` and offers the same
``await chat(req)``: requests that arrive close together (nothing new for ``window`` seconds, or
``max_requests`` queued) become one batch:

1. their bodies are written as a JSONL input file (``{"custom_id", "method": "POST", "url":
   "/v1/chat/completions", "body"}`` per line) and uploaded (``POST /v1/files``, purpose ``batch``);
2. a batch is created (``POST /v1/batches``, ``completion_window`` 24h) and recorded in the journal;
3. it is polled (``GET /v1/batches/{id}``) until it is ``completed``, ``failed``, ``expired`` or
   ``cancelled``;
4. the output file (and the error file) are downloaded (``GET /v1/files/{id}/content``); each
   reply is checked as the client checks a direct reply (non-empty, not cut off, valid JSON for
   schema requests) and stored in the reply cache.

A request whose line failed (an error line, a non-200 status, a missing or unusable reply, or a
batch that failed or expired) falls back to a direct call through the wrapped client, with its
retries and re-asks, so no request is lost; the fallbacks are counted.

The journal (one JSON line per event, ``{"batch", "keys"}`` when a batch is created and
``{"batch", "done"}`` when its results are stored) makes a crash cheap: a new client reading the
same journal polls the unfinished batches again and hands their replies to the requests of the
rerun (the same requests have the same cache keys) instead of submitting them again.

Example::

    api = APIClient(APIConfig(base_url=URL, cache_path="cache.sqlite"))
    client = BatchClient(api, "work/batches.jsonl", window=5.0, poll_interval=30.0)
    replies = await asyncio.gather(*(client.chat(r) for r in requests))
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

from ..fileio import cut_torn_tail, iter_jsonl
from .api import APIClient, parse_json_reply, validate_reply
from .types import ChatRequest, ChatResponse

TERMINAL = ("completed", "failed", "expired", "cancelled")
ENDPOINT = "/v1/chat/completions"


@dataclasses.dataclass
class BatchStats:
    """What the batch client did: batches created / resumed, requests sent in batches, replies
    taken from them, and requests that fell back to a direct call (by reason)."""

    batches: int = 0
    resumed: int = 0
    requests: int = 0
    replies: int = 0
    fallbacks: dict[str, int] = dataclasses.field(default_factory=dict)

    def fallback(self, reason: str) -> None:
        self.fallbacks[reason] = self.fallbacks.get(reason, 0) + 1

    def summary(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class BatchClient:
    """The Batch API behind ``await chat(req)`` (see the module docstring).

    Args:
        api: the wrapped client (server, key, cache, usage; fallbacks go through it).
        journal: JSON Lines file of created and finished batches (resume after a crash).
        window: seconds without a new request after which the queued ones are submitted.
        max_requests: requests per batch at most.
        poll_interval: seconds between status polls of a batch.
    """

    def __init__(self, api: APIClient, journal: str | os.PathLike, window: float = 5.0,
                 max_requests: int = 1000, poll_interval: float = 30.0) -> None:
        self.api = api
        self.config = api.config
        self.journal = Path(journal)
        self.window, self.max_requests, self.poll_interval = window, max_requests, poll_interval
        self.stats = BatchStats()
        self._queue: list[tuple[str, ChatRequest, asyncio.Future]] = []
        self._last = 0.0
        self._flusher: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._waiting: dict[str, asyncio.Future] = {}  # keys of unfinished batches from the journal
        self._recovered = False
        self._appending = False  # the torn tail of an earlier run is cut before the first append

    # -- public ---------------------------------------------------------------------------

    async def chat(self, req: ChatRequest) -> ChatResponse:
        key = req.cache_key(self.api.endpoint)
        hit = self.api.cache.get(key) if self.api._read_cache else None
        if hit is not None and (req.response_schema is None or hit.parsed is not None):
            self.api.usage.cache_hits += 1
            self.api.usage.replies += 1
            return hit
        self._recover()
        fut = self._waiting.get(key)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._queue.append((key, req, fut))
            self._last = time.monotonic()
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.create_task(self._flush_loop())
        resp = await asyncio.shield(fut)
        if isinstance(resp, ChatResponse):
            return self._validated(req, resp, key) or await self._direct(req, "unusable_reply")
        return await self._direct(req, resp or "missing")

    async def close(self) -> None:
        for t in [self._flusher, *self._tasks]:
            if t is not None and not t.done():
                t.cancel()
        await asyncio.gather(*[t for t in [self._flusher, *self._tasks] if t is not None], return_exceptions=True)
        await self.api.close()

    # -- submitting -----------------------------------------------------------------------

    async def _flush_loop(self) -> None:
        while self._queue:
            wait = self.window - (time.monotonic() - self._last)
            if wait > 0 and len(self._queue) < self.max_requests:
                await asyncio.sleep(min(wait, 0.5))
                continue
            batch, self._queue = self._queue[: self.max_requests], self._queue[self.max_requests:]
            task = asyncio.create_task(self._submit(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _submit(self, batch: list[tuple[str, ChatRequest, asyncio.Future]]) -> None:
        futures: dict[str, list[asyncio.Future]] = {}
        lines = []
        for key, req, fut in batch:
            if key not in futures:
                lines.append(json.dumps({"custom_id": key, "method": "POST", "url": ENDPOINT,
                                         "body": self.api._payload(req)}, ensure_ascii=False))
            futures.setdefault(key, []).append(fut)
        try:
            client = self.api._client()
            data = ("\n".join(lines) + "\n").encode("utf-8")
            uploaded = await client.files.create(file=("requests.jsonl", data, "application/jsonl"), purpose="batch")
            created = await client.batches.create(input_file_id=uploaded.id, endpoint=ENDPOINT,
                                                  completion_window="24h", metadata={"source": "reachqa"})
        except Exception as exc:  # the server has no Batch API, a 5xx ...: every request goes direct
            reason = f"submit_failed: {type(exc).__name__}"
            self._resolve(futures, {}, reason)
            return
        self.stats.batches += 1
        self.stats.requests += len(futures)
        self._log({"batch": created.id, "keys": list(futures), "at": time.time()})
        await self._collect(created.id, futures)

    # -- collecting -----------------------------------------------------------------------

    async def _collect(self, batch_id: str, futures: dict[str, list[asyncio.Future]]) -> None:
        """Poll ``batch_id`` to its end, hand each request its reply (or a fallback reason)."""
        client = self.api._client()
        try:
            while True:
                batch = await client.batches.retrieve(batch_id)
                if batch.status in TERMINAL:
                    break
                await asyncio.sleep(self.poll_interval)
            replies: dict[str, Any] = {}
            for file_id in (batch.output_file_id, batch.error_file_id):
                if file_id:
                    content = await client.files.content(file_id)
                    for line in content.content.decode("utf-8").splitlines():
                        if line.strip():
                            rec = json.loads(line)
                            replies[rec.get("custom_id")] = self._reply_of(rec)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # polling or download failed: the requests go direct
            self._resolve(futures, {}, f"collect_failed: {type(exc).__name__}")
            return
        for key, resp in replies.items():
            if isinstance(resp, ChatResponse):
                self.api.usage.prompt_tokens += resp.prompt_tokens
                self.api.usage.completion_tokens += resp.completion_tokens
        self._resolve(futures, replies, f"batch_{batch.status}")
        self._log({"batch": batch_id, "done": batch.status, "at": time.time()})

    @staticmethod
    def _reply_of(rec: dict) -> ChatResponse | str:
        """A line of an output or error file as a reply, or the reason it is none."""
        if rec.get("error"):
            return f"line_error: {(rec['error'] or {}).get('code') or 'error'}"
        response = rec.get("response") or {}
        if response.get("status_code") != 200:
            return f"line_status_{response.get('status_code')}"
        try:
            body = response["body"]
            choice = body["choices"][0]
            content, finish = choice["message"].get("content"), choice.get("finish_reason")
        except (KeyError, IndexError, TypeError):
            return "line_not_a_completion"
        usage = body.get("usage") or {}
        return ChatResponse(text=str(content or ""), finish_reason=finish,
                            prompt_tokens=int(usage.get("prompt_tokens") or 0),
                            completion_tokens=int(usage.get("completion_tokens") or 0))

    def _resolve(self, futures: dict[str, list[asyncio.Future]], replies: dict, default: str) -> None:
        for key, futs in futures.items():
            value = replies.get(key, default)
            for fut in futs:
                if not fut.done():
                    fut.set_result(value)
            if self._waiting.get(key) in futs:
                del self._waiting[key]

    def _validated(self, req: ChatRequest, resp: ChatResponse, key: str) -> ChatResponse | None:
        """The reply as the client would accept it (stored in the cache), or None."""
        if not resp.text.strip() or (req.response_schema is not None and resp.finish_reason == "length"):
            return None
        if req.response_schema is not None:
            try:
                value = parse_json_reply(resp.text)
                validate_reply(value, req.response_schema)
            except ValueError:
                return None
            resp = dataclasses.replace(resp, parsed=value)
        self.api.cache.put(key, resp)
        self.api.usage.replies += 1
        self.stats.replies += 1
        return resp

    async def _direct(self, req: ChatRequest, reason: str) -> ChatResponse:
        self.stats.fallback(reason.split(":")[0])
        return await self.api.chat(req)

    # -- the journal ----------------------------------------------------------------------

    def _log(self, record: dict) -> None:
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        if not self._appending:
            cut_torn_tail(self.journal)  # a line a crash cut off is not completed by this one
            self._appending = True
        with open(self.journal, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _recover(self) -> None:
        """Once: poll again every batch the journal shows created and not finished."""
        if self._recovered:
            return
        self._recovered = True
        if not self.journal.exists():
            return
        open_batches: dict[str, list[str]] = {}
        # a torn last line (a crash while writing) ends it; a damaged line elsewhere is an error naming it
        for rec in iter_jsonl(self.journal, what="Batch API journal", torn_tail_ok=True):
            if not isinstance(rec, dict) or "batch" not in rec:
                raise ValueError(f"{self.journal}: not a Batch API journal record: {str(rec)[:200]}")
            if "keys" in rec:
                open_batches[rec["batch"]] = rec["keys"]
            elif "done" in rec:
                open_batches.pop(rec["batch"], None)
        loop = asyncio.get_running_loop()
        for batch_id, keys in open_batches.items():
            futures = {k: [self._waiting.setdefault(k, loop.create_future())] for k in keys}
            self.stats.resumed += 1
            task = asyncio.create_task(self._collect(batch_id, futures))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
