"""ChartQA test (Masry et al., 2022): human-written and machine-generated ("augmented") questions.

Local layout (the GitHub release): ``<dir>/test_human.json`` and ``<dir>/test_augmented.json``
(lists of ``{"imgname", "query", "label"}``) with images in ``<dir>/png/`` (``<dir>`` may also be
the release root holding ``test/``). Hub layout (``HuggingFaceM4/ChartQA``, split ``test``):
columns ``image``, ``query``, ``label`` (a list), ``human_or_machine`` (0 human, 1 machine).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

from reachqa_builder.fileio import read_json

from ._io import image_bytes, is_hub_id, iter_data_json, open_rows
from .spec import Sample, register

HUB_ID = "HuggingFaceM4/ChartQA"


@register("chartqa", subsets=("human", "augmented"), hub_id=HUB_ID, relaxed=True,
          subset_aliases={"human_test": "human", "test_human": "human", "augmented_test": "augmented",
                          "test_augmented": "augmented", "machine": "augmented", "aug": "augmented"},
          description="ChartQA test: human and augmented questions on real-world charts")
def load_chartqa(source: str | None, *, split: str = "test", **_) -> Iterator[Sample]:
    if source is None or is_hub_id(source) or Path(source).suffix == ".parquet":
        yield from _hub(source, split)
        return
    folder = Path(source)
    if (folder / split / "test_human.json").is_file() or (folder / split / f"{split}_human.json").is_file():
        folder = folder / split
    if (folder / "data.json").is_file():
        yield from iter_data_json(folder, "chartqa", "human")
        return
    found = False
    for subset in ("human", "augmented"):
        path = folder / f"{split}_{subset}.json"
        if not path.is_file():
            continue
        found = True
        for n, rec in enumerate(read_json(path)):
            yield Sample(id=f"{subset}-{n}", image=image_bytes(Path("png") / rec["imgname"], folder,
                                                               what=f"chartqa {path.name}[{n}]"),
                         question=rec["query"], answer=str(rec["label"]), subset=subset,
                         meta={"imgname": rec["imgname"], "group": rec["imgname"]})
    if not found:
        if any(folder.glob("*.parquet")) or (folder / "dataset_info.json").is_file():
            yield from _hub(str(folder), split)
            return
        raise FileNotFoundError(f"chartqa: no {split}_human.json / {split}_augmented.json / data.json / "
                                f"*.parquet in {folder}")


def _hub(source: str | None, split: str) -> Iterator[Sample]:
    """Rows in the ``HuggingFaceM4/ChartQA`` column layout (Hub, Parquet or saved dataset)."""
    ds = open_rows(source, HUB_ID, split)
    for n, row in enumerate(ds):
        label = row["label"]
        answer = label[0] if isinstance(label, list) else label
        subset = "augmented" if row.get("human_or_machine") == 1 else "human"
        image = image_bytes(row["image"], what=f"chartqa row {n}")
        yield Sample(id=f"{subset}-{n}", image=image, question=row["query"], answer=str(answer), subset=subset,
                     meta={"group": hashlib.sha1(image).hexdigest()[:16]})  # the Hub copy names no chart
