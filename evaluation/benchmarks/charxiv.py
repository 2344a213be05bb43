"""CharXiv (Wang et al., 2024): charts from arXiv papers, reasoning and descriptive questions.

Hub / Parquet layout (``princeton-nlp/CharXiv``, splits ``validation`` and ``test``; or a local
``val.parquet``): one row per figure with ``image``, ``figure_path``, ``reasoning_q``,
``reasoning_a`` and ``descriptive_q1..4`` / ``descriptive_a1..4``. Each figure gives one reasoning
sample and up to four descriptive samples. The test split has no public answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ._io import image_bytes, is_hub_id, iter_data_json, open_rows
from .spec import Sample, register

HUB_ID = "princeton-nlp/CharXiv"


@register("charxiv", subsets=("reasoning", "descriptive"), hub_id=HUB_ID, relaxed=False,
          description="CharXiv validation: reasoning and descriptive questions on scientific charts")
def load_charxiv(source: str | None, *, split: str = "validation", **_) -> Iterator[Sample]:
    if source is not None and Path(source).is_dir() and (Path(source) / "data.json").is_file():
        yield from iter_data_json(Path(source), "charxiv", "reasoning")
        return
    local = source is not None and not is_hub_id(source)
    ds = open_rows(source, HUB_ID, "val" if local and split == "validation" else split)  # local file: val.parquet
    for n, row in enumerate(ds):
        fig = str(row.get("figure_path") or row.get("original_id") or n)
        fig_id = Path(fig).stem
        img = image_bytes(row["image"], what=f"charxiv figure {fig_id}")
        if row.get("reasoning_q"):
            yield Sample(id=f"{fig_id}-reasoning", image=img, question=row["reasoning_q"],
                         answer=str(row["reasoning_a"]), subset="reasoning",
                         meta={"category": row.get("category"), "answer_type": row.get("reasoning_a_type")})
        for k in range(1, 5):
            q = row.get(f"descriptive_q{k}")
            if q:
                yield Sample(id=f"{fig_id}-descriptive{k}", image=img, question=q,
                             answer=str(row.get(f"descriptive_a{k}", "")), subset="descriptive",
                             meta={"category": row.get("category")})
