"""One name per benchmark and subset, whatever tool wrote the predictions.

Other tools name the same data differently: VLMEvalKit ``ChartQA_TEST``, ``MathVista_MINI``,
``CharXiv_reasoning_val``; lmms-eval ``chartqa``, ``mathvista_testmini``,
``charxiv_val_descriptive``; ChartQA documents say ``human_test``, ReachQA's ``Recognizing``.
:func:`canonical_benchmark` and :func:`canonical_subset` map them onto the registry's names, so a
report reads ``chartqa / human`` for predictions from any source. The spellings are declared by each
benchmark's ``@register`` (``aliases``, ``subset_words``, ``subset_aliases``).
"""

from __future__ import annotations

import re

from .registry import REGISTRY, get_benchmark, list_benchmarks

__all__ = ["canonical_benchmark", "canonical_subset"]


def _benchmark_names() -> dict[str, str]:
    """Every spelling -> registry name: the names and each benchmark's ``aliases``."""
    list_benchmarks()
    return {alias: spec.name for spec in REGISTRY.values() for alias in (spec.name, *spec.aliases)}


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", str(text).lower()) if t]


def canonical_benchmark(text: str) -> tuple[str | None, str | None]:
    """``(benchmark, subset or None)`` named in a tool's dataset / task name or a file name, or
    ``(None, None)``. Raises ``ValueError`` when the text names two different benchmarks."""
    tokens = _tokens(text)
    known = _benchmark_names()
    found: list[tuple[int, str]] = []
    for i, tok in enumerate(tokens):
        for cand in (tok, tok + tokens[i + 1] if i + 1 < len(tokens) else None):
            if cand in known:
                found.append((i, known[cand]))
                break
    names = sorted({b for _, b in found})
    if not names:
        return None, None
    if len(names) > 1:
        raise ValueError(f"{text!r} names several benchmarks ({', '.join(names)}); pass --benchmark NAME")
    bench = names[0]
    rest = tokens[found[-1][0]:]
    subset = next((w for w in get_benchmark(bench).subset_words if w in rest), None)
    return bench, subset


def canonical_subset(benchmark: str, raw: object) -> str:
    """The registry's subset name for ``raw`` (``all`` when empty)."""
    text = str(raw if raw is not None else "").strip().lower().replace(" ", "_")
    if not text or text in ("nan", "none"):
        return "all"
    list_benchmarks()
    spec = REGISTRY.get(benchmark)
    return spec.subset_aliases.get(text, text) if spec is not None else text
