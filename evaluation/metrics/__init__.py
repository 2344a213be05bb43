"""reachqa's ``evaluate`` metrics: ``llm_judge`` and ``relaxed_accuracy``.

    import evaluate
    from evaluation.metrics import metric_path
    judge = evaluate.load(metric_path("llm_judge"))   # same as evaluate.load("evaluation/metrics/llm_judge")
                                                      # from the repository root
"""

from __future__ import annotations

from pathlib import Path

METRICS = ("llm_judge", "relaxed_accuracy")


def metric_path(name: str) -> str:
    """Absolute folder of a metric, for ``evaluate.load`` from any working directory."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; choose from {', '.join(METRICS)}")
    return str(Path(__file__).parent / name)
