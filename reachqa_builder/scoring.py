"""The evaluation's answer scoring, for the packages that may not import ``evaluation`` (training's RL rewards).

``training`` and ``evaluation`` are peers that import only this foundation. The rules that score an
answer live with the evaluation: the final-answer extraction and the ChartQA relaxed match
(:mod:`evaluation.relaxed`) and the LLM judge with its cached, concurrent client
(:func:`evaluation.judge.judge_items`). This module hands them on, loading them on first use, so
that training scores completions with exactly the functions ``reachqa judge`` / ``reachqa evaluate``
use (no copy that could drift) while no training module names the evaluation package.

The dependency is one of behaviour, not of import: nothing here loads ``evaluation`` until a
function is called, and the builder's own modules never call these.
"""

from __future__ import annotations

import importlib
from typing import Any, Sequence

__all__ = ["final_answer", "relaxed_correct", "judge_pairs", "judge_config", "judge_errors"]


def _module(name: str):
    return importlib.import_module(name)


def final_answer(text: object) -> str:
    """The short final answer of a reply, as the evaluation extracts it (``evaluation.relaxed``)."""
    return _module("evaluation.relaxed").extract_final_answer(text)


def relaxed_correct(prediction: object, reference: object, tolerance: float = 0.05) -> bool:
    """The ChartQA relaxed match of the evaluation (``evaluation.relaxed.relaxed_match``)."""
    return bool(_module("evaluation.relaxed").relaxed_match(prediction, reference, tolerance))


def judge_config(**settings: Any):
    """An ``evaluation.judge.JudgeConfig`` (judge model, server, concurrency, cache path, ...)."""
    return _module("evaluation.judge").JudgeConfig(**settings)


def judge_pairs(questions: Sequence[str], references: Sequence[str], predictions: Sequence[str], config):
    """Judge every triple with the evaluation's judge (cached, concurrent); returns its ``JudgeResult``
    (``verdicts`` "correct" / "incorrect" / "invalid" per item, and ``usage`` of the client)."""
    return _module("evaluation.judge").judge_items(questions, references, predictions, config)


def judge_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the judge cannot be used at all (unreachable, or it refuses the key or model)."""
    return (_module("evaluation.judge").JudgeUnavailable,)
