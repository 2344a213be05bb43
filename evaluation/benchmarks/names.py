"""One name per benchmark and subset, whatever tool wrote the predictions.

Other tools name the same data differently: VLMEvalKit ``ChartQA_TEST``, ``MathVista_MINI``,
``CharXiv_reasoning_val``; lmms-eval ``chartqa``, ``mathvista_testmini``,
``charxiv_val_descriptive``; ChartQA documents say ``human_test``, ReachQA's ``Recognizing``.
:func:`canonical_benchmark` and :func:`canonical_subset` map them onto the registry's names, so a
report reads ``chartqa / human`` for predictions from any source.
"""

from __future__ import annotations

import re

__all__ = ["canonical_benchmark", "canonical_subset"]

_BENCHMARKS = {"chartqa": "chartqa", "chartbench": "chartbench", "chartx": "chartx", "charxiv": "charxiv",
               "mathvista": "mathvista", "mathvision": "mathvision", "mathv": "mathvision", "reachqa": "reachqa"}
_SUBSET_WORDS = {"charxiv": ("reasoning", "descriptive"), "reachqa": ("reasoning", "recognition")}


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", str(text).lower()) if t]


def canonical_benchmark(text: str) -> tuple[str | None, str | None]:
    """``(benchmark, subset or None)`` named in a tool's dataset / task name or a file name, or
    ``(None, None)``. Raises ``ValueError`` when the text names two different benchmarks."""
    tokens = _tokens(text)
    found: list[tuple[int, str]] = []
    for i, tok in enumerate(tokens):
        for cand in (tok, tok + tokens[i + 1] if i + 1 < len(tokens) else None):
            if cand in _BENCHMARKS:
                found.append((i, _BENCHMARKS[cand]))
                break
    names = sorted({b for _, b in found})
    if not names:
        return None, None
    if len(names) > 1:
        raise ValueError(f"{text!r} names several benchmarks ({', '.join(names)}); pass --benchmark NAME")
    bench = names[0]
    rest = tokens[found[-1][0]:]
    subset = next((w for w in _SUBSET_WORDS.get(bench, ()) if w in rest), None)
    return bench, subset


_ALIASES = {
    "chartqa": {"human_test": "human", "test_human": "human", "augmented_test": "augmented",
                "test_augmented": "augmented", "machine": "augmented", "aug": "augmented"},
    "reachqa": {"recognizing": "recognition", "reco": "recognition", "reas": "reasoning"},
    "mathvista": {"multiple_choice": "multi_choice", "free-form": "free_form"},
}


def canonical_subset(benchmark: str, raw: object) -> str:
    """The registry's subset name for ``raw`` (``all`` when empty)."""
    text = str(raw if raw is not None else "").strip().lower().replace(" ", "_")
    if not text or text in ("nan", "none"):
        return "all"
    return _ALIASES.get(benchmark, {}).get(text, text)
