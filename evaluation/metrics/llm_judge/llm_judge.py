"""LLM judge accuracy: an OpenAI-compatible model grades answers against the ground truth."""

import os
import re
import warnings

import datasets
import evaluate

from .judge_protocol import PROTOCOLS, get_protocol, summarize_verdicts
from .openai_judge import complete_all

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

Requests go through any OpenAI-compatible server with the `openai` package (retries, timeout,
bounded concurrency). Replies with a verdict are cached on disk by default (under the Hugging Face
cache: `<HF_METRICS_CACHE>/llm_judge/replies.sqlite`; `cache_path` moves it, `no_cache=True` turns it
off), so computing the same inputs again sends no requests. A reply without a readable verdict is asked
again up to `reasks` times (default 2) before the item counts as invalid; `reasks` in the result
counts the re-asks. `invalid` counts items without a verdict (failed requests, unreadable replies);
`accuracy_scored` is the share correct among the other items. When no item gets a verdict (judge
unreachable, key refused) compute raises `JudgeFailed`; when more than 5% of the items are invalid it
warns (`InvalidVerdictsWarning`).
"""

INVALID_WARN_SHARE = 0.05  # warn when more than this share of the items has no verdict


class JudgeFailed(RuntimeError):
    """Not a single item could be judged: an accuracy would be meaningless."""


class InvalidVerdictsWarning(UserWarning):
    """More than INVALID_WARN_SHARE of the items have no verdict (they count as not correct)."""


def default_cache_path() -> str:
    """``<HF_METRICS_CACHE>/llm_judge/replies.sqlite`` (``~/.cache/huggingface/metrics`` unless moved)."""
    return os.path.join(evaluate.config.HF_METRICS_CACHE, "llm_judge", "replies.sqlite")

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
    cache_path (`str`, optional): SQLite reply cache; default `<HF_METRICS_CACHE>/llm_judge/replies.sqlite`.
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

    def _compute(self, predictions, references, questions, judge_model=None, protocol="paper", base_url=None,
                 api_key=None, concurrency=16, cache_path=None, no_cache=False, reasks=2, max_retries=6, timeout=120.0,
                 max_tokens=None):
        if not judge_model:
            raise ValueError("judge_model is required (the judge's model name on the server)")
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
        proto = get_protocol(protocol)
        bodies = []
        for q, r, p in zip(questions, references, predictions):
            body = {"model": judge_model, "messages": proto.messages(q, r, p), "temperature": proto.temperature,
                    "top_p": proto.top_p, "max_tokens": max_tokens or proto.max_tokens}
            if proto.schema is not None:
                body["response_format"] = {"type": "json_schema",
                                           "json_schema": {"name": "verdict", "schema": proto.schema}}
            bodies.append(body)
        base_url = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        texts, errors, counts = complete_all(
            bodies, base_url=base_url, api_key=api_key, concurrency=concurrency, timeout=timeout,
            max_retries=max_retries, cache_path=None if no_cache else (cache_path or default_cache_path()),
            readable=lambda text: proto.parse(text) != "invalid", reasks=reasks)
        verdicts = [proto.parse(t) if t is not None else "invalid" for t in texts]
        summary = summarize_verdicts(verdicts)
        first_error = next((e for e in errors if e), "no reason recorded")
        if verdicts and not summary["scored"]:
            where = re.sub(r"//[^/@]*@", "//", base_url)  # no credentials in the message
            raise JudgeFailed(f"llm_judge: none of the {len(verdicts)} items could be judged by {judge_model} at "
                              f"{where}; e.g. {first_error}")
        if summary["invalid"] > INVALID_WARN_SHARE * len(verdicts):
            warnings.warn(f"llm_judge: {summary['invalid']} of {len(verdicts)} verdicts "
                          f"({100 * summary['invalid'] / len(verdicts):.1f}%, above {100 * INVALID_WARN_SHARE:g}%) are "
                          f"invalid and count as not correct; e.g. {first_error}", InvalidVerdictsWarning, stacklevel=2)
        return {"accuracy": summary["accuracy"] or 0.0, "accuracy_scored": summary["accuracy_scored"],
                "scored": summary["scored"], "invalid": summary["invalid"], "reasks": counts["reasks"],
                "verdicts": verdicts, "fingerprint": proto.fingerprint(judge_model), "errors": errors,
                "requests": counts}
