"""The benchmark registry: one name -> one loader that maps a benchmark to :class:`Sample` rows.

A benchmark is declared with :func:`~.spec.register` in its own module: every module of this
package (except the registry's own) and every module named in ``$REACHQA_BENCHMARK_MODULES``
(comma-separated import names, for benchmarks kept outside reachqa) is imported on first use, so a
new benchmark is one new file and nothing else to edit; a clash of names fails at import time and an
unknown name fails with the list of valid ones (the lm-evaluation-harness registry pattern)::

    @register("chartqa", subsets=("human", "augmented"), hub_id="HuggingFaceM4/ChartQA")
    def load_chartqa(source: str | None, **options) -> Iterator[Sample]:
        ...

Every loader yields the same schema: ``id, image (encoded bytes), question, answer, subset``
plus free-form ``meta``. ``source`` is a local path (file or folder, in the benchmark's own
release layout) or ``None`` for the benchmark's default (a Hub id or a known local path).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path
from typing import Any, Iterable, Iterator

from .spec import REGISTRY, BenchmarkSpec, Sample, UnknownBenchmarkError, register

__all__ = ["Sample", "BenchmarkSpec", "register", "get_benchmark", "list_benchmarks", "load_benchmark",
           "parse_benchmark_list", "UnknownBenchmarkError"]


EXTRA_MODULES_ENV = "REACHQA_BENCHMARK_MODULES"
# this package's modules that declare no benchmark
_NOT_BENCHMARKS = {"registry", "spec", "names"}


def benchmark_modules() -> list[str]:
    """The modules whose ``@register`` calls declare the benchmarks (imported by :func:`_ensure_loaded`)."""
    here = [f"{__package__}.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).resolve().parent)])
            if not m.name.startswith("_") and m.name not in _NOT_BENCHMARKS]
    extra = [n.strip() for n in os.environ.get(EXTRA_MODULES_ENV, "").split(",") if n.strip()]
    return sorted(here) + extra


def _ensure_loaded() -> None:
    for name in benchmark_modules():
        try:
            importlib.import_module(name)
        except ImportError as exc:
            if name.startswith(f"{__package__}."):
                raise
            raise ImportError(f"${EXTRA_MODULES_ENV} names {name!r}, which cannot be imported: {exc}") from exc


def list_benchmarks() -> list[str]:
    _ensure_loaded()
    return sorted(REGISTRY)


def get_benchmark(name: str) -> BenchmarkSpec:
    _ensure_loaded()
    key = name.strip().lower()
    if key not in REGISTRY:
        raise UnknownBenchmarkError(f"unknown benchmark {name!r}; valid names: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[key]


def load_benchmark(name: str, source: str | None = None, *, subsets: Iterable[str] | None = None,
                   limit: int | None = None, **options: Any) -> Iterator[Sample]:
    """Yield the samples of ``name`` (optionally only some subsets, at most ``limit`` of them).

    ``source``: a local path in the benchmark's release layout, a Hub dataset id, or ``None`` for
    the benchmark's default. ``options`` go to the loader (e.g. ``split="testmini"``)."""
    spec = get_benchmark(name)
    wanted = None
    if subsets:
        wanted = {s.lower() for s in subsets}
        bad = wanted - {s.lower() for s in spec.subsets}
        if bad:
            raise ValueError(f"benchmark {spec.name!r} has no subset {sorted(bad)}; valid: {', '.join(spec.subsets)}")
    n = 0
    seen: set[str] = set()
    for sample in spec.loader(source, **options):
        if wanted is not None and sample.subset.lower() not in wanted:
            continue
        if sample.id in seen:
            raise ValueError(f"benchmark {spec.name!r}: duplicate sample id {sample.id!r}")
        seen.add(sample.id)
        yield sample
        n += 1
        if limit is not None and n >= limit:
            return


def parse_benchmark_list(text: str) -> list[tuple[str, str | None]]:
    """Parse ``"reachqa,chartqa=/data/ChartQA,charxiv"`` into ``[(name, source-or-None), ...]``.

    Names are checked against the registry (an unknown one lists the valid names)."""
    out: list[tuple[str, str | None]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, source = item.partition("=")
        spec = get_benchmark(name)
        out.append((spec.name, source.strip() or None))
    if not out:
        raise ValueError("no benchmark named; valid names: " + ", ".join(list_benchmarks()))
    return out
