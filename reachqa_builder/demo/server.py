"""A real OpenAI-compatible HTTP server for tests, benchmarks and the offline demo, on 127.0.0.1.

It speaks the protocol clients see from vLLM or OpenAI: ``POST /v1/chat/completions`` (messages
with text and ``image_url`` data-URL parts, ``response_format`` of type ``json_schema``, a
``usage`` block in every reply), ``GET /v1/models``, bearer-key checks (401 with an OpenAI-style
``{"error": {"message", "type", "code"}}`` body) and scripted faults (429 with ``Retry-After``,
500/503, hangs past the client's timeout, connection resets, empty, truncated or non-JSON
replies, JSON without ``choices``). Replies come from a function you pass; every request received is recorded.

Example::

    from reachqa_builder.demo.server import OpenAIServer, Fault   # tests: tests.openai_server

    def reply(req):                      # req: Received
        if req.schema is not None:
            return {"score": 4}          # dicts/lists are sent as JSON text
        return "plain text reply"

    with OpenAIServer(reply, latency=0.05) as server:
        server.faults.extend([Fault("429", retry_after=0.1), Fault("reset")])  # next two requests
        ... APIConfig(base_url=server.url, api_key=server.api_key) ...
        assert server.requests[-1].images == []

Run it alone (e.g. to point ``reachqa synthesize`` or ``reachqa evaluate`` at it by hand), from any
folder; from the command line it answers with the demo models of :mod:`reachqa_builder.demo.models`
(charts, ratings, Q&A, checks, judge verdicts, benchmark answers)::

    reachqa demo-server --port 8000 --latency 0.2
    python -m reachqa_builder.demo.server --port 8000      # the same
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

FAULT_KINDS = ("401", "400", "429", "500", "503", "timeout", "reset", "empty", "truncated", "garbage", "no_choices")


@dataclass
class Fault:
    """One injected failure. ``kind``: one of ``FAULT_KINDS``; ``retry_after`` (seconds) is sent
    as the ``Retry-After`` header of a 429/503."""

    kind: str
    retry_after: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(FAULT_KINDS)}")


@dataclass
class Reply:
    """A scripted reply with an explicit ``finish_reason`` (a plain str/dict means ``stop``)."""

    content: Any
    finish_reason: str = "stop"


@dataclass
class Received:
    """One request as the server saw it."""

    body: dict[str, Any]
    authorized: bool
    time: float
    fault: str | None = None
    authorization: str | None = None  # the Authorization header as sent (None: no header)

    @property
    def model(self) -> str:
        return self.body.get("model", "")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    @property
    def schema(self) -> dict[str, Any] | None:
        rf = self.body.get("response_format") or {}
        if rf.get("type") == "json_schema":
            return rf.get("json_schema", {}).get("schema")
        return None

    @property
    def text(self) -> str:
        """All text of all messages, joined by newlines."""
        out = []
        for m in self.messages:
            c = m.get("content")
            if isinstance(c, str):
                out.append(c)
            elif isinstance(c, list):
                out.extend(p.get("text", "") for p in c if p.get("type") == "text")
        return "\n".join(out)

    @property
    def last_user_text(self) -> str:
        for m in reversed(self.messages):
            if m.get("role") == "user":
                c = m.get("content")
                if isinstance(c, str):
                    return c
                return "\n".join(p.get("text", "") for p in c if p.get("type") == "text")
        return ""

    @property
    def images(self) -> list[bytes]:
        """The decoded bytes of every data-URL image part."""
        out = []
        for m in self.messages:
            c = m.get("content")
            if isinstance(c, list):
                for p in c:
                    if p.get("type") == "image_url":
                        url = p["image_url"]["url"]
                        out.append(base64.b64decode(url.split(",", 1)[1]))
        return out


def _error(status: int, message: str, etype: str, code: str | None, headers: dict | None = None) -> web.Response:
    body = {"error": {"message": message, "type": etype, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


class OpenAIServer:
    """The server (see module docstring).

    Args:
        reply: ``fn(Received) -> str | dict | list | Reply``; default replies ``"ok"`` (or ``{}``
            for schema requests). An exception inside it becomes a 500.
        api_key: the key clients must send (``None``: no check).
        models: ids listed by ``GET /v1/models``; requests for another model get a 404.
        latency: seconds each completion takes; ``jitter``: +- uniform jitter on top;
        outlier_rate / outlier_latency: fraction of requests that take ``outlier_latency`` instead.
        hang_seconds: how long a ``timeout`` fault keeps the request open.
        seed: RNG seed for jitter and outliers.
        log_requests: keep every request in ``requests`` (off for long benchmarks: bodies hold images).
    """

    def __init__(self, reply: Callable[[Received], Any] | None = None, *, api_key: str | None = "test-key",
                 models: tuple[str, ...] | None = None, latency: float = 0.0, jitter: float = 0.0,
                 outlier_rate: float = 0.0, outlier_latency: float = 0.0, hang_seconds: float = 30.0,
                 seed: int = 0, host: str = "127.0.0.1", port: int = 0, log_requests: bool = True) -> None:
        self.reply = reply or (lambda r: {} if r.schema is not None else "ok")
        self.api_key = api_key
        self.models = models
        self.latency, self.jitter = latency, jitter
        self.outlier_rate, self.outlier_latency = outlier_rate, outlier_latency
        self.hang_seconds = hang_seconds
        self.host, self.port = host, port
        self.faults: collections.deque[Fault] = collections.deque()
        self.fault_fn: Callable[[Received, int], Fault | None] | None = None
        self.requests: list[Received] = []
        self.log_requests = log_requests
        self.received = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # -- life cycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> "OpenAIServer":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="openai-test-server", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._astart(), self._loop).result(30)
        return self

    async def _astart(self) -> None:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._add_routes(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def _add_routes(self, app: web.Application) -> None:
        """More endpoints of a subclass (:class:`BatchAPIServer`)."""

    def stop(self) -> None:
        if self._loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self._loop = None

    def __enter__(self) -> "OpenAIServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- helpers for tests ------------------------------------------------------------------

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_in_flight = 0

    def completions(self) -> list[Received]:
        """Recorded chat requests that were authorized and not faulted."""
        with self._lock:
            return [r for r in self.requests if r.authorized and r.fault is None]

    # -- handlers ---------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        if self.api_key is None:
            return True
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    async def _models(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        ids = self.models or ("test-model",)
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "reachqa-tests"} for m in ids]})

    def _next_fault(self, rec: Received, n: int) -> Fault | None:
        with self._lock:
            if self.faults:
                return self.faults.popleft()
        if self.fault_fn is not None:
            return self.fault_fn(rec, n)
        return None

    def _delay(self) -> float:
        with self._lock:
            if self.outlier_rate and self._rng.random() < self.outlier_rate:
                return self.outlier_latency
            return max(0.0, self.latency + (self._rng.uniform(-self.jitter, self.jitter) if self.jitter else 0.0))

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error", None)
        rec = Received(body=body, authorized=self._authorized(request), time=time.time(),
                       authorization=request.headers.get("Authorization"))
        with self._lock:
            self.received += 1
            if self.log_requests:
                self.requests.append(rec)
            n = self.received
        if not rec.authorized:
            rec.fault = "401"
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if not isinstance(body.get("messages"), list) or not body.get("model"):
            rec.fault = "400"
            return _error(400, "'messages' and 'model' are required.", "invalid_request_error", None)
        if self.models is not None and body["model"] not in self.models:
            rec.fault = "404"
            return _error(404, f"The model `{body['model']}` does not exist.", "invalid_request_error",
                          "model_not_found")
        try:
            rec.images  # decode image parts: malformed data URLs are a client error
        except (ValueError, KeyError, IndexError, TypeError):
            rec.fault = "400"
            return _error(400, "Invalid image_url content part.", "invalid_request_error", None)

        fault = self._next_fault(rec, n)
        if fault is not None:
            rec.fault = fault.kind
            hdr = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
            if fault.kind == "401":
                return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            if fault.kind == "400":
                return _error(400, "Bad request (injected).", "invalid_request_error", None)
            if fault.kind == "429":
                return _error(429, "Rate limit reached, please retry.", "requests", "rate_limit_exceeded", hdr)
            if fault.kind == "500":
                return _error(500, "The server had an error while processing your request.", "server_error", None)
            if fault.kind == "503":
                return _error(503, "The engine is currently overloaded.", "server_error", None, hdr)
            if fault.kind == "timeout":
                await asyncio.sleep(self.hang_seconds)
                return _error(504, "gateway timeout", "server_error", None)
            if fault.kind == "reset":
                request.transport.abort() if hasattr(request.transport, "abort") else request.transport.close()
                raise ConnectionResetError("injected reset")
            if fault.kind == "garbage":
                return web.Response(text="<html>502 Bad Gateway</html>", status=200, content_type="text/html")
            if fault.kind == "no_choices":  # a proxy's error object sent with status 200
                return web.json_response({"object": "error", "message": "upstream model crashed"})

        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            delay = self._delay()
            if delay:
                await asyncio.sleep(delay)
            try:
                out = self.reply(rec)
            except Exception as exc:  # a bug in the scripted reply shows up as a 500
                return _error(500, f"reply function failed: {type(exc).__name__}: {exc}", "server_error", None)
        finally:
            with self._lock:
                self.in_flight -= 1
        finish = "stop"
        if isinstance(out, Reply):
            out, finish = out.content, out.finish_reason
        content = out if isinstance(out, str) else json.dumps(out)
        if fault is not None and fault.kind == "empty":
            content = ""
        if fault is not None and fault.kind == "truncated":
            content, finish = content[: max(1, len(content) // 2)], "length"
        pt = len(rec.text.split()) + 256 * len(rec.images)
        ct = len(content.split())
        return web.json_response({
            "id": f"chatcmpl-{n}", "object": "chat.completion", "created": int(rec.time), "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        })


def run(args: argparse.Namespace) -> int:
    reply = None
    if args.reply == "demo":
        from .models import DemoModels

        reply = DemoModels()
    try:
        server = BatchAPIServer(reply, api_key=args.api_key, latency=args.latency, port=args.port).start()
    except OSError as exc:
        print(f"reachqa demo-server: cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc} "
              f"(--port 0 picks a free one)", file=sys.stderr)
        return 2
    print(f"serving on {server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


class _LineRequest:
    """One line of a batch input file, shaped like the ``web.Request`` that :meth:`OpenAIServer._chat`
    reads, so a batched request gets exactly the reply (and the faults) of a direct one."""

    def __init__(self, body: Any, authorization: str | None) -> None:
        self._body = body
        self.headers = {"Authorization": authorization} if authorization else {}
        self.transport = self  # a "reset" fault closes it: the line fails with a 500

    def close(self) -> None:
        pass

    async def json(self) -> Any:
        return self._body


class BatchAPIServer(OpenAIServer):
    """:class:`OpenAIServer` plus the OpenAI Files and Batch endpoints, as ``openai`` speaks them:
    ``POST /v1/files`` (multipart ``file`` + ``purpose``), ``GET /v1/files/{id}``,
    ``GET /v1/files/{id}/content``, ``POST /v1/batches`` (``input_file_id``, ``endpoint``,
    ``completion_window``, ``metadata``), ``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel``.

    A batch goes ``validating`` -> ``in_progress`` -> ``finalizing`` -> ``completed``; each input
    line is answered by the chat handler (same replies, same scripted faults), successes go to the
    output file and failures (status >= 400) to the error file, as ``{"id", "custom_id",
    "response": {"status_code", "request_id", "body"}, "error"}`` lines. Test knobs:
    ``batch_delay`` (seconds before a batch is processed), ``hold_batches`` (a
    ``threading.Event``: batches wait until it is set), ``batch_outcome`` (``"expired"`` or
    ``"failed"``: the next batches end so, without output), ``batches`` and ``files`` (by id),
    ``batch_inputs`` (each created batch's input lines).
    """

    def __init__(self, *args: Any, batch_delay: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch_delay = batch_delay
        self.hold_batches: threading.Event | None = None
        self.batch_outcome: str | None = None
        self.files: dict[str, dict[str, Any]] = {}
        self.file_data: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_inputs: dict[str, list[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task] = set()

    def _add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/files", self._upload)
        app.router.add_get("/v1/files/{file_id}", self._file)
        app.router.add_get("/v1/files/{file_id}/content", self._file_content)
        app.router.add_post("/v1/batches", self._create_batch)
        app.router.add_get("/v1/batches/{batch_id}", self._batch)
        app.router.add_post("/v1/batches/{batch_id}/cancel", self._cancel_batch)

    @staticmethod
    def _refused() -> web.Response:
        return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")

    def _new_file(self, data: bytes, filename: str, purpose: str) -> dict[str, Any]:
        with self._lock:
            file_id = f"file-{len(self.files) + 1:06d}"
            self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                   "filename": filename, "purpose": purpose, "status": "processed"}
            self.file_data[file_id] = data
        return self.files[file_id]

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        form = await request.post()
        upload, purpose = form.get("file"), form.get("purpose")
        if upload is None or not hasattr(upload, "file") or purpose not in ("batch", "fine-tune", "assistants"):
            return _error(400, "'file' and a valid 'purpose' are required.", "invalid_request_error", None)
        return web.json_response(self._new_file(upload.file.read(), upload.filename, purpose))

    async def _file(self, request: web.Request) -> web.Response:
        return self._stored_file(request, lambda file_id: web.json_response(self.files[file_id]))

    async def _file_content(self, request: web.Request) -> web.Response:
        return self._stored_file(request, lambda file_id: web.Response(
            body=self.file_data[file_id], content_type="application/octet-stream"))

    def _stored_file(self, request: web.Request, respond: Callable[[str], web.Response]) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return _error(404, "No such File object.", "invalid_request_error", None)
        return respond(file_id)

    async def _create_batch(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        body = await request.json()
        file_id = body.get("input_file_id")
        if file_id not in self.file_data or body.get("endpoint") != "/v1/chat/completions" \
                or body.get("completion_window") != "24h":
            return _error(400, "Invalid batch request.", "invalid_request_error", None)
        lines = [json.loads(l) for l in self.file_data[file_id].decode("utf-8").splitlines() if l.strip()]
        now = int(time.time())
        with self._lock:
            batch_id = f"batch_{len(self.batches) + 1:06d}"
            batch = {"id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                     "input_file_id": file_id, "completion_window": "24h", "status": "validating",
                     "output_file_id": None, "error_file_id": None, "created_at": now, "in_progress_at": None,
                     "expires_at": now + 86400, "finalizing_at": None, "completed_at": None, "failed_at": None,
                     "expired_at": None, "cancelling_at": None, "cancelled_at": None,
                     "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                     "metadata": body.get("metadata")}
            self.batches[batch_id] = batch
            self.batch_inputs[batch_id] = lines
        task = asyncio.create_task(self._process(batch, lines, request.headers.get("Authorization")))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response(batch)

    async def _batch(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        batch = self.batches.get(request.match_info["batch_id"])
        if batch is None:
            return _error(404, "No such Batch object.", "invalid_request_error", None)
        return web.json_response(batch)

    async def _cancel_batch(self, request: web.Request) -> web.Response:
        batch = self.batches.get(request.match_info["batch_id"])
        if batch is None:
            return _error(404, "No such Batch object.", "invalid_request_error", None)
        if batch["status"] not in ("completed", "failed", "expired", "cancelled"):
            batch.update(status="cancelled", cancelled_at=int(time.time()))
        return web.json_response(batch)

    async def _process(self, batch: dict[str, Any], lines: list[dict[str, Any]], authorization: str | None) -> None:
        await asyncio.sleep(self.batch_delay)
        batch.update(status="in_progress", in_progress_at=int(time.time()))
        while self.hold_batches is not None and not self.hold_batches.is_set():
            await asyncio.sleep(0.05)
        if batch["status"] == "cancelled":
            return
        if self.batch_outcome in ("expired", "failed"):
            batch.update(status=self.batch_outcome, **{f"{self.batch_outcome}_at": int(time.time())})
            return
        out, err = [], []
        for n, line in enumerate(lines, start=1):
            try:
                resp = await self._chat(_LineRequest(line.get("body"), authorization))
                status, body = resp.status, json.loads(resp.body)
            except (ConnectionResetError, ValueError):  # an injected reset or a non-JSON ("garbage") reply
                status, body = 500, {"error": {"message": "The server had an error.", "type": "server_error"}}
            rec = {"id": f"batch_req_{batch['id']}_{n}", "custom_id": line.get("custom_id"),
                   "response": {"status_code": status, "request_id": f"req_{n}", "body": body}, "error": None}
            (out if status == 200 else err).append(json.dumps(rec))
        batch.update(status="finalizing", finalizing_at=int(time.time()))
        if out:
            batch["output_file_id"] = self._new_file(("\n".join(out) + "\n").encode(), "output.jsonl",
                                                     "batch_output")["id"]
        if err:
            batch["error_file_id"] = self._new_file(("\n".join(err) + "\n").encode(), "errors.jsonl",
                                                    "batch_output")["id"]
        batch["request_counts"].update(completed=len(out), failed=len(err))
        batch.update(status="completed", completed_at=int(time.time()))


def main(argv: list[str] | None = None) -> int:
    from .cli import configure

    ap = argparse.ArgumentParser(description="Run the reachqa demo / test OpenAI-compatible server.")
    configure(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
