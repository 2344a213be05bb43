"""The ChartQA relaxed-accuracy rule (standard library only; extraction: :mod:`.answer_extraction`).

The reference is pix2struct's ``relaxed_correctness`` (google-research/pix2struct,
``pix2struct/metrics.py``), which lmms-eval's ChartQA task and VLMEvalKit follow: when both
strings read as numbers (``x%`` as x/100) and the target is not zero, the prediction is right
within 5% of the target, relative to ``|target|``; otherwise the strings must be equal ignoring
case. reachqa agrees with it except where a rule in :data:`RULE_DIFFERENCES` says otherwise.
Digit groups separated by ", " or a space ("71, 708", "1 2") are never one number, as in the
reference.

Two identical copies exist: ``reachqa_builder/scoring/relaxed_rule.py`` (``reachqa judge``, training's
rewards) and the ``relaxed_accuracy`` metric folder's (loaded standalone by ``evaluate.load``).
"""

from __future__ import annotations

import math
import re

__all__ = ["RULE_DIFFERENCES", "to_number", "relaxed_match"]

RULE_DIFFERENCES = {
    "whitespace": "surrounding whitespace, wrapping markdown (* and `) and one trailing full stop are ignored "
                  "on both sides ('Blue.' matches 'blue'; pix2struct compares text as given)",
    "thousands": "comma thousands separators in strict groups of three read as numbers ('1,234' matches '1234'; "
                 "pix2struct compares them as text)",
    "zero-target": "a zero target is compared as a number ('0.0' and '-0' match '0'; pix2struct falls back to "
                   "text for a zero target)",
    "percent": "when exactly one side ends in one '%', its bare number is accepted too ('45%' matches '45'; "
               "pix2struct reads '45%' only as 0.45)",
    "currency": "a leading '$' is ignored ('$12' matches '12'; pix2struct compares text)",
    "non-finite": "'nan', 'inf' and 'infinity' are text, not numbers ('nan' matches 'nan'; pix2struct never "
                  "matches them)",
    "underscore": "'1_000' is text (Python's float() in pix2struct reads it as 1000)",
    "fraction": "'a/b' with integer a and non-zero b reads as the number a/b ('3/4' matches '0.75'; pix2struct "
                "compares text)",
}

_NUM = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_FRACTION = re.compile(r"^([-+]?\d+)\s*/\s*(\d+)$")
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _clean(text: object) -> str:
    t = str(text if text is not None else "").strip().strip("*`").strip()
    if t.endswith(".") and not t.endswith(".."):
        t = t[:-1].rstrip()
    return t


def _parse(text: object) -> tuple[float, bool] | None:
    """(value with ``%`` read as /100, whether it had a ``%``) or None when not a number."""
    t = _clean(text)
    percent = t.endswith("%") and not t.endswith("%%")
    if percent:
        t = t[:-1].rstrip()
    if t.startswith("$"):
        t = t[1:]
    elif t.startswith(("-$", "+$")):
        t = t[0] + t[2:]
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    frac = _FRACTION.match(t)
    if frac and int(frac.group(2)) != 0:
        value = int(frac.group(1)) / int(frac.group(2))
        return (value / 100.0 if percent else value), percent
    if not _NUM.match(t):
        return None
    value = float(t)
    if not math.isfinite(value):
        return None
    return (value / 100.0 if percent else value), percent


def to_number(text: object) -> float | None:
    """A float for texts like ``12``, ``-3.5``, ``1,234``, ``$7``, ``45%`` (0.45); else None."""
    parsed = _parse(text)
    return None if parsed is None else parsed[0]


def _close(p: float, t: float, tolerance: float) -> bool:
    return p == 0.0 if t == 0.0 else abs(p - t) / abs(t) <= tolerance


def relaxed_match(prediction: object, target: object, tolerance: float = 0.05) -> bool:
    """True when ``prediction`` is right for ``target`` under the relaxed rule."""
    p, t = _parse(prediction), _parse(target)
    if p is not None and t is not None:
        preds, targets = [p[0]], [t[0]]
        if p[1] != t[1]:  # "%" on one side only: its bare number counts too
            (preds if p[1] else targets).append((p[0] if p[1] else t[0]) * 100.0)
        return any(_close(a, b, tolerance) for a in preds for b in targets)
    return _clean(prediction).lower() == _clean(target).lower()
