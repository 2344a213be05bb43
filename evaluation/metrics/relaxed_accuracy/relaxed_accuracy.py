"""Relaxed accuracy: the ChartQA scoring rule as a Hugging Face ``evaluate`` metric."""

import datasets
import evaluate

from evaluation.relaxed import extract_final_answer, relaxed_match

_DESCRIPTION = """
Relaxed accuracy is the share of predictions that match their reference under the ChartQA rule:
numbers (including "x%", read as x/100, and "1,234") count as right within a relative tolerance
of the reference (5% by default); anything else must equal the reference ignoring case. A zero
reference needs a numeric zero; negative references use their absolute value.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): model answers.
    references (`list` of `str`): ground-truth answers.
    tolerance (`float`, default 0.05): largest relative error counted as right.
    extract_answer (`bool`, default False): first reduce each prediction to its final answer
        (a boxed value, the text after "answer is"/"final answer:", else the last line), for
        step-by-step replies.

Returns:
    relaxed_accuracy (`float`): share of right predictions, in [0, 1].

Examples:
    >>> metric = evaluate.load("evaluation/metrics/relaxed_accuracy")
    >>> metric.compute(predictions=["10.4", "50%", "Blue", "0"], references=["10", "0.5", "blue", "0.0"])
    {'relaxed_accuracy': 1.0}
    >>> metric.compute(predictions=["-10.6", "7"], references=["-10", "0"])
    {'relaxed_accuracy': 0.0}
    >>> metric.compute(predictions=["So the answer is 42."], references=["41"], extract_answer=True)
    {'relaxed_accuracy': 1.0}
"""

_CITATION = """
@inproceedings{masry-etal-2022-chartqa,
    title = "{C}hart{QA}: A Benchmark for Question Answering about Charts with Visual and Logical Reasoning",
    author = "Masry, Ahmed and Long, Do Xuan and Tan, Jia Qing and Joty, Shafiq and Hoque, Enamul",
    booktitle = "Findings of the Association for Computational Linguistics: ACL 2022",
    year = "2022",
    pages = "2263--2279",
}
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class RelaxedAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
            reference_urls=["https://github.com/vis-nlp/ChartQA"],
        )

    def _compute(self, predictions, references, tolerance=0.05, extract_answer=False):
        if not predictions:
            return {"relaxed_accuracy": 0.0}
        hits = 0
        for pred, ref in zip(predictions, references):
            pred = extract_final_answer(pred) if extract_answer else pred
            hits += relaxed_match(pred or "", ref or "", tolerance)
        return {"relaxed_accuracy": hits / len(predictions)}
