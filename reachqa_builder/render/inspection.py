"""The parent's side of figure inspection: check what a worker says a figure plots and flags.

The chart script ran in the process that produced the inspection (``_inspect.py``), so it can
write anything there. :func:`validate_inspection` keeps only well-typed, size-capped content and
says what it dropped; nothing a script writes can grow a record beyond these caps.
"""

from __future__ import annotations

import math

MAX_SERIES = 400
MAX_VALUES = 20000
MAX_TEXTS = 1500
MAX_TEXT_CHARS = 200
MAX_FLAGS = 50
MAX_DETAIL_CHARS = 300
MAX_LABEL_CHARS = 200

SERIES_KINDS = frozenset({"bar", "bar_end", "barh", "barh_end", "pie", "rect", "line_x", "line_y", "points_x",
                          "points_y", "values_z", "bar3d", "colour_values", "area_y", "image_values"})
TEXT_KINDS = frozenset({"tick", "label", "title", "annotation", "legend", "table"})
LINT_KINDS = frozenset({"overlapping_text", "text_outside_figure", "font_too_small", "empty_axes",
                        "legend_covers_data"})
SEVERITIES = frozenset({"severe", "minor"})


def _kind(value, kinds: frozenset) -> str | None:
    """``value`` when it is one of ``kinds`` (a script may send any JSON value, unhashable ones too)."""
    return value if isinstance(value, str) and value in kinds else None


def _str(value, cap: int) -> str | None:
    return value[:cap] if isinstance(value, str) else None


def _values(raw, room: int) -> list[float]:
    if not isinstance(raw, list):
        return []
    out = []
    for v in raw[:room]:
        if isinstance(v, int) and not isinstance(v, bool):
            v = float(v) if abs(v) < 1 << 1000 else math.inf  # 10**400 has no float
        if isinstance(v, float) and math.isfinite(v):
            out.append(v)
    return out


def validate_inspection(raw) -> tuple[dict | None, list[dict] | None, str | None]:
    """``(plotted, lint, problem)`` from a worker's untrusted ``inspect`` field.

    ``plotted`` / ``lint`` are None when the worker sent none; ``problem`` names what was wrong
    (an inspection error in the worker, or content that was dropped), else None.
    """
    if raw is None:
        return None, None, None
    if not isinstance(raw, dict):
        return None, None, f"inspection is a {type(raw).__name__}, not an object; dropped"
    problems = []
    for key in ("error", "plotted_error", "lint_error"):
        msg = _str(raw.get(key), MAX_DETAIL_CHARS)
        if msg:
            problems.append(msg if key == "error" else f"{key.replace('_', ' ')}: {msg}")
    plotted = None
    p = raw.get("plotted")
    if isinstance(p, dict):
        series, texts, total, dropped = [], [], 0, 0
        for s in p.get("series") if isinstance(p.get("series"), list) else []:
            if len(series) >= MAX_SERIES or total >= MAX_VALUES:
                dropped += 1
                continue
            if not (isinstance(s, dict) and _kind(s.get("kind"), SERIES_KINDS)):
                dropped += 1
                continue
            vals = _values(s.get("values"), MAX_VALUES - total)
            total += len(vals)
            series.append({"kind": s["kind"], "label": _str(s.get("label"), MAX_LABEL_CHARS) or "", "values": vals})
        for t in p.get("texts") if isinstance(p.get("texts"), list) else []:
            text = _str(t.get("text"), MAX_TEXT_CHARS) if isinstance(t, dict) else None
            if len(texts) >= MAX_TEXTS or text is None or not _kind(t.get("kind"), TEXT_KINDS):
                dropped += 1
                continue
            texts.append({"kind": t["kind"], "text": text})
        if dropped:
            problems.append(f"{dropped} malformed or excess plotted entries dropped")
        plotted = {"series": series, "texts": texts}
    elif p is not None:
        problems.append("plotted is not an object; dropped")
    lint = None
    raw_lint = raw.get("lint")
    if isinstance(raw_lint, list):
        lint = []
        for f in raw_lint:
            if (len(lint) < MAX_FLAGS and isinstance(f, dict) and _kind(f.get("kind"), LINT_KINDS)
                    and _kind(f.get("severity"), SEVERITIES) and isinstance(f.get("detail"), str)):
                lint.append({"kind": f["kind"], "severity": f["severity"], "detail": f["detail"][:MAX_DETAIL_CHARS]})
            else:
                problems.append("a malformed or excess lint flag was dropped")
                break
    elif raw_lint is not None:
        problems.append("lint is not a list; dropped")
    return plotted, lint, ("; ".join(problems) or None)
