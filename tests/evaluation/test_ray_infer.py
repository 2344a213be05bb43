"""``reachqa infer --engine openai --ray ADDRESS``: the Ray Data LLM path (``HttpRequestProcessorConfig``)
on a local 2-node cluster against the local OpenAI-compatible test server. The ``--engine vllm``
route shares this pipeline with ``vLLMEngineProcessorConfig`` and needs GPUs: not run here."""

from __future__ import annotations

import pytest

from reachqa_builder.eval_records import read_predictions
from reachqa_builder.cli import main
from tests.evaluation import benchmark_fixtures as fx
from tests.openai_server import Fault
from tests.ray_cluster import local_cluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    with local_cluster() as c:
        yield c


def test_infer_through_ray_data_matches_the_openai_engine_and_resumes(cluster, tmp_path, charts, openai_server, capsys):
    def reply(req):
        return f"{len(req.images)} chart; the answer is {req.last_user_text.split()[0]}"

    openai_server.reply = reply
    openai_server.fault_fn = lambda req, n: Fault("400") if "highest" in req.last_user_text else None
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    common = ["infer", "--model", "served-vlm", "--base-url", openai_server.url, "--api-key", "test-key",
              "--benchmarks", f"chartqa={cq}", "--no-progress", "--max-new-tokens", "64"]
    assert main([*common, "--engine", "openai", "--out", str(tmp_path / "direct")]) == 1
    sent_direct = len(openai_server.requests)

    out = tmp_path / "on-ray"
    code = main([*common, "--engine", "openai", "--ray", cluster.address, "--replicas", "2", "--out", str(out)])
    assert code == 1 and "1 requests failed for good" in capsys.readouterr().err  # the 400 is not written
    on_ray = read_predictions(out / "chartqa.jsonl")
    direct = read_predictions(tmp_path / "direct" / "chartqa.jsonl")
    assert sorted(p["id"] for p in on_ray) == sorted(p["id"] for p in direct) == ["human-0", "human-1"]
    by_id = {p["id"]: p for p in direct}
    for p in on_ray:
        assert p["prediction"] == by_id[p["id"]]["prediction"] and p["engine"] == "openai+ray"
    ray_requests = openai_server.requests[sent_direct:]
    assert {r.model for r in ray_requests} == {"served-vlm"}
    assert {bytes(r.images[0]) for r in ray_requests} == set(charts)  # the JPEG bytes as sent directly
    assert all(r.body["max_tokens"] == 64 and r.body["temperature"] == 0 for r in ray_requests)

    openai_server.fault_fn = None  # the rerun sends only what is missing
    before = len(openai_server.requests)
    assert main([*common, "--engine", "openai", "--ray", cluster.address, "--out", str(out)]) == 0
    assert len(openai_server.requests) == before + 1
    assert sorted(p["id"] for p in read_predictions(out / "chartqa.jsonl")) == ["augmented-0", "human-0", "human-1"]


def test_ray_refuses_the_transformers_engine_in_one_line(cluster, tmp_path, charts, capsys):
    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    code = main(["infer", "--engine", "transformers", "--ray", cluster.address, "--model", "m", "--benchmarks",
                 f"chartqa={cq}", "--out", str(tmp_path / "p"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1] == ("reachqa infer: --ray runs the vllm or openai engine (no --adapter: merge it "
                                     "first, reachqa merge-lora)")
