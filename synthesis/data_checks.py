"""Synthesis filters from :mod:`reachqa_builder.checks`, off by default (the paper has none of them).

* ``--lint-action fix``: a chart whose render has a severe layout flag (overlapping or clipped
  text, an empty axes, a legend over the data) goes back to the fix stage with the problems named;
  after ``--max-fixes`` it is kept with its flags in the provenance. ``skip-rating``: such a chart
  is dropped before any rater is paid.
* ``--drop-contradicted``: a recognition pair whose final answer states a number the chart plots
  nowhere (within 5%) is dropped before the MLLM check.
* ``--drop-near-duplicates T``: a chart whose code nearly repeats (token-shingle Jaccard >= T) a
  chart the execute stage accepted before it, or the script it was evolved from, is dropped at
  execute (reason ``near_duplicate``), before any rater is paid. ``--drop-near-duplicate-questions
  T``: a question whose word 3-gram Jaccard with a question kept before it for the same chart
  (either type) is >= T is dropped at the Q&A stage; ``--near-duplicate-question-scope dataset``
  also compares it with the questions kept for the charts before it. Both measure similarity as ``reachqa stats
  --duplicates`` and ``reachqa decontaminate`` do (:mod:`reachqa_builder.checks.similarity`).
"""

from __future__ import annotations

from reachqa_builder.checks.answers import CONTRADICTED, verify_recognition
from reachqa_builder.checks.lint import describe, severe_flags
from typing import Callable

import numpy as np

from reachqa_builder.checks.similarity import code_shingles, question_shingles

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


class NearDuplicates:
    """Texts accepted so far, by id, and the one a new text nearly repeats.

    A text is its shingle set (``shingles``: :func:`code_shingles` for chart code,
    :func:`question_shingles` for questions), held as a sorted array of 64-bit shingle hashes
    (about 8 bytes a shingle, so an index of thousands of charts stays small); the similarity is
    the exact Jaccard of those sets, as :func:`reachqa_builder.checks.similarity.jaccard`
    computes it (barring a 64-bit hash collision)."""

    def __init__(self, threshold: float, shingles: Callable[[str], set[str]] = code_shingles) -> None:
        self.threshold = threshold
        self.shingles = shingles
        self._sets: dict[str, np.ndarray] = {}

    def _hashed(self, text: str) -> np.ndarray:
        return np.unique(np.fromiter((hash(s) for s in self.shingles(text)), dtype=np.int64))

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._sets

    def __len__(self) -> int:
        return len(self._sets)

    def add(self, item_id: str, text: str) -> None:
        self._sets[item_id] = self._hashed(text)

    def match(self, text: str, also: dict[str, str] | None = None) -> tuple[str, float] | None:
        """``(id, Jaccard)`` of the most similar accepted text (or text of ``also``) at or above the
        threshold; the first one added wins a tie. None when there is none."""
        mine = self._hashed(text)
        best = None
        candidates = [*self._sets.items(), *((k, self._hashed(v)) for k, v in (also or {}).items())]
        for other_id, other in candidates:
            shared = np.intersect1d(mine, other, assume_unique=True).size
            union = mine.size + other.size - shared
            score = shared / union if union else 1.0
            if score >= self.threshold and (best is None or score > best[1]):
                best = (other_id, score)
        return None if best is None else (best[0], round(best[1], 4))


class QuestionIndex:
    """Questions kept for other charts (``--near-duplicate-question-scope dataset``), by chart."""

    def __init__(self, threshold: float) -> None:
        self.index = NearDuplicates(threshold, question_shingles)
        self.where: dict[str, tuple[str, str]] = {}  # index id -> (chart id, question)

    def add(self, chart_id: str, pairs: list[dict]) -> None:
        for k, pair in enumerate(pairs):
            key = f"{chart_id}#{k}"
            self.index.add(key, pair["question"])
            self.where[key] = (chart_id, pair["question"])

    def match(self, question: str) -> tuple[str, str, float] | None:
        """``(chart id, question, Jaccard)`` of the closest question of another chart, if near."""
        found = self.index.match(question)
        return None if found is None else (*self.where[found[0]], found[1])


def drop_near_duplicate_questions(pairs: list[dict], threshold: float,
                                  dataset: QuestionIndex | None = None) -> tuple[list[dict], list[dict]]:
    """``(kept, dropped)`` of one chart's pairs: a question nearly repeating (word 3-gram Jaccard >=
    ``threshold``) a question kept before it for this chart, or one of ``dataset`` (other charts'),
    is dropped; each dropped record names that question (and its chart, for another chart's)."""
    index = NearDuplicates(threshold, question_shingles)
    kept, dropped = [], []
    for k, pair in enumerate(pairs):
        found = index.match(pair["question"])
        record = {"question": pair["question"], "QA_type": pair.get("QA_type", "")}
        if found is not None:
            dropped.append(dict(record, near_duplicate_of=pairs[int(found[0])]["question"], jaccard=found[1]))
            continue
        other = dataset.match(pair["question"]) if dataset is not None else None
        if other is not None:
            dropped.append(dict(record, near_duplicate_of=other[1], chart=other[0], jaccard=other[2]))
            continue
        index.add(str(k), pair["question"])
        kept.append(pair)
    return kept, dropped
