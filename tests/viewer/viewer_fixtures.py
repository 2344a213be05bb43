"""Helpers shared by the viewer tests: the reachqa command and reading judged runs."""

from __future__ import annotations

import json
from pathlib import Path

from reachqa_builder.cli import main

def view(*args) -> int:
    return main(["view", *map(str, args)])


def run_cli(argv: list[str]) -> int:
    """``reachqa ARGV`` in a worker thread: Playwright's sync API keeps an event loop running in the
    main thread, and commands that use asyncio (infer, judge, synthesize) refuse to run inside one."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


DISAGREE_A = {("t1", "Reasoning"), ("t2", "Recognizing")}


def judged(report) -> list[dict]:
    return [json.loads(l) for l in (Path(report) / "judged.jsonl").read_text().splitlines() if l.strip()]


# -- a dataset with more charts, two of them with layout-lint flags, for filters, counts, sorting and walking --

_BAR = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.bar(["a", "b", "c"], [{v}, 2, 3])
ax.set_title("Bars {key}")
plt.show()
"""
_LINE = """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([1, 2, 3], [{v}, 2, 5])
ax.set_title("Line {key}")
plt.show()
"""
RICH = {  # key: (level, major type, minor type, script)
    "c1": ("Easy", "Bar Charts", "bar chart", _BAR.format(v=1, key="c1")),
    # a second, empty axes: the render-time lint flags empty_axes
    "c2": ("Hard", "Bar Charts", "stacked bar chart", """import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, 2, figsize=(5, 3))
axes[0].bar(["a", "b"], [1, 2])
axes[0].set_title("Bars c2")
plt.show()
"""),
    "c3": ("Easy", "Line Charts", "line chart", _LINE.format(v=1, key="c3")),
    # two texts on top of each other: overlapping_text
    "c4": ("Hard", "Line Charts", "line chart", """import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([1, 2, 3], [1, 4, 9])
ax.text(0.3, 0.5, "OVERLAPPING LABEL", fontsize=14, transform=ax.transAxes)
ax.text(0.32, 0.52, "OVERLAPPING LABEL", fontsize=14, transform=ax.transAxes)
plt.show()
"""),
    "c5": ("Easy", "Pie Charts", "pie chart", """import matplotlib.pyplot as plt
plt.figure(figsize=(3, 3))
plt.pie([1, 2, 3], labels=["x", "y", "z"])
plt.show()
"""),
    "c6": ("Easy", "Bar Charts", "bar chart", _BAR.format(v=4, key="c6")),
    "c7": ("Hard", "Line Charts", "line chart with error bar", _LINE.format(v=3, key="c7")),
}


def write_rich_source(root: Path) -> Path:
    """A ReachQA data/ root with one split (reachqa_test) of the :data:`RICH` charts, 2 Q&A each
    (one more Reasoning question for the Hard ones)."""
    folder = root / "reachqa_test"
    (folder / "code").mkdir(parents=True, exist_ok=True)
    lines, qas = [], []
    for key, (level, major, minor, code) in RICH.items():
        (folder / "code" / f"{key}.py").write_text(code, encoding="utf-8")
        cid = f"rich-{key}"
        lines.append(json.dumps({"id": cid, "code": f"code/{key}.py", "image": f"images/{key}.jpg", "level": level,
                                 "plot_model": "test-model", "major_chart_type": major, "minor_chart_type": minor}))
        kinds = ["Recognizing", "Reasoning"] + (["Reasoning"] if level == "Hard" else [])
        for n, kind in enumerate(kinds):
            qas.append({"data_id": f"{cid}-{n}", "plot_id": cid, "QA_type": kind, "QA_model": "test-model",
                        "question": f"Question {n} about {key} ({kind})?", "answer": f"Answer: {key}-{n}"})
    (folder / "plot_info.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "instruction_data.json").write_text(json.dumps(qas, indent=1), encoding="utf-8")
    return root
