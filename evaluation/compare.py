"""Paired comparison of two evaluation runs: ``reachqa compare A B`` and ``reachqa evaluate --baseline``.

A run is a folder written by ``reachqa judge`` / ``reachqa evaluate`` (its ``judged.jsonl``) or
that file. Items are paired by benchmark and id; per benchmark and subset the report gives both
accuracies on the paired items and the mean difference A - B with its 95% interval clustered by
chart (:func:`evaluation.stats.paired_difference`). The metric is the judge where both runs were
judged, else the relaxed rule; items only one run has are counted, not compared.

Example::

    reachqa compare eval/reachqa-llava eval/llava --out compare/
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from .report import cluster_of, item_score
from .stats import paired_difference

__all__ = ["load_run", "compare_runs", "markdown_comparison", "configure"]


def load_run(run: str | Path) -> list[dict[str, Any]]:
    """The judged records of a run (a ``reachqa judge`` / ``evaluate`` folder or its judged.jsonl)."""
    from reachqa_builder.eval_records import read_judged

    return read_judged(run)


def _metric(a: list[dict], b: list[dict]) -> str:
    for metric in ("judge", "relaxed"):
        if any(r.get(metric) is not None for r in a) and any(r.get(metric) is not None for r in b):
            return metric
    raise ValueError("the two runs share no scored metric (judge or relaxed)")


def _block(pairs: list[tuple[dict, dict]], metric: str) -> dict[str, Any]:
    sa = [item_score(x, metric) for x, _ in pairs]
    sb = [item_score(y, metric) for _, y in pairs]
    keep = [i for i in range(len(pairs)) if sa[i] is not None and sb[i] is not None]
    a, b = [sa[i] for i in keep], [sb[i] for i in keep]
    diff = paired_difference(a, b, [cluster_of(pairs[i][0])[0] for i in keep])
    return {"n": len(keep), "a_accuracy": sum(a) / len(a) if a else None,
            "b_accuracy": sum(b) / len(b) if b else None, **diff}


def compare_runs(a: list[dict[str, Any]], b: list[dict[str, Any]], metric: str | None = None) -> dict[str, Any]:
    metric = metric or _metric(a, b)
    index_b = {(r["benchmark"], str(r["id"])): r for r in b}
    by_bench: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    matched = set()
    for r in a:
        key = (r["benchmark"], str(r["id"]))
        if key in index_b:
            by_bench[r["benchmark"]].append((r, index_b[key]))
            matched.add(key)
    if not matched:
        raise ValueError("the two runs have no item in common (paired by benchmark and id)")
    out: dict[str, Any] = {"metric": metric, "unpaired_a": len(a) - len(matched), "unpaired_b": len(b) - len(matched),
                           "benchmarks": {}}
    for name in sorted(by_bench):
        pairs = by_bench[name]
        subsets: dict[str, list] = defaultdict(list)
        for p in pairs:
            subsets[str(p[0].get("subset") or "all")].append(p)
        out["benchmarks"][name] = {"all": _block(pairs, metric),
                                   "subsets": {s: _block(subsets[s], metric) for s in sorted(subsets)}}
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:+.2f}"


def markdown_comparison(cmp: dict[str, Any], a_name: str = "A", b_name: str = "B") -> str:
    lines = [f"Paired comparison ({cmp['metric']} accuracy, %): {a_name} - {b_name}, 95% interval clustered by chart; "
             f"{cmp['unpaired_a']} / {cmp['unpaired_b']} items without a partner", "",
             f"| benchmark | subset | paired n | {a_name} | {b_name} | difference [95%] |", "|---|---|---:|---:|---:|---:|"]
    for name, entry in cmp["benchmarks"].items():
        rows = [("all", entry["all"])] + (list(entry["subsets"].items()) if len(entry["subsets"]) > 1 else [])
        for subset, c in rows:
            ci = "" if c["ci95"] is None else f" [{100 * c['ci95'][0]:+.1f}, {100 * c['ci95'][1]:+.1f}]"
            a = "–" if c["a_accuracy"] is None else f"{100 * c['a_accuracy']:.2f}"
            b = "–" if c["b_accuracy"] is None else f"{100 * c['b_accuracy']:.2f}"
            lines.append(f"| {name} | {subset} | {c['n']} | {a} | {b} | {_pct(c['difference'])}{ci} |")
    return "\n".join(lines) + "\n"


def write_comparison(a_run: str, b_run: str, out: str | None, metric: str | None = None) -> dict[str, Any]:
    from reachqa_builder.fileio import atomic_write_json, atomic_write_text

    cmp = compare_runs(load_run(a_run), load_run(b_run), metric)
    cmp = {"a": str(a_run), "b": str(b_run), **cmp}
    text = markdown_comparison(cmp, Path(a_run).name or "A", Path(b_run).name or "B")
    if out:
        atomic_write_json(Path(out) / "compare.json", cmp)
        atomic_write_text(Path(out) / "compare.md", text)
    print(text, end="")
    return cmp


def configure(parser: argparse.ArgumentParser) -> None:
    """Compare two evaluation runs item by item: accuracies and the paired difference with its 95% interval.

    Example:
      reachqa compare eval/reachqa-llava eval/llava --out compare/
    A and B are folders written by `reachqa judge` / `reachqa evaluate` (or their judged.jsonl).
    Items are paired by benchmark and id; the interval is clustered by chart. Writes OUT/compare.json
    and OUT/compare.md when --out is given.
    """
    parser.add_argument("a", help="run A (folder with judged.jsonl)")
    parser.add_argument("b", help="run B, the baseline")
    parser.add_argument("--out", default=None, help="folder for compare.json / compare.md")
    parser.add_argument("--metric", choices=("judge", "relaxed", "official"), default=None,
                        help="default: judge when both runs were judged, else relaxed")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        write_comparison(args.a, args.b, args.out, args.metric)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        print(f"reachqa compare: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    return 0
