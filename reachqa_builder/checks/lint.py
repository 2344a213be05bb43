"""Summaries of the render-time layout flags (``RenderRecord.lint``, measured by ``_inspect.py``).

Kinds: ``overlapping_text`` (two texts interpenetrate by more than 2 px), ``text_outside_figure``
(a text sticks out of the image by more than 2 px), ``font_too_small`` (an em under 12 px at the
output resolution), ``empty_axes`` (an axes that draws nothing), ``legend_covers_data`` (line or
scatter points, or over 5% of the legend's area in bars, under a legend). ``minor`` flags are
reported; ``severe`` ones are those a synthesis run can act on.
"""

from __future__ import annotations

from collections import Counter

KINDS = ("overlapping_text", "text_outside_figure", "font_too_small", "empty_axes", "legend_covers_data")


def severe_flags(lint: list[dict] | None) -> list[dict]:
    return [f for f in lint or [] if f.get("severity") == "severe"]


def describe(lint: list[dict] | None, severe_only: bool = True, limit: int = 5) -> str:
    """The flags as one line of text, e.g. to tell a fixing model what to repair."""
    flags = severe_flags(lint) if severe_only else list(lint or [])
    return "; ".join(f"{f['kind'].replace('_', ' ')}: {f['detail']}" for f in flags[:limit])


def summarize(records: dict) -> dict:
    """Share of inspected charts flagged per kind, with example chart ids."""
    inspected = [r for r in records.values() if r.status == "ok" and r.lint is not None]
    charts_per_kind: Counter = Counter()
    examples: dict[str, list[str]] = {k: [] for k in KINDS}
    for r in inspected:
        kinds = {f["kind"] for f in r.lint}
        for k in kinds:
            charts_per_kind[k] += 1
            if len(examples[k]) < 10:
                examples[k].append(r.id)
    n = len(inspected)
    return {
        "charts": len(records),
        "inspected": n,
        "not_inspected": len(records) - n,
        "flagged_any": sum(bool(r.lint) for r in inspected),
        "flagged_severe": sum(bool(severe_flags(r.lint)) for r in inspected),
        "per_kind": {k: {"charts": charts_per_kind[k], "share": round(charts_per_kind[k] / n, 4) if n else 0.0,
                         "examples": examples[k]} for k in KINDS},
    }


def format_summary(summary: dict) -> str:
    n = summary["inspected"] or 1
    lines = [f"{summary['inspected']} charts inspected ({summary['not_inspected']} failed or not inspected); "
             f"{summary['flagged_any']} flagged ({100 * summary['flagged_any'] / n:.1f}%), "
             f"{summary['flagged_severe']} with a severe flag ({100 * summary['flagged_severe'] / n:.1f}%)"]
    for k, v in summary["per_kind"].items():
        ex = ", ".join(v["examples"][:5])
        lines.append(f"  {k:22s} {v['charts']:6d}  {100 * v['share']:5.1f}%   e.g. {ex}")
    return "\n".join(lines)
