"""`reachqa render` and `render_scripts` through their public interfaces."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from reachqa_builder.render import RenderEnvironmentError, render_scripts
from tests.prerequisites import SHARED_DATA, needs_shared

REACHQA = [sys.executable, "-m", "reachqa_builder.cli"]
TEST_CODE = SHARED_DATA / "reachqa_test" / "code"

CHART = """
import matplotlib.pyplot as plt
import numpy as np
vals = np.random.rand(6)
fig, ax = plt.subplots()
ax.pie(vals, labels=list("abcdef"), autopct="%1.0f%%")
ax.set_title("Shares")
plt.show()
"""

POLLUTER = """
import matplotlib.pyplot as plt
import matplotlib as mpl
import numpy as np
import random
plt.style.use("dark_background")
mpl.rcParams["font.size"] = 30
mpl.rcParams["lines.linewidth"] = 9
np.random.seed(123); np.random.rand(1000); random.random()
plt.figure(); plt.plot([1, 3, 2])
import matplotlib.pyplot
matplotlib.pyplot.savefig = None
plt.show()
"""

OLD_API = """
import matplotlib.pyplot as plt
import matplotlib.cm as cm
import numpy as np
data = [np.random.normal(0, s, 50) for s in (1, 2, 3)]
fig, ax = plt.subplots()
ax.boxplot(data, labels=["low", "mid", "high"], patch_artist=True)
colors = cm.get_cmap("viridis")(np.linspace(0, 1, 3))
plt.figure()
plt.boxplot(data, labels=["x", "y", "z"])
plt.show()
"""


def run_cli(*args, env=None):
    return subprocess.run(REACHQA + list(args), capture_output=True, text=True, env=env, timeout=600)


def test_cli_renders_folder_with_report(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "00001.py").write_text(CHART)
    (code / "00002.py").write_text("raise ValueError('bad data')\n")
    (code / "00003.py").write_bytes(b"# \xff\xfe not utf-8\nimport matplotlib\n")
    out = tmp_path / "out"
    res = run_cli("render", str(code), str(out), "--env", "current", "--timeout", "20", "--no-progress",
                  "--cache-dir", str(tmp_path / "cache"))
    assert res.returncode == 0, res.stderr
    assert "rendered 1/3 charts" in res.stdout
    report = [json.loads(x) for x in (out / "render_report.jsonl").read_text().splitlines()]
    assert [r["id"] for r in report] == ["00001", "00002", "00003"]
    assert report[0]["status"] == "ok" and (out / "00001.jpg").read_bytes()[:2] == b"\xff\xd8"
    assert report[1]["error"] == "ValueError: bad data (line 1)"
    assert report[2]["error"].startswith("UnicodeDecodeError") and "00003.py" in report[2]["error"]
    assert not (out / "00002.jpg").exists()


@pytest.mark.parametrize("setup,message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: (p / "file.py").write_text("x") and p / "file.py", "is not a directory"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no chart scripts"),
])
def test_cli_bad_folders(tmp_path, setup, message):
    res = run_cli("render", str(setup(tmp_path)), str(tmp_path / "out"), "--env", "current")
    assert res.returncode == 2
    assert message in res.stderr


def test_cli_unknown_env(tmp_path):
    (tmp_path / "a.py").write_text(CHART)
    res = run_cli("render", str(tmp_path), str(tmp_path / "out"), "--env", "nightly")
    assert res.returncode == 2 and "--env: invalid choice: 'nightly'" in res.stderr and "faithful" in res.stderr


def test_faithful_env_that_cannot_be_created(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "a.py").write_text(CHART)
    env = dict(os.environ, REACHQA_HOME=str(tmp_path / "home"), PIP_INDEX_URL="http://127.0.0.1:9/simple",
               PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_RETRIES="0", PIP_TIMEOUT="1", PIP_CONFIG_FILE=os.devnull)
    res = run_cli("render", str(tmp_path / "code"), str(tmp_path / "out"), env=env)
    assert res.returncode == 1
    assert "could not create the faithful render environment" in res.stderr
    assert "--env current" in res.stderr
    assert not (tmp_path / "home" / "envs" / ".reachqa-complete").exists()


def test_unknown_env_in_api(tmp_path):
    with pytest.raises(RenderEnvironmentError, match="unknown render environment 'x'"):
        render_scripts({"a": CHART}, tmp_path, env="x")


def test_determinism_whatever_ran_before(tmp_path):
    first = render_scripts({"chart": CHART}, tmp_path / "a", env="current", workers=1, use_cache=False,
                           progress=False)[0]
    after = render_scripts({"polluter": POLLUTER, "chart": CHART}, tmp_path / "b", env="current", workers=1,
                           use_cache=False, progress=False)
    again = render_scripts({"chart": CHART}, tmp_path / "c", env="current", workers=1, use_cache=False,
                           progress=False)[0]
    assert after[0].status == "ok", after[0]
    assert first.status == "ok" and first.sha256 == after[1].sha256 == again.sha256


def test_compat_layer_runs_removed_apis(tmp_path):
    rec = render_scripts({"old": OLD_API}, tmp_path, env="current", use_cache=False, progress=False)[0]
    assert rec.status == "ok", rec.error


def test_cache_renders_nothing_twice_and_keeps_partial_work(tmp_path):
    scripts = {"one": CHART, "two": CHART.replace("Shares", "Other")}
    cache = tmp_path / "cache"
    first = render_scripts(scripts, tmp_path / "a", env="current", cache_dir=cache, progress=False)
    assert not any(r.cached for r in first)
    second = render_scripts(scripts, tmp_path / "b", env="current", cache_dir=cache, progress=False)
    assert all(r.cached for r in second)
    assert [r.sha256 for r in first] == [r.sha256 for r in second]
    assert (tmp_path / "b" / "two.jpg").read_bytes() == (tmp_path / "a" / "two.jpg").read_bytes()
    changed = render_scripts({"one": CHART + "\n# edited\n"}, tmp_path / "c", env="current", cache_dir=cache,
                             progress=False)
    assert not changed[0].cached


@pytest.mark.slow
@needs_shared(TEST_CODE, "released ReachQA test scripts")
def test_current_env_renders_released_scripts(tmp_path):
    scripts = sorted(TEST_CODE.glob("*.py"))[:40]
    records = render_scripts(scripts, tmp_path, env="current", progress=False, cache_dir=tmp_path / "cache")
    assert sum(r.status == "ok" for r in records) >= 39


# --- what CODE_DIR holds and what scripts print ---------------------------------------

def test_symlinks_and_special_files_in_code_dir_are_refused_never_followed(tmp_path):
    secret = tmp_path / "host.env"
    secret.write_text("OPENAI_API_KEY = 'sk-HOST-SECRET-23'\n")
    code = tmp_path / "code"
    code.mkdir()
    (code / "a_link.py").symlink_to(secret)
    os.mkfifo(code / "b_fifo.py")
    (code / "c_good.py").write_text(CHART)
    # What the old loader did: the glob lists the link and reading it follows it to the host file.
    assert code / "a_link.py" in sorted(code.glob("*.py"))
    assert b"sk-HOST-SECRET-23" in (code / "a_link.py").read_bytes()
    out = tmp_path / "out"
    res = run_cli("render", str(code), str(out), "--env", "current", "--no-progress", "--cache-dir", str(tmp_path / "cache"))
    assert res.returncode == 0, res.stderr
    lines = {r["id"]: r for r in map(json.loads, (out / "render_report.jsonl").read_text().splitlines())}
    assert lines["a_link"]["error"].startswith("FileError") and "symbolic link" in lines["a_link"]["error"]
    assert lines["b_fifo"]["error"].startswith("FileError") and "not a regular file" in lines["b_fifo"]["error"]
    assert lines["c_good"]["status"] == "ok"
    for folder in (out, tmp_path / "cache"):
        for f in folder.rglob("*"):
            assert not f.is_file() or b"sk-HOST-SECRET-23" not in f.read_bytes(), f


def test_control_characters_a_script_chooses_never_reach_the_terminal(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    # A class name with OSC 0 (window title), OSC 52 (clipboard) and a forged summary line.
    evil = "Evil\x1b]0;PWNED\x07\x1b]52;c;cm0gLXJmIH4=\x07\r\nrendered 40/40 charts (0 from cache, 0 failed)\n"
    (code / "osc.py").write_text(f"raise type({evil!r}, (Exception,), {{}})('boom')\n")
    (code / "fine.py").write_text(CHART)
    out = tmp_path / "out"
    res = run_cli("render", str(code), str(out), "--env", "current", "--no-progress", "--no-cache")
    assert res.returncode == 0, res.stderr
    record = json.loads((out / "render_report.jsonl").read_text().splitlines()[1])
    assert record["id"] == "osc" and "\x1b]52;" in record["error"]  # the record keeps what the script raised
    for stream in (res.stdout, res.stderr):
        assert "\x1b" not in stream and "\x07" not in stream and "\r" not in stream
    assert "\\x1b]52;" in res.stdout
    assert [ln for ln in res.stdout.splitlines() if ln.startswith("rendered")] == res.stdout.splitlines()[:1]
    assert res.stdout.splitlines()[0].startswith("rendered 1/2 charts")
    assert "per-script limits: one process (no fork)" in res.stderr  # which limits bound the scripts
