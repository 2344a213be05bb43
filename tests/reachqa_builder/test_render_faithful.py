"""The pinned "faithful" environment reproduces the published ReachQA seed images.

Needs the faithful virtualenv (`reachqa env create faithful`, done by .ci/setup): fails without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reachqa_builder.render import render_scripts
from reachqa_builder.render.envs import faithful_env_dir
from tests.prerequisites import SHARED_DATA, needs_shared, require_ci_setup

SEED = SHARED_DATA / "reachqa_seed"

pytestmark = [pytest.mark.slow, needs_shared(SEED, "released ReachQA seed data")]


@pytest.fixture(autouse=True)
def faithful_env_created():
    require_ci_setup((faithful_env_dir() / ".reachqa-complete").exists(),
                     f"the faithful render environment ({faithful_env_dir()}; reachqa env create faithful)")


def test_seed_charts_match_published_images(tmp_path):
    scripts = sorted((SEED / "code").glob("*.py"))
    records = render_scripts(scripts, tmp_path, env="faithful", use_cache=False, progress=False)
    assert all(r.status == "ok" for r in records), [r.error for r in records if r.status != "ok"]
    identical = [r.id for r in records if Path(r.image).read_bytes() == (SEED / "images" / f"{r.id}.jpg").read_bytes()]
    # Measured: 29 of 33 byte-identical. The other four (020, 025, 026, 027) differ only in a few
    # anti-aliased text pixels; which of them match depends on what the publishing process had
    # rendered before (shown by rendering the seeds in sequence in one process), so a renderer that
    # isolates every script cannot match all four. Guard against regressions below that figure.
    assert len(identical) >= 29, f"only {len(identical)} identical: {sorted(set(r.id for r in records) - set(identical))}"
    report = [json.loads(x) for x in (tmp_path / "render_report.jsonl").read_text().splitlines()]
    assert [x["id"] for x in report] == [s.stem for s in scripts]


TEST_CODE = SEED.parent / "reachqa_test" / "code"


def test_renders_match_the_original_tools_way(tmp_path):
    """Warm forked workers give the same bytes as a fresh `python script.py` per script (the original tool)."""
    import subprocess

    from reachqa_builder.render.envs import get_environment

    scripts = [p for p in sorted(TEST_CODE.glob("*.py"))[:30] if "random" not in p.read_text()][:8]
    python = get_environment("faithful").python
    for path in scripts:
        code = path.read_text().replace("plt.show()", f"plt.savefig({str(tmp_path / (path.stem + '-ref.jpg'))!r}, dpi=200)")
        (tmp_path / path.name).write_text(code)
        subprocess.run([python, str(tmp_path / path.name)], cwd=tmp_path, check=True, capture_output=True,
                       env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "MPLCONFIGDIR": str(tmp_path / "mpl")})
    records = render_scripts(scripts, tmp_path / "ours", env="faithful", use_cache=False, progress=False)
    for rec in records:
        assert rec.status == "ok", rec.error
        assert Path(rec.image).read_bytes() == (tmp_path / f"{rec.id}-ref.jpg").read_bytes(), rec.id
