"""Synthesis filters from :mod:`reachqa_builder.checks`, off by default (the paper has none of them).

* ``--lint-action fix``: a chart whose render has a severe layout flag (overlapping or clipped
  text, an empty axes, a legend over the data) goes back to the fix stage with the problems named;
  after ``--max-fixes`` it is kept with its flags in the provenance. ``skip-rating``: such a chart
  is dropped before any rater is paid.
* ``--drop-contradicted``: a recognition pair whose final answer states a number the chart plots
  nowhere (within 5%) is dropped before the MLLM check.
* ``--near-duplicate-threshold``: a chart whose code shingles overlap an already accepted chart's
  at this Jaccard or more is dropped (see :func:`near_duplicate_of`).
"""

from __future__ import annotations

from reachqa_builder.checks.answers import CONTRADICTED, verify_recognition
from reachqa_builder.checks.lint import describe, severe_flags
from reachqa_builder.checks.similarity import code_shingles, jaccard

LINT_ACTIONS = ("off", "fix", "skip-rating")


def layout_problem(record) -> str | None:
    """The severe layout flags of a render record as one line (None when there are none)."""
    return describe(record.lint) if severe_flags(record.lint) else None


def drop_contradicted(pairs: list[dict], plotted: dict | None) -> tuple[list[dict], list[dict]]:
    """``(kept, dropped)``: a pair is dropped when its final answer contradicts the plotted values."""
    kept, dropped = [], []
    for p in pairs:
        v = verify_recognition(p["question"], p.get("concise_answer") or p["answer"], p.get("QA_type", ""), plotted)
        (dropped if v.verdict == CONTRADICTED else kept).append(dict(p, data_check=v.as_dict()))
    return kept, dropped


def near_duplicate_of(code: str, accepted: dict[str, str], threshold: float) -> tuple[str, float] | None:
    """The accepted chart (id, Jaccard) whose code ``code`` nearly repeats, if any."""
    mine = code_shingles(code)
    best = None
    for other_id, other in accepted.items():
        score = jaccard(mine, code_shingles(other))
        if score >= threshold and (best is None or score > best[1]):
            best = (other_id, round(score, 4))
    return best
