"""The evaluation report: the paper's table and accuracy per benchmark and subset (markdown + JSON).

Input records are prediction records with, where computed, ``judge`` ("correct" / "incorrect" /
"invalid") and ``relaxed`` (true / false). Judge accuracy is the paper's (correct over all judged
items, an invalid verdict counting as not correct); the accuracy over scored items and the invalid
count stand beside it. Where both the judge and the relaxed rule scored an item, their agreement
rate is shown.

``report.json``::

    {"meta": {"model", "engine", "adapter", "judge_model", "judge_protocol", "judge_description",
              "date", "inputs"},
     "judge": {judge fingerprint} | null,
     "paper_table": {"metric", "columns": [{"key", "label", "accuracy", "invalid", "n"}],
                     "average", "average_over"},
     "benchmarks": {name: {"all": cell, "subsets": {subset: cell}}}}

A cell: ``n, judge_n, judge_accuracy, judge_accuracy_scored, judge_scored, judge_invalid,
relaxed_n, relaxed_accuracy, agreement, agreement_n`` (accuracies in [0, 1] or null).
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from reachqa_builder.fileio import atomic_write_json, atomic_write_text

__all__ = ["PAPER_COLUMNS", "summarize", "markdown_report", "markdown_table", "write_report", "collect_meta"]

# the paper's main table: ReachQA (recognition, reasoning), then six public benchmarks, then the average
PAPER_COLUMNS = [("reachqa/recognition", "ReachQA Reco."), ("reachqa/reasoning", "ReachQA Reas."),
                 ("chartqa", "ChartQA"), ("chartbench", "ChartBench"), ("chartx", "ChartX"),
                 ("charxiv", "CharXiv"), ("mathvista", "MathVista"), ("mathvision", "MATH-V")]


def _cell(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r["judge"] for r in rows if r.get("judge") is not None]
    correct = sum(v == "correct" for v in judged)
    scored = sum(v != "invalid" for v in judged)
    relaxed = [bool(r["relaxed"]) for r in rows if r.get("relaxed") is not None]
    both = [(r["judge"] == "correct", bool(r["relaxed"])) for r in rows
            if r.get("judge") in ("correct", "incorrect") and r.get("relaxed") is not None]
    return {
        "n": len(rows),
        "judge_n": len(judged),
        "judge_accuracy": correct / len(judged) if judged else None,
        "judge_accuracy_scored": correct / scored if scored else None,
        "judge_scored": scored,
        "judge_invalid": len(judged) - scored,
        "relaxed_n": len(relaxed),
        "relaxed_accuracy": sum(relaxed) / len(relaxed) if relaxed else None,
        "agreement": sum(a == b for a, b in both) / len(both) if both else None,
        "agreement_n": len(both),
    }


def _one_or_mixed(values: Iterable[Any]) -> Any:
    found = sorted({str(v) for v in values if v not in (None, "")})
    if not found:
        return None
    return found[0] if len(found) == 1 else "mixed: " + ", ".join(found)


def collect_meta(records: list[dict[str, Any]], fingerprint: dict[str, Any] | None,
                 inputs: list[str] | None = None) -> dict[str, Any]:
    """Model, engine and adapter as the prediction records say (``mixed: ...`` when they differ)."""
    return {
        "model": _one_or_mixed(r.get("model") for r in records),
        "engine": _one_or_mixed(r.get("engine") or r.get("source_format") for r in records),
        "adapter": _one_or_mixed(r.get("adapter") for r in records),
        "judge_model": fingerprint.get("judge_model") if fingerprint else None,
        "judge_protocol": fingerprint.get("protocol") if fingerprint else None,
        "judge_description": fingerprint.get("description") if fingerprint else None,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": list(inputs or []),
    }


def _paper_table(benchmarks: dict[str, Any]) -> dict[str, Any]:
    judged = any(e["all"]["judge_n"] for e in benchmarks.values())
    metric = "judge_accuracy" if judged else "relaxed_accuracy"
    columns = []
    for key, label in PAPER_COLUMNS:
        name, _, subset = key.partition("/")
        entry = benchmarks.get(name)
        cell = None if entry is None else (entry["subsets"].get(subset) if subset else entry["all"])
        columns.append({"key": key, "label": label, "accuracy": cell[metric] if cell else None,
                        "invalid": cell["judge_invalid"] if cell else None, "n": cell["n"] if cell else 0})
    present = [c["accuracy"] for c in columns if c["accuracy"] is not None]
    return {"metric": metric, "columns": columns, "average": sum(present) / len(present) if present else None,
            "average_over": len(present)}


def summarize(records: Iterable[dict[str, Any]], fingerprint: dict[str, Any] | None = None,
              meta: dict[str, Any] | None = None) -> dict[str, Any]:
    records = list(records)
    by_bench: dict[str, list[dict]] = defaultdict(list)
    for rec in records:
        by_bench[rec["benchmark"]].append(rec)
    benchmarks: dict[str, Any] = {}
    for name in sorted(by_bench):
        rows = by_bench[name]
        subsets: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            subsets[str(r.get("subset") or "all")].append(r)
        benchmarks[name] = {"all": _cell(rows), "subsets": {s: _cell(subsets[s]) for s in sorted(subsets)}}
    return {"meta": meta or collect_meta(records, fingerprint), "judge": fingerprint,
            "paper_table": _paper_table(benchmarks), "benchmarks": benchmarks}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}"


def markdown_table(summary: dict[str, Any]) -> str:
    """The paper's table, then one row per benchmark and subset."""
    pt = summary["paper_table"]
    source = "judge accuracy (invalid verdicts count as not correct)" if pt["metric"] == "judge_accuracy" \
        else "relaxed accuracy (no judge)"
    lines = [f"Paper table, {source}, %; `inv` = invalid verdicts:", "",
             "| " + " | ".join(c["label"] for c in pt["columns"]) + " | Avg. |",
             "|" + "---:|" * (len(pt["columns"]) + 1)]
    cells = []
    for c in pt["columns"]:
        text = _pct(c["accuracy"])
        if pt["metric"] == "judge_accuracy" and c["accuracy"] is not None:
            text += f" ({c['invalid']} inv)"
        cells.append(text)
    avg = _pct(pt["average"])
    if pt["average"] is not None and pt["average_over"] < len(pt["columns"]):
        avg += f" (over {pt['average_over']} of {len(pt['columns'])})"
    lines.append("| " + " | ".join(cells) + f" | {avg} |")
    lines += ["", "| benchmark | subset | n | judge acc. | invalid | judge acc. over scored | relaxed acc. | "
                  "judge-rule agreement |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, entry in summary["benchmarks"].items():
        rows = [("all", entry["all"])]
        if len(entry["subsets"]) > 1:
            rows += list(entry["subsets"].items())
        for subset, c in rows:
            agree = _pct(c["agreement"]) + (f" (n={c['agreement_n']})" if c["agreement_n"] else "")
            lines.append(f"| {name} | {subset} | {c['n']} | {_pct(c['judge_accuracy'])} | {c['judge_invalid']} | "
                         f"{_pct(c['judge_accuracy_scored'])} | {_pct(c['relaxed_accuracy'])} | {agree} |")
    return "\n".join(lines) + "\n"


def markdown_report(summary: dict[str, Any]) -> str:
    m = summary["meta"]
    fp = summary.get("judge") or {}
    head = ["# Evaluation report", "",
            f"- Model: `{m.get('model')}`; engine: `{m.get('engine')}`; adapter: `{m.get('adapter')}`",
            f"- Judge: `{m.get('judge_model')}`, protocol `{m.get('judge_protocol')}`"
            + (f" (prompt {fp.get('prompt_sha256')}, temperature {fp.get('temperature')}, top_p {fp.get('top_p')})"
               if fp else " (no judge: relaxed rule only)"),
            ]
    if m.get("judge_description"):
        head.append(f"- Protocol: {m['judge_description']}")
    head += [f"- Date: {m.get('date')}", ""]
    return "\n".join(head) + "\n" + markdown_table(summary)


def write_report(out_dir: str | Path, records: list[dict[str, Any]], fingerprint: dict[str, Any] | None = None,
                 meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``report.md`` and ``report.json`` (atomically) and return the summary."""
    summary = summarize(records, fingerprint, meta)
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / "report.json", summary)
    atomic_write_text(out_dir / "report.md", markdown_report(summary))
    return summary
