"""Accuracy per benchmark and subset, as a markdown table and JSON.

Input records are prediction records with, where computed, ``judge`` ("correct" / "incorrect" /
"invalid") and ``relaxed`` (true / false). Where both apply the table shows them side by side
with their agreement rate (over items scored by both).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from .io_utils import atomic_write_json, atomic_write_text

__all__ = ["summarize", "markdown_table", "write_report"]


def _cell(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r["judge"] for r in rows if r.get("judge") is not None]
    scored = [v for v in judged if v != "invalid"]
    relaxed = [bool(r["relaxed"]) for r in rows if r.get("relaxed") is not None]
    both = [(r["judge"] == "correct", bool(r["relaxed"])) for r in rows
            if r.get("judge") in ("correct", "incorrect") and r.get("relaxed") is not None]
    return {
        "n": len(rows),
        "judge_accuracy": (sum(v == "correct" for v in scored) / len(scored)) if scored else None,
        "judge_scored": len(scored),
        "judge_invalid": len(judged) - len(scored),
        "relaxed_accuracy": (sum(relaxed) / len(relaxed)) if relaxed else None,
        "agreement": (sum(a == b for a, b in both) / len(both)) if both else None,
    }


def summarize(records: Iterable[dict[str, Any]], fingerprint: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"benchmarks": {name: {"all": cell, "subsets": {subset: cell}}}, "judge": fingerprint}``."""
    by_bench: dict[str, list[dict]] = defaultdict(list)
    for rec in records:
        by_bench[rec["benchmark"]].append(rec)
    out: dict[str, Any] = {"benchmarks": {}, "judge": fingerprint}
    for name in sorted(by_bench):
        rows = by_bench[name]
        subsets: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            subsets[str(r.get("subset") or "all")].append(r)
        out["benchmarks"][name] = {"all": _cell(rows), "subsets": {s: _cell(subsets[s]) for s in sorted(subsets)}}
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}"


def markdown_table(summary: dict[str, Any]) -> str:
    lines = ["| benchmark | subset | n | judge acc. | invalid | relaxed acc. | agreement |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, entry in summary["benchmarks"].items():
        rows = [("all", entry["all"])]
        if len(entry["subsets"]) > 1:
            rows += list(entry["subsets"].items())
        for subset, c in rows:
            lines.append(f"| {name} | {subset} | {c['n']} | {_pct(c['judge_accuracy'])} | {c['judge_invalid']} | "
                         f"{_pct(c['relaxed_accuracy'])} | {_pct(c['agreement'])} |")
    fp = summary.get("judge")
    if fp:
        lines.append("")
        lines.append(f"Judge: `{fp['judge_model']}`, prompt `{fp['prompt_sha256']}`, temperature {fp['temperature']}. "
                     "Accuracies in %; judge accuracy is over scored items, `invalid` items had no verdict.")
    return "\n".join(lines) + "\n"


def write_report(out_dir: str | Path, records: list[dict[str, Any]],
                 fingerprint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``report.md`` and ``report.json`` (atomically) and return the summary."""
    summary = summarize(records, fingerprint)
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / "report.json", summary)
    atomic_write_text(out_dir / "report.md", markdown_table(summary))
    return summary
