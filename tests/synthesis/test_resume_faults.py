"""SIGKILL-and-resume, fault paths, single stages on a ReachQA folder, loading with reachqa build."""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reachqa_builder.cli import main
from tests.openai_server import Fault
from tests.synthesis.synthesis_fixtures import chart_code, synth_args

JOURNALS = ("self_instruct", "evol_instruct", "execute", "rate", "qa", "check")


def journal_ids(work: Path, name: str) -> list[str]:
    p = work / f"{name}.jsonl"
    if not p.exists():
        return []
    return [json.loads(l)["id"] for l in p.read_text().splitlines() if l.strip()]


@pytest.mark.slow
def test_sigkill_and_resume(synth_server, tmp_path):
    synth_server.latency, synth_server.jitter = 0.15, 0.05
    out = tmp_path / "charts"
    args = synth_args(synth_server, out, "--num-charts", "4", "--concurrency", "4")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from reachqa_builder.cli import main; sys.exit(main(sys.argv[1:]))",
                             *args], cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and len(journal_ids(out / "work", "rate")) < 2 and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "summary.json").exists()
    before = {n: set(journal_ids(out / "work", n)) for n in JOURNALS}
    sizes = {n: len(journal_ids(out / "work", n)) for n in JOURNALS}

    assert main(args) == 0
    for n in JOURNALS:
        ids = journal_ids(out / "work", n)
        dup = [i for i, c in collections.Counter(ids).items() if c > 1]
        assert not dup, f"{n}: ids written twice: {dup}"
        assert not (set(ids[sizes[n]:]) & before[n]), f"{n}: finished work redone"
    plot_info = [json.loads(l) for l in (out / "plot_info.jsonl").read_text().splitlines()]
    assert len(plot_info) == 4 and len({p["provenance"]["pipeline_id"] for p in plot_info}) == 4
    qa = json.loads((out / "instruction_data.json").read_text())
    assert len(qa) == 4 * 6 and len({q["data_id"] for q in qa}) == len(qa)


def test_transient_faults_everywhere_are_retried(synth_server, tmp_path):
    rng = random.Random(1)
    # outages and empty replies (retried); a truncated free-text rating is a rater failure under the
    # paper's rule (it scores 0), so it is not injected here
    kinds = ["429", "500", "503", "reset", "empty"]
    synth_server.fault_fn = lambda rec, n: Fault(rng.choice(kinds), retry_after=0.01) if rng.random() < 0.3 else None
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "2", "--max-retries", "8")) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["output"]["charts"] == 2
    assert sum(summary["api"]["retries"].values()) >= 5
    assert all(not s["dropped"] for s in summary["stages"].values())


def test_missing_models_are_a_clear_error(tmp_path, capsys):
    assert main(["synthesize", "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "--model" in capsys.readouterr().err


def _reachqa_folder(root: Path) -> Path:
    (root / "code").mkdir(parents=True)
    plot, qa = [], []
    for n in (1, 2):
        (root / "code" / f"{n:05d}.py").write_text(chart_code(f"seed{n}"))
        plot.append({"id": f"demo-plot-{n:05d}", "code": f"code/{n:05d}.py", "image": f"images/{n:05d}.jpg",
                     "level": "Easy", "plot_model": "someone", "major_chart_type": "Line Charts",
                     "minor_chart_type": "line chart"})
        qa.append({"plot_id": f"demo-plot-{n:05d}", "question": "What is the sum of all values shown?",
                   "answer": "250", "QA_type": "Reasoning"})
        qa.append({"plot_id": f"demo-plot-{n:05d}", "question": "What is the label of the x axis?",
                   "answer": "Year", "QA_type": "Recognition"})
    (root / "plot_info.jsonl").write_text("".join(json.dumps(p) + "\n" for p in plot))
    (root / "instruction_data.json").write_text(json.dumps(qa))
    return root


def test_single_stages_on_a_reachqa_folder(synth_server, tmp_path):
    src = _reachqa_folder(tmp_path / "reachqa_train")
    os.chmod(src, 0o555)
    try:
        out = tmp_path / "rerated"
        base = synth_args(synth_server, out, "--data-dir", str(src))
        assert main([base[0], "rate", *base[1:]]) == 0
        rates = [json.loads(l) for l in (out / "work" / "rate.jsonl").read_text().splitlines()]
        assert sorted(r["id"] for r in rates) == ["demo-plot-00001", "demo-plot-00002"]
        assert all(r["provenance"]["rater_scores"] == {"rater-a": 4, "rater-b": 4} for r in rates)
        assert main([base[0], "check", *base[1:]]) == 0
        checks = [json.loads(l) for l in (out / "work" / "check.jsonl").read_text().splitlines()]
        assert all([p["question"] for p in c["qa"]] == ["What is the label of the x axis?"] for c in checks)
        # stages chained on the output folder: qa reads the rate journal
        assert main([base[0], "qa", *synth_args(synth_server, out)[1:]]) == 0
        assert len((out / "work" / "qa.jsonl").read_text().splitlines()) == 2
    finally:
        os.chmod(src, 0o755)


def test_stage_by_stage_equals_output_and_builder_loads_it(synth_server, tmp_path):
    out = tmp_path / "charts"
    for stage in ("self-instruct", "execute", "evol-instruct", "execute", "rate", "qa", "check", "output"):
        args = synth_args(synth_server, out, "--num-charts", "1")
        assert main([args[0], stage, *args[1:]]) == 0, stage
    plot_info = [json.loads(l) for l in (out / "plot_info.jsonl").read_text().splitlines()]
    assert len(plot_info) == 1
    ds_dir = tmp_path / "dataset"
    rc = main(["build", "--config", "qa", "--data-dir", str(out), "--out", str(ds_dir), "--render-env", "current",
               "--no-progress"])
    assert rc == 0
    import datasets

    ds = datasets.load_dataset(str(ds_dir), "qa") if (ds_dir / "README.md").exists() else None
    if ds is None:
        ds = datasets.load_from_disk(str(ds_dir))
    split = next(iter(ds.values()))
    assert len(split) == 6 and set(split["question"]) >= {"How many categories does the chart show?"}
    assert all(split["concise_answer"]) and all(split["answer"])  # detailed and concise answers both kept
    verdicts = [json.loads(v) for v in split["check_verdicts"]]
    assert all(set(v) == {"rater-a", "rater-b"} and v["rater-a"]["verdict"] == "accept" for v in verdicts)
