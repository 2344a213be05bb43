"""LLM judge accuracy: an OpenAI-compatible model grades final answers against the ground truth."""

import datasets
import evaluate

from evaluation.judge import DEFAULT_CACHE, JudgeConfig, judge_items

_DESCRIPTION = """
An LLM judge reads the question, the ground truth and a model's (possibly step-by-step) answer,
and says whether the final answer is correct. It runs at temperature 0 with a JSON-schema verdict
through any OpenAI-compatible server; faults are retried and verdicts are cached on disk, so
computing the same inputs again sends no requests. Items the judge could not score (requests that
failed for good, replies that never fit the schema) are counted as `invalid` and left out of
`accuracy`, never scored as wrong. This follows the evaluation protocol of the ReachQA paper
(yes/no correctness of the final answer, temperature 0).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): model answers.
    references (`list` of `str`): ground-truth answers.
    questions (`list` of `str`): the questions asked.
    judge_model (`str`): the judge's model name on the server (required).
    base_url (`str`, optional): API root with /v1; default `$OPENAI_BASE_URL`, else OpenAI's.
    api_key (`str`, optional): default `$OPENAI_API_KEY`.
    concurrency (`int`, default 16): judge requests in flight.
    cache_path (`str`, default ~/.cache/reachqa/judge-cache.sqlite): verdict cache; None disables.
    max_retries (`int`, default 6), timeout (`float`, default 120): fault handling per request.

Returns:
    accuracy (`float`): share of scored items judged correct.
    scored (`int`), invalid (`int`): items with and without a verdict.
    verdicts (`list` of `str`): "correct", "incorrect" or "invalid", per item.
    fingerprint (`dict`): judge model, prompt hash, temperature.

Examples:
    >>> judge = evaluate.load("evaluation/metrics/llm_judge")
    >>> result = judge.compute(predictions=["... so the answer is 12."], references=["12"],
    ...                        questions=["How many bars?"], judge_model="gpt-4o-2024-08-06",
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
        )

    def _compute(self, predictions, references, questions, judge_model=None, base_url=None, api_key=None,
                 concurrency=16, cache_path=DEFAULT_CACHE, max_retries=6, timeout=120.0, backoff_base=1.0,
                 progress=False):
        config = JudgeConfig(judge_model=judge_model, base_url=base_url, api_key=api_key, concurrency=concurrency,
                             cache_path=cache_path, max_retries=max_retries, timeout=timeout,
                             backoff_base=backoff_base, progress=progress)
        result = judge_items(questions, references, predictions, config)
        return {"accuracy": result.accuracy, "scored": result.scored, "invalid": result.invalid,
                "verdicts": result.verdicts, "fingerprint": result.fingerprint}
