"""ChartX (Xia et al., 2024): 18 chart types; we use its question-answering task.

Local layout (the GitHub release): ``<dir>/ChartX_annotation.json``, a list of records with
``chart_type``, ``imgname``, ``img`` (image path relative to the release root), ``topic``,
``title``, ``csv`` and ``QA`` (``{"input": question, "output": answer}``). No Hub default (the
Hub copy's layout differs between revisions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from reachqa_builder.fileio import read_json

from ._io import image_bytes, release_samples
from .spec import Sample, register


@register("chartx", subsets=("qa",), relaxed=True, description="ChartX: question answering over 18 chart types")
def load_chartx(source: str | None, *, file: str = "ChartX_annotation.json", **_) -> Iterator[Sample]:
    return release_samples(source, "chartx", file, "qa", _read_annotation)


def _read_annotation(path: Path, root: Path) -> Iterator[Sample]:
    for n, rec in enumerate(read_json(path)):
        qa = rec.get("QA") or {}
        if not qa.get("input"):
            continue
        img_rel = rec.get("img") or str(Path("png") / rec["chart_type"] / f"{rec['imgname']}.png")
        yield Sample(id=str(rec.get("imgname", n)), image=image_bytes(img_rel, root, what=f"chartx record {n}"),
                     question=qa["input"], answer=str(qa.get("output", "")), subset="qa",
                     meta={"chart_type": rec.get("chart_type"), "topic": rec.get("topic"),
                           "group": str(rec.get("imgname", n)), "category": rec.get("chart_type")})
