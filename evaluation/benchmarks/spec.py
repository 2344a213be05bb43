"""What a benchmark is: the :class:`Sample` schema, the :class:`BenchmarkSpec` and the
:func:`register` decorator that loader modules use. This module imports nothing of the package, so
loaders depend on it and :mod:`.registry` depends on the loaders, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

__all__ = ["Sample", "BenchmarkSpec", "register", "UnknownBenchmarkError", "REGISTRY"]


@dataclass(frozen=True)
class Sample:
    """One evaluation item.

    Args:
        id: unique within its benchmark.
        image: the chart as encoded image bytes (JPEG/PNG), sent to models unchanged.
        question: the question text, without any prompt suffix.
        answer: the reference answer.
        subset: the benchmark part it is reported under (e.g. ``human`` / ``augmented``).
        meta: anything else worth keeping (chart type, answer type, choices ...). Keys the report
            reads: ``group`` (the chart: questions on one chart form one cluster of the 95%
            interval), ``category`` (the benchmark's own breakdown, one table per benchmark) and
            ``pair`` (ChartBench Acc+: the statements that must all be right together).
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
        aliases: other spellings of the name in other tools' task and file names (``mathv``).
        subset_words: subsets that other tools' task names spell out (``charxiv_val_reasoning``).
        subset_aliases: other tools' subset names -> ours (``human_test`` -> ``human``).
    """

    name: str
    loader: Callable[..., Iterable[Sample]]
    subsets: tuple[str, ...]
    hub_id: str | None = None
    default_path: str | None = None
    relaxed: bool = False
    description: str = ""
    aliases: tuple[str, ...] = ()
    subset_words: tuple[str, ...] = ()
    subset_aliases: dict[str, str] = field(default_factory=dict)


REGISTRY: dict[str, BenchmarkSpec] = {}


class UnknownBenchmarkError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def register(name: str, *, subsets: tuple[str, ...], hub_id: str | None = None, default_path: str | None = None,
             relaxed: bool = False, description: str = "", aliases: tuple[str, ...] = (),
             subset_words: tuple[str, ...] = (), subset_aliases: dict[str, str] | None = None):
    """Decorator adding a loader to the registry under ``name`` (arguments: :class:`BenchmarkSpec`)."""
    key = name.lower()

    def deco(fn: Callable[..., Iterable[Sample]]):
        if key in REGISTRY:
            raise ValueError(f"benchmark {key!r} is registered twice ({REGISTRY[key].loader.__module__} "
                             f"and {fn.__module__})")
        REGISTRY[key] = BenchmarkSpec(key, fn, tuple(subsets), hub_id, default_path, relaxed,
                                       description or (fn.__doc__ or "").strip().splitlines()[0],
                                       tuple(aliases), tuple(subset_words), dict(subset_aliases or {}))
        return fn

    return deco
