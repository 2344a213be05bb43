"""Offline stand-ins for reachqa's models: the code/Q&A LLM, the MLLM raters, a model answering
benchmark questions and the LLM judge.

:class:`DemoModels` is the reply function of ``reachqa demo-server`` (demo mode) and the
base of the test suite's scripted models. It writes valid matplotlib scripts for every chart type
of the taxonomy (data written out, deterministic per prompt), evolves them (more data and a second
panel), fixes broken ones, rates images, and writes questions and answers computed from the data
in the script, so that a synthesis run against it keeps charts without any real model.

Knobs (for tests): ``broken_first`` (every first script of a chart fails, the fix path runs),
``always_broken``, ``low_score`` (every chart is rated 2), ``reject_all``, ``duplicate_questions``
(one near-duplicate recognizing question), ``reject_marker`` (a question holding this text is
rejected by every rater), ``simple`` (two small script variants instead of one per chart type,
which keeps tests' render cache hot).
"""

from __future__ import annotations

import ast
import hashlib
import json
import random
import re

_TYPE = re.compile(r"The chart must be a \[([^\]]+)\]")
_VALUES = re.compile(r"^values = (\[.*\])$", re.M)
_LABELS = re.compile(r"^labels = (\[.*\])$", re.M)

WORDS = ["North", "South", "East", "West", "Central", "Harbor", "Summit", "Valley", "Delta", "Ridge",
         "Orchid", "Falcon", "Cedar", "Aurora", "Nimbus", "Quartz"]

SIMPLE = '''import matplotlib.pyplot as plt

labels = {labels}
values = {values}
fig, ax = plt.subplots(figsize=(4, 3))
ax.plot(labels, values, marker="o", color="tab:blue", label="Series A")
ax.set_title("Scripted chart {tag}")
ax.set_xlabel("Year")
ax.set_ylabel("Value")
ax.legend(loc="upper left")
ax.grid(True, linestyle="--")
plt.tight_layout()
plt.show()
'''

HEAD = '''import matplotlib.pyplot as plt
import numpy as np

labels = {labels}
values = {values}
second = {second}
'''

BODY = {
    "Line Charts": '''fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(labels, values, marker="o", linewidth=2, label="{title}")
ax.plot(labels, second, marker="s", linestyle="--", label="comparison")
for x, y in zip(labels, values):
    ax.annotate(str(y), (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
ax.set_xlabel("Site")
ax.set_ylabel("Units")
ax.legend()
ax.grid(True, alpha=0.4)
''',
    "Pie Charts": '''fig, ax = plt.subplots(figsize=(6, 5))
ax.pie(values, labels=labels, autopct="%1.1f%%", startangle=90, wedgeprops=dict(width=0.45, edgecolor="white"))
ax.axis("equal")
''',
    "Bar Charts": '''fig, ax = plt.subplots(figsize=(7, 4))
x = np.arange(len(labels))
bars = ax.bar(x, values, color="tab:green", label="{title}")
ax.bar_label(bars, padding=2, fontsize=8)
ax.set_xticks(x)
ax.set_xticklabels(labels, rotation=30, ha="right")
ax.set_ylabel("Units")
ax.legend()
''',
    "3D Bar Charts": '''fig = plt.figure(figsize=(7, 5))
ax = fig.add_subplot(projection="3d")
x = np.arange(len(labels))
ax.bar3d(x, np.zeros(len(x)), np.zeros(len(x)), 0.5, 0.5, values, color="tab:orange", alpha=0.8)
ax.bar3d(x, np.ones(len(x)), np.zeros(len(x)), 0.5, 0.5, second, color="tab:purple", alpha=0.8)
ax.set_xticks(x + 0.25)
ax.set_xticklabels(labels, fontsize=7)
ax.set_yticks([0.25, 1.25])
ax.set_yticklabels(["main", "comparison"])
ax.set_zlabel("Units")
''',
    "Node Charts": '''import networkx as nx
g = nx.DiGraph()
for a, b, w in zip(labels, labels[1:] + labels[:1], values):
    g.add_edge(a, b, weight=w)
pos = nx.circular_layout(g)
fig, ax = plt.subplots(figsize=(6, 5))
nx.draw_networkx(g, pos, ax=ax, node_color="lightblue", node_size=900, font_size=8, arrows=True)
nx.draw_networkx_edge_labels(g, pos, edge_labels={{(a, b): d["weight"] for a, b, d in g.edges(data=True)}}, ax=ax, font_size=7)
ax.axis("off")
''',
    "Radar Charts": '''angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False).tolist()
fig, ax = plt.subplots(figsize=(6, 6), subplot_kw=dict(polar=True))
for series, name in ((values, "{title}"), (second, "comparison")):
    ring = list(series) + [series[0]]
    ax.plot(angles + angles[:1], ring, linewidth=2, label=name)
    ax.fill(angles + angles[:1], ring, alpha=0.2)
ax.set_xticks(angles)
ax.set_xticklabels(labels, fontsize=8)
ax.legend(loc="upper right", bbox_to_anchor=(1.3, 1.1))
''',
    "Area Charts": '''fig, ax = plt.subplots(figsize=(7, 4))
x = np.arange(len(labels))
ax.stackplot(x, values, second, labels=["{title}", "comparison"], alpha=0.7)
ax.set_xticks(x)
ax.set_xticklabels(labels, rotation=30, ha="right")
ax.set_ylabel("Units")
ax.legend(loc="upper left")
''',
    "Box Charts": '''samples = [[v - 4, v - 2, v, v + 1, v + 3, v + 6] for v in values]
fig, ax = plt.subplots(figsize=(7, 4))
ax.boxplot(samples, patch_artist=True)
ax.set_xticks(range(1, len(labels) + 1))
ax.set_xticklabels(labels, rotation=30, ha="right")
ax.set_ylabel("Units")
''',
    "Scatter Charts": '''fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(values, second, s=[v * 4 for v in values], c=values, cmap="viridis", alpha=0.8)
fit = np.poly1d(np.polyfit(values, second, 1))
grid = np.linspace(min(values), max(values), 50)
ax.plot(grid, fit(grid), color="tab:red", label="linear fit")
for name, x, y in zip(labels, values, second):
    ax.annotate(name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
ax.set_xlabel("Units")
ax.set_ylabel("Comparison")
ax.legend()
''',
    "Specific Charts": '''grid = np.array([values, second])
fig, ax = plt.subplots(figsize=(7, 3))
im = ax.imshow(grid, cmap="YlOrRd", aspect="auto")
for i in range(grid.shape[0]):
    for j in range(grid.shape[1]):
        ax.text(j, i, str(grid[i, j]), ha="center", va="center", fontsize=8)
ax.set_xticks(range(len(labels)))
ax.set_xticklabels(labels, rotation=30, ha="right")
ax.set_yticks([0, 1])
ax.set_yticklabels(["main", "comparison"])
fig.colorbar(im, ax=ax)
''',
}

HARD_TAIL = '''ax2 = fig.add_axes([0.72, 0.62, 0.22, 0.25])
ax2.bar(range(len(values)), np.cumsum(values), color="grey")
ax2.set_title("Running total", fontsize=7)
ax2.tick_params(labelsize=6)
'''

TAIL = '''fig.suptitle("{title}\\n({minor})", fontsize=11)
plt.tight_layout()
plt.show()
'''


def _rng(text: str) -> random.Random:
    return random.Random(int(hashlib.sha256(text.encode()).hexdigest()[:12], 16))


def chart_script(minor_type: str, seed_text: str, hard: bool = False, broken: bool = False) -> str:
    """A runnable script for ``minor_type`` with data written out (``values``/``labels`` lists)."""
    from reachqa_builder.taxonomy import MINOR_TYPES

    major = MINOR_TYPES.get(minor_type, "Bar Charts")
    rng = _rng(seed_text)
    n = rng.randint(5, 7) + (3 if hard else 0)
    labels = rng.sample(WORDS, n)
    values = [rng.randint(8, 95) for _ in range(n)]
    second = [rng.randint(8, 95) for _ in range(n)]
    title = f"{rng.choice(['Output', 'Visitors', 'Energy use', 'Orders', 'Rainfall'])} by site"
    code = (HEAD.format(labels=labels, values=values, second=second) + BODY[major].format(title=title)
            + (HARD_TAIL if hard else "") + TAIL.format(title=title, minor=minor_type))
    if broken:
        code = code.replace("values = [", "values = (", 1)  # a SyntaxError the fix removes
    return code


def simple_script(tag: str, broken: bool = False) -> str:
    """One of two small line-chart scripts (tests: the render cache stays hot)."""
    tag = "AB"[int(hashlib.sha256(tag.encode()).hexdigest()[:6], 16) % 2]
    n = int(hashlib.sha256(tag.encode()).hexdigest()[:6], 16)
    values = [(n >> k) % 50 + k for k in range(10)]
    code = SIMPLE.format(labels=[str(y) for y in range(2010, 2020)], values=values, tag=tag)
    if broken:
        code = code.replace("ax.plot(labels, values,", "ax.plot(labels, values[:3],")
    return code


def _data(text: str) -> tuple[list, list]:
    try:
        labels = ast.literal_eval(_LABELS.search(text).group(1))
        values = ast.literal_eval(_VALUES.search(text).group(1))
    except (AttributeError, ValueError, SyntaxError):
        return ["A", "B", "C"], [1, 2, 3]
    return labels, values


class DemoModels:
    """The reply function (see module docstring)."""

    def __init__(self, simple: bool = False) -> None:
        self.simple = simple
        self.broken_first = False
        self.always_broken = False
        self.low_score = False
        self.reject_all = False
        self.rating = 4
        self.duplicate_questions = False
        self.reject_marker: str | None = None

    def _code(self, req, hard: bool, broken: bool) -> str:
        first = next((m["content"] for m in req.messages if m.get("role") == "user"), "")
        tag = hashlib.sha256(req.text.encode()).hexdigest()[:8]
        if self.simple:
            return simple_script(tag, broken=broken)
        m = _TYPE.search(first)
        minor = m.group(1) if m else "bar chart"
        if hard:
            found = re.search(r'\\n\(([^)]+(?:\([^)]*\))?)\)", fontsize', first)
            minor = found.group(1) if found else minor
        return chart_script(minor, tag if not hard else first, hard=hard, broken=broken)

    def __call__(self, req) -> object:
        text = req.text
        last = req.last_user_text
        if "score from 1 to 5" in text:
            score = 2 if self.low_score else self.rating
            if req.schema is not None:
                return {"reason": "Readable, labelled chart.", "score": score}
            return f"Analysis: the chart is readable and labelled, with no overlapping text.\nRating: {score}"
        if "You annotate data for visual question answering" in text:
            reject = self.reject_all or (self.reject_marker is not None and self.reject_marker in text)
            if req.schema is not None:
                return {"reason": "checked against the chart", "verdict": "reject" if reject else "accept"}
            return f"Analysis: compared the answer with the chart.\nDecision: {'no' if reject else 'yes'}"
        if "question_list" in text:
            labels, values = _data(text)
            if "university entrance" in text:
                qs = ["What is the difference between the largest and the smallest value shown?",
                      "What is the sum of all values shown?",
                      "Rounded to one decimal place, what is the mean across categories?",
                      f"By how much does {labels[0]} exceed or fall short of {labels[-1]}?"]
            else:
                qs = ["Which category has the largest value?", "How many categories does the chart show?",
                      "Name the category with the lowest mark on the chart.",
                      "Which category has the largest value in the chart?" if self.duplicate_questions
                      else f"What value is shown for {labels[1]}?"]
            return {"question_list": qs}
        if "answer one question about a chart" in text:
            labels, values = _data(text)
            q = last.rsplit("The question:", 1)[-1].split("Reply with JSON", 1)[0].strip()
            answer = _answer(q, labels, values)
            return {"analysis": "Read the data lists of the script.",
                    "answer": f"Reading the chart: {answer[1]} The final answer is {answer[0]}.",
                    "concise_answer": answer[0]}
        if "brand-new Python script" in last:
            return "Title and backstory: monthly figures of several sites.\nData: labels and values as lists."
        if "rework a matplotlib script" in last:
            return "- add more data points\n- add a small running-total panel"
        if "needs fixing" in last:
            return f"The data list was malformed.\n```python\n{self._code(req, False, self.always_broken)}```"
        if "write the complete script" in last:
            return f"```python\n{self._code(req, False, self.broken_first or self.always_broken)}```"
        if "write the final, reworked script" in last:
            return f"```python\n{self._code(req, True, self.always_broken)}```"
        judged = _judge_parts(text)
        if judged is not None:
            return _verdict(*judged, json_reply=req.schema is not None)
        if req.images:  # a benchmark question about a chart (reachqa infer / evaluate --engine openai)
            return benchmark_answer(last)
        raise ValueError(f"unexpected prompt: {last[:200]!r}")


# the judge's prompts (reachqa_builder/scoring/judge_protocol.py): paper and json protocols
_JUDGE = (re.compile(r"## Ground Truth: (?P<truth>.*?)\n## Prediction: (?P<pred>.*?)\n\nAnalyse", re.S),
          re.compile(r"Ground truth: (?P<truth>.*?)\nModel answer: (?P<pred>.*?)\n\nReply with JSON", re.S))
_FINAL = re.compile(r"(?:answer is|answer:|Answer:)\s*(?P<a>[^\n]+)", re.I)


def _judge_parts(text: str) -> tuple[str, str] | None:
    for pattern in _JUDGE:
        m = pattern.search(text)
        if m:
            return m["truth"].strip(), m["pred"].strip()
    return None


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z.%-]+", " ", text.lower()).strip(" .")


def _verdict(truth: str, prediction: str, json_reply: bool) -> object:
    """The demo judge: correct when the prediction's final answer (after "answer is" / "Answer:",
    else its last line) equals the ground truth, ignoring case and punctuation."""
    finals = _FINAL.findall(prediction)
    final = finals[-1] if finals else (prediction.strip().splitlines() or [""])[-1]
    ok = bool(_norm(truth)) and _norm(final) == _norm(truth)
    analysis = f"The final answer {final.strip()!r} {'matches' if ok else 'does not match'} the ground truth {truth!r}."
    if json_reply:
        return {"analysis": analysis, "correct": "yes" if ok else "no"}
    return f"Analysis: {analysis}\nCorrectness: {'Yes' if ok else 'No'}"


def benchmark_answer(question: str) -> str:
    """The demo model cannot see the chart: a fixed, well-formed guess per kind of question
    (an option letter, yes/no, a count, else 0), so an evaluation runs end to end (and scores low)."""
    q = question.lower()
    if re.search(r"\(a\)|\ba[.:)]\s|choices?:", q):
        guess = "A"
    elif re.match(r"\s*(is|are|does|do|can|was|were|has|have)\b", q):
        guess = "Yes"
    elif "how many" in q:
        guess = "3"
    else:
        guess = "0"
    return f"I read the chart step by step (demo model: no image is seen). The answer is {guess}."


def _answer(question: str, labels: list, values: list) -> tuple[str, str]:
    pairs = list(zip(labels, values))
    hi, lo = max(pairs, key=lambda p: p[1]), min(pairs, key=lambda p: p[1])
    if "difference between the largest" in question:
        return str(hi[1] - lo[1]), f"the largest value is {hi[1]} and the smallest {lo[1]}."
    if "sum of all" in question:
        return str(sum(values)), "adding every value gives the total."
    if "mean across" in question:
        return f"{sum(values) / len(values):.1f}", f"the {len(values)} values add up to {sum(values)}."
    if "exceed or fall short" in question:
        return str(values[0] - values[-1]), f"{labels[0]} shows {values[0]} and {labels[-1]} shows {values[-1]}."
    if "largest value" in question:
        return str(hi[0]), f"the highest mark belongs to {hi[0]} ({hi[1]})."
    if "lowest mark" in question:
        return str(lo[0]), f"the lowest mark belongs to {lo[0]} ({lo[1]})."
    if "How many categories" in question:
        return str(len(labels)), "counting the categories."
    m = re.search(r"shown for (.+)\?", question)
    if m and m.group(1) in labels:
        return str(values[labels.index(m.group(1))]), f"the mark of {m.group(1)}."
    return str(hi[0]), "reading the chart."
