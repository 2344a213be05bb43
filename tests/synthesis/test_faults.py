"""Faults in synthesis: garbage replies stay pending, keys in URLs never written, single-stage
journals survive a move."""

from __future__ import annotations

import json
import shutil

from reachqa_builder.cli import main
from tests.openai_server import Fault, OpenAIServer
from tests.synthesis.synthesis_fixtures import synth_args


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def test_a_server_answering_garbage_leaves_items_pending_and_a_rerun_finishes(synth_server, tmp_path, capsys):
    # an HTML page with status 200, then JSON without choices: malformed replies, retried like a 5xx
    synth_server.fault_fn = lambda rec, n: Fault("garbage")
    out = tmp_path / "charts"
    args = synth_args(synth_server, out, "--num-charts", "1", "--max-retries", "1", "--evolve-ratio", "0")
    assert main(args) == 1
    err = capsys.readouterr().err
    summary = _summary(out)
    assert sum(summary["pending"].values()) >= 1
    assert all(not s["dropped"] for s in summary["stages"].values()), summary["stages"]  # no permanent drop
    assert "pending, not dropped" in err and "bad_reply" in err and "max-attempts-factor" not in err
    synth_server.fault_fn = None  # the server is fixed: the same command finishes the work
    before = len(synth_server.requests)
    assert main(args) == 0, capsys.readouterr().err
    assert len(synth_server.requests) > before and _summary(out)["output"]["charts"] == 1


def test_a_key_in_the_base_url_is_never_printed_or_written(scripted, tmp_path, capsys):
    secret = "sk-url-secret-7f3a9"
    server = OpenAIServer(scripted, api_key=None).start()
    port = server.port
    server.stop()  # first an outage: the warning names the server
    url = f"http://user:{secret}@127.0.0.1:{port}/v1"
    out = tmp_path / "charts"
    args = synth_args(server, out, "--num-charts", "1", "--max-retries", "0", "--evolve-ratio", "0")
    args[args.index("--base-url") + 1] = url
    args[args.index("--api-key") + 1] = ""
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"http://***@127.0.0.1:{port}/v1" in err and secret not in err
    server = OpenAIServer(scripted, api_key=None, port=port).start()
    try:
        assert main(args) == 0
        site = tmp_path / "site"
        assert main(["build", "--config", "qa", "--data-dir", str(out), "--out", str(tmp_path / "ds"),
                     "--render-env", "current", "--no-progress"]) == 0
        assert main(["view", str(out), "--out", str(site)]) == 0
    finally:
        server.stop()
    printed = capsys.readouterr()
    assert secret not in printed.out + printed.err
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "run-full.json" for p in files) and any(p.name == "README.md" for p in files)
    assert json.loads((out / "work" / "run-full.json").read_text())["base_url"] == f"http://***@127.0.0.1:{port}/v1"
    leaks = [p for p in files if secret.encode() in p.read_bytes()]
    assert not leaks, leaks


def test_single_stage_journals_are_relative_and_survive_a_move(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    base = synth_args(synth_server, out, "--num-charts", "1", "--evolve-ratio", "0")
    for stage in ("self-instruct", "execute", "rate"):
        assert main([base[0], stage, *base[1:]]) == 0, capsys.readouterr().err
    for journal in (out / "work").glob("*.jsonl"):
        assert str(tmp_path) not in journal.read_text(), f"{journal.name} holds an absolute path"
    moved = tmp_path / "elsewhere" / "charts"
    moved.parent.mkdir()
    shutil.move(out, moved)
    args = synth_args(synth_server, moved, "--num-charts", "1", "--evolve-ratio", "0")
    assert main([args[0], "qa", *args[1:]]) == 0, capsys.readouterr().err
    assert main([args[0], "check", *args[1:]]) == 0, capsys.readouterr().err
    checked = [json.loads(line) for line in (moved / "work" / "check.jsonl").read_text().splitlines()]
    assert checked and all(r["status"] == "ok" and not r["image"].startswith("/") for r in checked)


def test_a_journal_naming_a_missing_image_is_one_line(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    base = synth_args(synth_server, out, "--num-charts", "1", "--evolve-ratio", "0")
    for stage in ("self-instruct", "execute"):
        assert main([base[0], stage, *base[1:]]) == 0
    for image in (out / "images").glob("*.jpg"):
        image.unlink()
    for image in out.rglob("*.jpg"):
        image.unlink()
    capsys.readouterr()
    assert main([base[0], "rate", *base[1:]]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "execute.jsonl" in err[0] and "not found" in err[0] and "Traceback" not in err[0]
