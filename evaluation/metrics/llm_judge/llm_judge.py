"""LLM judge accuracy: an OpenAI-compatible model grades answers against the ground truth.

A thin ``evaluate`` face of reachqa's judge (:mod:`reachqa_builder.scoring.judge`): the requests,
the client (retries, limits, re-asks) and the reply cache are the ones of ``reachqa judge``."""

import warnings

import datasets
import evaluate

from reachqa_builder.scoring.judge import (INVALID_WARN_SHARE, PROTOCOLS, JudgeConfig,  # From: reachqa
                                           JudgeUnavailable, default_cache, judge_items)

_DESCRIPTION = """
An LLM judge reads the question, the ground truth and a model's prediction (the chart is not
shown) and says whether the prediction is correct. Two protocols:

- `paper` (default): the ReachQA paper's evaluation. No credit for wrong answers, over-answers or
  under-answers; other forms of the same answer are accepted; the judge writes a short analysis and
  a `Correctness: Yes/No` line (read case-insensitively), at temperature 0 and top_p 0.95.
  `accuracy` is the paper's: correct verdicts over all items, an unreadable or missing verdict
  counting as not correct.
- `json`: reachqa's own variant (not the paper's): a JSON-schema verdict
  `{"analysis", "correct": "yes"|"no"}` on the final answer only, temperature 0, top_p 1.

The metric needs reachqa installed (`pip install -e .` in a checkout): it is a thin face of
`reachqa judge`'s judge, so both send the same requests through the same client (retries with
backoff, bounded concurrency) and share one reply cache, an SQLite file at
`$REACHQA_HOME/judge-cache.sqlite` (`~/.cache/reachqa/` unless moved; `cache_path` moves it,
`no_cache=True` turns it off): a reply either of them got is not asked for again. A reply without a
readable verdict is asked again up to `reasks` times (default 2) before the item counts as invalid;
`reasks` in the result counts the re-asks. `invalid` counts items without a verdict (failed requests,
unreadable replies); `accuracy_scored` is the share correct among the other items. When no item gets
a verdict (judge unreachable, key refused, server errors through every retry) compute raises
`JudgeFailed`; when more than 5% of the items are invalid it warns (`InvalidVerdictsWarning`).
"""


class JudgeFailed(RuntimeError):
    """Not a single item could be judged: an accuracy would be meaningless."""


class InvalidVerdictsWarning(UserWarning):
    """More than INVALID_WARN_SHARE of the items have no verdict (they count as not correct)."""


_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): model answers (whole step-by-step replies are fine).
    references (`list` of `str`): ground-truth answers.
    questions (`list` of `str`): the questions asked.
    judge_model (`str`): the judge's model name on the server (required).
    protocol (`str`, default "paper"): "paper" or "json".
    base_url (`str`, optional): API root with /v1; default `$OPENAI_BASE_URL`, else OpenAI's.
    api_key (`str`, optional): default `$OPENAI_API_KEY`.
    concurrency (`int`, default 16): requests in flight.
    cache_path (`str`, optional): SQLite reply cache; default `$REACHQA_HOME/judge-cache.sqlite` (`reachqa judge`'s).
    no_cache (`bool`, default False): send every request, read and write no cache.
    reasks (`int`, default 2): times a reply without a readable verdict is asked again.
    max_retries (`int`, default 6), timeout (`float`, default 120): per request.
    max_tokens (`int`, optional): reply budget (default: the protocol's, 4096 for paper).

Returns:
    accuracy (`float`): correct over all items (invalid verdicts count as not correct).
    accuracy_scored (`float` or None): correct over items with a verdict.
    scored (`int`), invalid (`int`): items with and without a verdict.
    reasks (`int`): re-asks sent for replies without a verdict.
    verdicts (`list` of `str`): "correct", "incorrect" or "invalid", per item.
    fingerprint (`dict`): judge model, protocol, prompt hash, temperature, top_p, description.
    errors (`list`): why an item has no verdict (`None` where it has one).
    requests (`dict`): the client's counters: HTTP requests sent (retries included), replies, cache hits,
        failures, tokens, retries by reason, reasks.

Examples:
    >>> judge = evaluate.load("llm_judge")  # the folder of this metric  # doctest: +SKIP
    >>> result = judge.compute(predictions=["3 + 4 = 7. The answer is 7."], references=["7"],
    ...                        questions=["What is the sum of the two bars?"], judge_model="gpt-4o-2024-08-06",
    ...                        base_url="http://localhost:8000/v1")  # doctest: +SKIP
    >>> result["accuracy"], result["verdicts"]  # doctest: +SKIP
    (1.0, ['correct'])
"""

_CITATION = """
@article{he2024distill,
    title = {Distill Visual Chart Reasoning Ability from LLMs to MLLMs},
    author = {He, Wei and Xi, Zhiheng and Zhao, Wanxu and others},
    journal = {arXiv preprint arXiv:2410.18798},
    year = {2024},
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class LlmJudge(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string"),
                                        "questions": datasets.Value("string")}),
            reference_urls=["https://github.com/hewei2001/ReachQA", "https://arxiv.org/abs/2410.18798"],
        )

    def _compute(self, predictions, references, questions, judge_model=None, protocol=None, base_url=None,
                 api_key=None, concurrency=None, cache_path=None, no_cache=False, reasks=None, max_retries=None,
                 timeout=None, max_tokens=None):
        if not judge_model:
            raise ValueError("judge_model is required (the judge's model name on the server)")
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
        # settings left out keep JudgeConfig's defaults (`reachqa judge`'s): one declaration of each
        given = {k: v for k, v in {"protocol": protocol, "concurrency": concurrency, "reasks": reasks,
                                   "max_retries": max_retries, "timeout": timeout}.items() if v is not None}
        config = JudgeConfig(judge_model=judge_model, base_url=base_url, api_key=api_key, max_tokens=max_tokens,
                             cache_path=None if no_cache else (cache_path or default_cache()), progress=False, **given)
        config.preflight_retries = config.max_retries  # every item gets the retries asked for, the first too
        where = f"{judge_model} at {config.api_config().display_url}"  # no credentials in messages
        try:
            result = judge_items(questions, references, predictions, config)
        except JudgeUnavailable as exc:
            raise JudgeFailed(f"llm_judge: none of the {len(predictions)} items could be judged by {judge_model} "
                              f"because {exc}") from exc
        n, summary = len(result.verdicts), result.summary
        first_error = next((e for e in result.errors if e), "no reason recorded")
        if n and not summary["scored"]:
            raise JudgeFailed(f"llm_judge: none of the {n} items could be judged by {where}; e.g. {first_error}")
        if summary["invalid"] > INVALID_WARN_SHARE * n:
            warnings.warn(f"llm_judge: {summary['invalid']} of {n} verdicts "
                          f"({100 * summary['invalid'] / n:.1f}%, above {100 * INVALID_WARN_SHARE:g}%) are "
                          f"invalid and count as not correct; e.g. {first_error}", InvalidVerdictsWarning, stacklevel=2)
        return {"accuracy": result.accuracy, "accuracy_scored": result.accuracy_scored, "scored": summary["scored"],
                "invalid": summary["invalid"], "reasks": result.usage["reasks"], "verdicts": result.verdicts,
                "fingerprint": result.fingerprint, "errors": result.errors, "requests": result.usage}
