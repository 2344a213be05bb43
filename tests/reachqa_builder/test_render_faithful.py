"""The pinned "faithful" environment reproduces the published ReachQA seed images.

Needs the faithful virtualenv (`reachqa env create faithful`, done by .ci/setup); skipped without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reachqa_builder.render import render_scripts
from reachqa_builder.render.envs import faithful_env_dir

SEED = Path(__file__).resolve().parents[3] / "shared" / "reachqa-data" / "reachqa_seed"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (faithful_env_dir() / ".reachqa-complete").exists(),
                       reason="faithful render environment not created (reachqa env create faithful)"),
    pytest.mark.skipif(not SEED.is_dir(), reason="released ReachQA seed data not found"),
]


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
