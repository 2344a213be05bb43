"""The ChartQA relaxed-accuracy rule and final-answer extraction, for ``reachqa judge``.

The rule lives with the ``relaxed_accuracy`` metric (so the metric folder loads on its own);
see :mod:`evaluation.metrics.relaxed_accuracy.relaxed_rule` for the rule and every documented
difference from pix2struct's reference implementation.
"""

from .metrics.relaxed_accuracy.relaxed_rule import RULE_DIFFERENCES, extract_final_answer, relaxed_match, to_number

__all__ = ["RULE_DIFFERENCES", "to_number", "relaxed_match", "extract_final_answer"]
