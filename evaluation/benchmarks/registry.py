"""The benchmark registry: one name -> one loader that maps a benchmark to :class:`Sample` rows.

A benchmark is declared with :func:`register`; a clash of names fails at import time and an
unknown name fails with the list of valid ones (the lm-evaluation-harness registry pattern)::

    @register("chartqa", subsets=("human", "augmented"), hub_id="HuggingFaceM4/ChartQA")
    def load_chartqa(source: str | None, **options) -> Iterator[Sample]:
        ...

Every loader yields the same schema: ``id, image (encoded bytes), question, answer, subset``
plus free-form ``meta``. ``source`` is a local path (file or folder, in the benchmark's own
release layout) or ``None`` for the benchmark's default (a Hub id or a known local path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

__all__ = ["Sample", "BenchmarkSpec", "register", "get_benchmark", "list_benchmarks", "load_benchmark",
           "parse_benchmark_list", "UnknownBenchmarkError"]


@dataclass(frozen=True)
class Sample:
    """One evaluation item.

    Args:
        id: unique within its benchmark.
        image: the chart as encoded image bytes (JPEG/PNG), sent to models unchanged.
        question: the question text, without any prompt suffix.
        answer: the reference answer.
        subset: the benchmark part it is reported under (e.g. ``human`` / ``augmented``).
        meta: anything else worth keeping (chart type, answer type, choices ...).
    """

    id: str
    image: bytes
    question: str
    answer: str
    subset: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BenchmarkSpec:
    """A registered benchmark.

    Args:
        name: registry name (lower case).
        loader: ``loader(source, **options) -> Iterable[Sample]`` (options: loader-specific
            settings such as ``split`` or ``render_env``; unknown ones are ignored).
        subsets: the subsets it reports.
        hub_id: the Hugging Face dataset it is read from when no local source is given, if any.
        default_path: a local default source, if any.
        relaxed: whether the ChartQA relaxed-accuracy rule applies (short, mostly numeric answers).
        description: one line for listings.
    """

    name: str
    loader: Callable[..., Iterable[Sample]]
    subsets: tuple[str, ...]
    hub_id: str | None = None
    default_path: str | None = None
    relaxed: bool = False
    description: str = ""


_REGISTRY: dict[str, BenchmarkSpec] = {}


class UnknownBenchmarkError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def register(name: str, *, subsets: tuple[str, ...], hub_id: str | None = None, default_path: str | None = None,
             relaxed: bool = False, description: str = ""):
    """Decorator adding a loader to the registry under ``name``."""
    key = name.lower()

    def deco(fn: Callable[..., Iterable[Sample]]):
        if key in _REGISTRY:
            raise ValueError(f"benchmark {key!r} is registered twice ({_REGISTRY[key].loader.__module__} "
                             f"and {fn.__module__})")
        _REGISTRY[key] = BenchmarkSpec(key, fn, tuple(subsets), hub_id, default_path, relaxed,
                                       description or (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return deco


def _ensure_loaded() -> None:
    from . import adapters  # noqa: F401  (registers the built-in benchmarks)


def list_benchmarks() -> list[str]:
    _ensure_loaded()
    return sorted(_REGISTRY)


def get_benchmark(name: str) -> BenchmarkSpec:
    _ensure_loaded()
    key = name.strip().lower()
    if key not in _REGISTRY:
        raise UnknownBenchmarkError(f"unknown benchmark {name!r}; valid names: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


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
