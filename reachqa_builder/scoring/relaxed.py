"""The ChartQA relaxed-accuracy rule and final-answer extraction, for ``reachqa judge`` and training's rewards.

See :mod:`.relaxed_rule` for the rule and every documented difference from pix2struct's reference
implementation, and :mod:`.answer_extraction` for the extraction rules. The ``relaxed_accuracy``
metric folder carries verbatim copies of both (a metric folder loads on its own, without reachqa);
``tests/evaluation/test_metric_copies.py`` keeps them identical.
"""

from .answer_extraction import EXTRACTION_RULES, extract_final_answer, option_text
from .relaxed_rule import RULE_DIFFERENCES, relaxed_match, to_number

__all__ = ["RULE_DIFFERENCES", "EXTRACTION_RULES", "to_number", "relaxed_match", "extract_final_answer", "option_text"]
