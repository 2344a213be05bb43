"""ChartBench (Xu et al., 2023): charts without data labels; yes/no judgements and numeric QA.

Local layout (the GitHub release): ``<dir>/test.jsonl``, one chart task per line with ``id``,
``image`` (path relative to the release root), ``type`` (``{"chart", "image", "task", "QA"}``) and
``conversation`` (a list of ``{"query", "label"}``; Acc+ tasks hold a true and a false statement).
The report's per-category table is the chart type; Acc+ counts a task right only when every
statement of it is right (ChartBench's own Acc+).
Every turn becomes one sample; the subset is the task (``CR`` chart recognition, ``VE`` value
extraction, ``VC`` value comparison, ``GC`` global conception, ``NQA`` number QA). The full set is
not on the Hub, so there is no Hub default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from reachqa_builder.fileio import iter_jsonl

from ._io import image_bytes, release_samples
from .spec import Sample, register


@register("chartbench", subsets=("cr", "ve", "vc", "gc", "nqa"), relaxed=True,
          description="ChartBench test: yes/no judgements and number QA on unlabelled charts")
def load_chartbench(source: str | None, *, file: str = "test.jsonl", **_) -> Iterator[Sample]:
    return release_samples(source, "chartbench", file, "nqa", _read_tasks)


def _read_tasks(path: Path, root: Path) -> Iterator[Sample]:
    for rec in iter_jsonl(path):
        task = str(rec["type"]["task"]).lower()
        img = image_bytes(rec["image"], root, what=f"chartbench {rec['id']}")
        for turn, conv in enumerate(rec["conversation"]):
            yield Sample(id=f"{rec['id']}-{turn}", image=img, question=conv["query"], answer=str(conv["label"]),
                         subset=task, meta={"chart": rec["type"].get("chart"), "image_type": rec["type"].get("image"),
                                            "qa": rec["type"].get("QA"), "group": str(rec["image"]),
                                            "category": rec["type"].get("chart"),
                                            "pair": str(rec["id"]) if rec["type"].get("QA") == "Acc+" else None})
