"""Numbers written in free text ("$1,200", "45%", "1.2 million", "-3.5"), and the relaxed match.

The tolerance is ChartQA's relaxed accuracy (5%, relative to the reference value), the rule
:mod:`reachqa_builder.scoring.relaxed_rule` applies to model answers, restated here for numbers
read out of free text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

RELAXED_TOLERANCE = 0.05

_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-+−])?\s?(?P<cur>[$€£¥])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s?(?P<pct>%|percent\b)|\s?(?P<scale>thousand|million|billion|trillion|[kKMB])\b)?")
_SCALES = {"thousand": 1e3, "k": 1e3, "K": 1e3, "million": 1e6, "M": 1e6, "billion": 1e9, "B": 1e9,
           "trillion": 1e12}


@dataclass(frozen=True)
class Number:
    """A number found in a text: its value as written, and the other values it may stand for."""

    text: str
    value: float
    percent: bool = False
    scale: float = 1.0

    def readings(self) -> tuple[float, ...]:
        """Values this number may mean: as written, as a fraction (percent), scaled (millions)."""
        out = [self.value]
        if self.percent:
            out.append(self.value / 100.0)
        if self.scale != 1.0:
            out.append(self.value * self.scale)
        return tuple(out)

    @property
    def is_small_integer(self) -> bool:
        return not self.percent and self.scale == 1.0 and self.value == int(self.value) and abs(self.value) <= 20


def find_numbers(text: str) -> list[Number]:
    """Every number in ``text``, in order."""
    found = []
    for m in _NUMBER.finditer(text or ""):
        try:
            value = float(m.group("num").replace(",", ""))
        except ValueError:
            continue
        if m.group("sign") in ("-", "−"):
            value = -value
        if not math.isfinite(value):
            continue
        scale = _SCALES.get(m.group("scale") or "", 1.0)
        found.append(Number(m.group(0).strip(), value, percent=bool(m.group("pct")), scale=scale))
    return found


def relaxed_close(stated: float, reference: float, tolerance: float = RELAXED_TOLERANCE) -> bool:
    """True when ``stated`` is within ``tolerance`` of ``reference``, relative to the reference."""
    if reference == 0.0:
        return stated == 0.0
    return abs(stated - reference) <= tolerance * abs(reference)
