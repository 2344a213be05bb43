"""Rendering works wherever the checkout, the interpreter, ``REACHQA_HOME`` and the output live,
/tmp included (the sandbox mounts a private /tmp of its own), and a path the sandbox cannot show
is refused in one line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reachqa_builder.render.envs import RenderEnvironment
from reachqa_builder.render.sandbox import SandboxSettings, SandboxUnavailableError, bwrap_args

REPO_ROOT = Path(__file__).resolve().parents[2]

CHART = """
import matplotlib.pyplot as plt
plt.bar(["a", "b", "c"], [3, 1, 2])
plt.title("Under /tmp")
plt.show()
"""


def _site_dirs() -> list[str]:
    """The folders this interpreter imports third-party packages from (without this checkout)."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


@pytest.fixture
def under_tmp():
    """A copy of the package, a virtualenv, REACHQA_HOME and an output folder, all under /tmp."""
    root = Path(tempfile.mkdtemp(prefix="reachqa-under-tmp-", dir="/tmp"))
    try:
        checkout = root / "clone"
        shutil.copytree(REPO_ROOT / "reachqa_builder", checkout / "reachqa_builder",
                        ignore=shutil.ignore_patterns("__pycache__"))
        venv = root / "venv"
        subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                       check=True, capture_output=True)
        site = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
        # the copy first, then the packages of this environment (read by the sandbox from the same .pth)
        (site / "reachqa-under-tmp.pth").write_text("\n".join([str(checkout), *_site_dirs()]) + "\n")
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_checkout_venv_home_and_output_under_tmp_render(under_tmp):
    code = under_tmp / "code"
    code.mkdir()
    (code / "c1.py").write_text(CHART)
    out = under_tmp / "out"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(under_tmp / "home"),
           "REACHQA_HOME": str(under_tmp / "reachqa-home")}
    python = str(under_tmp / "venv" / "bin" / "python")
    where = subprocess.run([python, "-c", "import reachqa_builder; print(reachqa_builder.__file__)"],
                           capture_output=True, text=True, env=env, cwd=under_tmp, check=True)
    assert where.stdout.startswith(str(under_tmp / "clone")), where.stdout  # really the copy under /tmp
    done = subprocess.run([python, "-m", "reachqa_builder.cli", "render", str(code), str(out), "--env", "current",
                           "--workers", "1", "--no-progress", "--cache-dir", str(under_tmp / "cache")],
                          capture_output=True, text=True, env=env, cwd=under_tmp, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(line) for line in (out / "render_report.jsonl").read_text().splitlines()]
    assert [(r["id"], r["status"]) for r in records] == [("c1", "ok")], records
    assert (out / "c1.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert (under_tmp / "reachqa-home" / "mplconfig").is_dir()  # the font cache went to REACHQA_HOME under /tmp


def test_a_path_the_sandbox_cannot_show_is_refused_in_one_line():
    env = RenderEnvironment(name="current", python=sys.executable, fingerprint="x", compat=True,
                            prefixes=(sys.prefix, "/proc/self"))
    with pytest.raises(SandboxUnavailableError) as err:
        bwrap_args(env, SandboxSettings())
    message = str(err.value)
    assert "\n" not in message
    assert "lies under /proc" in message and "REACHQA_HOME" in message
    env = RenderEnvironment(name="current", python=sys.executable, fingerprint="x", compat=True, prefixes=("/tmp",))
    with pytest.raises(SandboxUnavailableError, match="/tmp itself is needed .* a private /tmp of its own"):
        bwrap_args(env, SandboxSettings())
