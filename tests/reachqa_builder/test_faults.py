"""Faults and bad input of `reachqa build` and the command line: one writer per folder, stale locks and
staging folders, a full disk, a read-only folder, a truncated Parquet file, --version, --debug, and
``load_dataset`` defaulting to ``qa``."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from reachqa_builder.cli import main
from reachqa_builder.lock import FolderLock, lock_path

from .builder_fixtures import *  # noqa: F401,F403
from .builder_fixtures import REPO_ROOT, SCRIPTS, write_split

SLOW = """import time
import matplotlib.pyplot as plt
time.sleep(12)
plt.figure(figsize=(3, 2))
plt.plot([1, 2, 3])
plt.show()
"""


def _build_args(src, out, render_cache, *extra):
    return ["build", "--config", "qa", "--data-dir", str(src), "--out", str(out), "--render-env", "current",
            "--render-cache-dir", render_cache, "--no-progress", *extra]


def _run(argv):
    """main(argv) -> (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def _spawn_build(src, out, tmp_path):
    """A build in another process whose one chart takes 12 s to render (its own empty render cache)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", PYTHONPATH=str(REPO_ROOT))
    return subprocess.Popen([sys.executable, "-m", "reachqa_builder.cli",
                             *_build_args(src, out, str(tmp_path / "slow-cache"), "--cache-dir", str(tmp_path / "hf"))],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for(predicate, seconds=60.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def slow_source(tmp_path):
    return write_split(tmp_path / "reachqa_test", {"t3": SLOW}, split="test")


@pytest.mark.slow
def test_two_builds_into_one_folder_the_second_refuses_then_waits(slow_source, tmp_path, render_cache):
    from reachqa_builder.cli import build_parser

    build_parser()  # this process's imports done before the race starts
    out = tmp_path / "ds"
    first = _spawn_build(slow_source, out, tmp_path)
    try:
        assert _wait_for(lambda: lock_path(out).exists() and lock_path(out).stat().st_size > 0)
        status, _, err = _run(_build_args(slow_source, out, render_cache))
        lines = err.strip().splitlines()
        assert status == 2 and len(lines) == 1, err
        assert f"reachqa build: error: {out} is being written by reachqa build (pid {first.pid}" in lines[0]
        assert "--wait-lock" in lines[0]
        status, _, err = _run(["--wait-lock", *_build_args(slow_source, out, render_cache)])
        assert status == 0 and f"waiting for reachqa build (pid {first.pid}" in err
        assert first.wait(60) == 0  # the first finished before the second went on
    finally:
        first.kill()
    assert not lock_path(out).exists()
    assert datasets.load_dataset(str(out), "qa", split="test").num_rows == 2


@pytest.mark.slow
def test_a_killed_build_leaves_nothing_the_next_build_keeps(slow_source, tmp_path, render_cache):
    out = tmp_path / "ds"
    out.mkdir()
    (out / ".build-qa-abc123").mkdir()  # staging folder named by an earlier reachqa, no owner recorded
    victim = _spawn_build(slow_source, out, tmp_path)
    try:
        assert _wait_for(lambda: any(p.name.startswith(f".build-qa-{victim.pid}.") for p in out.iterdir()))
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(victim.pid, signal.SIGKILL)
    assert lock_path(out).exists() and any(p.name.startswith(".build-") for p in out.iterdir())
    status, _, err = _run(_build_args(slow_source, out, render_cache))
    assert status == 0, err
    assert f"the lock of {out} named pid {victim.pid}" in err and "no longer running: taken over" in err
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "qa"]  # staging folders removed
    assert not lock_path(out).exists()


def test_a_running_builds_staging_folder_is_kept(tmp_path):
    from reachqa_builder.export import _owner_tag, remove_stale_staging

    live = tmp_path / f".build-qa-{_owner_tag()}-x1"
    dead = tmp_path / ".build-qa-999999999.12345-x2"
    old = tmp_path / ".old-qa-999999999.12345"
    for p in (live, dead, old):
        p.mkdir()
    assert sorted(remove_stale_staging(tmp_path)) == sorted([dead, old])
    assert live.is_dir()


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_old_dataset_stays(tmp_path, render_cache, monkeypatch):
    src = write_split(tmp_path / "reachqa_test", {"t3": SCRIPTS["t3"]}, split="test")
    out = tmp_path / "ds"
    assert _run(_build_args(src, out, render_cache))[0] == 0
    before = _digest(out)

    def full(self, *args, **kwargs):  # the disk fills while the new Parquet file is written
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full)
    status, _, err = _run(_build_args(src, out, render_cache))
    lines = err.strip().splitlines()
    assert status == 1 and "Traceback" not in err
    line = [x for x in lines if "error" in x]
    assert len(line) == 1 and line[0].startswith(f"reachqa build: error: no space left on device writing {out}")
    assert "MB that were free" in line[0] and "unchanged" in line[0]
    assert _digest(out) == before and not [p for p in out.iterdir() if p.name.startswith(".")]
    monkeypatch.undo()
    status, _, err = _run(["--debug", *_build_args(src, out, render_cache)])  # and it builds once space is back
    assert status == 0, err


def test_a_full_disk_on_a_real_small_tmpfs(tmp_path, render_cache):
    """The same through the file system, where this test may mount one (root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the faked ENOSPC test above covers the logic")
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(mnt)]).returncode != 0:
        pytest.skip("no permission to mount here")
    try:
        src = write_split(tmp_path / "reachqa_test", {"t3": SCRIPTS["t3"], "t1": SCRIPTS["t1"]}, split="test")
        status, _, err = _run(_build_args(src, mnt / "ds", render_cache, "--cache-dir", str(tmp_path / "hf")))
        assert status == 1 and "Traceback" not in err
        assert f"reachqa build: error: no space left on device writing {mnt / 'ds'}" in err
        assert not (mnt / "ds").exists() or not any((mnt / "ds").iterdir())
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def _as_nobody(argv) -> tuple[int, str]:
    """main(argv) in a child process running as uid/gid 65534 (root ignores file modes)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        sys.stderr = os.fdopen(w, "w")
        os.setgid(65534)
        os.setuid(65534)
        try:
            code = main(argv)
        except BaseException:
            code = 99
        sys.stderr.flush()
        os._exit(code)
    os.close(w)
    with os.fdopen(r) as fh:
        err = fh.read()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), err


def test_a_read_only_output_folder_is_one_line(render_cache):
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="reachqa-ro-"))  # outside pytest's 0700 folder: uid 65534 reaches it
    try:
        base.chmod(0o755)
        src = write_split(base / "reachqa_test", {"t3": SCRIPTS["t3"]}, split="test")
        parent = base / "ro"
        parent.mkdir()
        parent.chmod(0o555)
        argv = _build_args(src, parent / "ds", render_cache)
        status, err = _as_nobody(argv) if os.geteuid() == 0 else _run(argv)[0::2]
    finally:
        shutil.rmtree(base)
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1, err
    assert lines[0].startswith(f"reachqa build: error: cannot write {parent / 'ds'}: Permission denied")


def test_a_truncated_parquet_file_is_named(built_dataset, tmp_path):
    import shutil

    folder, status, _ = built_dataset
    assert status == 0
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    shard = sorted((broken / "qa").glob("*.parquet"))[0]
    shard.write_bytes(shard.read_bytes()[:-100])
    for argv in (["stats", str(broken)], ["view", str(broken), "--out", str(tmp_path / "site")]):
        status, _, err = _run(argv)
        lines = err.strip().splitlines()
        assert status == 2 and len(lines) == 1, err
        assert str(shard) in lines[0] and "not a complete Parquet file" in lines[0]


def test_version_and_debug(tmp_path, capsys, monkeypatch):
    from reachqa_builder import __version__, build_cli

    with pytest.raises(SystemExit) as ei:
        main(["--version"])
    assert ei.value.code == 0 and capsys.readouterr().out.strip() == f"reachqa {__version__}"
    # an unexpected error inside a command: one line naming it; --debug or $REACHQA_DEBUG: the traceback
    monkeypatch.setattr(build_cli, "run_stats", lambda args: 1 / 0)
    status, _, err = _run(["stats", str(tmp_path)])
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("reachqa stats: error: ZeroDivisionError: division by zero") and "--debug" in err
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "stats", str(tmp_path)])
    monkeypatch.setenv("REACHQA_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["stats", str(tmp_path)])


def test_load_dataset_defaults_to_qa_whichever_config_was_built_first(tmp_path, render_cache, monkeypatch):
    src = write_split(tmp_path / "reachqa_test", {"t3": SCRIPTS["t3"]}, split="test")
    out = tmp_path / "reachqa"
    common = ["--data-dir", str(src), "--out", str(out), "--render-env", "current", "--render-cache-dir",
              render_cache, "--no-progress", "--cache-dir", str(tmp_path / "hf")]
    assert _run(["build", "--config", "charts", *common])[0] == 0
    assert _run(["build", "--config", "qa", *common])[0] == 0
    monkeypatch.chdir(tmp_path)
    ds = datasets.load_dataset("reachqa", split="test")
    assert "question" in ds.column_names and ds.num_rows == 2


def test_folder_lock_records_its_holder(tmp_path):
    import json

    with FolderLock(tmp_path / "out", command="view") as lock:
        info = json.loads(lock.path.read_text())
        assert info["pid"] == os.getpid() and info["command"] == "view" and info["start_ticks"] > 0
    assert not lock.path.exists()
