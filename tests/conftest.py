"""Shared pytest fixtures.

``openai_server`` starts a real OpenAI-compatible HTTP server (:mod:`tests.openai_server`) on
127.0.0.1 with a random port for one test; set ``server.reply``, ``server.faults``,
``server.latency`` ... inside the test. ``api_config`` is an :class:`APIConfig` pointing at it with
fast retries (backoff in milliseconds) and a cache file in ``tmp_path``.

Other areas add their own fixtures in ``tests/<area>/conftest.py``.
"""

from __future__ import annotations

import os

import pytest

from tests.openai_server import OpenAIServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Ray (tests/ray_cluster.py): every node and driver on 127.0.0.1; read when ray is first imported
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


@pytest.fixture
def openai_server():
    """A started :class:`tests.openai_server.OpenAIServer` (key ``test-key``), stopped after the test."""
    server = OpenAIServer(api_key="test-key")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def api_config(openai_server, tmp_path):
    """An :class:`reachqa_builder.llm.api.APIConfig` for ``openai_server`` with quick retries."""
    from reachqa_builder.llm.api import APIConfig

    return APIConfig(base_url=openai_server.url, api_key="test-key", concurrency=8, timeout=5.0,
                     max_retries=4, backoff_base=0.01, backoff_max=0.5, schema_retries=2,
                     cache_path=str(tmp_path / "api-cache.sqlite"))
