"""The offline demo (docs/synthesis.md, docs/evaluation.md): `reachqa demo-server` runs from any
folder and answers what `reachqa evaluate` sends (benchmark questions with a chart, judge prompts
with a readable verdict)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reachqa_builder.cli import main
from reachqa_builder.demo.models import DemoModels
from tests.evaluation import benchmark_fixtures as fx


@pytest.mark.slow
def test_demo_server_from_another_folder_serves_an_evaluation(tmp_path, charts):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the installed package, not the checkout
    server = subprocess.Popen([sys.executable, "-m", "reachqa_builder.cli", "demo-server", "--port", "0"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert line.startswith("serving on http://127.0.0.1:"), server.stderr.read() if not line else line
        url = line.split()[-1]
        cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
        rq = fx.write_reachqa_data_json(tmp_path / "rq", charts)
        out = tmp_path / "eval"
        assert main(["evaluate", "--engine", "openai", "--model", "demo", "--base-url", url, "--api-key", "",
                     "--benchmarks", f"chartqa={cq},reachqa={rq}", "--out", str(out), "--judge-model", "demo",
                     "--judge-base-url", url, "--judge-api-key", "", "--no-progress"]) == 0
    finally:
        server.terminate()
        server.wait(10)
    report = json.loads((out / "report.json").read_text())
    judged = [json.loads(x) for x in (out / "judged.jsonl").read_text().splitlines()]
    assert len(judged) == 6 and all(r["judge"] in ("correct", "incorrect") for r in judged)  # no invalid verdict
    assert {"chartqa", "reachqa"} <= set(report["benchmarks"])


def test_demo_judge_reads_the_final_answer():
    from reachqa_builder.scoring.judge_protocol import PAPER_TEMPLATE

    class Req:  # what the server hands the reply function
        schema = None
        images: list = []

        def __init__(self, text):
            self.text = self.last_user_text = text
            self.messages = [{"role": "user", "content": text}]

    demo = DemoModels()
    right = demo(Req(PAPER_TEMPLATE.format(question="Max?", answer="North", prediction="...\nThe answer is North.")))
    wrong = demo(Req(PAPER_TEMPLATE.format(question="Max?", answer="North", prediction="The answer is South.")))
    assert right.endswith("Correctness: Yes") and wrong.endswith("Correctness: No")
