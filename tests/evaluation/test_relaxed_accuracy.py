"""Relaxed accuracy against pix2struct's ``relaxed_correctness`` (the reference lmms-eval and
VLMEvalKit follow): every case carries the reference verdict, ours, and the named rule behind any
difference; plus final-answer extraction, through ``evaluate.load`` and directly."""

from __future__ import annotations

import collections

import evaluate
import pytest

from evaluation.metrics import metric_path
from reachqa_builder.scoring.relaxed import RULE_DIFFERENCES, extract_final_answer, relaxed_match, to_number

METRIC = metric_path("relaxed_accuracy")


def pix2struct_relaxed_correctness(target: str, prediction: str, max_relative_change: float = 0.05) -> bool:
    """A re-implementation of ``relaxed_correctness`` in google-research/pix2struct
    ``pix2struct/metrics.py``, written from reading it: each string becomes a float with Python's
    ``float()`` (one ending in "%" has every trailing "%" stripped and is divided by 100; a
    ValueError means "not a number"); if the prediction is a number and the target a non-zero
    number, the relative change ``|p - t| / |t|`` must be at most 5%; otherwise the lower-cased
    strings, as given, must be equal."""
    def as_float(text):
        try:
            return float(text.rstrip("%")) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            return None

    p, t = as_float(prediction), as_float(target)
    if p is not None and t:
        return abs(p - t) / abs(t) <= max_relative_change
    return prediction.lower() == target.lower()


# prediction, target, our verdict, the rule that explains a difference from pix2struct (None: same)
CASES = [
    ("10", "10", True, None),
    ("10.49", "10", True, None),           # 4.9% off
    ("10.6", "10", False, None),           # 6% off
    ("9.5", "10", True, None),             # exactly 5% below
    ("-10.4", "-10", True, None),          # negative target: relative to |target|
    ("-9.4", "-10", False, None),
    ("10", "-10", False, None),
    ("100", "99", True, None),
    ("94", "100", False, None),
    ("95", "100", True, None),
    ("2019", "2018", True, None),          # years are numbers too (a known property of the rule)
    ("1e3", "1000", True, None),
    ("1000", "1e3", True, None),
    ("+5", "5", True, None),
    (".5", "0.5", True, None),
    ("12.", "12", True, None),
    (" 12 ", "12", True, None),            # float() ignores surrounding spaces
    ("0", "0", True, None),
    ("0.01", "0", False, None),
    ("", "0", False, None),
    ("45%", "0.45", True, None),           # x% reads as x/100
    ("44%", "0.45", True, None),
    ("45%", "45%", True, None),
    ("0.05", "5%", True, None),
    ("-5%", "-0.05", True, None),
    ("12 %", "0.12", True, None),
    ("71, 708", "71708", False, None),     # digit groups split by ", " are not one number
    ("1 2", "12", False, None),            # nor by a space
    ("1,23", "123", False, None),          # not a thousands group
    ("1.234,5", "1234.5", False, None),    # decimal commas are not read
    ("42 million", "42", False, None),
    ("inf", "1", False, None),
    ("Blue", "blue", True, None),          # text: equal ignoring case
    ("light blue", "blue", False, None),
    ("Yes", "yes", True, None),
    ("True", "true", True, None),
    ("A", "a", True, None),
    ("B", "A", False, None),
    ("N/A", "n/a", True, None),
    ("1,234", "1234", True, "thousands"),
    ("71,708", "71708", True, "thousands"),
    ("2,019", "2019", True, "thousands"),
    ("1,234,567", "1234567", True, "thousands"),
    ("Blue.", "blue", True, "whitespace"),
    (" blue ", "blue", True, "whitespace"),
    ("**42**", "42", True, "whitespace"),
    ("`42`", "42", True, "whitespace"),
    ("0.0", "0", True, "zero-target"),
    ("-0", "0", True, "zero-target"),
    ("0", "0.0", True, "zero-target"),
    ("45", "45%", True, "percent"),
    ("45%", "45", True, "percent"),
    ("5", "5%", True, "percent"),
    ("5%%", "0.05", False, "percent"),     # one trailing "%" only
    ("$12.0", "12", True, "currency"),
    ("$-5", "-5", True, "currency"),
    ("nan", "nan", True, "non-finite"),
    ("inf", "inf", True, "non-finite"),
    ("Infinity", "infinity", True, "non-finite"),
    ("1_000", "1000", False, "underscore"),
    ("3/4", "0.75", True, "fraction"),
    ("-1/2", "-0.5", True, "fraction"),
]


@pytest.mark.parametrize("prediction,target,ours,rule", CASES)
def test_against_pix2struct(prediction, target, ours, rule):
    got = relaxed_match(prediction, target)
    assert got is ours
    reference = pix2struct_relaxed_correctness(target, prediction)
    if rule is None:
        assert got == reference, "undocumented difference from pix2struct"
    else:
        assert got != reference and rule in RULE_DIFFERENCES


def test_reference_table_covers_every_rule():
    by_rule = collections.Counter(rule or "same" for *_, rule in CASES)
    assert len(CASES) >= 50 and by_rule["same"] >= 35
    assert set(by_rule) - {"same"} == set(RULE_DIFFERENCES)


def test_through_evaluate_load():
    metric = evaluate.load(METRIC)
    preds, refs = [c[0] for c in CASES], [c[1] for c in CASES]
    expected = sum(c[2] for c in CASES) / len(CASES)
    assert metric.compute(predictions=preds, references=refs) == {"relaxed_accuracy": pytest.approx(expected)}
    assert metric.compute(predictions=["10.6"], references=["10"], tolerance=0.1) == {"relaxed_accuracy": 1.0}
    out = metric.compute(predictions=["First add 2 and 3.\nSo the answer is: 5.", "The final answer: 7"],
                         references=["5", "8"], extract_answer=True)
    assert out == {"relaxed_accuracy": 0.5}


def test_to_number():
    assert to_number("12%") == pytest.approx(0.12) and to_number("-$3") == -3.0 and to_number("abc") is None
    assert to_number("1,23") is None and to_number("71, 708") is None and to_number("1 2") is None
