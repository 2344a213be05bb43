"""The ChartQA relaxed-accuracy rule, and final-answer extraction from step-by-step replies.

The rule (Masry et al., 2022): when both answers read as numbers, the prediction is right if it
is within 5% of the target, relative to the target; otherwise the two strings must match,
ignoring case. "x%" reads as x/100. Unlike the common implementation, a zero target is compared
numerically (``0`` matches ``0.0`` and nothing else), and negative targets use ``|target|``.
"""

from __future__ import annotations

import math
import re

__all__ = ["to_number", "relaxed_match", "extract_final_answer"]

_NUM = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _clean(text: str) -> str:
    t = str(text).strip()
    t = t.strip("*` ")
    if t.endswith(".") and not t.endswith(".."):
        t = t[:-1].rstrip()
    return t


def to_number(text: str) -> float | None:
    """A float for texts like ``12``, ``-3.5``, ``1,234``, ``$7``, ``45%`` (0.45); else None."""
    t = _clean(text).replace(" ", "")
    percent = t.endswith("%")
    if percent:
        t = t[:-1]
    if t.startswith("$"):
        t = t[1:]
    elif t.startswith(("-$", "+$")):
        t = t[0] + t[2:]
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    if not _NUM.match(t):
        return None
    value = float(t)
    if not math.isfinite(value):
        return None
    return value / 100.0 if percent else value


def relaxed_match(prediction: str, target: str, tolerance: float = 0.05) -> bool:
    """True when ``prediction`` is right for ``target`` under the relaxed rule."""
    p, t = to_number(prediction), to_number(target)
    if p is not None and t is not None:
        if t == 0.0:
            return p == 0.0
        return abs(p - t) / abs(t) <= tolerance
    return _clean(prediction).lower() == _clean(target).lower()


_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_MARKERS = [re.compile(r"final answer\s*(?:is|:)?\s*:?\s*", re.IGNORECASE),
            re.compile(r"answer\s*(?:is|:)\s*", re.IGNORECASE)]


def extract_final_answer(text: str) -> str:
    """The short final answer in a step-by-step reply: the last ``\\boxed{}`` value, else the rest
    of the line after the last "final answer" / "answer is" / "answer:", else the last line."""
    text = str(text or "").strip()
    boxed = _BOXED.findall(text)
    if boxed:
        return _clean(boxed[-1])
    for marker in _MARKERS:
        ends = [m.end() for m in marker.finditer(text)]
        if ends:
            rest = text[ends[-1]:].strip().splitlines()
            return _clean(rest[0]) if rest else ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return _clean(lines[-1]) if lines else ""
