"""The evaluation report: the paper's table and accuracy per benchmark and subset (markdown + JSON).

Input records are prediction records with, where computed, ``judge`` ("correct" / "incorrect" /
"invalid"), ``relaxed`` (true / false) and ``official`` (the benchmark's own grading, e.g.
CharXiv's: "correct" / "incorrect" / "invalid"). Judge accuracy is the paper's (correct over all
judged items, an invalid verdict counting as not correct); the accuracy over scored items and the
invalid count stand beside it. Where both the judge and the relaxed rule scored an item, their
agreement rate is shown.

Every accuracy has a 95% interval clustered by chart (:mod:`evaluation.stats`; the chart is the
record's ``meta.group``; records without one, e.g. imported from other tools, are their own
cluster and the cell says ``clustered_by: item``). A benchmark whose records name a
``meta.category`` gets one cell per category; ChartBench gets Acc+ (a statement pair counts only
when both statements are right).

``report.json``::

    {"meta": {"model", "engine", "adapter", "judge_model", "judge_protocol", "judge_description",
              "date", "inputs"},
     "judge": {judge fingerprint} | null,
     "paper_table": {"metric", "columns": [{"key", "label", "accuracy", "invalid", "n"}],
                     "average", "average_over"},
     "judge_usage": {"requests", "cache_hits", "prompt_tokens", "completion_tokens",
                     "price_per_prompt_token", "price_per_completion_token", "cost"} | null,
     "benchmarks": {name: {"all": cell, "subsets": {subset: cell}, "categories": {category: cell},
                           "acc_plus": {"pairs", "relaxed", "judge"} (ChartBench only)}}}

A cell: ``n, judge_n, judge_accuracy, judge_ci95, judge_accuracy_scored, judge_scored,
judge_invalid, relaxed_n, relaxed_accuracy, relaxed_ci95, official_n, official_accuracy,
official_ci95, official_invalid, agreement, agreement_n, clusters, clustered_by`` (accuracies in
[0, 1] or null; an interval is ``[low, high]`` or null).
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

from reachqa_builder.eval_report import REPORT_FILE
from reachqa_builder.fileio import atomic_write_json, atomic_write_text

from .stats import clustered_mean, interval

__all__ = ["PAPER_COLUMNS", "summarize", "markdown_report", "markdown_table", "write_report", "collect_meta"]

# the paper's main table: ReachQA (recognition, reasoning), then six public benchmarks, then the average
PAPER_COLUMNS = [("reachqa/recognition", "ReachQA Reco."), ("reachqa/reasoning", "ReachQA Reas."),
                 ("chartqa", "ChartQA"), ("chartbench", "ChartBench"), ("chartx", "ChartX"),
                 ("charxiv", "CharXiv"), ("mathvista", "MathVista"), ("mathvision", "MATH-V")]


def cluster_of(rec: dict[str, Any]) -> tuple[str, str]:
    """(cluster key, what it is): the record's chart (``meta.group``), else the item itself."""
    group = (rec.get("meta") or {}).get("group")
    if group not in (None, ""):
        return f"{rec['benchmark']}/chart/{group}", "chart"
    return f"{rec['benchmark']}/item/{rec['id']}", "item"


def item_score(rec: dict[str, Any], metric: str) -> float | None:
    """1.0 / 0.0 for one record under ``judge``, ``relaxed`` or ``official`` (None: not scored);
    an invalid verdict is 0, as in the paper's accuracy."""
    value = rec.get(metric)
    if value is None:
        return None
    if metric == "relaxed":
        return float(bool(value))
    return 1.0 if value == "correct" else 0.0


def _scored(rows: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    pairs = [(s, cluster_of(r)[0]) for r in rows if (s := item_score(r, metric)) is not None]
    stat = clustered_mean([p[0] for p in pairs], [p[1] for p in pairs])
    return {"accuracy": stat["mean"], "ci95": interval(stat), "se": stat["se"], "n": stat["n"]}


def _cell(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [r["judge"] for r in rows if r.get("judge") is not None]
    correct = sum(v == "correct" for v in judged)
    scored = sum(v != "invalid" for v in judged)
    both = [(r["judge"] == "correct", bool(r["relaxed"])) for r in rows
            if r.get("judge") in ("correct", "incorrect") and r.get("relaxed") is not None]
    judge, relaxed, official = _scored(rows, "judge"), _scored(rows, "relaxed"), _scored(rows, "official")
    kinds = {cluster_of(r)[1] for r in rows}
    return {
        "n": len(rows),
        "judge_n": len(judged),
        "judge_accuracy": judge["accuracy"],
        "judge_ci95": judge["ci95"],
        "judge_se": judge["se"],
        "judge_accuracy_scored": correct / scored if scored else None,
        "judge_scored": scored,
        "judge_invalid": len(judged) - scored,
        "relaxed_n": relaxed["n"],
        "relaxed_accuracy": relaxed["accuracy"],
        "relaxed_ci95": relaxed["ci95"],
        "relaxed_se": relaxed["se"],
        "official_n": official["n"],
        "official_accuracy": official["accuracy"],
        "official_ci95": official["ci95"],
        "official_invalid": sum(r.get("official") == "invalid" for r in rows),
        "agreement": sum(a == b for a, b in both) / len(both) if both else None,
        "agreement_n": len(both),
        "clusters": len({cluster_of(r)[0] for r in rows}),
        "clustered_by": kinds.pop() if len(kinds) == 1 else "mixed",
    }


def _acc_plus(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """ChartBench Acc+: a pair of statements (``meta.pair``) counts when every statement is right."""
    pairs: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        pair = (r.get("meta") or {}).get("pair")
        if pair not in (None, ""):
            pairs[str(pair)].append(r)
    if not pairs:
        return None
    out: dict[str, Any] = {"pairs": len(pairs)}
    for metric in ("relaxed", "judge"):
        values, clusters = [], []
        for members in pairs.values():
            scores = [item_score(r, metric) for r in members]
            if any(s is None for s in scores):
                continue
            values.append(float(all(s == 1.0 for s in scores)))
            clusters.append(cluster_of(members[0])[0])
        stat = clustered_mean(values, clusters)
        out[metric] = {"accuracy": stat["mean"], "ci95": interval(stat), "n": stat["n"]} if values else None
    return out


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
        ci = metric.replace("_accuracy", "_ci95")
        columns.append({"key": key, "label": label, "accuracy": cell[metric] if cell else None,
                        "ci95": cell[ci] if cell else None,
                        "invalid": cell["judge_invalid"] if cell else None, "n": cell["n"] if cell else 0})
    present = [c["accuracy"] for c in columns if c["accuracy"] is not None]
    return {"metric": metric, "columns": columns, "average": sum(present) / len(present) if present else None,
            "average_over": len(present)}


def summarize(records: Iterable[dict[str, Any]], fingerprint: dict[str, Any] | None = None,
              meta: dict[str, Any] | None = None, judge_usage: dict[str, Any] | None = None) -> dict[str, Any]:
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
        categories: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            cat = (r.get("meta") or {}).get("category")
            if cat not in (None, ""):
                categories[str(cat)].append(r)
        benchmarks[name] = {"all": _cell(rows), "subsets": {s: _cell(subsets[s]) for s in sorted(subsets)},
                            "categories": {c: _cell(categories[c]) for c in sorted(categories)}}
        acc_plus = _acc_plus(rows)
        if acc_plus is not None:
            benchmarks[name]["acc_plus"] = acc_plus
    return {"meta": meta or collect_meta(records, fingerprint), "judge": fingerprint, "judge_usage": judge_usage,
            "paper_table": _paper_table(benchmarks), "benchmarks": benchmarks}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.2f}"


def _pct_ci(x: float | None, ci: list[float] | None) -> str:
    return _pct(x) + ("" if x is None or ci is None else f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]")


def markdown_table(summary: dict[str, Any]) -> str:
    """The paper's table, then one row per benchmark and subset."""
    pt = summary["paper_table"]
    source = "judge accuracy (invalid verdicts count as not correct)" if pt["metric"] == "judge_accuracy" \
        else "relaxed accuracy (no judge)"
    lines = [f"Paper table, {source}, %; `inv` = invalid verdicts; [95% interval, clustered by chart]:", "",
             "| " + " | ".join(c["label"] for c in pt["columns"]) + " | Avg. |",
             "|" + "---:|" * (len(pt["columns"]) + 1)]
    cells = []
    for c in pt["columns"]:
        text = _pct_ci(c["accuracy"], c.get("ci95"))
        if pt["metric"] == "judge_accuracy" and c["accuracy"] is not None:
            text += f" ({c['invalid']} inv)"
        cells.append(text)
    avg = _pct(pt["average"])
    if pt["average"] is not None and pt["average_over"] < len(pt["columns"]):
        avg += f" (over {pt['average_over']} of {len(pt['columns'])})"
    lines.append("| " + " | ".join(cells) + f" | {avg} |")
    official = any(e["all"]["official_n"] for e in summary["benchmarks"].values())
    head = "| benchmark | subset | n | clusters | judge acc. [95%] | invalid | judge acc. over scored | relaxed acc. [95%] |"
    head += " benchmark's own grading [95%] |" if official else ""
    lines += ["", head + " judge-rule agreement |", "|---|---|---:|---:|---:|---:|---:|---:|" + "---:|" * (1 + official)]

    def row(name: str, part: str, c: dict[str, Any]) -> str:
        agree = _pct(c["agreement"]) + (f" (n={c['agreement_n']})" if c["agreement_n"] else "")
        own = f" {_pct_ci(c['official_accuracy'], c['official_ci95'])} |" if official else ""
        return (f"| {name} | {part} | {c['n']} | {c['clusters']} ({c['clustered_by']}) | "
                f"{_pct_ci(c['judge_accuracy'], c['judge_ci95'])} | {c['judge_invalid']} | "
                f"{_pct(c['judge_accuracy_scored'])} | {_pct_ci(c['relaxed_accuracy'], c['relaxed_ci95'])} |"
                f"{own} {agree} |")

    for name, entry in summary["benchmarks"].items():
        parts = [("all", entry["all"])]
        if len(entry["subsets"]) > 1:
            parts += list(entry["subsets"].items())
        lines += [row(name, part, c) for part, c in parts]
    for name, entry in summary["benchmarks"].items():
        if entry.get("categories"):
            lines += ["", f"{name} by category:", "", head + " judge-rule agreement |",
                      "|---|---|---:|---:|---:|---:|---:|---:|" + "---:|" * (1 + official)]
            lines += [row(name, cat, c) for cat, c in entry["categories"].items()]
        ap = entry.get("acc_plus")
        if ap:
            cells = [f"{m} {_pct_ci(ap[m]['accuracy'], ap[m]['ci95'])} (n={ap[m]['n']})" for m in ("relaxed", "judge")
                     if ap.get(m)]
            lines += ["", f"{name} Acc+ ({ap['pairs']} statement pairs, both right): " + "; ".join(cells)]
    usage = summary.get("judge_usage")
    if usage:
        cost = "" if usage.get("cost") is None else f", cost {usage['cost']:.4f}"
        lines += ["", f"Judge usage this run: {usage.get('requests')} requests, {usage.get('cache_hits')} cache hits, "
                      f"{usage.get('prompt_tokens')} prompt + {usage.get('completion_tokens')} completion tokens{cost}"]
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
                 meta: dict[str, Any] | None = None, judge_usage: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``report.md`` and ``report.json`` (atomically) and return the summary."""
    summary = summarize(records, fingerprint, meta, judge_usage)
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / REPORT_FILE, summary)
    atomic_write_text(out_dir / "report.md", markdown_report(summary))
    return summary
