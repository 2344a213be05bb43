"""Synthesis as the authors ran it: the Easy/Hard mix of every run size, raters at temperature 0, stable
ids across extension, the Q&A-check rater rule, built images equal the rated ones, rough edges."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from reachqa_builder.cli import main
from synthesis.progress import ProgressDisplay
from tests.synthesis.synthesis_fixtures import synth_args

ROOT = Path(__file__).resolve().parents[2]


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def _qa_ids(out):
    return {q["data_id"]: (q["plot_id"], q["question"]) for q in json.loads((out / "instruction_data.json").read_text())}


@pytest.mark.slow
def test_twelve_chart_default_run_keeps_the_mix_and_reports_it(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "12", "--concurrency", "8")) == 0
    stdout = capsys.readouterr().out
    levels = _summary(out)["output"]["levels"]
    plot_levels = [json.loads(l)["level"] for l in (out / "plot_info.jsonl").read_text().splitlines()]
    assert sum(levels.values()) == 12 and levels == {lv: plot_levels.count(lv) for lv in set(plot_levels)}
    assert levels["Easy"] >= 4, levels  # >= 1/3 Easy (every chart of the stand-in passes: ~1/2)
    assert levels.get("Hard", 0) >= 4, levels
    assert f"mix: {levels['Easy']} Easy, {levels['Hard']} Hard" in stdout
    # raters sample at temperature 0 (the authors' run_rating_*.sh), recorded for the card
    rater_reqs = [r for r in synth_server.requests if r.model in ("rater-a", "rater-b")]
    assert rater_reqs and {r.body["temperature"] for r in rater_reqs} == {0.0}
    gen_reqs = [r for r in synth_server.requests if r.model == "gen-model"]
    assert {r.body["temperature"] for r in gen_reqs} == {1.0}
    from reachqa_builder.provenance import synthesis_record

    assert synthesis_record(out)["protocol"]["rater_temperature"] == 0.0


@pytest.mark.slow
def test_extending_and_resuming_never_renumbers(synth_server, tmp_path):
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "4")) == 0
    first_plots = {json.loads(l)["id"]: json.loads(l)["provenance"]["pipeline_id"]
                   for l in (out / "plot_info.jsonl").read_text().splitlines()}
    first_qa = _qa_ids(out)
    assert main(synth_args(synth_server, out, "--num-charts", "7")) == 0
    plots = {json.loads(l)["id"]: json.loads(l)["provenance"]["pipeline_id"]
             for l in (out / "plot_info.jsonl").read_text().splitlines()}
    qa = _qa_ids(out)
    assert len(plots) == 7 and all(plots[k] == v for k, v in first_plots.items())
    assert all(qa[k] == v for k, v in first_qa.items()) and len(qa) > len(first_qa)
    images = {p.name: p.read_bytes() for p in (out / "images").iterdir()}
    assert main(synth_args(synth_server, out, "--num-charts", "7")) == 0  # a resume with nothing to do
    assert _qa_ids(out) == qa and {p.name: p.read_bytes() for p in (out / "images").iterdir()} == images


def test_qa_check_with_one_rater_is_refused(synth_server, tmp_path, capsys):
    args = synth_args(synth_server, tmp_path / "o", "--num-charts", "1")
    i = args.index("rater-b")
    one = args[: i - 1] + args[i + 1:]
    assert main(one) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "only when 2 raters reject it" in err[0] and "with 1 rater(s)" in err[0]
    assert not synth_server.requests  # refused before any call
    assert main(one + ["--reject-rule", "capped"]) == 0  # the named alternative runs


def test_help_examples_use_two_raters(capsys):
    with pytest.raises(SystemExit):
        main(["synthesize", "--help"])
    text = capsys.readouterr().out
    example = text[text.index("reachqa synthesize --base-url"):text.index("reachqa build")]
    assert example.count("--rater-model") == 2


@pytest.mark.slow
def test_built_images_are_the_rated_bytes(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "3")) == 0  # --render-env current
    rated = {}
    for line in (out / "work" / "rate.jsonl").read_text().splitlines():
        rec = json.loads(line)
        if rec["status"] == "ok":
            rated[rec["id"]] = (out / rec["image"]).read_bytes()
    ds = tmp_path / "ds"
    cache = str(tmp_path / "rc")
    assert main(["build", "--config", "charts", "--data-dir", str(out), "--out", str(ds), "--no-progress",
                 "--render-cache-dir", cache]) == 0
    table = pq.read_table(next((ds / "charts").glob("*.parquet")))
    by_pipeline = {json.loads(l)["id"]: json.loads(l)["provenance"]["pipeline_id"]
                   for l in (out / "plot_info.jsonl").read_text().splitlines()}
    rows = table.to_pylist()
    assert len(rows) == 3
    for row in rows:
        assert row["image"]["bytes"] == rated[by_pipeline[row["chart_id"]]]
    card = (ds / "README.md").read_text()
    assert "env: current" in card
    capsys.readouterr()
    assert main(["build", "--config", "charts", "--data-dir", str(out), "--out", str(tmp_path / "ds2"),
                 "--render-env", "faithful", "--no-progress", "--render-cache-dir", cache]) == 2
    err = [l for l in capsys.readouterr().err.splitlines() if l.startswith("reachqa build")]
    assert len(err) == 1 and "--render-env current" in err[0] and "raters" in err[0]
    assert not (tmp_path / "ds2").exists()


def _cli(args, env_extra=None, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "reachqa_builder.cli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.slow
def test_wrong_key_says_one_line_without_tracebacks(synth_server, tmp_path):
    args = synth_args(synth_server, tmp_path / "o", "--num-charts", "30", "--concurrency", "64")
    args[args.index("--api-key") + 1] = "wrong-key"
    p = _cli(args[:])
    _, err = p.communicate(timeout=120)
    assert p.returncode == 2
    assert "Traceback" not in err and "never retrieved" not in err, err
    assert [l for l in err.splitlines() if "refused the request" in l] == [err.strip().splitlines()[-1]]


@pytest.mark.slow
def test_ctrl_c_says_a_rerun_resumes(scripted, tmp_path):
    from tests.openai_server import OpenAIServer

    with OpenAIServer(scripted, api_key="test-key", latency=0.3) as server:
        out = tmp_path / "o"
        p = _cli(synth_args(server, out, "--num-charts", "20"))
        deadline = time.time() + 60
        while time.time() < deadline and not (out / "work" / "self_instruct.jsonl").exists():
            time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    assert "running the same command again resumes" in err and "Traceback" not in err, err


def test_progress_without_a_terminal_writes_plain_lines():
    class Usage:
        requests, tokens, failures, cache_hits = 7, 900, 0, 0

    stream = io.StringIO()
    p = ProgressDisplay(["rate", "check"], Usage(), target=12, stream=stream, log_every=0)
    p.event("rate", "ok", None)
    p.kept = 3
    p.tick()
    p.close()
    text = stream.getvalue()
    assert "\x1b[" not in text and "\r" not in text
    assert "kept 3/12 charts (ETA " in text and "rate 1+0 dropped" in text and "7 requests" in text


@pytest.mark.slow
def test_seeds_are_not_fetched_again_by_a_resume_with_nothing_to_do(synth_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REACHQA_ARCHIVE_URL", "http://127.0.0.1:9/none.zip")  # nothing listens: fails at once
    args = synth_args(synth_server, tmp_path / "o", "--num-charts", "2")
    i = args.index("--seed-dir")
    args = args[:i] + args[i + 2:]
    assert main(args) == 0
    assert "seeds: fetching" in capsys.readouterr().err
    n = len(synth_server.requests)
    assert main(args) == 0
    assert "seeds: fetching" not in capsys.readouterr().err and len(synth_server.requests) == n


@pytest.mark.slow
def test_estimate_from_the_protocol_and_a_pilot(synth_server, tmp_path, capsys):
    pilot = tmp_path / "pilot"
    prices = ["--price", "gen-model=2.5,10", "--price", "rater-a=0.5,1.5"]
    assert main(synth_args(synth_server, tmp_path / "none", "--estimate", *prices)) == 0
    text = capsys.readouterr().out
    assert "self-instruct 1, evol-instruct 1, rate 2, qa 10, check 16; 30 in all" in text and "no pilot" in text
    assert not synth_server.requests  # an estimate sends nothing
    assert main(synth_args(synth_server, pilot, "--num-charts", "4")) == 0
    sent = len(synth_server.requests)
    capsys.readouterr()
    from synthesis.config import SynthesisConfig
    from synthesis.estimate import estimate

    assert main(synth_args(synth_server, tmp_path / "new", "--num-charts", "1000", "--estimate", "--pilot",
                           str(pilot), *prices)) == 0
    text = capsys.readouterr().out
    assert len(synth_server.requests) == sent
    kept = sum(1 for l in (pilot / "work" / "check.jsonl").read_text().splitlines() if '"ok"' in l)
    e = estimate(SynthesisConfig(model="gen-model", rater_model=["rater-a", "rater-b"], pilot=str(pilot),
                                 num_charts=1000, price=["gen-model=2.5,10", "rater-a=0.5,1.5"]))
    assert e["pilot_charts"] == kept
    assert e["per_chart"]["requests"] * kept == pytest.approx(sent)  # every call of the pilot, none twice
    assert e["unpriced"] == ["rater-b"] and "no --price for rater-b" in text
    assert f"for 1000 charts: {e['total']['requests']:.0f} requests" in text
    half = estimate(SynthesisConfig(model="gen-model", rater_model=["rater-a", "rater-b"], pilot=str(pilot),
                                    num_charts=1000, price=["gen-model=2.5,10", "rater-a=0.5,1.5"], batch=True))
    assert half["total"]["cost"] == pytest.approx(e["total"]["cost"] / 2) and e["total"]["cost"] > 0
    with pytest.raises(ValueError, match="MODEL=IN,OUT"):
        estimate(SynthesisConfig(model="m", rater_model=["r", "s"], price=["gen-model:2.5"]))

