"""The ChartQA relaxed-accuracy rule and final-answer extraction, for ``reachqa judge``.

Both live with the ``relaxed_accuracy`` metric (so the metric folder loads on its own): see
:mod:`evaluation.metrics.relaxed_accuracy.relaxed_rule` for the rule and every documented
difference from pix2struct's reference implementation, and
:mod:`evaluation.metrics.relaxed_accuracy.answer_extraction` for the extraction rules.
"""

from .metrics.relaxed_accuracy.answer_extraction import EXTRACTION_RULES, extract_final_answer, option_text
from .metrics.relaxed_accuracy.relaxed_rule import RULE_DIFFERENCES, relaxed_match, to_number

__all__ = ["RULE_DIFFERENCES", "EXTRACTION_RULES", "to_number", "relaxed_match", "extract_final_answer", "option_text"]
