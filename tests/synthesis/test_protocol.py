"""The paper's rules by default, reachqa's as named options; per-stage models; the offline demo."""

from __future__ import annotations

import json

from reachqa_builder.cli import main
from tests.demo_models import DemoModels, chart_script
from tests.openai_server import OpenAIServer
from tests.synthesis.synthesis_fixtures import ScriptedModels, synth_args


def _journal(out, name):
    return [json.loads(l) for l in (out / "work" / f"{name}.jsonl").read_text().splitlines()]


def _unparsable_rater_b(scripted):
    def reply(req):
        if req.model == "rater-b" and "score from 1 to 5" in req.text and req.schema is None:
            return "A fine chart, I would say."  # no "Rating: N"
        return scripted(req)
    return reply


def test_unparsed_rating_counts_zero_or_is_left_out(synth_server, scripted, tmp_path):
    synth_server.reply = _unparsable_rater_b(scripted)
    out = tmp_path / "paper"
    main(synth_args(synth_server, out, "--num-charts", "1", "--max-attempts-factor", "1", "--evolve-ratio", "0"))
    rec = _journal(out, "rate")[0]
    assert rec["status"] == "dropped" and rec["reason"] == "low_rating"  # (4 + 0) / 2 < 3.75
    assert rec["rater_scores"] == {"rater-a": 4, "rater-b": 0} and "rater-b" in rec["rater_failures"]
    assert "Rating: 4" in rec["rater_reasons"]["rater-a"]  # kept for curators even when dropped
    out = tmp_path / "omit"
    assert main(synth_args(synth_server, out, "--num-charts", "1", "--evolve-ratio", "0",
                           "--failed-rater", "omit")) == 0
    rec = _journal(out, "rate")[0]
    assert rec["status"] == "ok" and rec["provenance"]["rater_scores"] == {"rater-a": 4}


def test_one_rater_rejects_only_with_the_capped_rule(synth_server, scripted, tmp_path, capsys):
    scripted.reject_all = True
    args = ["--num-charts", "1", "--max-attempts-factor", "1", "--evolve-ratio", "0"]
    base = synth_args(synth_server, tmp_path / "paper", *args)
    one_rater = base[:base.index("rater-b") - 1] + base[base.index("rater-b") + 1:]
    # paper: a pair goes only when 2 raters reject it, so one rater could never drop one: refused
    assert main(one_rater) == 2 and not synth_server.requests
    assert "only when 2 raters reject it" in capsys.readouterr().err
    capped = [a if a != str(tmp_path / "paper") else str(tmp_path / "capped") for a in one_rater]
    assert main(capped + ["--reject-rule", "capped"]) == 1
    rec = _journal(tmp_path / "capped", "check")[0]
    assert rec["reason"] == "all_pairs_rejected" and len(rec["qa_rejected_pairs"]) == 7  # 8 less 1 duplicate


def test_reachqa_protocol_sends_json_schemas(synth_server, tmp_path):
    out = tmp_path / "charts"
    assert main(synth_args(synth_server, out, "--num-charts", "1", "--evolve-ratio", "0", "--protocol", "reachqa")) == 0
    rater = [r for r in synth_server.requests if r.model.startswith("rater")]
    assert rater and all(r.body["response_format"]["type"] == "json_schema" for r in rater)
    assert json.loads((out / "plot_info.jsonl").read_text())["provenance"]["rules"]["failed_rater"] == "omit"


def test_each_stage_uses_its_own_server_model_and_key(tmp_path):
    servers = {name: OpenAIServer(ScriptedModels(), api_key=f"{name}-key").start() for name in ("code", "qa", "rate")}
    try:
        out = tmp_path / "charts"
        args = synth_args(servers["code"], out, "--num-charts", "1", "--evolve-ratio", "0")
        args[args.index("test-key")] = "code-key"
        args += ["--qa-model", "qa-model", "--qa-base-url", servers["qa"].url, "--qa-api-key", "qa-key",
                 "--rater-base-url", servers["rate"].url, "--rater-api-key", "rate-key"]
        assert main(args) == 0
        assert {r.model for r in servers["code"].requests} == {"gen-model"}
        assert {r.model for r in servers["qa"].requests} == {"qa-model"}
        assert {r.model for r in servers["rate"].requests} == {"rater-a", "rater-b"}
        assert all(r.authorized for s in servers.values() for r in s.requests)
        assert all("question_list" in r.text or "answer one question" in r.text for r in servers["qa"].requests)
        qa = json.loads((out / "instruction_data.json").read_text())
        assert {q["QA_model"] for q in qa} == {"qa-model"}
    finally:
        for s in servers.values():
            s.stop()


def test_demo_scripts_render_for_every_chart_type(tmp_path):
    from reachqa_builder.render import render_scripts
    from reachqa_builder.taxonomy import MAJOR_TYPES, MINORS_BY_MAJOR, MINOR_TYPES

    scripts = {f"e{k}": chart_script(m, m) for k, m in enumerate(MINOR_TYPES)}
    scripts.update({f"h{k}": chart_script(MINORS_BY_MAJOR[m][0], m, hard=True) for k, m in enumerate(MAJOR_TYPES)})
    records = render_scripts(scripts, tmp_path / "r", env="current", workers=2, progress=False, report=False)
    bad = {r.id: r.error for r in records if r.status != "ok"}
    assert not bad
    assert all("random" not in code for code in scripts.values())


def test_offline_demo_server_yields_charts(tmp_path):
    with OpenAIServer(DemoModels(), api_key=None) as server:
        out = tmp_path / "demo"
        args = ["synthesize", "--base-url", server.url, "--model", "demo", "--rater-model", "r1",
                "--rater-model", "r2", "--num-charts", "2", "--out", str(out), "--render-env", "current",
                "--render-workers", "2", "--no-progress", "--seed-dir", str(tmp_path / "no-such-dir")]
        assert main(args) == 2  # a missing seed folder is a clear error
        args[-1] = synth_args(server, out)[-1]
        assert main(args) == 0
    plot_info = [json.loads(l) for l in (out / "plot_info.jsonl").read_text().splitlines()]
    qa = json.loads((out / "instruction_data.json").read_text())
    assert len(plot_info) == 2 and len(qa) >= 8
    assert {q["QA_type"] for q in qa} == {"Reasoning", "Recognizing"}
