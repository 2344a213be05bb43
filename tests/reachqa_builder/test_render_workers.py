"""Warm workers: what a worker loads on demand never changes a chart, a run that stops early
leaves kept workers ready for the next call, and huge pages make fresh memory cheaper without
changing an image or showing more of the host."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from reachqa_builder.render import render_scripts
from reachqa_builder.render.envs import get_environment
from reachqa_builder.render.pool import WorkerPool
from reachqa_builder.render.sandbox import SandboxSettings

USES_SEABORN = """
import seaborn as sns
import matplotlib.pyplot as plt
sns.barplot(x=["a", "b", "c"], y=[3, 1, 2])
plt.show()
"""

# Names one of seaborn's colormaps without importing seaborn: whether it renders must not depend
# on which scripts the same worker ran before.
ROCKET_ONLY = """
import matplotlib.pyplot as plt
import numpy as np
plt.imshow(np.arange(12).reshape(3, 4), cmap="rocket")
plt.show()
"""

PLAIN = """
import matplotlib.pyplot as plt
plt.plot([0, 1, 2], [2, 0, 1])
plt.title("plain")
plt.show()
"""


def _render(scripts: dict[str, str], out, sandbox: SandboxSettings | None = None) -> dict:
    records = render_scripts(scripts, out, env="current", workers=1, use_cache=False, progress=False,
                             keep_workers=False, inspect=False, sandbox=sandbox)
    return {r.id: r for r in records}


def test_a_colormap_of_an_on_demand_library_renders_the_same_whatever_ran_before(tmp_path):
    after_seaborn = _render({"a_seaborn": USES_SEABORN, "b_rocket": ROCKET_ONLY}, tmp_path / "after")
    alone = _render({"b_rocket": ROCKET_ONLY}, tmp_path / "alone")
    assert after_seaborn["a_seaborn"].status == "ok", after_seaborn["a_seaborn"].error
    assert alone["b_rocket"].status == "ok", alone["b_rocket"].error
    assert after_seaborn["b_rocket"].sha256 == alone["b_rocket"].sha256


def test_scripts_render_the_same_before_and_after_a_worker_loads_more_libraries(tmp_path):
    first = _render({"p1": PLAIN, "s": USES_SEABORN, "p2": PLAIN}, tmp_path / "mixed")
    fresh = _render({"p": PLAIN}, tmp_path / "fresh")
    assert {r.status for r in first.values()} == {"ok"}
    assert first["p1"].sha256 == first["p2"].sha256 == fresh["p"].sha256


def test_a_run_stopped_by_its_result_writer_leaves_kept_workers_clean():
    env = get_environment("current")
    job = {"dpi": 50, "timeout": 60, "seed": 0, "memory_mb": 2048, "compat": env.compat, "inspect": False}
    with WorkerPool(env, 1, SandboxSettings()) as pool:
        seen: list[str] = []

        def failing_writer(job, header, image):
            seen.append(job["id"])
            raise OSError(28, "No space left on device")

        with pytest.raises(OSError, match="No space left"):
            pool.map([dict(job, id=f"j{i}", code=PLAIN) for i in range(4)], failing_writer)
        assert seen == ["j0"]  # the run stops at the first failed write

        results: dict[str, dict] = {}
        pool.map([dict(job, id=f"k{i}", code=PLAIN) for i in range(2)],
                 lambda job, header, image: results.__setitem__(job["id"], header))
    # The job already handed to the worker was drained, so the next call's replies are its own.
    assert {k: (h["id"], h["status"]) for k, h in results.items()} == {"k0": ("k0", "ok"), "k1": ("k1", "ok")}
    assert pool.replaced == 0


# A script that reports (as its error) how many page faults writing 64 MiB of fresh memory took.
FAULTS_FOR_64_MIB = """
import resource
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
blob = bytearray(64 << 20)
raise ValueError(f"faults={resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}")
"""

THP_MODE = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def _faults(settings: SandboxSettings, out) -> int:
    record = _render({"fresh": FAULTS_FOR_64_MIB}, out, settings)["fresh"]
    match = re.search(r"faults=(\d+)", record.error or "")
    assert match, record.error
    return int(match.group(1))


@pytest.mark.skipif(not THP_MODE.exists() or "[never]" in THP_MODE.read_text(),
                    reason="this kernel offers no transparent huge pages")
def test_huge_pages_back_a_scripts_fresh_memory_and_change_no_image(tmp_path):
    # 64 MiB is 16,384 pages of 4 KiB: one fault each without huge pages, one per 2 MiB with them.
    assert _faults(SandboxSettings(huge_pages=False), tmp_path / "off") > 16_000
    assert _faults(SandboxSettings(), tmp_path / "on") < 4_000
    scripts = {"plain": PLAIN, "seaborn": USES_SEABORN, "rocket": ROCKET_ONLY}
    digests = {}
    for huge in (False, True):
        records = _render(scripts, tmp_path / f"huge-{huge}", SandboxSettings(huge_pages=huge))
        assert {r.status for r in records.values()} == {"ok"}, [r.error for r in records.values()]
        digests[huge] = {sid: r.sha256 for sid, r in records.items()}
    assert digests[True] == digests[False]


# Lists what the sandbox shows of /sys and tries to write there and in the job's own folder,
# bypassing the audit hook (ctypes), so the OS answers. Reported as the script's error.
SYS_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def writable(path):
    fd = libc.open(path.encode(), os.O_WRONLY | os.O_CREAT, 0o600)
    if fd >= 0:
        libc.close(fd)
    return fd >= 0
raise ValueError(repr({"sys": sorted(os.listdir("/sys")), "mm": sorted(os.listdir("/sys/kernel/mm")),
                       "thp_writable": writable("/sys/kernel/mm/transparent_hugepage/enabled"),
                       "own_folder_writable": writable("probe.txt")}))
"""


@pytest.mark.skipif(not THP_MODE.exists(), reason="this kernel has no transparent huge pages")
def test_the_sandbox_shows_only_the_huge_page_settings_of_sys_read_only(tmp_path):
    record = _render({"probe": SYS_PROBE}, tmp_path / "o")["probe"]
    seen = ast.literal_eval(record.error.split("ValueError: ", 1)[1].rsplit(" (line", 1)[0])
    assert seen["own_folder_writable"]  # the probe does detect a writable place
    assert seen == {"sys": ["kernel"], "mm": ["transparent_hugepage"], "thp_writable": False,
                    "own_folder_writable": True}
