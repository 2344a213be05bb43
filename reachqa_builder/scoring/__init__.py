"""Answer scoring shared by ``reachqa judge`` / ``reachqa evaluate`` and training's RL rewards.

* :mod:`.relaxed` -- final-answer extraction and the ChartQA relaxed match
  (:mod:`.answer_extraction`, :mod:`.relaxed_rule`);
* :mod:`.judge` -- the LLM judge (:class:`~.judge.JudgeConfig`, :func:`~.judge.judge_items`) with the
  cached, concurrent client of :mod:`reachqa_builder.llm`; its prompts and reply parsing are
  :mod:`.judge_protocol`.

The functions below are the small surface training uses. They load the judge (and ``openai``) on
first use, so importing this package stays light.
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["final_answer", "relaxed_correct", "judge_pairs", "judge_config", "judge_errors"]


def final_answer(text: object) -> str:
    """The short final answer of a reply, as the evaluation extracts it."""
    from .answer_extraction import extract_final_answer

    return extract_final_answer(text)


def relaxed_correct(prediction: object, reference: object, tolerance: float = 0.05) -> bool:
    """The ChartQA relaxed match the evaluation applies."""
    from .relaxed_rule import relaxed_match

    return bool(relaxed_match(prediction, reference, tolerance))


def judge_config(**settings: Any):
    """A :class:`~.judge.JudgeConfig` (judge model, server, concurrency, cache path, ...)."""
    from .judge import JudgeConfig

    return JudgeConfig(**settings)


def judge_pairs(questions: Sequence[str], references: Sequence[str], predictions: Sequence[str], config):
    """Judge every triple with the judge of ``reachqa judge`` (cached, concurrent); returns its ``JudgeResult``
    (``verdicts`` "correct" / "incorrect" / "invalid" per item, and ``usage`` of the client)."""
    from .judge import judge_items

    return judge_items(questions, references, predictions, config)


def judge_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the judge cannot be used at all (unreachable, or it refuses the key or model)."""
    from .judge import JudgeUnavailable

    return (JudgeUnavailable,)
