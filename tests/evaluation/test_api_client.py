"""The shared OpenAI-compatible client against a real local HTTP server."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
import time
from dataclasses import replace

import pytest
from PIL import Image

from reachqa_builder.llm.api import APIClient, APIConfig, APIError, RequestLimiter, Usage, parse_json_reply
from reachqa_builder.llm.cache import ReplyCache
from reachqa_builder.llm.types import ChatRequest, ChatResponse, user_message
from tests.openai_server import Fault, Reply

SCHEMA = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}},
          "required": ["score"], "additionalProperties": False}


def req(text="hello", schema=None, **kw):
    return ChatRequest(messages=[{"role": "user", "content": text}], model="test-model",
                       response_schema=schema, **kw)


def run(coro):
    return asyncio.run(coro)


async def call(config, request, **kw):
    async with APIClient(config, **kw) as client:
        return await client.chat(request), client


def test_plain_chat_counts_usage_and_sends_protocol(openai_server, api_config):
    openai_server.reply = lambda r: f"echo {r.last_user_text}"
    resp, client = run(call(api_config, req("one two three", temperature=0.7, top_p=0.9, max_tokens=77)))
    assert resp.text == "echo one two three" and resp.finish_reason == "stop" and not resp.cached
    assert resp.prompt_tokens == 3 and resp.completion_tokens == 4
    assert client.usage.prompt_tokens == 3 and client.usage.completion_tokens == 4 and client.usage.requests == 1
    body = openai_server.requests[0].body
    assert body["temperature"] == 0.7 and body["top_p"] == 0.9 and body["max_tokens"] == 77
    assert "response_format" not in body and openai_server.requests[0].authorized


def test_schema_reply_is_parsed_and_validated(openai_server, api_config):
    openai_server.reply = lambda r: {"score": 4}
    resp, _ = run(call(api_config, req(schema=SCHEMA)))
    assert resp.parsed == {"score": 4}
    rf = openai_server.requests[0].body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["schema"] == SCHEMA


def test_tolerant_parser_for_servers_ignoring_schemas(openai_server, api_config):
    openai_server.reply = lambda r: 'Here you go:\n```json\n{"score": 2}\n```\nThanks.'
    resp, _ = run(call(api_config, req(schema=SCHEMA)))
    assert resp.parsed == {"score": 2}
    assert parse_json_reply('blah [1, 2] tail') == [1, 2]
    assert parse_json_reply('x {"a": {"b": 1}} y {"c": 2}') == {"a": {"b": 1}}
    with pytest.raises(ValueError, match="no JSON"):
        parse_json_reply("no json here")
    with pytest.raises(ValueError, match="empty"):
        parse_json_reply("  ")


def test_invalid_reply_is_reasked_with_the_error(openai_server, api_config):
    replies = iter(["not json at all", {"score": 9}, {"score": 3}])
    openai_server.reply = lambda r: next(replies)
    resp, client = run(call(api_config, req(schema=SCHEMA)))
    assert resp.parsed == {"score": 3}
    assert len(openai_server.requests) == 3
    second, third = openai_server.requests[1], openai_server.requests[2]
    assert second.messages[-2] == {"role": "assistant", "content": "not json at all"}
    assert "no JSON value" in second.messages[-1]["content"]
    assert "maximum" in third.messages[-1]["content"] or "9" in third.messages[-1]["content"]
    assert client.usage.retries["invalid_json"] == 2


def test_invalid_reply_gives_up_after_bounded_reasks(openai_server, api_config):
    openai_server.reply = lambda r: {"score": "high"}
    with pytest.raises(APIError) as ei:
        run(call(api_config, req(schema=SCHEMA)))
    assert ei.value.kind == "invalid_json"
    assert len(openai_server.requests) == api_config.schema_retries + 1


@pytest.mark.parametrize("kind", ["500", "503", "reset", "timeout", "empty", "garbage"])
def test_transient_faults_are_retried(openai_server, api_config, kind):
    openai_server.hang_seconds = 3.0
    config = replace(api_config, timeout=0.5, timeout_retries=2)
    openai_server.reply = lambda r: "fine"
    openai_server.faults.extend([Fault(kind), Fault(kind)])
    resp, client = run(call(config, req()))
    assert resp.text == "fine"
    assert len(openai_server.requests) == 3
    expected = {"500": "http_500", "503": "http_503", "reset": "connection", "timeout": "timeout",
                "empty": "empty", "garbage": "bad_reply"}[kind]
    assert client.usage.retries[expected] == 2


def test_429_honours_retry_after(openai_server, api_config):
    openai_server.faults.append(Fault("429", retry_after=0.4))
    t0 = time.monotonic()
    resp, client = run(call(api_config, req()))
    assert time.monotonic() - t0 >= 0.4
    assert resp.text == "ok" and client.usage.retries["http_429"] == 1


def test_truncated_reply_retried_only_when_schema_required(openai_server, api_config):
    openai_server.reply = lambda r: {"score": 5}
    openai_server.faults.append(Fault("truncated"))
    resp, client = run(call(api_config, req(schema=SCHEMA)))
    assert resp.parsed == {"score": 5} and client.usage.retries["truncated"] == 1
    openai_server.reply = lambda r: Reply("a long story cut", finish_reason="length")
    resp, _ = run(call(api_config, req("free text")))
    assert resp.finish_reason == "length" and resp.text == "a long story cut"


def test_retries_exhausted_raise_with_reason(openai_server, api_config):
    openai_server.faults.extend([Fault("503")] * 10)
    with pytest.raises(APIError) as ei:
        run(call(api_config, req()))
    assert ei.value.kind == "http_503" and ei.value.status == 503
    assert ei.value.attempts == api_config.max_retries + 1
    assert "overloaded" in str(ei.value)
    assert ei.value.transient and ei.value.retryable and not ei.value.fatal


@pytest.mark.parametrize("kind", ["reset", "timeout", "429"])
def test_outages_outlasting_the_retries_are_transient(openai_server, api_config, kind):
    # a caller keeps such items pending for a later run instead of dropping them
    openai_server.hang_seconds = 3.0
    openai_server.faults.extend([Fault(kind, retry_after=0.01 if kind == "429" else None)] * 10)
    config = replace(api_config, timeout=0.5, max_retries=2, timeout_retries=2)
    with pytest.raises(APIError) as ei:
        run(call(config, req()))
    expected = {"reset": "connection", "timeout": "timeout", "429": "http_429"}[kind]
    assert ei.value.kind == expected and ei.value.attempts == 3 and len(openai_server.requests) == 3
    assert ei.value.transient and not ei.value.fatal


def test_unusable_replies_and_outages_share_one_retry_budget(openai_server, api_config):
    # max_retries=3: four HTTP tries in all, whichever layer retries
    openai_server.faults.extend([Fault("503"), Fault("empty")] * 5)
    usage = Usage()
    with pytest.raises(APIError) as ei:
        run(call(replace(api_config, max_retries=3), req(), usage=usage))
    assert len(openai_server.requests) == 4 and ei.value.attempts == 4
    assert ei.value.kind == "empty" and ei.value.retryable and not ei.value.transient
    assert usage.retries == {"http_503": 2, "empty": 1} and usage.requests == 4 and usage.failures == 1
    openai_server.reset_log()
    openai_server.faults.clear()
    openai_server.faults.extend([Fault("empty")] + [Fault("503")] * 10)
    with pytest.raises(APIError) as ei:
        run(call(replace(api_config, max_retries=3), req()))
    assert len(openai_server.requests) == 4 and ei.value.attempts == 4 and ei.value.kind == "http_503"


def test_backoff_follows_the_config_not_the_package_default(openai_server, api_config):
    # openai alone would wait 0.375-0.5 s before its first retry; the config asks for 0.6-1.2 s
    openai_server.faults.append(Fault("503"))
    t0 = time.monotonic()
    resp, client = run(call(replace(api_config, backoff_base=1.2, backoff_max=1.2), req()))
    assert time.monotonic() - t0 >= 0.6
    times = [r.time for r in openai_server.requests]
    assert resp.text == "ok" and times[1] - times[0] >= 0.6 and client.usage.retries["http_503"] == 1


def test_wrong_key_fails_at_once_and_key_never_leaks(openai_server, api_config, tmp_path):
    secret = "sk-very-secret-key-123"
    config = replace(api_config, api_key=secret)
    with pytest.raises(APIError) as ei:
        run(call(config, req()))
    assert ei.value.kind == "http_401" and len(openai_server.requests) == 1  # not retried
    assert ei.value.fatal and not ei.value.transient and not ei.value.retryable
    assert secret not in str(ei.value) and secret not in repr(config)
    # a server that echoes the key in an error message: redacted
    openai_server.api_key = None
    openai_server.reply = lambda r: (_ for _ in ()).throw(RuntimeError(f"bad key {secret}"))
    with pytest.raises(APIError) as ei:
        run(call(replace(config, max_retries=1), req()))
    assert secret not in str(ei.value) and "***" in str(ei.value)
    # the cache never holds it, and the key does not change the cache key
    openai_server.reply = lambda r: "cached reply"
    run(call(config, req("x")))
    blob = (tmp_path / "api-cache.sqlite").read_bytes()
    assert secret.encode() not in blob
    resp, client = run(call(replace(config, api_key="other"), req("x")))
    assert resp.cached and client.usage.requests == 0


def test_key_never_in_logs(openai_server, api_config, caplog):
    # openai and its HTTP library log each request and retry at DEBUG level
    secret = "sk-log-secret-456"
    openai_server.api_key = secret
    openai_server.faults.append(Fault("500"))
    with caplog.at_level(logging.DEBUG):
        resp, _ = run(call(replace(api_config, api_key=secret), req()))
    assert resp.text == "ok" and "Retrying" in caplog.text and secret not in caplog.text


def test_no_key_sends_no_authorization_header(openai_server, api_config, monkeypatch):
    # local servers started without --api-key: openai itself insists on a key, the client does not
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    openai_server.api_key = None
    resp, _ = run(call(replace(api_config, api_key="", no_cache=True), req()))
    assert resp.text == "ok" and openai_server.requests[-1].authorization is None
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    run(call(replace(api_config, api_key=None, no_cache=True), req()))
    assert openai_server.requests[-1].authorization == "Bearer from-env"


def test_server_from_environment(openai_server, api_config, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_server.url)
    config = APIConfig(api_key="test-key", max_retries=0)
    assert config.base_url == openai_server.url
    resp, _ = run(call(config, req()))
    assert resp.text == "ok" and len(openai_server.requests) == 1
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert APIConfig().base_url == "http://localhost:8000/v1"


def test_key_from_environment(openai_server, api_config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    resp, _ = run(call(replace(api_config, api_key=None), req()))
    assert resp.text == "ok"
    monkeypatch.setenv("OPENAI_API_KEY", "wrong")
    with pytest.raises(APIError, match="http_401"):
        run(call(replace(api_config, api_key=None, no_cache=True), req()))


def test_concurrency_bound_is_shared(openai_server, api_config):
    openai_server.latency = 0.1
    config = replace(api_config, concurrency=3, no_cache=True)

    async def main():
        limiter = RequestLimiter(3)
        a, b = APIClient(config, limiter=limiter), APIClient(config, limiter=limiter)
        reqs = [req(f"q{i}") for i in range(12)]
        out = await asyncio.gather(a.chat_many(reqs[:6]), b.chat_many(reqs[6:]))
        await a.close(), await b.close()
        return out

    t0 = time.monotonic()
    out = run(main())
    assert all(isinstance(r, ChatResponse) for part in out for r in part)
    assert openai_server.max_in_flight == 3
    assert time.monotonic() - t0 >= 0.4  # 12 requests / 3 slots * 0.1 s


async def _warm(client, server, window):
    # the first requests of a fresh client open connections (and openai probes the platform):
    # under load that lags the wire behind the limiter by up to 0.3 s, which is not what is measured
    await client.chat_many([req("warm-a"), req("warm-b")])
    await asyncio.sleep(window)
    server.reset_log()
    return time.monotonic()


def test_requests_per_window_limit(openai_server, api_config):
    config = replace(api_config, no_cache=True)

    async def main():
        client = APIClient(config, limiter=RequestLimiter(8, rpm=2, window=0.5))
        t0 = await _warm(client, openai_server, 0.5)
        await client.chat_many([req(f"q{i}") for i in range(5)])
        await client.close()
        return t0

    t0 = run(main())
    times = sorted(r.time for r in openai_server.requests)
    assert time.monotonic() - t0 >= 1.0  # 5 requests, 2 per 0.5 s window
    # the third request waits for the next window (0.5 s); without the limit the gap is ~0.
    # Server-side arrival lags the limiter's grant by up to ~0.15 s on a loaded 2-core machine.
    assert times[2] - times[0] >= 0.3


def test_tokens_per_window_limit(openai_server, api_config):
    config = replace(api_config, no_cache=True)

    limiter = RequestLimiter(8, tpm=150, window=0.5)

    async def main():
        async with APIClient(config, limiter=limiter, usage=Usage()) as client:
            t0 = await _warm(client, openai_server, 0.5)
            client.usage = Usage()
            out = await client.chat_many([req(f"q{i}", max_tokens=100) for i in range(3)])
        return out, client, t0

    out, client, t0 = run(main())
    # each estimate is ~100 tokens: one fits a 150-token window at a time
    assert time.monotonic() - t0 >= 0.9
    assert [r.text for r in out] == ["ok"] * 3
    times = sorted(r.time for r in openai_server.requests)
    assert times[1] - times[0] >= 0.45 and times[2] - times[1] >= 0.45
    # the window holds what the server reported (2 tokens a reply), not the estimates
    assert client.usage.tokens == 6
    assert limiter._tpm.events and all(amount == 2 for _, amount in limiter._tpm.events)


def test_cache_hits_and_no_cache(openai_server, api_config):
    openai_server.reply = lambda r: {"score": 1}
    r1, _ = run(call(api_config, req(schema=SCHEMA)))
    r2, c2 = run(call(api_config, req(schema=SCHEMA)))
    assert not r1.cached and r2.cached and r2.parsed == {"score": 1}
    assert c2.usage.cache_hits == 1 and c2.usage.requests == 0
    r3, c3 = run(call(replace(api_config, no_cache=True), req(schema=SCHEMA)))
    assert not r3.cached and c3.usage.requests == 1
    # a different request (temperature) is a different key
    r4, _ = run(call(api_config, req(schema=SCHEMA, temperature=0.5)))
    assert not r4.cached and len(openai_server.requests) == 3


def test_cache_is_safe_across_threads(tmp_path):
    cache = ReplyCache(tmp_path / "c.sqlite")

    def work(t):
        for i in range(50):
            cache.put(f"k{t}-{i}", ChatResponse(text=f"{t}-{i}"))
            assert cache.get(f"k{t}-{i}").text == f"{t}-{i}"

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(cache) == 200
    assert ReplyCache(tmp_path / "c.sqlite", enabled=False).get("k0-0") is None


def test_images_travel_as_data_urls(openai_server, api_config):
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buf, format="JPEG")
    message = user_message("describe", [buf.getvalue()])
    resp, _ = run(call(api_config, ChatRequest(messages=[message], model="m")))
    assert resp.text == "ok"
    got = openai_server.requests[0].images
    assert got == [buf.getvalue()]
    assert Image.open(io.BytesIO(got[0])).size == (8, 6)


def test_sync_wrapper_and_models(openai_server, api_config):
    client = APIClient(api_config)
    assert client.chat_sync(req("a")).text == "ok"
    out = client.chat_many_sync([req("b"), req("c")])
    assert [r.text for r in out] == ["ok", "ok"]
    openai_server.models = ("alpha", "beta")
    assert run(_models(api_config)) == ["alpha", "beta"]
    with pytest.raises(APIError, match="does not exist") as ei:
        client.chat_sync(req("d"))  # model "test-model" not served: 404, not retried
    assert ei.value.kind == "http_404" and ei.value.fatal and len(openai_server.requests) == 4


async def _models(config):
    async with APIClient(config) as client:
        return await client.list_models()


def test_structured_none_sends_no_response_format(openai_server, api_config):
    openai_server.reply = lambda r: '{"score": 3}'
    resp, _ = run(call(replace(api_config, structured="none"), req(schema=SCHEMA)))
    assert resp.parsed == {"score": 3}
    assert "response_format" not in openai_server.requests[0].body
    with pytest.raises(ValueError, match="structured"):
        APIConfig(base_url="http://x/v1", structured="yaml")
    with pytest.raises(ValueError, match="base_url"):
        APIConfig(base_url="localhost:8000")


def test_failures_in_chat_many_are_returned_in_place(openai_server, api_config):
    openai_server.reply = lambda r: "bad" if "q1" in r.last_user_text else {"score": 2}
    out = run(_many(replace(api_config, schema_retries=0), [req("q0", SCHEMA), req("q1", SCHEMA)]))
    assert out[0].parsed == {"score": 2}
    assert isinstance(out[1], APIError) and out[1].kind == "invalid_json"


async def _many(config, reqs):
    async with APIClient(config) as client:
        return await client.chat_many(reqs)


def test_bad_request_is_not_retried(openai_server, api_config):
    openai_server.faults.append(Fault("400"))
    with pytest.raises(APIError) as ei:
        run(call(api_config, req()))
    assert ei.value.status == 400 and len(openai_server.requests) == 1
    assert json.dumps(ei.value.message) and "injected" in ei.value.message
    assert not (ei.value.fatal or ei.value.transient or ei.value.retryable)
