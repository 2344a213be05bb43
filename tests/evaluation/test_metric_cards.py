"""The metric folders are publishable: each has a card like the ``evaluate`` hub's metrics and
loads from a copy of its folder in a process where the repository's packages cannot be imported;
``llm_judge`` uses reachqa's judge, so there ``reachqa_builder`` comes from the installed package, and
without it ``evaluate.load`` says what to install."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from evaluation.metrics import METRICS, metric_path
from tests.evaluation.judge_fixtures import grading_judge

REPO = Path(__file__).resolve().parents[2]

RUNNER = r"""
import json, os, sys
repo = os.path.realpath(sys.argv[1])
sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != repo]
blocked = json.loads(sys.argv[4])
for name in blocked:
    sys.modules[name] = None          # importing any of them now fails
import evaluate
folder, kwargs = sys.argv[2], json.loads(sys.argv[3])
metric = evaluate.load(folder)
out = metric.compute(**kwargs)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in blocked and sys.modules[m])
print(json.dumps({"out": out, "leaked": leaked}))
"""
PACKAGES = ("evaluation", "reachqa_builder", "synthesis", "training", "tests")


def _run_standalone(tmp_path, name, blocked, **kwargs):
    folder = tmp_path / "hub" / name
    shutil.copytree(metric_path(name), folder, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    script = tmp_path / "run_metric.py"
    script.write_text(RUNNER)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_EVALUATE_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PYTHONNOUSERSITE": "1"}
    return subprocess.run([sys.executable, str(script), str(REPO), str(folder), json.dumps(kwargs),
                           json.dumps(blocked)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def _standalone(tmp_path, name, blocked=PACKAGES, **kwargs):
    proc = _run_standalone(tmp_path, name, list(blocked), **kwargs)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["leaked"] == []
    return result["out"]


def test_relaxed_accuracy_loads_standalone(tmp_path):
    out = _standalone(tmp_path, "relaxed_accuracy", predictions=["71, 708", "1,234", "So the answer is: 42"],
                      references=["71708", "1234", "42"], extract_answer=True)
    assert out == {"relaxed_accuracy": pytest.approx(2 / 3)}


JUDGE_ARGS = dict(predictions=["The answer is 3.", "It is 6."], references=["3", "7"],
                  questions=["How many bars?", "Highest value?"], judge_model="judge-1", api_key="test-key")


def test_llm_judge_loads_standalone_with_reachqa_installed(tmp_path, openai_server):
    """Loaded from a copy of its folder, with only the installed foundation importable; its replies go
    to the foundation's default cache, ~/.cache/reachqa/judge-cache.sqlite (HOME is the test's folder)."""
    openai_server.reply = grading_judge
    without_foundation = [p for p in PACKAGES if p != "reachqa_builder"]
    out = _standalone(tmp_path, "llm_judge", blocked=without_foundation, base_url=openai_server.url, **JUDGE_ARGS)
    assert out["verdicts"] == ["correct", "incorrect"] and out["accuracy"] == 0.5
    assert out["fingerprint"]["protocol"] == "paper" and len(openai_server.requests) == 2
    assert (tmp_path / ".cache" / "reachqa" / "judge-cache.sqlite").is_file()


def test_llm_judge_without_reachqa_says_what_to_install(tmp_path, openai_server):
    proc = _run_standalone(tmp_path, "llm_judge", list(PACKAGES), base_url=openai_server.url, **JUDGE_ARGS)
    assert proc.returncode != 0 and "pip install reachqa" in proc.stderr.strip().splitlines()[-1]
    assert not openai_server.requests


@pytest.mark.parametrize("name", METRICS)
def test_metric_card(name):
    text = (Path(metric_path(name)) / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] and front["description"] and {"evaluate", "metric"} <= set(front["tags"])
    assert front["app_file"] == "app.py" and (Path(metric_path(name)) / "app.py").is_file()
    for heading in ("## Metric Description", "## How to Use", "### Inputs", "### Output Values", "### Examples",
                    "## Limitations and Bias", "## Citation"):
        assert heading in text, heading
    assert "@" in text.split("## Citation")[1]  # a BibTeX entry
