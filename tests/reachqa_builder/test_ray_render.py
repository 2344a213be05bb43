"""``reachqa render --ray`` / ``reachqa build --ray`` on a local 2-node Ray cluster (2 x 1 CPU, 127.0.0.1).

The same bytes as a local render, each report line naming its node, the sandbox on every node, a
node's render environment refused in one line, a killed driver resumed from the cache, a build whose
sharded Parquet loads (also streaming), and a node lost mid-run.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray  # reachqa[ray], installed by .ci/setup

from reachqa_builder.release import SEED_DIR
from reachqa_builder.render import render_scripts
from reachqa_builder.ray_render import RayRenderer
from tests.ray_cluster import local_cluster
from tests.reachqa_builder.builder_fixtures import SCRIPTS, write_split
from tests.reachqa_builder.test_render_sandbox import GOOD_A, _hostile

pytestmark = pytest.mark.slow
SECRET = "sk-test-SECRET-ray-0987654321"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Nodes whose environment holds a secret, and whose faithful env cannot be created (no package index)."""
    home, no_wheels = tmp_path_factory.mktemp("node-home"), tmp_path_factory.mktemp("no-wheels")
    node_env = {"OPENAI_API_KEY": SECRET, "REACHQA_HOME": str(home), "PIP_NO_INDEX": "1",
                "PIP_FIND_LINKS": str(no_wheels)}
    with local_cluster(node_env) as c:
        yield c


@pytest.fixture(scope="module")
def scripts(tmp_path_factory) -> Path:
    code = tmp_path_factory.mktemp("code")
    for path in sorted(SEED_DIR.glob("*.py"))[:10]:
        (code / path.name).write_bytes(path.read_bytes())
    return code


@pytest.fixture(scope="module")
def local_shas(scripts, tmp_path_factory) -> dict[str, str]:
    """The reference: a local render of the same scripts."""
    out = tmp_path_factory.mktemp("local")
    records = render_scripts(sorted(scripts.glob("*.py")), out, env="current", workers=2, use_cache=False,
                             progress=False)
    assert all(r.status == "ok" for r in records)
    return {r.id: r.sha256 for r in records}


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "reachqa_builder.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})


def _report(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "render_report.jsonl").read_text().splitlines()]


def _node_ids(cluster) -> tuple[str, str]:
    return cluster.head_node.node_id, cluster.worker.node_id


def test_render_on_the_cluster_matches_a_local_render(cluster, scripts, local_shas, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = ["render", str(scripts), str(out), "--ray", cluster.address, "--env", "current", "--cache-dir", str(cache),
            "--no-progress"]
    proc = _cli(*args)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = _report(out)
    assert [ln["id"] for ln in lines] == sorted(local_shas)  # one line per script, in order
    assert {ln["node"] for ln in lines} == set(_node_ids(cluster))  # both nodes rendered
    for ln in lines:
        assert ln["status"] == "ok" and not ln["cached"]
        assert ln["sha256"] == local_shas[ln["id"]]  # byte-identical to the local render
        assert hashlib.sha256((out / f"{ln['id']}.jpg").read_bytes()).hexdigest() == ln["sha256"]
    assert "rendered 10/10 charts (0 from cache, 0 failed)" in proc.stdout

    again = _cli(*args)  # the cache the driver wrote serves everything, on the driver
    assert again.returncode == 0, again.stderr[-2000:]
    lines = _report(out)
    assert all(ln["cached"] and ln["sha256"] == local_shas[ln["id"]] for ln in lines)
    assert "(10 from cache, 0 failed)" in again.stdout


def test_the_sandbox_holds_on_every_node(cluster, tmp_path):
    hostile = _hostile(tmp_path, port=9)  # nothing listens there; the sandbox has no network at all
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("precious")
    names = ["socket", "write", "delete", "system", "secret", "segfault", "forkbomb"]
    chosen = {f"{name}_{i}": hostile[name] for i in range(2) for name in names}  # every node gets some
    chosen.update({"good_0": GOOD_A, "good_1": GOOD_A})
    renderer = RayRenderer(cluster.address, env="current", timeout=20, memory_mb=1024, cache_dir=tmp_path / "cache",
                           progress=False, chunk_size=2)
    records = {r.id: r for r in renderer.render(chosen, tmp_path / "out")}
    assert {r.node for r in records.values()} == set(_node_ids(cluster))
    assert records["good_0"].status == records["good_1"].status == "ok"
    for sid, rec in records.items():
        if not sid.startswith("good"):
            assert rec.status == "error", (sid, rec)
    for i in range(2):
        assert "socket" in records[f"socket_{i}"].error.lower() or "network" in records[f"socket_{i}"].error.lower()
        assert records[f"secret_{i}"].error.startswith("KeyError") and SECRET not in records[f"secret_{i}"].error
        assert records[f"segfault_{i}"].error.startswith("Crashed")
        assert "shell" in records[f"system_{i}"].error
    assert (tmp_path / "outside" / "keep.txt").read_text() == "precious"
    assert not (tmp_path / "outside" / "new.txt").exists()
    assert SECRET not in (tmp_path / "out" / "render_report.jsonl").read_text()


def test_a_node_that_cannot_create_the_env_is_refused_in_one_line(cluster, scripts, tmp_path):
    proc = _cli("render", str(scripts), str(tmp_path / "out"), "--ray", cluster.address, "--env", "faithful",
                "--no-progress")
    assert proc.returncode == 1
    refusal = [ln for ln in proc.stderr.splitlines() if ln.startswith("reachqa render:")]
    assert len(refusal) == 1, proc.stderr[-2000:]
    assert "cannot use the 'faithful' render environment" in refusal[0]
    assert "could not create the faithful render environment" in refusal[0]
    assert not (tmp_path / "out" / "render_report.jsonl").exists()


def test_a_killed_driver_resumes_from_the_cache(cluster, scripts, local_shas, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = [sys.executable, "-m", "reachqa_builder.cli", "render", str(scripts), str(out), "--ray", cluster.address,
            "--env", "current", "--cache-dir", str(cache), "--no-progress"]
    driver = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    report = out / "render_report.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline and (not report.exists() or len(report.read_text().splitlines()) < 3):
        time.sleep(0.1)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    before = {json.loads(line)["id"] for line in report.read_text().splitlines()}
    assert 3 <= len(before) < len(local_shas), "the driver was killed mid-run"

    proc = _cli(*args[3:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = _report(out)
    assert [ln["id"] for ln in lines] == sorted(local_shas)
    assert {ln["id"] for ln in lines if ln["cached"]} >= before  # nothing finished before the kill ran again
    assert all(ln["status"] == "ok" and ln["sha256"] == local_shas[ln["id"]] for ln in lines)


def test_build_on_the_cluster_writes_sharded_parquet_that_loads(cluster, tmp_path):
    import datasets

    src = write_split(tmp_path / "reachqa_test", SCRIPTS, split="test", qa=False)
    out = tmp_path / "ds"
    proc = _cli("build", "--config", "charts", "--data-dir", str(src), "--out", str(out), "--ray", cluster.address,
                "--render-env", "current", "--render-cache-dir", str(tmp_path / "cache"), "--no-progress",
                "--max-shard-size", "1KB", "--writer-batch-size", "2", "--cache-dir", str(tmp_path / "hf"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    shards = sorted((out / "charts").glob("test-*.parquet"))
    assert len(shards) >= 2 and shards[0].name == f"test-00000-of-{len(shards):05d}.parquet"  # size-bounded shards
    ds = datasets.load_dataset(str(out), "charts", split="test")
    streamed = list(datasets.load_dataset(str(out), "charts", split="test", streaming=True))
    assert ds.num_rows == len(streamed) == len(SCRIPTS) - 1  # t4 fails on purpose (IndexError) and is left out
    assert "failed t4" not in proc.stdout and "failed reachqa-test-plot-t4: IndexError" in proc.stdout
    assert [r["chart_id"] for r in streamed] == ds["chart_id"]
    local = render_scripts(SCRIPTS, tmp_path / "local", env="current", workers=2, use_cache=False, progress=False)
    shas = {f"reachqa-test-plot-{r.id}": r.sha256 for r in local}
    for row in ds.cast_column("image", datasets.Image(decode=False)):
        assert hashlib.sha256(row["image"]["bytes"]).hexdigest() == shas[row["chart_id"]]
    card = (out / "README.md").read_text()
    assert "rendered on a Ray cluster of 2 nodes" in card
    for node in _node_ids(cluster):
        assert f"`{node[:12]}`" in card


def test_losing_a_node_mid_run_rerenders_only_its_unfinished_scripts(cluster, scripts, local_shas, tmp_path):
    """Runs last: it kills the worker node's raylet."""
    head, worker = _node_ids(cluster)
    out = tmp_path / "out"
    renderer = RayRenderer(cluster.address, env="current", cache_dir=tmp_path / "cache", progress=False, chunk_size=1)
    result: dict = {}
    thread = threading.Thread(target=lambda: result.setdefault("records", renderer.render(sorted(scripts.glob("*.py")),
                                                                                          out)), daemon=True)
    thread.start()
    report = out / "render_report.jsonl"
    deadline = time.time() + 240
    on_worker: set[str] = set()
    while time.time() < deadline and not on_worker:
        if report.exists():
            on_worker = {json.loads(ln)["id"] for ln in report.read_text().splitlines() if worker in ln}
        time.sleep(0.05)
    assert on_worker, "the worker node rendered something"
    cluster.worker.kill_raylet()
    killed_at = len(report.read_text().splitlines())
    thread.join(300)
    assert "records" in result, "the run finished after the node was lost"
    assert killed_at < len(local_shas), "the node was lost mid-run"
    assert not next(n for n in ray.nodes() if n["NodeID"] == worker)["Alive"]
    lines = _report(out)
    assert [ln["id"] for ln in lines] == sorted(local_shas)  # exactly one line per script
    assert all(ln["status"] == "ok" and ln["sha256"] == local_shas[ln["id"]] for ln in lines)
    by_id = {ln["id"]: ln["node"] for ln in lines}
    assert all(by_id[sid] == worker for sid in on_worker)  # what the lost node had returned was kept
    assert sum(node == head for node in by_id.values()) >= len(local_shas) - killed_at  # the rest: the live node
