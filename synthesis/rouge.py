"""ROUGE-L F-measure of two short texts, as ``rouge_score`` computes it without stemming.

The Q&A stage only needs this one number per question pair; importing ``rouge_score`` pulls in
NLTK (about 200 MB of memory), so this module computes it directly: lower-case, every run of
characters other than ``a-z0-9`` is a separator, longest common subsequence of the tokens,
``F = 2PR / (P + R)``. ``tests/synthesis/test_rouge.py`` checks it against ``rouge_score``.

    >>> round(rouge_l_f("What is the value in 2015?", "What was the value in 2015?"), 3)
    0.833
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[^a-z0-9]+")


def tokens(text: str) -> list[str]:
    return [t for t in _SEPARATORS.sub(" ", text.lower()).split() if t]


def _lcs(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l_f(target: str, prediction: str) -> float:
    t, p = tokens(target), tokens(prediction)
    if not t or not p:
        return 0.0
    lcs = _lcs(t, p)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(t)
    return 2 * precision * recall / (precision + recall)
