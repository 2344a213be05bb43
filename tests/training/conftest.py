"""Fixtures for the training tests: rendered charts with Q&A as a `reachqa build`-style Parquet folder,
and tiny random LLaVA, LLaVA-NeXT and InternVL models saved to local folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.training import tiny
from tests.training.dataset_fixtures import write_dataset

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# (title, labels, values) of each chart; the Q&A is written from these numbers.
CHARTS = {
    "c1": ("Sales", ["A", "B", "C"], [3, 7, 5]),
    "c2": ("Costs", ["North", "South"], [4, 9]),
    "c3": ("Visitors", ["Mon", "Tue", "Wed", "Thu"], [12, 8, 15, 6]),
    "c4": ("Rainfall", ["Jan", "Feb", "Mar"], [30, 45, 20]),
}

SCRIPT = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize={figsize})
ax.bar({labels!r}, {values!r}, color='tab:blue')
ax.set_title({title!r})
plt.show()
"""


def qa_pairs(title: str, labels: list[str], values: list[int]) -> list[tuple[str, str]]:
    top = max(range(len(values)), key=values.__getitem__)
    total = sum(values)
    return [
        (f"Which bar of the {title} chart is the tallest?",
         f"The bars read {', '.join(f'{l} {v}' for l, v in zip(labels, values))}. "
         f"The largest value is {values[top]}, at {labels[top]}. The answer is {labels[top]}."),
        (f"What is the sum of all values in the {title} chart?",
         f"Adding the bars: {' + '.join(map(str, values))} = {total}. The answer is {total}."),
    ]


@pytest.fixture(scope="session")
def chart_images(tmp_path_factory) -> dict[str, Path]:
    """The charts rendered by the project's sandboxed renderer (current matplotlib)."""
    from reachqa_builder.render import render_scripts

    scripts = {cid: SCRIPT.format(figsize=(2.0 + 0.5 * i, 1.5), labels=labels, values=values, title=title)
               for i, (cid, (title, labels, values)) in enumerate(CHARTS.items())}
    out = tmp_path_factory.mktemp("charts")
    records = render_scripts(scripts, out, env="current", dpi=40, workers=1, use_cache=False, progress=False)
    failed = [(r.id, r.error) for r in records if r.status != "ok"]
    assert not failed, f"chart rendering failed: {failed}"
    return {r.id: Path(r.image) for r in records}


@pytest.fixture(scope="session")
def qa_rows(chart_images) -> list[dict]:
    rows = []
    for cid, (title, labels, values) in CHARTS.items():
        image = chart_images[cid].read_bytes()
        for k, (question, answer) in enumerate(qa_pairs(title, labels, values)):
            rows.append({"qa_id": f"{cid}-{k}", "chart_id": cid, "image": {"bytes": image, "path": None},
                         "question": question, "answer": answer, "qa_type": ["reco", "reas"][k]})
    return rows


@pytest.fixture(scope="session")
def qa_dataset(tmp_path_factory, qa_rows) -> Path:
    """A dataset folder with a train split (all rows) and a test split (two rows)."""
    return write_dataset(tmp_path_factory.mktemp("reachqa"), {"train": qa_rows, "test": qa_rows[:2]})


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, qa_rows) -> dict[str, Path]:
    texts = [r["question"] + " " + r["answer"] for r in qa_rows]
    root = tmp_path_factory.mktemp("models")
    return {family: tiny.build(family, root / family, texts) for family in tiny.FAMILIES}
