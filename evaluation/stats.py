"""Uncertainty of accuracies: 95% intervals clustered by chart, and paired differences of two runs.

Benchmarks such as ReachQA and CharXiv ask several questions about one chart, so the items are
not independent: a model that misreads a chart misses all its questions. The standard error is
therefore the cluster-robust one (as lmms-eval >= 0.6 reports it; Miller, "Adding Error Bars to
Evals", 2024)::

    se = sqrt( C / (C - 1) * sum_c ( sum_{i in c} (x_i - mean) )^2 ) / n

over ``n`` items in ``C`` clusters (with one item per cluster it is the usual ``s / sqrt(n)``,
up to the ``n / (n - 1)`` factor). The interval is ``mean +- 1.96 se``, clipped to [0, 1] for
accuracies. With fewer than two clusters there is no interval (``None``).

A paired difference compares two runs on the same items (matched by benchmark and id): the
per-item differences ``a_i - b_i`` get the same clustered standard error, which is much smaller
than that of two independent accuracies because both runs saw the same hard and easy charts.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Hashable, Sequence

__all__ = ["Z95", "clustered_mean", "interval", "paired_difference"]

Z95 = 1.959963984540054


def clustered_mean(values: Sequence[float], clusters: Sequence[Hashable]) -> dict[str, Any]:
    """``{"mean", "se", "n", "clusters"}``; ``se`` is None with fewer than two clusters."""
    n = len(values)
    if n != len(clusters):
        raise ValueError(f"{n} values but {len(clusters)} cluster labels")
    if n == 0:
        return {"mean": None, "se": None, "n": 0, "clusters": 0}
    mean = sum(values) / n
    sums: dict[Hashable, float] = defaultdict(float)
    for v, c in zip(values, clusters):
        sums[c] += v - mean
    k = len(sums)
    if k < 2:
        return {"mean": mean, "se": None, "n": n, "clusters": k}
    var = k / (k - 1) * sum(s * s for s in sums.values()) / (n * n)
    return {"mean": mean, "se": math.sqrt(var), "n": n, "clusters": k}


def interval(stat: dict[str, Any], lo: float | None = 0.0, hi: float | None = 1.0) -> list[float] | None:
    """The 95% interval ``[mean - 1.96 se, mean + 1.96 se]`` (clipped to ``[lo, hi]``), or None."""
    if stat.get("se") is None or stat.get("mean") is None:
        return None
    a, b = stat["mean"] - Z95 * stat["se"], stat["mean"] + Z95 * stat["se"]
    if lo is not None:
        a = max(lo, a)
    if hi is not None:
        b = min(hi, b)
    return [a, b]


def paired_difference(a: Sequence[float], b: Sequence[float], clusters: Sequence[Hashable]) -> dict[str, Any]:
    """Mean of ``a - b`` over paired items with its clustered 95% interval (in [-1, 1])."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} and {len(b)} paired values")
    stat = clustered_mean([x - y for x, y in zip(a, b)], clusters)
    return {"difference": stat["mean"], "se": stat["se"], "ci95": interval(stat, -1.0, 1.0), "n": stat["n"],
            "clusters": stat["clusters"]}
