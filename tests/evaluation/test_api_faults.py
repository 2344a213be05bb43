"""Faults of the model-call layer: malformed 200s, a hung server, keys in URLs."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace

import pytest

from reachqa_builder.llm.api import APIClient, APIConfig, APIError
from reachqa_builder.llm.types import ChatRequest
from tests.openai_server import Fault


def _req(text="hi"):
    return ChatRequest(messages=[{"role": "user", "content": text}], model="test-model")


def _call(config, req):
    async def go():
        async with APIClient(config) as client:
            return await client.chat(req)
    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["garbage", "no_choices"])  # an HTML page / JSON without choices, status 200
def test_malformed_200_outlasting_the_retries_is_an_outage_not_a_drop(openai_server, api_config, kind):
    openai_server.faults.extend([Fault(kind)] * 10)
    with pytest.raises(APIError) as ei:
        _call(replace(api_config, max_retries=2), _req())
    assert ei.value.kind == "bad_reply" and ei.value.attempts == 3 and len(openai_server.requests) == 3
    assert ei.value.transient and ei.value.retryable and not ei.value.fatal  # callers keep the item pending


def test_a_hung_server_shows_a_waiting_line_and_gives_up_after_the_timeout_retries(openai_server, api_config,
                                                                                    caplog):
    openai_server.hang_seconds = 30.0
    openai_server.faults.extend([Fault("timeout")] * 10)
    config = replace(api_config, timeout=1.5, max_retries=6, timeout_retries=1, notice_after=0.3)
    t0 = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="reachqa_builder.llm.api"):
        with pytest.raises(APIError) as ei:
            _call(config, _req())
    elapsed = time.monotonic() - t0
    assert ei.value.kind == "timeout" and ei.value.transient
    assert ei.value.attempts == 2 and len(openai_server.requests) == 2  # not max_retries + 1 = 7
    assert elapsed < 8.0
    waiting = [r.getMessage() for r in caplog.records if "still waiting" in r.getMessage()]
    assert waiting and openai_server.url in waiting[0] and "gives up after 1.5 s" in waiting[0]
    assert 3 <= len(waiting) <= 15  # repeated while the tries wait (2 x 1.5 s, one line per 0.3 s at most)


def test_the_defaults_give_up_on_a_hung_server_within_minutes():
    c = APIConfig(base_url="http://127.0.0.1:9/v1")
    worst = (1 + c.timeout_retries) * c.timeout + sum(c.backoff_max for _ in range(c.timeout_retries))
    assert worst <= 12 * 60 and 0 < c.notice_after <= 30  # the old defaults: 7 x 600 s = 70 min, no line


def test_a_key_in_the_base_url_is_redacted_in_errors_and_repr(openai_server, api_config, caplog):
    secret = "sk-in-url-31337"
    openai_server.api_key = None
    url = openai_server.url.replace("http://", f"http://me:{secret}@")
    config = replace(api_config, base_url=url, api_key="", max_retries=0, notice_after=0.2, timeout=1.0)
    openai_server.hang_seconds = 2.0
    openai_server.faults.append(Fault("timeout"))
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(APIError) as ei:
            _call(config, _req())
        client = APIClient(config)
    text = str(ei.value) + repr(client) + caplog.text + client.display_url
    assert secret not in text and "***@127.0.0.1" in repr(client)
    assert openai_server.requests[-1].authorization.startswith("Basic ")  # the key still reaches the server
    with pytest.raises(ValueError) as ei:
        APIConfig(base_url=f"ftp://me:{secret}@host/v1")
    assert secret not in str(ei.value)
