"""The ChartQA relaxed-accuracy rule: a table of cases, through ``evaluate.load`` and directly."""

from __future__ import annotations

import evaluate
import pytest

from evaluation.metrics import metric_path
from evaluation.relaxed import extract_final_answer, relaxed_match, to_number

METRIC = metric_path("relaxed_accuracy")

CASES = [
    # prediction, target, right?
    ("10", "10", True),
    ("10.49", "10", True),           # 4.9% off
    ("10.6", "10", False),           # 6% off
    ("9.5", "10", True),             # exactly 5% below
    ("-10.4", "-10", True),          # negative target uses |target|
    ("-9.4", "-10", False),
    ("10", "-10", False),
    ("0", "0", True),                # zero target: numeric equality
    ("0.0", "0", True),
    ("0.01", "0", False),
    ("-0", "0", True),
    ("45%", "0.45", True),           # x% reads as x/100
    ("45", "45%", False),
    ("45%", "45%", True),
    ("1,234", "1234", True),         # thousands separators
    ("$12.0", "12", True),
    ("12.", "12", True),             # trailing full stop
    ("Blue", "blue", True),          # text: case-insensitive exact match
    ("light blue", "blue", False),
    ("Yes", "yes", True),
    ("", "0", False),
    ("nan", "nan", True),            # not a number: compared as text
    ("inf", "1", False),
]


@pytest.mark.parametrize("prediction,target,right", CASES)
def test_relaxed_match_table(prediction, target, right):
    assert relaxed_match(prediction, target) is right


def test_through_evaluate_load():
    metric = evaluate.load(METRIC)
    preds, refs = [c[0] for c in CASES], [c[1] for c in CASES]
    expected = sum(c[2] for c in CASES) / len(CASES)
    assert metric.compute(predictions=preds, references=refs) == {"relaxed_accuracy": pytest.approx(expected)}
    assert metric.compute(predictions=["10.6"], references=["10"], tolerance=0.1) == {"relaxed_accuracy": 1.0}
    out = metric.compute(predictions=["First add 2 and 3.\nSo the answer is 5.", "The final answer: 7"],
                         references=["5", "8"], extract_answer=True)
    assert out == {"relaxed_accuracy": 0.5}


def test_to_number():
    assert to_number("12%") == pytest.approx(0.12) and to_number("-$3") == -3.0 and to_number("abc") is None
    assert to_number("1,23") is None  # not a thousands group


@pytest.mark.parametrize("text,answer", [
    ("Step 1 ... Step 2 ...\nThe answer is 42.", "42"),
    ("reasoning\nFinal answer: Blue", "Blue"),
    ("so we get \\boxed{3.5} in the end", "3.5"),
    ("just the last line\n17", "17"),
    ("The answer is 3. Wait, the answer is 4.", "4"),
    ("", ""),
])
def test_extract_final_answer(text, answer):
    assert extract_final_answer(text) == answer
