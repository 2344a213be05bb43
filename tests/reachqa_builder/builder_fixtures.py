"""Small ReachQA source folders written to tmp dirs, and a dataset built from one, for the builder tests.

Import the fixtures into a test module with ``from .builder_fixtures import *``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.prerequisites import SHARED_DATA  # noqa: F401 (re-exported)

REPO_ROOT = Path(__file__).resolve().parents[2]

SCRIPTS = {
    # bars and a line on twin axes: an overlay chart
    "t1": """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(["2021", "2022", "2023"], [3, 5, 4], color="tab:blue")
ax2 = ax.twinx()
ax2.plot(["2021", "2022", "2023"], [10, 12, 15], color="tab:red", marker="o")
ax.set_title("Sales and growth")
plt.show()
""",
    # two subplots: a multi-plot chart
    "t2": """import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, 2, figsize=(5, 3))
axes[0].pie([30, 70], labels=["a", "b"])
axes[1].barh(["x", "y"], [2, 5])
plt.tight_layout()
plt.savefig("whatever.png")
""",
    "t3": """import matplotlib.pyplot as plt
import numpy as np
x = np.linspace(0, 4, 20)
plt.figure(figsize=(4, 3))
plt.plot(x, x ** 2, label="square")
plt.legend()
plt.show()
""",
    # fails while running
    "t4": """import matplotlib.pyplot as plt
values = [1, 2, 3]
print(values[7])
""",
}
TRAIN_SCRIPTS = {
    "r1": """import matplotlib.pyplot as plt
plt.figure(figsize=(3, 3))
plt.scatter([1, 2, 3], [3, 1, 2])
plt.show()
""",
    "r2": """import matplotlib.pyplot as plt
plt.figure(figsize=(3, 3))
plt.stackplot([1, 2, 3], [1, 2, 3], [2, 2, 2])
plt.show()
""",
}
META = {
    "t1": ("Hard", "Bar Charts", "bar chart with data annotation"),
    "t2": ("Hard", "Pie Charts", "pie chart"),
    "t3": ("Easy", "Line Charts", "line chart"),
    "t4": ("Easy", "Line Charts", "line chart"),
    "r1": ("Easy", "Scatter Charts", "scatter chart"),
    "r2": ("Easy", "Area Charts", "stacked area chart"),
}


def chart_id(split: str, key: str) -> str:
    return f"reachqa-{split}-plot-{key}"


def write_split(folder: Path, scripts: dict[str, str], *, split: str, qa: bool = True,
                extra: dict | None = None) -> Path:
    """Write a split folder in the ReachQA layout: code/, plot_info.jsonl, instruction_data.json."""
    (folder / "code").mkdir(parents=True, exist_ok=True)
    lines, qas = [], []
    for key, code in scripts.items():
        (folder / "code" / f"{key}.py").write_text(code, encoding="utf-8")
        level, major, minor = META[key]
        record = {"id": chart_id(split, key), "code": f"code/{key}.py", "image": f"images/{key}.jpg",
                  "level": level, "plot_model": "test-model", "major_chart_type": major,
                  "minor_chart_type": minor, **(extra or {})}
        lines.append(json.dumps(record))
        for kind in ("Recognizing", "Reasoning"):
            qas.append({"data_id": f"{chart_id(split, key)}-{kind[:4].lower()}", "plot_id": chart_id(split, key),
                        "QA_type": kind, "QA_model": "test-model",
                        "question": f"What does chart {key} show ({kind})?", "answer": f"It shows {key}. Answer: {key}"})
    (folder / "plot_info.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if qa:
        (folder / "instruction_data.json").write_text(json.dumps(qas, indent=1), encoding="utf-8")
    return folder


def write_root(root: Path) -> Path:
    """A ReachQA data/ root: reachqa_test (with Q&A) and reachqa_train (no Q&A, as offline)."""
    write_split(root / "reachqa_test", SCRIPTS, split="test")
    write_split(root / "reachqa_train", TRAIN_SCRIPTS, split="train", qa=False)
    return root


# Each test module imports these fixtures, which makes pytest register them once per module; this
# memo keeps the session-wide ones built once per session.
_SESSION: dict = {}


def _once(key, make):
    if key not in _SESSION:
        _SESSION[key] = make()
    return _SESSION[key]


@pytest.fixture(scope="session")
def render_cache(tmp_path_factory) -> str:
    """One render cache for the whole session, as users share one across configs."""
    return _once(("render_cache", id(tmp_path_factory)), lambda: str(tmp_path_factory.mktemp("render-cache")))


@pytest.fixture(scope="session")
def source_root(tmp_path_factory) -> Path:
    return _once(("source_root", id(tmp_path_factory)), lambda: write_root(tmp_path_factory.mktemp("source") / "data"))


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory, source_root, render_cache):
    """``reachqa build --config qa charts`` over ``source_root`` -> (folder, exit status, printed summary)."""
    import contextlib
    import io

    from reachqa_builder.cli import main

    def build():
        out = tmp_path_factory.mktemp("built") / "reachqa"
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            status = main(["build", "--config", "qa", "charts", "--data-dir", str(source_root), "--out", str(out),
                           "--render-env", "current", "--render-cache-dir", render_cache,
                           "--cache-dir", str(tmp_path_factory.mktemp("hf-cache")), "--no-progress"])
        return out, status, buf.getvalue()

    return _once(("built_dataset", id(tmp_path_factory)), build)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


__all__ = ["render_cache", "source_root", "built_dataset", "_offline", "write_split", "write_root", "chart_id",
           "SCRIPTS", "TRAIN_SCRIPTS", "SHARED_DATA", "REPO_ROOT"]
