"""Render a source split with figure inspection on: what every check reads from.

Rendering goes through :func:`reachqa_builder.render.render_scripts` and its content-keyed cache,
so a second check (or a rerun after an interruption) over the same charts renders nothing again.
"""

from __future__ import annotations

import random
import tempfile

from ..layout import Chart
from ..render.settings import RenderSettings  # noqa: F401 (the checks' settings are the renderer's)


def sample_charts(charts: list[Chart], n: int | None, seed: int = 0) -> list[Chart]:
    """``n`` charts drawn without replacement by ``seed`` (all of them, in order, when ``n`` is None)."""
    if n is None or n >= len(charts):
        return list(charts)
    picked = set(random.Random(seed).sample(range(len(charts)), n))
    return [c for i, c in enumerate(charts) if i in picked]


def render_inspected(charts: list[Chart], settings: RenderSettings, desc: str = "rendering",
                     image_hashes: bool = False) -> tuple[dict, dict]:
    """``({chart_id: RenderRecord}, {chart_id: perceptual hash})``; records have ``plotted`` and
    ``lint`` for every chart that rendered, hashes are computed only when ``image_hashes``."""
    from ..render import render_scripts
    from .similarity import image_hash

    hashes = {}
    with tempfile.TemporaryDirectory(prefix="reachqa-checks-") as tmp:
        records = render_scripts({c.id: c.code for c in charts}, tmp, **settings.render_options(),
                                 desc=desc, report=False, inspect=True)
        if image_hashes:
            for r in records:
                if r.status == "ok" and r.image:
                    with open(r.image, "rb") as fh:
                        hashes[r.id] = image_hash(fh.read())
    return {r.id: r for r in records}, hashes
