"""Relaxed accuracy: the ChartQA scoring rule as a Hugging Face ``evaluate`` metric."""

import datasets
import evaluate

from .answer_extraction import extract_final_answer
from .relaxed_rule import relaxed_match

_DESCRIPTION = """
Relaxed accuracy is the share of predictions that match their reference under the ChartQA rule
(pix2struct's `relaxed_correctness`, which lmms-eval and VLMEvalKit follow): when both read as
numbers ("x%" as x/100), the prediction is right within a relative tolerance of the reference (5%
by default); anything else must equal the reference ignoring case. Digit groups split by ", " or
a space ("71, 708") are not one number. Where this metric differs from pix2struct, a named rule
says so: whitespace (surrounding spaces, markdown and a final full stop ignored), thousands ("1,234"
is a number), zero-target (compared numerically), percent ("%" on one side only also accepts the
bare number), currency (leading "$" ignored), non-finite ("nan"/"inf" are text), underscore
("1_000" is text), fraction ("3/4" reads as 0.75).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `str`): model answers.
    references (`list` of `str`): ground-truth answers.
    tolerance (`float`, default 0.05): largest relative error counted as right.
    extract_answer (`bool`, default False): first reduce each prediction to its final answer, for
        step-by-step replies: <think> blocks dropped and <answer> tags read, else the last
        \\boxed{} value, the text after "final answer:" / "answer is" / "answer:" (lists joined,
        explanations cut), else the last line; LaTeX, brackets, Unicode minus and "x10^" notation
        normalised; "approximately" / "about" dropped before a number.

Returns:
    relaxed_accuracy (`float`): share of right predictions, in [0, 1].

Examples:
    >>> metric = evaluate.load("relaxed_accuracy")  # the folder of this metric
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
            reference_urls=["https://github.com/vis-nlp/ChartQA",
                            "https://github.com/google-research/pix2struct/blob/main/pix2struct/metrics.py"],
        )

    def _compute(self, predictions, references, tolerance=0.05, extract_answer=False):
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
        if not predictions:
            return {"relaxed_accuracy": 0.0}
        hits = 0
        for pred, ref in zip(predictions, references):
            pred = extract_final_answer(pred) if extract_answer else pred
            hits += relaxed_match(pred or "", ref or "", tolerance)
        return {"relaxed_accuracy": hits / len(predictions)}
