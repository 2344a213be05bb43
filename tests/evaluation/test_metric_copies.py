"""The ``relaxed_accuracy`` metric folder loads standalone (``evaluate.load`` copies only the folder),
so it carries copies of the scoring rules of :mod:`reachqa_builder.scoring`; the copies must stay
byte-identical, or the metric and ``reachqa judge`` / training's rewards would score differently.
(``llm_judge`` imports the foundation's judge instead: no copy.)"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COPIES = [
    ("reachqa_builder/scoring/relaxed_rule.py", "evaluation/metrics/relaxed_accuracy/relaxed_rule.py"),
    ("reachqa_builder/scoring/answer_extraction.py", "evaluation/metrics/relaxed_accuracy/answer_extraction.py"),
]


@pytest.mark.parametrize("home, copy", COPIES)
def test_metric_folder_copy_is_identical(home, copy):
    assert (ROOT / copy).read_bytes() == (ROOT / home).read_bytes(), (
        f"{copy} differs from {home}: edit {home} and copy it over")
