"""Verifiable rewards for GRPO on chart questions, from the project's own metrics.

Three rewards, each a callable in the form TRL's ``GRPOTrainer`` calls (``prompts``, ``completions``,
the dataset's other columns as keyword lists; one float or ``None`` per completion):

* ``accuracy``: 1.0 when the completion's final answer matches the reference under the ChartQA relaxed
  rule, else 0.0. The final answer is the evaluation's extraction (:func:`reachqa_builder.scoring.final_answer`)
  applied to the ``<answer>`` part of a ``think`` completion (to the whole completion when it has none) or to
  the whole completion in the ``answer_is`` format; the match is the evaluation's relaxed match. So the
  reward is exactly the per-item ``relaxed_accuracy`` (``extract_answer=True``) of the same text.
* ``format``: 1.0 when the completion follows the answer format, else 0.0. ``think`` is the R1 convention
  (DeepSeek-R1, R1-V, TRL's VLM example): ``<think> reasoning </think> <answer> answer </answer>`` and nothing
  else; ``answer_is`` is ReachQA's own: step-by-step reasoning whose last line gives "The answer is X"
  (what the paper's training answers end with and what the evaluation's extraction reads).
* ``judge``: 1.0 / 0.0 from the LLM judge of ``reachqa judge`` (the paper's protocol by default) through its
  client: requests concurrent, replies cached on disk (a repeated completion costs nothing), usage and cost
  logged per call. An invalid verdict gives ``None`` (left out of that completion's sum) and is counted.

Weights are GRPOConfig's ``reward_weights``, in the order of ``--rewards``; TRL logs each reward's mean and
std per logging step as ``rewards/<name>/mean``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from reachqa_builder.scoring import final_answer, judge_config, judge_pairs, relaxed_correct

logger = logging.getLogger(__name__)

ANSWER_FORMATS = ("think", "answer_is")
REWARD_NAMES = ("accuracy", "format", "judge")

# What the prompt asks for, appended to each question (after --prompt_suffix), per answer format.
FORMAT_INSTRUCTIONS = {
    "think": "First think through the problem step by step inside <think> </think> tags, then give only the "
             "final answer inside <answer> </answer> tags.",
    "answer_is": "Reason step by step, then end with a last line of the form 'The answer is X.'",
}

_THINK = re.compile(r"\s*<think>(?P<think>.*?)</think>\s*<answer>(?P<answer>.*?)</answer>\s*", re.DOTALL)
_ANSWER_TAG = re.compile(r"<answer>(?P<answer>.*?)</answer>", re.DOTALL)
_ANSWER_IS_LINE = re.compile(r"\banswer\s*(?:is\b\s*[:：]?|[:：])\s*\S", re.IGNORECASE)


def completion_text(completion) -> str:
    """The text of one completion: a string, or the assistant message list of conversational prompts."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        parts = []
        for message in completion:
            content = message.get("content") if isinstance(message, dict) else message
            if isinstance(content, list):
                parts.extend(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
            elif content is not None:
                parts.append(str(content))
        return "".join(parts)
    raise TypeError(f"a completion is a string or a list of messages, got {type(completion).__name__}")


def follows_format(text: str, answer_format: str) -> bool:
    if answer_format == "think":
        m = _THINK.fullmatch(text)
        return bool(m and m.group("think").strip() and m.group("answer").strip())
    if answer_format == "answer_is":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        return len(lines) >= 2 and bool(_ANSWER_IS_LINE.search(lines[-1]))
    raise ValueError(f"answer format {answer_format!r}: choose one of {', '.join(ANSWER_FORMATS)}")


def answer_part(text: str, answer_format: str) -> str:
    """The part of a completion the final answer is extracted from: the last ``<answer>`` block of a ``think``
    completion (the whole text when it has none), the whole text for ``answer_is``."""
    if answer_format == "think":
        blocks = _ANSWER_TAG.findall(text)
        if blocks:
            return blocks[-1]
    return text


def extracted_answer(text: str, answer_format: str) -> str:
    return final_answer(answer_part(text, answer_format))


class _Reward:
    """Base of the reward callables: ``__name__`` is what TRL logs them under."""

    __name__ = "reward"

    def texts(self, completions) -> list[str]:
        return [completion_text(c) for c in completions]


class AccuracyReward(_Reward):
    """Relaxed accuracy of the extracted final answer against the ``reference`` column."""

    __name__ = "accuracy"

    def __init__(self, answer_format: str = "think", tolerance: float = 0.05):
        follows_format("", answer_format)  # fails early on an unknown format
        self.answer_format = answer_format
        self.tolerance = tolerance

    def __call__(self, prompts=None, completions=(), reference=(), **kwargs) -> list[float]:
        texts = self.texts(completions)
        if len(reference) != len(texts):
            raise ValueError(f"{len(texts)} completions but {len(reference)} references")
        return [float(relaxed_correct(extracted_answer(t, self.answer_format), r, self.tolerance))
                for t, r in zip(texts, reference)]


class FormatReward(_Reward):
    """1.0 for a completion in the answer format, else 0.0."""

    __name__ = "format"

    def __init__(self, answer_format: str = "think"):
        follows_format("", answer_format)
        self.answer_format = answer_format

    def __call__(self, prompts=None, completions=(), **kwargs) -> list[float]:
        return [float(follows_format(t, self.answer_format)) for t in self.texts(completions)]


@dataclass
class JudgeCost:
    """Running totals of the judge's usage over a training run."""

    items: int = 0
    requests: int = 0
    cache_hits: int = 0
    failures: int = 0
    invalid: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float | None = None
    per_step: list[dict] = field(default_factory=list)


class JudgeReward(_Reward):
    """The LLM judge's verdict on each completion (the whole completion, as ``reachqa judge`` sees a prediction)."""

    __name__ = "judge"

    def __init__(self, config, usd_per_mtok_in: float | None = None, usd_per_mtok_out: float | None = None):
        self.config = config
        self.prices = (usd_per_mtok_in, usd_per_mtok_out)
        self.cost = JudgeCost(usd=0.0 if None not in self.prices else None)

    def call_cost(self, usage: dict) -> float | None:
        if None in self.prices:
            return None
        return (usage.get("prompt_tokens", 0) * self.prices[0] + usage.get("completion_tokens", 0) * self.prices[1]) / 1e6

    def __call__(self, prompts=None, completions=(), reference=(), question=(), log_metric=None,
                 **kwargs) -> list[float | None]:
        texts = self.texts(completions)
        if not (len(texts) == len(reference) == len(question)):
            raise ValueError(f"{len(texts)} completions, {len(reference)} references, {len(question)} questions")
        result = judge_pairs(list(question), list(reference), texts, self.config)
        usage = result.usage
        invalid = sum(v == "invalid" for v in result.verdicts)
        usd = self.call_cost(usage)
        c = self.cost
        c.items += len(texts)
        c.invalid += invalid
        for key in ("requests", "cache_hits", "failures", "prompt_tokens", "completion_tokens"):
            setattr(c, key, getattr(c, key) + int(usage.get(key, 0)))
        if usd is not None:
            c.usd += usd
        step = {"items": len(texts), "invalid": invalid, "usd": usd,
                **{k: usage.get(k, 0) for k in ("requests", "cache_hits", "failures", "prompt_tokens",
                                               "completion_tokens")}}
        c.per_step.append(step)
        logger.info("judge: %d items, %d requests, %d cache hits, %d failed, %d invalid verdicts, %d + %d tokens%s "
                    "(run total: %d requests, %d + %d tokens%s)", len(texts), step["requests"], step["cache_hits"],
                    step["failures"], invalid, step["prompt_tokens"], step["completion_tokens"],
                    "" if usd is None else f", ${usd:.4f}", c.requests, c.prompt_tokens, c.completion_tokens,
                    "" if c.usd is None else f", ${c.usd:.4f}")
        if log_metric is not None:
            log_metric("judge/requests", float(step["requests"]))
            log_metric("judge/cache_hits", float(step["cache_hits"]))
            log_metric("judge/invalid", float(invalid))
            log_metric("judge/prompt_tokens", float(step["prompt_tokens"]))
            log_metric("judge/completion_tokens", float(step["completion_tokens"]))
            if usd is not None:
                log_metric("judge/usd", usd)
                log_metric("judge/usd_total", c.usd)
        return [1.0 if v == "correct" else 0.0 if v == "incorrect" else None for v in result.verdicts]


def build_rewards(names: list[str], answer_format: str, tolerance: float = 0.05, judge_settings: dict | None = None,
                  usd_per_mtok_in: float | None = None, usd_per_mtok_out: float | None = None) -> list:
    """The reward callables named in ``names`` (order kept: it is the order of ``reward_weights``)."""
    unknown = [n for n in names if n not in REWARD_NAMES]
    if unknown or not names:
        raise ValueError(f"--rewards {' '.join(names) or '(none)'}: choose from {', '.join(REWARD_NAMES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"--rewards {' '.join(names)}: a reward is named twice")
    rewards = []
    for name in names:
        if name == "accuracy":
            rewards.append(AccuracyReward(answer_format, tolerance))
        elif name == "format":
            rewards.append(FormatReward(answer_format))
        else:
            if not judge_settings or not judge_settings.get("judge_model"):
                raise ValueError("--rewards judge needs --judge_model (the judge's model name on the server)")
            rewards.append(JudgeReward(judge_config(**judge_settings), usd_per_mtok_in, usd_per_mtok_out))
    return rewards
