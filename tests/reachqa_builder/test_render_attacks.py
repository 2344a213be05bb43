"""Attack classes against the sandbox: each works against a deliberately weakened
setting (``SandboxSettings(weaken=...)``, test-only) and is stopped by the real one.

The attacks run through ``render_attacks_driver.py`` twice, as root and as an unprivileged user
(uid 65534 through ``setpriv``), one render run per setting with every attack script and good
scripts between them on a single worker (so an attack on "later jobs" has later jobs to hit).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reachqa_builder.render import RenderEnvironmentError, render_scripts
from reachqa_builder.render.envs import audit_startup_files, get_environment, reachqa_home, verify_environment, write_manifest
from reachqa_builder.render.sandbox import bwrap_path
from reachqa_builder.render.verify import check_jpeg, confined_output_path

DRIVER = Path(__file__).with_name("render_attacks_driver.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
GOOD = ("good_a", "good_b", "good_c", "good_d", "good_e", "good_tail")
USERS = ("root", "nobody")



def _blocked_folders(paths) -> dict[Path, set[str]]:
    """For each folder others cannot enter (no o+x) on the way to ``paths``: its entries leading to them."""
    blocked: dict[Path, set[str]] = {}
    for path in paths:
        for parent in reversed(path.parents):
            if parent != Path("/") and not parent.stat().st_mode & 0o001:
                blocked.setdefault(parent, set()).add(path.relative_to(parent).parts[0])
    return blocked


def _expose_for_nobody() -> str:
    """Shell commands (run as root in a private mount namespace) that let uid 65534 reach what the driver
    needs (this checkout, its virtualenv, the interpreter and the packages it imports) when they live
    under folders others cannot enter (a 0700 home, /root/.pyenv): each such folder is covered by a
    tmpfs (mode 0711) with only the needed entries mounted back. Nothing changes on the host."""
    needed = {Path(p) for p in (*get_environment("current").prefixes, sys.prefix, REPO_ROOT)}
    needed |= {Path(os.path.realpath(p)) for p in needed}
    q = shlex.quote
    steps = []
    for folder, entries in sorted(_blocked_folders(sorted(needed)).items(), key=lambda kv: len(kv[0].parts)):
        keep = [(folder / name, f"$S/{i}") for i, name in enumerate(sorted(entries))]
        steps += ["S=$(mktemp -d)"]
        steps += [f"mkdir {s} && mount --bind {q(str(src))} {s}" if src.is_dir() else
                  f"touch {s} && mount --bind {q(str(src))} {s}" for src, s in keep]
        steps += [f"mount -t tmpfs -o mode=0711 tmpfs {q(str(folder))}"]
        steps += [f"{'mkdir' if src.is_dir() else 'touch'} {q(str(src))} && mount --move {s} {q(str(src))}"
                  for src, s in keep]
    return "".join(step + " && " for step in steps)


def _start_driver(user: str) -> tuple[subprocess.Popen, Path]:
    work = Path(tempfile.mkdtemp(prefix="reachqa-attack-", dir="/var/tmp"))  # not /tmp: the old layout hid /tmp
    os.chmod(work, 0o777)
    # Reuse this user's prepared font cache so the run does not rebuild it.
    env_fp = get_environment("current").fingerprint
    src = reachqa_home() / "mplconfig" / env_fp
    if (src / ".ready").exists():
        shutil.copytree(src, work / "reachqa-home" / "mplconfig" / env_fp)
        for folder in (work / "reachqa-home", work / "reachqa-home" / "mplconfig", work / "reachqa-home" / "mplconfig" / env_fp):
            os.chmod(folder, 0o777)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(work / "home"),
           "REACHQA_HOME": str(work / "reachqa-home"), "OPENAI_API_KEY": "sk-REACHQA-ATTACK-SECRET"}
    cmd = [sys.executable, str(DRIVER), str(work)]
    if user == "nobody":
        inner = shlex.join(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", *cmd])
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", _expose_for_nobody() + "exec " + inner]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(REPO_ROOT))
    return proc, work


@pytest.fixture(scope="module")
def observations():
    assert bwrap_path() is not None, "bubblewrap (bwrap) is not installed: run `bash .ci/setup`"
    assert shutil.which("setpriv") and shutil.which("unshare"), "setpriv/unshare (util-linux) are missing"
    if os.getuid() != 0:
        pytest.skip("the attacks run as root and as uid 65534: switching users needs root (run the suite as root)")
    started = {user: _start_driver(user) for user in USERS}
    results = {}
    try:
        for user, (proc, work) in started.items():
            out, err = proc.communicate(timeout=1800)
            assert proc.returncode == 0, f"the attack driver failed as {user}:\n{err[-4000:]}"
            results[user] = json.loads(out.strip().splitlines()[-1])
            results[user]["stderr"] = err
    finally:
        for proc, work in started.values():
            if proc.poll() is None:
                proc.kill()
            shutil.rmtree(work, ignore_errors=True)
    assert results["root"]["uid"] == 0 and results["nobody"]["uid"] == 65534
    return results


def worked(run: dict, sid: str) -> bool:
    rec = run["records"][sid]
    assert rec["status"] == "error" and rec["error"], rec
    return "ATTACK-WORKED" in rec["error"]


def blocked(run: dict, sid: str) -> bool:
    rec = run["records"][sid]
    return rec["status"] == "error" and "ATTACK-BLOCKED" in (rec["error"] or "")


@pytest.mark.parametrize("user", USERS)
def test_good_scripts_are_byte_identical_to_a_clean_run_and_a_cached_run(observations, user):
    obs = observations[user]
    clean = obs["clean"]["records"]
    for sid in GOOD:
        assert clean[sid]["status"] == "ok"
        assert obs["real"]["records"][sid]["sha256"] == clean[sid]["sha256"], sid
        assert obs["real"]["files"][f"{sid}.jpg"] == clean[sid]["sha256"]
        cached = obs["cached"]["records"][sid]
        assert cached["cached"] and cached["sha256"] == clean[sid]["sha256"], sid
    assert all(r["cached"] for r in obs["cached"]["records"].values())


@pytest.mark.parametrize("user", USERS)
def test_capabilities_are_dropped_and_namespace_and_mount_calls_refused(observations, user):
    obs = observations[user]
    assert worked(obs["weak"], "cap_escape"), obs["weak"]["records"]["cap_escape"]
    assert blocked(obs["real"], "cap_escape")
    assert "caps=0 []" in obs["real"]["records"]["cap_escape"]["error"]


@pytest.mark.parametrize("user", USERS)
def test_hidden_home_cannot_be_unmounted_to_read_secrets(observations, user):
    obs = observations[user]
    if user == "root":  # bubblewrap keeps a root caller's capabilities unless told otherwise
        assert worked(obs["weak"], "home_escape")
        assert "NETRC-SECRET" in obs["weak"]["records"]["home_escape"]["error"]
    else:  # for other users bubblewrap itself grants no capabilities: the weakening does not reopen it
        assert blocked(obs["weak"], "home_escape")
    assert blocked(obs["real"], "home_escape")
    assert "NETRC-SECRET" not in json.dumps(obs["real"])


@pytest.mark.parametrize("user", USERS)
def test_forged_replies_land_only_when_the_parent_trusts_reply_ids(observations, user):
    obs = observations[user]
    clean_b = obs["clean"]["records"]["good_b"]["sha256"]
    weakest = obs["forge_weakest"]
    # Weakest: the forger's image replaced good_b's, an absolute-path id wrote on the host, the run crashed.
    assert weakest["files"]["good_b.jpg"] != clean_b
    assert obs["pwned_exists"]
    assert weakest.get("raised", "").startswith("KeyError")
    # Job isolation off but replies attributed by the parent: caught, counted, good_b intact.
    for sid in ("forge_other", "forge_unknown"):
        assert obs["weak"]["records"][sid]["error"].startswith("ProtocolError"), obs["weak"]["records"][sid]
    assert "raised" not in obs["weak"]
    assert obs["weak"]["records"]["good_b"]["sha256"] == clean_b
    # Real: the worker's pipes are not even reachable.
    assert blocked(obs["real"], "forge_other") and blocked(obs["real"], "forge_unknown")


@pytest.mark.parametrize("user", USERS)
def test_processes_started_by_a_script_die_with_its_job(observations, user):
    obs = observations[user]
    clean = obs["clean"]["records"]
    forged_later = [sid for sid in ("good_d", "good_e") if obs["weak"]["records"][sid]["sha256"] != clean[sid]["sha256"]]
    assert forged_later, "the surviving daemon should have forged a later chart in the weakened run"
    for sid in ("good_d", "good_e"):
        assert obs["real"]["records"][sid]["sha256"] == clean[sid]["sha256"]
    # Without bubblewrap too (per-job PID namespace when the system allows it).
    assert obs["unsafe_weak"]["survivor"] and not obs["unsafe"]["survivor"]


@pytest.mark.parametrize("user", USERS)
def test_host_files_and_unix_sockets_are_not_reachable(observations, user):
    obs = observations[user]
    assert worked(obs["weak"], "host_read") and worked(obs["weak"], "host_socket")
    assert obs["weak_connections"] >= 1
    if user == "root":
        assert worked(obs["weak"], "shadow")
    for sid in ("host_read", "host_socket", "shadow"):
        assert blocked(obs["real"], sid), obs["real"]["records"][sid]
    assert obs["real_connections"] == 0


@pytest.mark.parametrize("user", USERS)
def test_dev_shm_is_size_capped(observations, user):
    obs = observations[user]
    assert worked(obs["weak"], "shm_fill")
    assert blocked(obs["real"], "shm_fill")


@pytest.mark.parametrize("user", USERS)
def test_a_script_cannot_break_or_stop_its_worker(observations, user):
    obs = observations[user]
    weak, real = obs["weak"]["records"], obs["real"]["records"]
    if user == "root":
        assert worked(obs["weak"], "break_mounts")
    assert blocked(obs["real"], "break_mounts")
    # Weakened: the stop lands; it costs that script one timeout, no retry, and the worker is replaced.
    assert weak["stop_worker"]["error"].startswith("InfrastructureError") and "replaced" in weak["stop_worker"]["error"]
    assert blocked(obs["real"], "stop_worker") and "ppid=0" in real["stop_worker"]["error"]
    for sid in ("good_c", "good_tail"):
        assert weak[sid]["status"] == "ok" and real[sid]["status"] == "ok"
    assert weak["good_tail"]["sha256"] == obs["clean"]["records"]["good_tail"]["sha256"]


@pytest.mark.parametrize("user", USERS)
def test_without_bubblewrap_rendering_needs_an_explicit_opt_in(observations, user):
    obs = observations[user]
    assert "--unsafe-no-sandbox" in obs["unsafe_refused"]
    assert "WITHOUT a sandbox" in obs["stderr"] and "home folder" in obs["stderr"]
    # The caller's environment (its API key) is readable from /proc without job isolation, not with it.
    assert worked(obs["unsafe_weak"], "environ_read")
    assert blocked(obs["unsafe"], "environ_read")
    assert obs["unsafe"]["records"]["good_a"]["sha256"] == obs["clean"]["records"]["good_a"]["sha256"]
    assert obs["tmp_left"] == []


# --- focused checks of the parent-side verification and of environment verification ------------

def test_jpeg_check_rejects_what_is_not_one_complete_jpeg(tmp_path):
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (300, 200), "white").save(buf, "JPEG")
    good = buf.getvalue()
    assert check_jpeg(good) is None
    assert "magic" in check_jpeg(b"GIF89a" + good)
    assert "truncated" in check_jpeg(good[: len(good) // 2])
    assert "decode" in check_jpeg(good[:200] + b"\x00" * 500 + b"\xff\xd9")
    assert check_jpeg(b"") is not None


def test_output_paths_stay_inside_the_output_folder(tmp_path):
    out = tmp_path / "out"
    assert confined_output_path(out, "chart_001") == out / "chart_001.jpg"
    assert confined_output_path(out, "x" * 251) == out / ("x" * 251 + ".jpg")  # the longest id whose .jpg name fits (a 252-byte .py stem gets BadId)
    for bad in ("../x", "/etc/x", "a/b", ".hidden", "", "x\x00y", "x" * 252):
        assert confined_output_path(out, bad) is None, bad


def test_ids_that_would_escape_the_output_folder_get_an_error_record(tmp_path):
    code = "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\n"
    recs = render_scripts({"../escape": code, "fine": code}, tmp_path / "out", env="current", use_cache=False,
                          progress=False, workers=1)
    assert recs[0].status == "error" and recs[0].error.startswith("BadId")
    assert recs[1].status == "ok"
    assert not (tmp_path / "escape.jpg").exists()


def _fake_env(tmp_path: Path) -> Path:
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    return env_dir


def test_planted_startup_files_make_an_environment_unusable_and_never_run(tmp_path):
    from reachqa_builder.render.envs import _interpreter_prefixes

    env_dir = _fake_env(tmp_path)
    write_manifest(env_dir)
    verify_environment(env_dir)  # a fresh environment passes
    site = next(env_dir.glob("lib/python3*/site-packages"))
    marker = tmp_path / "pth-ran"
    (site / "evil.pth").write_text(f"import os; open({str(marker)!r}, 'w').write('ran')\n")
    with pytest.raises(RenderEnvironmentError, match="evil.pth belongs to no installed package"):
        verify_environment(env_dir)
    assert audit_startup_files(env_dir)
    # The host-side probe of an environment's folders does not execute .pth files.
    _interpreter_prefixes.cache_clear()
    _interpreter_prefixes(str(env_dir / "bin" / "python"))
    assert not marker.exists()
    (site / "evil.pth").unlink()
    (site / "sitecustomize.py").write_text("print('planted')\n")
    with pytest.raises(RenderEnvironmentError, match="sitecustomize"):
        verify_environment(env_dir)


def test_changed_files_make_an_environment_unusable(tmp_path):
    from reachqa_builder.render import envs

    env_dir = _fake_env(tmp_path)
    write_manifest(env_dir)
    site = next(env_dir.glob("lib/python3*/site-packages"))
    (site / "matplotlib_patch.py").write_text("x = 1\n")
    envs._VERIFIED.discard(str(env_dir))
    envs._AUDITED.pop(str(env_dir), None)
    with pytest.raises(RenderEnvironmentError, match="changed since it was created"):
        verify_environment(env_dir)


def test_cli_refuses_without_bubblewrap_unless_unsafe_flag(tmp_path):
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "c.py").write_text("import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()\n")
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    env = dict(os.environ, PATH=str(no_bwrap))
    cmd = [sys.executable, "-m", "reachqa_builder.cli", "render", str(code_dir), str(tmp_path / "out"), "--env",
           "current", "--no-cache", "--no-progress"]
    refused = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert refused.returncode == 1 and "--unsafe-no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "c.jpg").exists()
    allowed = subprocess.run(cmd + ["--unsafe-no-sandbox"], capture_output=True, text=True, env=env, timeout=600)
    assert allowed.returncode == 0, allowed.stderr
    assert "WITHOUT a sandbox" in allowed.stderr and (tmp_path / "out" / "c.jpg").exists()


# --- isolation between scripts, per-script limits, hostile results ------------------

def probe(run: dict, sid: str) -> str:
    return run["records"][sid]["error"] or ""


@pytest.mark.parametrize("user", USERS)
def test_a_job_never_sees_an_earlier_jobs_code_or_image(observations, user):
    obs = observations[user]
    assert obs["jobs_weak"]["records"]["token_holder"]["status"] == "ok"
    # Forked from the worker that read earlier jobs: their source and reply are in its frames and heap.
    assert worked(obs["jobs_weak"], "heap_scan"), probe(obs["jobs_weak"], "heap_scan")
    # Forked from a template that never held a job: nothing.
    assert blocked(obs["jobs_real"], "heap_scan"), probe(obs["jobs_real"], "heap_scan")


@pytest.mark.parametrize("user", USERS)
def test_nothing_a_job_leaves_in_tmp_or_chmods_reaches_later_jobs(observations, user):
    obs = observations[user]
    assert worked(obs["jobs_weak"], "tmp_victim")
    assert blocked(obs["jobs_real"], "tmp_victim")
    for run in ("jobs_real", "jobs_weak"):  # the worker restores its own folder either way
        assert obs[run]["records"]["good_after"]["status"] == "ok", obs[run]["records"]["good_after"]
    assert obs["jobs_real"]["records"]["good_after"]["sha256"] == obs["jobs_alone"]["records"]["good_after"]["sha256"]


@pytest.mark.parametrize("user", USERS)
def test_what_a_job_imports_never_depends_on_earlier_jobs_text(observations, user):
    obs = observations[user]
    alone = probe(obs["jobs_alone"], "cmap_count")
    assert alone.startswith("RuntimeError: PROBE cmaps=")
    assert probe(obs["jobs_weak"], "cmap_count") != alone  # seaborn's maps, imported for an earlier comment
    assert probe(obs["jobs_real"], "cmap_count") == alone


@pytest.mark.parametrize("user", USERS)
def test_inodes_in_a_jobs_folder_are_capped(observations, user):
    obs = observations[user]
    assert worked(obs["jobs_weak"], "inode_fill")
    assert blocked(obs["jobs_real"], "inode_fill") and "errno=28" in probe(obs["jobs_real"], "inode_fill")


@pytest.mark.parametrize("user", USERS)
def test_memory_outside_the_address_space_is_refused(observations, user):
    obs = observations[user]
    assert worked(obs["jobs_weak"], "memfd_hold")
    assert blocked(obs["jobs_real"], "memfd_hold") and "memfd=-1" in probe(obs["jobs_real"], "memfd_hold")


@pytest.mark.parametrize("user", USERS)
def test_a_script_is_one_process_also_for_root(observations, user):
    obs = observations[user]
    if user == "root":  # RLIMIT_NPROC never binds for root
        assert worked(obs["jobs_weak"], "fork_count"), probe(obs["jobs_weak"], "fork_count")
    assert blocked(obs["jobs_real"], "fork_count") and "processes=0" in probe(obs["jobs_real"], "fork_count")


@pytest.mark.parametrize("user", USERS)
def test_only_unix_sockets_and_no_host_load(observations, user):
    obs = observations[user]
    assert worked(obs["jobs_weak"], "vsock") and worked(obs["jobs_weak"], "sysinfo")
    assert blocked(obs["jobs_real"], "vsock") and "errno=97" in probe(obs["jobs_real"], "vsock")
    assert blocked(obs["jobs_real"], "sysinfo")


@pytest.mark.parametrize("user", USERS)
def test_hostile_results_become_records_and_never_stop_the_run(observations, user):
    obs = observations[user]
    real = obs["replies_real"]
    assert "raised" not in real, real.get("trace")
    recs = real["records"]
    # Taken unchecked (the old way), forged extra fields reach the report and a 600-deep one stops the run.
    assert "FORGED-REVIEWER" in obs["replies_weak_report"]
    assert obs["replies_weak"]["raised"].startswith("RecursionError")
    assert "FORGED-REVIEWER" not in obs["replies_report"]
    assert all("extra" not in json.loads(line) for line in obs["replies_report"].splitlines())
    assert len(obs["replies_report"]) < 200_000
    for sid in ("forged_extra", "deep_extra"):
        assert recs[sid]["status"] == "ok"  # the chart itself is a valid JPEG; only the extra fields went
    assert recs["unhashable_kind"]["status"] == "ok" and recs["huge_int"]["status"] == "ok"
    assert recs["bad_types"]["status"] == "error" and recs["bad_types"]["error"].startswith("ProtocolError")
    # A 40 MiB reply (within the 256 MiB maximum) arrives.
    assert recs["big_reply"]["status"] == "ok", recs["big_reply"]
    # A 245-character id renders (its temporary file name stays short).
    assert recs["x" * 245]["status"] == "ok" and recs["good_last"]["status"] == "ok"


# --- focused checks of the JPEG check's bounds ------------------------------------------------

def _progressive_jpeg(size=(64, 48)) -> bytes:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", size, "white").save(buf, "JPEG", progressive=True, subsampling=0)
    return buf.getvalue()


def test_jpeg_with_thousands_of_scans_is_refused_without_decoding():
    import time

    from reachqa_builder.render.verify import MAX_SCANS, jpeg_structure_problem

    data = _progressive_jpeg()
    last_scan = data.rindex(b"\xff\xda")
    bomb = data[:last_scan] + data[last_scan:-2] * 7000 + b"\xff\xd9"
    assert check_jpeg(data) is None
    start = time.monotonic()
    assert f"more than {MAX_SCANS} scans" in jpeg_structure_problem(bomb)
    assert time.monotonic() - start < 1.0


def test_a_coefficient_bomb_is_decoded_in_a_limited_helper_not_in_the_caller(tmp_path):
    import resource

    from reachqa_builder.render.verify import JpegChecker

    data = bytearray(_progressive_jpeg((16, 16)))
    sof = data.index(b"\xff\xc2")
    data[sof + 5:sof + 9] = (13300).to_bytes(2, "big") * 2  # 177 Mpx declared in a file of a few hundred bytes
    (tmp_path / "bomb.jpg").write_bytes(data)
    # Weakened (decoded without limits, the old in-process way, here in a child): about 1 GiB held.
    probe = ("import resource, sys; sys.path.insert(0, sys.argv[2]); from verify import decode_problem; "
             "decode_problem(open(sys.argv[1], 'rb').read()); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    import reachqa_builder.render.verify as verify

    out = subprocess.run([sys.executable, "-W", "ignore", "-c", probe, str(tmp_path / "bomb.jpg"),
                          str(Path(verify.__file__).parent)], capture_output=True, text=True, timeout=300)
    assert int(out.stdout.split()[-1]) > 800 * 1024, out  # KiB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with JpegChecker() as checker:
        problem = check_jpeg(bytes(data), checker)
    assert problem is not None
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB: the caller stayed small


def test_every_reply_field_is_checked_and_unknown_extra_fields_dropped(tmp_path):
    from reachqa_builder.render import _RenderRun
    from reachqa_builder.render.sandbox import SandboxSettings

    run = _RenderRun(tmp_path, None, False, SandboxSettings())
    job = {"id": "chart"}
    deep: object = 1
    for _ in range(600):
        deep = {"x": deep}
    hostile = [
        {"status": {"ok": 1}, "error": None},
        {"status": "error", "error": ["not", "text"]},
        {"status": "error", "error": "E" * 10_000_000, "seconds": 10**400},
        {"status": "error", "error": "x", "seconds": float("nan"), "extra": {"deep": deep, "status": "ok",
                                                                              "sha256": "0" * 64}},
        {"status": "error", "error": "x", "extra": {"inspect": {"lint": [{"kind": ["x"], "severity": {}, "detail": 1}],
                                                                "plotted": {"series": [{"kind": {"a": 1}, "values": [10**400]}]}}}},
    ]
    for header in hostile:
        rec, image = run._checked_record(job, header, b"")
        assert rec.id == "chart" and rec.status == "error" and isinstance(rec.error, str) and image == b""
        assert len(rec.error) < 3000 and 0 <= rec.seconds < 1e7 and rec.seconds == rec.seconds
        assert set(rec.extra) == set() and "deep" not in json.dumps(rec.report_line())


def test_the_cache_key_has_the_limits_and_every_sandbox_source_file(tmp_path, monkeypatch):
    from reachqa_builder.render import cache

    base = cache.RenderCache.key("code", "env", 200, limits={"timeout": 60, "memory_mb": 4096})
    assert base != cache.RenderCache.key("code", "env", 200, limits={"timeout": 60, "memory_mb": 1024})
    copy = tmp_path / "render"
    shutil.copytree(cache.HERE, copy)
    monkeypatch.setattr(cache, "HERE", copy)
    for name in ("sandbox.py", "_seccomp.py", "_worker.py", "verify.py", "pool.py"):
        cache.renderer_fingerprint.cache_clear()
        before = cache.renderer_fingerprint()
        (copy / name).write_text((copy / name).read_text() + "\n# changed\n")
        cache.renderer_fingerprint.cache_clear()
        assert cache.renderer_fingerprint() != before, name
    cache.renderer_fingerprint.cache_clear()
