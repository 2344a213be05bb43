"""Does a recognition answer state what the chart plots? A check that needs no model.

The render worker reads the values a figure actually plots (``RenderRecord.plotted``: bar
heights, line points, pie shares, heat-map cells, and the numbers written in annotations, table
cells, legends, titles and tick labels). Every number a *recognition* answer states is looked up
there under the relaxed-accuracy tolerance (5% of the plotted value):

* ``supported``: every number the answer states is plotted (evidence: where);
* ``contradicted``: a number the answer states is plotted nowhere (evidence: the nearest values);
* ``not_checkable``: the answer states no number to check (a colour, a name, a count), the
  question is a reasoning question (its numbers are computed, see :mod:`.program`), or the
  chart's plotted values are unknown (it failed to render).

A number written in full (``270,000``) also matches ``270`` when the figure's labels, titles or
legend say its values are in thousands (likewise millions, billions). Numbers the question itself states (``"in 2019"``) are not evidence either way and are skipped;
small whole numbers (up to 20) that are plotted nowhere are counts, not contradictions. A number
that is one step of arithmetic away from the plotted values (a series total, the sum or gap of two
pie shares or of one category's values, or of two numbers the answer states) is supported, with
the derivation as evidence: recognition answers often add "a total" or "the difference".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .numbers import RELAXED_TOLERANCE, Number, find_numbers, relaxed_close

# A figure that says its values are in thousands (millions, billions) plots 270 for "270,000".
_UNITS = ((1e3, re.compile(r"thousand|\(k\)|\bin k\b|'000|\(000s?\)", re.I)),
          (1e6, re.compile(r"million|\(m\)|\bin m\b|\bmn\b", re.I)),
          (1e9, re.compile(r"billion|\(bn?\)|\bin b\b|\bbn\b", re.I)))
_UNIT_NAMES = {1e3: "thousands", 1e6: "millions", 1e9: "billions"}

SUPPORTED, CONTRADICTED, NOT_CHECKABLE = "supported", "contradicted", "not_checkable"
VERDICTS = (SUPPORTED, CONTRADICTED, NOT_CHECKABLE)


@dataclass
class Verdict:
    """One Q&A pair's verdict and why."""

    verdict: str
    evidence: list[str] = field(default_factory=list)
    method: str = "plotted-values"

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "evidence": self.evidence, "method": self.method}


def is_recognition(qa_type: str) -> bool:
    """ReachQA's ``Recognizing`` type (and synthesis's ``recognition``)."""
    return str(qa_type or "").strip().lower().startswith("recogn")


class PlottedValues:
    """The numbers a figure shows, sorted for tolerance look-ups, each with where it came from."""

    def __init__(self, plotted: dict):
        pairs: list[tuple[float, str]] = []
        for s in plotted.get("series", []):
            where = s["kind"] + (f" {s['label']!r}" if s.get("label") else "")
            pairs += [(float(v), where) for v in s["values"]]
        for t in plotted.get("texts", []):
            for n in find_numbers(t["text"]):
                where = f"{t['kind']} text {t['text'][:40]!r}"
                pairs += [(r, where) for r in n.readings()]
        pairs.sort(key=lambda p: p[0])
        said = " ".join(t["text"] for t in plotted.get("texts", []) if t["kind"] in ("label", "title", "legend", "tick"))
        self.units = tuple(scale for scale, pattern in _UNITS if pattern.search(said))
        self.values = [v for v, _ in pairs]
        self.sources = [w for _, w in pairs]
        self.series = [(s["kind"] + (f" {s['label']!r}" if s.get("label") else ""), s["values"])
                       for s in plotted.get("series", []) if s["kind"] not in ("line_x", "points_x", "bar_end", "barh_end")]

    def __len__(self) -> int:
        return len(self.values)

    def match(self, stated: float, tolerance: float = RELAXED_TOLERANCE) -> tuple[float, str] | None:
        """A plotted value ``stated`` is relaxed-close to, preferring the closest."""
        a = abs(stated)
        lo, hi = stated - tolerance * a / (1 - tolerance), stated + tolerance * a / (1 - tolerance)
        i, j = bisect.bisect_left(self.values, lo), bisect.bisect_right(self.values, hi)
        best = None
        for k in range(i, j):
            ref = self.values[k]
            if relaxed_close(stated, ref, tolerance) and (best is None or abs(ref - stated) < abs(best[0] - stated)):
                best = (ref, self.sources[k])
        return best

    def nearest(self, stated: float) -> tuple[float, str] | None:
        if not self.values:
            return None
        i = bisect.bisect_left(self.values, stated)
        near = [k for k in (i - 1, i) if 0 <= k < len(self.values)]
        k = min(near, key=lambda k: abs(self.values[k] - stated))
        return self.values[k], self.sources[k]


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _match_number(n: Number, plotted: PlottedValues) -> tuple[float, str] | None:
    for reading in n.readings():
        hit = plotted.match(reading)
        if hit is not None:
            return hit
    for scale in plotted.units:  # "270,000" on an axis "in thousands" that plots 270
        for reading in n.readings():
            if abs(reading) >= scale:
                hit = plotted.match(reading / scale)
                if hit is not None:
                    return hit[0], f"{hit[1]}, read in {_UNIT_NAMES[scale]}"
    return None


def _derived(v: float, others: list[float], plotted: PlottedValues) -> str | None:
    """How ``v`` follows from plotted values by one step of arithmetic, or None.

    Recognition answers often state a total or a gap next to the values it comes from. Allowed:
    the sum or difference of two other numbers the answer states (both plotted), the total of one
    plotted series, the sum or difference of two pie shares, or of the values at the same position
    (category) in two series of equal length. Pairs inside one bar or line series are not tried:
    with tens of values, almost any number is one of their sums or gaps.
    """
    def close(x):
        return relaxed_close(v, x)

    for i, a in enumerate(others):
        for b in others[i + 1:]:
            for x, how in ((a + b, f"{_fmt(a)} + {_fmt(b)}"), (abs(a - b), f"|{_fmt(a)} - {_fmt(b)}|")):
                if close(x):
                    return f"{how}, numbers the answer states"
    for where, vals in plotted.series:
        if 1 < len(vals) <= 1000 and close(sum(vals)):
            return f"the total of {where}"
    for where, vals in plotted.series:
        if where.startswith("pie") and len(vals) <= 12:  # "the two largest shares together"
            for i, a in enumerate(vals):
                for b in vals[i + 1:]:
                    if close(a + b) or close(abs(a - b)):
                        return f"{'sum' if close(a + b) else 'difference'} of {_fmt(a)} and {_fmt(b)} ({where})"
    by_len: dict[int, list] = {}
    for where, vals in plotted.series:
        if 1 < len(vals) <= 50:
            by_len.setdefault(len(vals), []).append((where, vals))
    for group in by_len.values():
        for i, (wa, va) in enumerate(group[:20]):
            for wb, vb in group[i + 1:20]:
                for a, b in zip(va, vb):
                    if close(a + b) or close(abs(a - b)):
                        return f"{'sum' if close(a + b) else 'difference'} of {_fmt(a)} ({wa}) and {_fmt(b)} ({wb})"
    return None


def verify_recognition(question: str, answer: str, qa_type: str, plotted: dict | None) -> Verdict:
    """The verdict of one Q&A pair against the chart's plotted values (``RenderRecord.plotted``)."""
    if not is_recognition(qa_type):
        return Verdict(NOT_CHECKABLE, [f"a {qa_type or 'untyped'} question: its answer is computed, not read off the chart"])
    if plotted is None:
        return Verdict(NOT_CHECKABLE, ["the chart's plotted values are unknown (not rendered or not inspected)"])
    echoed = {n.value for n in find_numbers(question)}
    stated = [n for n in find_numbers(answer) if n.value not in echoed]
    if not stated:
        return Verdict(NOT_CHECKABLE, ["the answer states no number beyond those in the question"])
    values = PlottedValues(plotted)
    if not len(values):
        return Verdict(NOT_CHECKABLE, ["the figure plots no readable values"])
    evidence, missing, counts, matched = [], [], [], []
    for n in stated:
        hit = _match_number(n, values)
        if hit is not None:
            evidence.append(f"{n.text!r} = {_fmt(hit[0])} ({hit[1]})")
            matched.append(n.value)
        else:
            missing.append(n)
    for n in list(missing):
        how = None
        for reading in n.readings() + tuple(r / u for u in values.units for r in n.readings() if abs(r) >= u):
            how = _derived(reading, matched, values)
            if how:
                break
        if how:
            missing.remove(n)
            evidence.append(f"{n.text!r} = {how}")
        elif n.is_small_integer:
            missing.remove(n)
            counts.append(n)
    if missing:
        out = []
        for n in missing:
            near = values.nearest(n.value)
            out.append(f"{n.text!r} is plotted nowhere" + (f"; nearest {_fmt(near[0])} ({near[1]})" if near else ""))
        return Verdict(CONTRADICTED, out + evidence)
    if not evidence:
        return Verdict(NOT_CHECKABLE, [f"only small whole numbers ({', '.join(n.text for n in counts)}), "
                                       "which may be counts rather than plotted values"])
    if counts:
        evidence.append(f"not plotted, read as counts: {', '.join(n.text for n in counts)}")
    return Verdict(SUPPORTED, evidence)
