"""A scripted chart-writing LLM and MLLM raters behind the local OpenAI-compatible server."""

from __future__ import annotations

import pytest

from tests.openai_server import OpenAIServer
from tests.synthesis.synthesis_fixtures import ScriptedModels


@pytest.fixture(scope="session", autouse=True)
def _render_cache(tmp_path_factory):
    """A render cache for this test session: the first render of a script is real, later ones hit."""
    mp = pytest.MonkeyPatch()
    mp.setenv("REACHQA_RENDER_CACHE", str(tmp_path_factory.mktemp("render-cache")))
    yield
    mp.undo()


@pytest.fixture
def scripted():
    return ScriptedModels()


@pytest.fixture
def synth_server(scripted):
    server = OpenAIServer(scripted, api_key="test-key")
    server.start()
    try:
        yield server
    finally:
        server.stop()


