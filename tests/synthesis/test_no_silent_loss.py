"""Outages never drop work, fatal errors stop at once, and output folders move freely."""

from __future__ import annotations

import json
import os
import shutil
import stat

from reachqa_builder.cli import main
from tests.openai_server import Fault, OpenAIServer
from tests.synthesis.synthesis_fixtures import synth_args


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def test_server_down_then_up_reaches_the_target(scripted, tmp_path, capsys):
    server = OpenAIServer(scripted, api_key="test-key").start()
    port = server.port
    server.stop()  # nothing listens: every call is a connection error
    down = OpenAIServer(scripted, api_key="test-key", port=port)
    out = tmp_path / "charts"
    args = synth_args(down, out, "--num-charts", "2", "--max-retries", "1", "--max-attempts-factor", "2")
    assert main(args) == 1
    err = capsys.readouterr().err
    summary = _summary(out)
    assert summary["pending"]["self-instruct"] >= 1 and summary["output"]["charts"] == 0
    assert all(not s["dropped"] for s in summary["stages"].values())  # nothing dropped for good
    assert "pending, not dropped" in err and f"127.0.0.1:{port}" in err and "Run the same command again" in err
    down.start()  # the server is back on the same port
    try:
        assert main(args) == 0, capsys.readouterr().err
    finally:
        down.stop()
    summary = _summary(out)
    assert summary["output"]["charts"] == 2 and not summary["pending"]
    assert summary["seeds"]["count"] == 43 and "seed charts of" in summary["seeds"]["described"]


def test_rater_outage_keeps_charts_pending_and_a_rerun_finishes(synth_server, tmp_path, capsys):
    synth_server.fault_fn = lambda rec, n: Fault("503") if rec.model == "rater-b" else None
    out = tmp_path / "charts"
    args = synth_args(synth_server, out, "--num-charts", "2", "--max-retries", "1", "--evolve-ratio", "0")
    assert main(args) == 1
    summary = _summary(out)
    assert summary["pending"].get("rate", 0) >= 1 and not summary["stages"]["rate"]["dropped"]
    assert "rater-b" in capsys.readouterr().err
    synth_server.fault_fn = None
    assert main(args) == 0
    summary = _summary(out)
    assert summary["output"]["charts"] == 2
    plot_info = [json.loads(l) for l in (out / "plot_info.jsonl").read_text().splitlines()]
    assert all(set(p["provenance"]["rater_scores"]) == {"rater-a", "rater-b"} for p in plot_info)


def test_wrong_key_and_unknown_model_stop_at_once(synth_server, tmp_path, capsys):
    out = tmp_path / "charts"
    args = synth_args(synth_server, out, "--num-charts", "3")
    args[args.index("test-key")] = "wrong-secret-key"
    assert main(args) == 2
    err = [l for l in capsys.readouterr().err.strip().splitlines() if not l.startswith("seeds:")]
    assert len(err) == 1 and synth_server.url in err[0] and "gen-model" in err[0] and "401" in err[0]
    assert "wrong-secret-key" not in err[0]
    assert len(synth_server.requests) <= 2 * 8  # stopped at once, not after every lineage
    for p in (out / "work").glob("*.json*"):
        assert "wrong-secret-key" not in p.read_text()
    synth_server.models = ("gen-model", "rater-a")  # rater-b is unknown to the server
    n = len(synth_server.requests)
    assert main(synth_args(synth_server, tmp_path / "other", "--num-charts", "1")) == 2
    err = capsys.readouterr().err
    assert "rater-b" in err and "404" in err and len(synth_server.requests) - n < 40


def test_moved_folder_resumes_and_files_follow_the_umask(synth_server, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "charts"
        assert main(synth_args(synth_server, out, "--num-charts", "1", "--evolve-ratio", "0")) == 0
        for p in (out / "work").glob("*.jsonl"):
            assert str(tmp_path) not in p.read_text(), f"{p.name} holds an absolute path"
        moved = tmp_path / "renamed" / "charts-v2"
        moved.parent.mkdir()
        shutil.move(out, moved)
        assert main(synth_args(synth_server, moved, "--num-charts", "2", "--evolve-ratio", "0")) == 0
        assert len((moved / "plot_info.jsonl").read_text().splitlines()) == 2
        # the first chart was not made again: every journal holds each id once
        for p in (moved / "work").glob("*.jsonl"):
            ids = [json.loads(l)["id"] for l in p.read_text().splitlines()]
            assert len(ids) == len(set(ids)), p.name
        for p in [moved / "plot_info.jsonl", moved / "summary.json", moved / "instruction_data.json",
                  *moved.glob("code/*.py"), *moved.glob("images/*.jpg"), *(moved / "work").glob("*.json*")]:
            assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    finally:
        os.umask(old)


def test_seeds_from_a_release_root_and_the_run_says_which(synth_server, tmp_path, capsys):
    from synthesis.seeds import default_seed_dir

    root = tmp_path / "release"  # the released layout: <root>/reachqa_seed/code/NNN.py + plot_info.json
    (root / "reachqa_seed" / "code").mkdir(parents=True)
    own = sorted(default_seed_dir().glob("*.py"))[:3]
    for n, src in enumerate(own, start=1):
        (root / "reachqa_seed" / "code" / f"{n:03d}.py").write_text(src.read_text())
    (root / "reachqa_seed" / "plot_info.json").write_text(json.dumps(
        [{"id": f"reachqa-seed-{n:03d}", "code": f"code/{n:03d}.py"} for n in (1, 2, 3)]))
    out = tmp_path / "charts"
    args = synth_args(synth_server, out, "--num-charts", "1")
    args[args.index("--seed-dir") + 1] = str(root)
    assert main([args[0], "self-instruct", *args[1:]]) == 0
    assert f"seeds: 3 seed charts of {root / 'reachqa_seed'}" in capsys.readouterr().err
    rec = json.loads((out / "work" / "self_instruct.jsonl").read_text().splitlines()[0])
    assert sorted(rec["provenance"]["demo_ids"]) == ["seed:001", "seed:002", "seed:003"]


def test_default_seeds_come_from_the_release_archive_else_our_own(tmp_path, monkeypatch):
    import datasets
    import functools
    import http.server
    import threading
    import zipfile

    from synthesis.seeds import default_seed_dir, load_seeds, resolve_seed_dir

    monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", tmp_path / "cache")
    zpath = tmp_path / "site" / "release.zip"  # the upstream layout: <top>/data/reachqa_seed/code/NNN.py
    zpath.parent.mkdir()
    with zipfile.ZipFile(zpath, "w") as zf:
        for n, src in enumerate(sorted(default_seed_dir().glob("*.py"))[:2], start=1):
            zf.writestr(f"ReachQA-x/data/reachqa_seed/code/{n:03d}.py", src.read_text())
        zf.writestr("ReachQA-x/data/reachqa_seed/plot_info.json", "[]")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(zpath.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("REACHQA_ARCHIVE_URL", f"http://127.0.0.1:{httpd.server_port}/release.zip")
        folder, described = resolve_seed_dir(None)
        assert described.startswith("the paper's seed charts from the released data")
        assert len(load_seeds(folder)) == 2
    finally:
        httpd.shutdown()
    monkeypatch.setenv("REACHQA_ARCHIVE_URL", f"http://127.0.0.1:{httpd.server_port}/gone.zip")
    folder, described = resolve_seed_dir(None)
    assert folder == default_seed_dir() and "could not be had" in described and "gone.zip" in described
