"""Overlap between two collections of charts and questions, or inside one.

A :class:`Corpus` is what the similarity checks need from a dataset or benchmark: chart code
(where there is code), image perceptual hashes (where there are images) and question texts.
:func:`compare` finds what a dataset shares with a reference (a benchmark, a test split);
:func:`within` finds near-duplicates inside one corpus. Both return a :class:`Overlap` whose
``matched_charts`` / ``matched_questions`` are what a caller drops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import similarity as sim


@dataclass
class Corpus:
    """Charts and questions of one dataset or benchmark.

    Args:
        name: shown in reports.
        chart_ids: one id per chart.
        codes: chart code by chart id (charts without code are left out of the code check).
        image_hashes: perceptual hash by chart id (see :func:`similarity.image_hash`).
        question_ids / question_texts / question_charts: one entry per question.
    """

    name: str
    chart_ids: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)
    image_hashes: dict[str, np.ndarray] = field(default_factory=dict)
    question_ids: list[str] = field(default_factory=list)
    question_texts: list[str] = field(default_factory=list)
    question_charts: list[str] = field(default_factory=list)


@dataclass
class OverlapSettings:
    """Thresholds of the three checks.

    Args:
        code_threshold: code shingle Jaccard at or above which two charts are near-duplicates.
        question_threshold: question 3-gram Jaccard for near-duplicate questions (``within``).
        ngram: word n-gram length a question must share with a reference question (``compare``).
        image_max_distance: perceptual-hash bits at or under which two images are near-duplicates.
    """

    code_threshold: float = sim.JACCARD_THRESHOLD
    question_threshold: float = sim.JACCARD_THRESHOLD
    ngram: int = sim.CONTAMINATION_NGRAM
    image_max_distance: int = sim.PHASH_MAX_DISTANCE


@dataclass
class Overlap:
    """Matched pairs per check, as ``(id in the dataset, id in the reference, score)``."""

    dataset: str
    reference: str
    code: list[tuple[str, str, float]] = field(default_factory=list)
    image: list[tuple[str, str, float]] = field(default_factory=list)
    question: list[tuple[str, str, float]] = field(default_factory=list)
    question_ngram: list[tuple[str, str, float]] = field(default_factory=list)  # within: shared n-grams, reported only
    compared: dict[str, tuple[int, int]] = field(default_factory=dict)  # check -> (items, reference items)

    @property
    def matched_charts(self) -> set[str]:
        return {a for a, _, _ in self.code} | {a for a, _, _ in self.image}

    @property
    def matched_questions(self) -> set[str]:
        return {a for a, _, _ in self.question}

    def summary(self, examples: int = 5) -> dict:
        out = {"dataset": self.dataset, "reference": self.reference}
        for check in ("code", "image", "question", "question_ngram"):
            if check == "question_ngram" and self.dataset != self.reference:
                continue
            pairs = getattr(self, check)
            n, m = self.compared.get(check, (0, 0))
            items = {a for a, _, _ in pairs} | ({b for _, b, _ in pairs} if self.dataset == self.reference else set())
            out[check] = {"compared": n, "reference": m, "pairs": len(pairs), "items_matched": len(items),
                          "share_matched": round(len(items) / n, 4) if n else 0.0,
                          "examples": [list(p) for p in pairs[:examples]]}
        return out


def _code_sets(corpus: Corpus) -> tuple[list[str], list[set]]:
    ids = [c for c in corpus.chart_ids if c in corpus.codes]
    return ids, [sim.code_shingles(corpus.codes[c]) for c in ids]


def compare(dataset: Corpus, reference: Corpus, settings: OverlapSettings | None = None) -> Overlap:
    """What ``dataset`` shares with ``reference``: near-duplicate code and images, shared question n-grams."""
    s = settings or OverlapSettings()
    out = Overlap(dataset.name, reference.name)
    ids_a, sets_a = _code_sets(dataset)
    ids_b, sets_b = _code_sets(reference)
    if ids_a and ids_b:
        out.code = [(ids_a[p.i], ids_b[p.j], p.score)
                    for p in sim.near_duplicates(sets_a, sets_b, threshold=s.code_threshold)]
    out.compared["code"] = (len(ids_a), len(ids_b))
    ha = [c for c in dataset.chart_ids if c in dataset.image_hashes]
    hb = [c for c in reference.chart_ids if c in reference.image_hashes]
    out.image = [(ha[p.i], hb[p.j], p.score) for p in sim.image_hash_pairs(
        [dataset.image_hashes[c] for c in ha], [reference.image_hashes[c] for c in hb], s.image_max_distance)]
    out.compared["image"] = (len(ha), len(hb))
    out.question = [(dataset.question_ids[p.i], reference.question_ids[p.j], p.score)
                    for p in sim.ngram_matches(dataset.question_texts, reference.question_texts, s.ngram)]
    out.compared["question"] = (len(dataset.question_ids), len(reference.question_ids))
    return out


def within(corpus: Corpus, settings: OverlapSettings | None = None) -> Overlap:
    """Near-duplicates inside one corpus (each pair once, first id first).

    Questions are compared only across charts: two questions about the same chart may well share
    their wording. ``matched_charts`` / ``matched_questions`` hold the later member of each pair,
    so dropping them keeps one of every group.
    """
    s = settings or OverlapSettings()
    out = Overlap(corpus.name, corpus.name)
    ids, sets = _code_sets(corpus)
    out.code = [(ids[p.j], ids[p.i], p.score) for p in sim.near_duplicates(sets, threshold=s.code_threshold)]
    out.compared["code"] = (len(ids), len(ids))
    h = [c for c in corpus.chart_ids if c in corpus.image_hashes]
    out.image = [(h[p.j], h[p.i], p.score)
                 for p in sim.image_hash_pairs([corpus.image_hashes[c] for c in h], None, s.image_max_distance)]
    out.compared["image"] = (len(h), len(h))
    qsets = [sim.question_shingles(t) for t in corpus.question_texts]
    out.question = [(corpus.question_ids[p.j], corpus.question_ids[p.i], p.score)
                    for p in sim.near_duplicates(qsets, threshold=s.question_threshold)
                    if corpus.question_charts[p.i] != corpus.question_charts[p.j]]
    out.compared["question"] = (len(qsets), len(qsets))
    out.question_ngram = [(corpus.question_ids[p.j], corpus.question_ids[p.i], p.score)
                          for p in sim.ngram_matches(corpus.question_texts, corpus.question_texts, s.ngram)
                          if p.i < p.j and corpus.question_charts[p.i] != corpus.question_charts[p.j]]
    out.compared["question_ngram"] = (len(qsets), len(qsets))
    return out


def format_overlap(summary: dict) -> str:
    lines = [f"{summary['dataset']} vs {summary['reference']}"]
    for check in ("code", "image", "question", "question_ngram"):
        if check not in summary:
            continue
        c = summary[check]
        lines.append(f"  {check:14s} {c['pairs']:6d} pairs; {c['items_matched']} of {c['compared']} items matched "
                     f"({100 * c['share_matched']:.2f}%)")
        for ex in c["examples"][:3]:
            lines.append(f"      {ex[0]} ~ {ex[1]} ({ex[2]})")
    return "\n".join(lines)
