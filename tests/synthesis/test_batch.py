"""``reachqa synthesize --batch``: every stage's requests through the OpenAI Batch API (files +
batches endpoints of the local server, spoken through the ``openai`` client), resumed after a
crash from the journal, and per-request fallback when a line or a batch fails."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reachqa_builder.llm import APIClient, APIConfig, ChatRequest
from reachqa_builder.llm.batch import BatchClient
from reachqa_builder.cli import main
from tests.openai_server import BatchAPIServer, Fault
from tests.synthesis.synthesis_fixtures import ScriptedModels, synth_args

ROOT = Path(__file__).resolve().parents[2]
FAST = ("--batch", "--batch-window", "0.2", "--batch-poll", "0.05")


@pytest.fixture
def batch_server():
    with BatchAPIServer(ScriptedModels(), api_key="test-key") as server:
        yield server


def _batched_lines(server):
    return [line for lines in server.batch_inputs.values() for line in lines]


@pytest.mark.slow
def test_batch_run_sends_every_request_through_batches(batch_server, tmp_path, capsys):
    out = tmp_path / "charts"
    assert main(synth_args(batch_server, out, "--num-charts", "3", *FAST)) == 0
    lines = _batched_lines(batch_server)
    # every chat completion the server answered was a batch line: none was sent directly
    assert len(batch_server.requests) == len(lines) > 0
    assert all(b["status"] == "completed" for b in batch_server.batches.values())
    assert {l["body"]["model"] for l in lines} == {"gen-model", "rater-a", "rater-b"}  # every stage
    assert len({l["custom_id"] for l in lines}) == len(lines)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["output"]["charts"] == 3
    assert summary["batch"]["requests"] == summary["batch"]["replies"] == len(lines)
    assert summary["batch"]["fallbacks"] == {}
    assert "batch API: " in capsys.readouterr().out


def test_failed_lines_and_expired_batches_fall_back_per_request(tmp_path):
    with BatchAPIServer(api_key="test-key") as server:  # replies "ok"
        first, second, stats = asyncio.run(_fallbacks(server, tmp_path))
        assert len(_batched_lines(server)) == 7 and len(server.requests) == 4 + 2 + 3  # 4 lines of the first batch, 2 + 3 direct calls
    assert [r.text for r in first + second] == ["ok"] * 7
    assert stats.batches == 2 and stats.replies == 2
    assert stats.fallbacks == {"line_status_500": 1, "line_status_400": 1, "batch_expired": 3}


async def _fallbacks(batch_server, tmp_path):
    """Four requests, two of whose batch lines fail; then three in a batch that expires."""
    api = APIClient(APIConfig(base_url=batch_server.url, api_key="test-key", cache_path=tmp_path / "c.sqlite",
                              backoff_base=0.01))
    client = BatchClient(api, tmp_path / "batches.jsonl", window=0.1, poll_interval=0.02)
    reqs = [ChatRequest(messages=[{"role": "user", "content": f"question {i}"}], model="m") for i in range(4)]
    batch_server.faults.extend([Fault("500"), Fault("400")])  # the first two lines fail
    first = await asyncio.gather(*(client.chat(r) for r in reqs))
    batch_server.batch_outcome = "expired"
    more = [ChatRequest(messages=[{"role": "user", "content": f"other {i}"}], model="m") for i in range(3)]
    second = await asyncio.gather(*(client.chat(r) for r in more))
    await client.close()
    return first, second, client.stats


@pytest.mark.slow
def test_batch_run_resumes_a_submitted_batch_after_a_crash(batch_server, tmp_path):
    out = tmp_path / "charts"
    batch_server.hold_batches = threading.Event()  # batches stay in progress until set
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "reachqa_builder.cli",
                             *synth_args(batch_server, out, "--num-charts", "2", *FAST)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not batch_server.batches:
        time.sleep(0.1)
    time.sleep(0.5)  # the journal line is written right after the batch is created
    proc.kill()  # SIGKILL: no clean-up of any kind
    proc.wait(30)
    assert len(batch_server.batches) == 1
    journal = next((out / "work").glob("api/batches-*.jsonl"))
    assert '"keys"' in journal.read_text() and '"done"' not in journal.read_text()
    first_ids = {l["custom_id"] for l in _batched_lines(batch_server)}
    batch_server.hold_batches.set()
    assert main(synth_args(batch_server, out, "--num-charts", "2", *FAST)) == 0
    lines = _batched_lines(batch_server)
    # the crashed run's batch was polled and used again, never submitted a second time
    assert len({l["custom_id"] for l in lines}) == len(lines)
    assert first_ids <= {l["custom_id"] for l in lines}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["batch"]["resumed"] == 1 and summary["output"]["charts"] == 2
    assert len(batch_server.requests) == len(lines)  # nothing sent directly


async def _one_batch(server, tmp_path, journal, cache="c.sqlite"):
    api = APIClient(APIConfig(base_url=server.url, api_key="test-key", cache_path=tmp_path / cache,
                              backoff_base=0.01))
    client = BatchClient(api, journal, window=0.1, poll_interval=0.02)
    try:
        reqs = [ChatRequest(messages=[{"role": "user", "content": f"q {i}"}], model="m") for i in range(2)]
        return await asyncio.gather(*(client.chat(r) for r in reqs))
    finally:
        await client.close()


def test_a_torn_journal_tail_is_cut_and_a_damaged_line_is_named(tmp_path):
    """A crash mid-write leaves a line without its newline: the next run drops it and appends whole
    lines after it (the journal reads back whole). A damaged line anywhere else is not skipped: the
    run stops with the file and line named."""
    journal = tmp_path / "batches.jsonl"
    journal.write_text('{"batch": "batch_old", "done": true}\n{"batch": "batch_x", "ke')  # torn by a crash
    with BatchAPIServer(api_key="test-key") as server:
        replies = asyncio.run(_one_batch(server, tmp_path, journal))
        assert [r.text for r in replies] == ["ok", "ok"]
        lines = journal.read_text().splitlines()
        assert lines[0] == '{"batch": "batch_old", "done": true}' and all(json.loads(l) for l in lines)
        assert not any("batch_x" in l for l in lines)
        journal.write_text('{"batch": "batch_old", "done": true}\nnot json\n{"batch": "b2", "done": true}\n')
        with pytest.raises(ValueError, match=rf"{journal}:2: not a JSON record"):
            asyncio.run(_one_batch(server, tmp_path, journal, cache="fresh.sqlite"))  # no cache hits
