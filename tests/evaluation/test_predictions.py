"""Prediction JSONL files and the resumable runner."""

from __future__ import annotations

import json

import pytest

from evaluation.benchmarks import Sample
from reachqa_builder.llm.types import ChatResponse
from evaluation.predictions import PredictionWriter
from reachqa_builder.eval_records import read_predictions
from evaluation.runner import GenerationSettings, build_request, run_benchmark


def _rec(i):
    return {"id": f"s{i}", "benchmark": "b", "subset": "x", "question": "q", "answer": "a", "prediction": "p"}


def test_writer_resumes_and_repairs_a_torn_tail(tmp_path):
    path = tmp_path / "p.jsonl"
    with PredictionWriter(path) as w:
        w.write(_rec(0))
        w.write(_rec(1))
    with open(path, "a") as fh:
        fh.write('{"id": "s2", "bench')  # a crash mid-line
    assert [r["id"] for r in read_predictions(path)] == ["s0", "s1"]
    with PredictionWriter(path) as w:
        assert w.done == {"s0", "s1"}
        w.write(_rec(2))
    assert [r["id"] for r in read_predictions(path)] == ["s0", "s1", "s2"]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_bad_records_are_named(tmp_path):
    with PredictionWriter(tmp_path / "p.jsonl") as w, pytest.raises(ValueError, match="lacks"):
        w.write({"id": "x"})
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n" + json.dumps(_rec(0)) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        read_predictions(bad)


class CountingEngine:
    """A real engine wrapper that counts what reaches the model."""

    name = "counting"

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def generate(self, requests):
        self.seen.extend(requests)
        return self.inner.generate(requests)


class Echo:
    """Answers with the request's text (deterministic, for runner bookkeeping tests)."""

    name = "echo"

    def generate(self, requests):
        out = []
        for r in requests:
            text = r.messages[-1]["content"][-1]["text"]
            out.append(RuntimeError("boom") if "fail" in text else ChatResponse(text=text, finish_reason="stop"))
        return out


def test_runner_resume_and_failures(tmp_path, charts):
    samples = [Sample(id=f"s{i}", image=charts[0], question=f"question {i}", answer=str(i), subset="x")
               for i in range(5)] + [Sample(id="bad", image=charts[0], question="fail me", answer="", subset="x")]
    path = tmp_path / "b.jsonl"
    engine = CountingEngine(Echo())
    first = run_benchmark(engine, "b", samples[:3], path, model_name="m", chunk_size=2, progress=False)
    assert first["written"] == 3 and first["skipped"] == 0
    second = run_benchmark(engine, "b", samples, path, model_name="m", chunk_size=2, progress=False)
    assert (second["written"], second["skipped"], second["failed"]) == (2, 3, 1)
    assert len(engine.seen) == 3 + 3  # finished samples never reach the engine again
    recs = read_predictions(path)
    assert [r["id"] for r in recs] == ["s0", "s1", "s2", "s3", "s4"]  # the failed one is not written
    assert recs[0]["prediction"] == "question 0 Let's think step by step."
    assert recs[0]["engine"] == "counting" and recs[0]["model"] == "m"


def test_build_request_puts_image_first_and_suffix(charts):
    s = Sample(id="1", image=charts[1], question="How many bars? ", answer="2", subset="x")
    req = build_request(s, "m", GenerationSettings(prompt_suffix="Answer briefly.", max_new_tokens=7,
                                                   system_prompt="Be careful."))
    assert req.max_tokens == 7 and req.temperature == 0.0
    assert req.messages[0] == {"role": "system", "content": "Be careful."}
    parts = req.messages[1]["content"]
    assert parts[0]["type"] == "image_url" and parts[1] == {"type": "text", "text": "How many bars? Answer briefly."}
    assert build_request(s, "m", GenerationSettings(prompt_suffix="")).messages[0]["content"][1]["text"] == \
        "How many bars?"
