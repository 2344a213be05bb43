"""CharXiv (Wang et al., 2024): charts from arXiv papers, reasoning and descriptive questions.

Hub / Parquet layout (``princeton-nlp/CharXiv``, splits ``validation`` and ``test``; or a local
``val.parquet``): one row per figure with ``image``, ``category`` (arXiv subject such as ``cs``),
``year`` (int64, two digits), ``original_figure_path``, ``original_id``, ``figure_path``,
``num_subplots`` / ``subplot_row`` / ``subplot_col`` (int64), ``subplot_loc`` (text or null),
``descriptive_q1..4`` (int64: the id 1-19 of an official question template, not text),
``descriptive_a1..4``, ``reasoning_q``, ``reasoning_q_source`` (int64), ``reasoning_a`` and
``reasoning_a_type`` (int64: 1 text-in-chart, 2 text-in-general, 3 number-in-chart,
4 number-in-general).

Questions are built as the benchmark's own code builds them (``src/descriptive_utils.py``,
``src/reasoning_utils.py``): a descriptive question is its template with the subplot named
("For the current plot, ", "For the subplot at row R and column C, ", or "For <subplot_loc>, ";
templates 18 and 19 ask about the whole figure); a reasoning question is followed by the
instruction of its answer type (type 4 adds "exact integer" / "N decimal places" from the
answer). The templates are :data:`OFFICIAL` (``charxiv_official.json``, verbatim from the
benchmark's repository). Each figure gives one reasoning and four descriptive samples; the test
split has no public answers and is refused.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ._io import image_bytes, is_hub_id, iter_data_json, open_rows
from .spec import Sample, register

HUB_ID = "princeton-nlp/CharXiv"
OFFICIAL_FILE = Path(__file__).with_name("charxiv_official.json")

# the benchmark's category of each descriptive template (src/score_utils.py, QNUM2QTYPE)
DESCRIPTIVE_CATEGORY = {**{q: "information extraction" for q in range(1, 8)},
                        **{q: "enumeration" for q in (8, 9, 13, 14, 15)},
                        **{q: "pattern recognition" for q in (11, 16, 18)},
                        **{q: "counting" for q in (10, 12, 19)}, 17: "compositionality"}
ANSWER_TYPES = {1: "text-in-chart", 2: "text-in-general", 3: "number-in-chart", 4: "number-in-general"}
QUESTION_SOURCES = {1: "gpt-sourced", 2: "gpt-inspired", 3: "completely human"}


@lru_cache(maxsize=1)
def official() -> dict[str, Any]:
    """The benchmark's question templates and grading queries (``charxiv_official.json``)."""
    return json.loads(OFFICIAL_FILE.read_text(encoding="utf-8"))


def subplot_prefix(row: dict[str, Any]) -> str:
    """Which subplot a descriptive question is about, worded as the benchmark words it."""
    loc = row.get("subplot_loc")
    if isinstance(loc, str) and loc.strip():
        return f"For {loc}, "
    r, c = row.get("subplot_row"), row.get("subplot_col")
    if r is None:
        raise ValueError(f"charxiv figure {row.get('figure_path')}: neither subplot_loc nor subplot_row")
    return "For the current plot, " if int(r) == 0 else f"For the subplot at row {int(r)} and column {int(c)}, "


def descriptive_question(template_id: int, row: dict[str, Any]) -> str:
    templates = official()["descriptive_questions"]
    if str(template_id) not in templates:
        raise ValueError(f"charxiv figure {row.get('figure_path')}: unknown descriptive template id "
                         f"{template_id!r} (valid: 1-{len(templates)})")
    text = templates[str(template_id)]
    return text if template_id in (18, 19) else text.format(subplot_prefix(row))


def number_instruction(answer: str) -> str:
    """Type 4's extra line: the answer's number of decimal places (the benchmark's rule)."""
    _, dot, decimals = str(answer).partition(".")
    return ("* Your final answer must be a number with {} decimal places.".format(len(decimals)) if dot
            else "* Your final answer must be an exact integer.")


def reasoning_question(row: dict[str, Any]) -> str:
    kind = int(row["reasoning_a_type"])
    inst = official()["reasoning_instructions"].get(str(kind))
    if inst is None:
        raise ValueError(f"charxiv figure {row.get('figure_path')}: unknown reasoning_a_type {kind!r} (valid: 1-4)")
    if kind == 4:
        return inst.format(row["reasoning_q"], number_instruction(row["reasoning_a"]))
    return inst.format(row["reasoning_q"])


def _figure_meta(row: dict[str, Any], fig_id: str) -> dict[str, Any]:
    year = row.get("year")
    return {"group": fig_id, "subject": row.get("category"), "num_subplots": row.get("num_subplots"),
            "year": None if year is None else f"20{int(year):02d}" if int(year) < 100 else str(year)}


@register("charxiv", subsets=("reasoning", "descriptive"), hub_id=HUB_ID, relaxed=False,
          subset_words=("reasoning", "descriptive"),
          description="CharXiv validation: reasoning and descriptive questions on scientific charts")
def load_charxiv(source: str | None, *, split: str = "validation", **_) -> Iterator[Sample]:
    if source is not None and Path(source).is_dir() and (Path(source) / "data.json").is_file():
        yield from iter_data_json(Path(source), "charxiv", "reasoning")
        return
    local = source is not None and not is_hub_id(source)
    ds = open_rows(source, HUB_ID, "val" if local and split == "validation" else split)  # local file: val.parquet
    for n, row in enumerate(ds):
        fig_id = Path(str(row.get("figure_path") or row.get("original_id") or n)).stem
        if row.get("reasoning_a") in (None, ""):
            raise ValueError(f"charxiv figure {fig_id}: no reasoning_a (the test split has no public answers; "
                             f"use the validation split)")
        img = image_bytes(row["image"], what=f"charxiv figure {fig_id}")
        base = _figure_meta(row, fig_id)
        kind = int(row["reasoning_a_type"])
        source_kind = row.get("reasoning_q_source")
        yield Sample(id=f"{fig_id}-reasoning", image=img, question=reasoning_question(row),
                     answer=str(row["reasoning_a"]), subset="reasoning",
                     meta={**base, "category": ANSWER_TYPES[kind], "answer_type": kind,
                           "raw_question": row["reasoning_q"],
                           "question_source": QUESTION_SOURCES.get(int(source_kind)) if source_kind is not None
                           else None})
        for k in range(1, 5):
            qid = row.get(f"descriptive_q{k}")
            if qid is None:
                continue
            qid = int(qid)
            yield Sample(id=f"{fig_id}-descriptive{k}", image=img, question=descriptive_question(qid, row),
                         answer=str(row.get(f"descriptive_a{k}", "")), subset="descriptive",
                         meta={**base, "category": DESCRIPTIVE_CATEGORY[qid], "template": qid})
