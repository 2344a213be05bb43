"""What the viewer shows, independent of where it came from: charts with their Q&A.

Readers (:mod:`.sources`) turn a built dataset folder or a ReachQA-layout folder (synthesis
output) into :class:`ChartView` and :class:`QAView` records; :mod:`.site` writes them out.
Columns a reader does not know (lint flags, verification results, rater scores added by other
tools) are kept in ``fields`` and shown generically: filters for them appear when present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# "The final answer is X." (synthesis) or "Answer: X" at the end of a detailed answer
_FINAL = re.compile(r"(?:the final answer is|final answer:|answer:)\s*(?P<a>.+?)\s*\.?\s*$", re.I | re.S)


@dataclass
class ChartView:
    """One chart: metadata, code, where its image bytes come from, provenance, extra fields."""

    id: str
    split: str
    image: str = ""  # sha256 of the image in the site's image store; "" when there is none
    major_chart_type: str = ""
    minor_chart_type: str = ""
    level: str = ""
    plot_model: str = ""
    code: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class QAView:
    """One question about a chart; ``concise`` is the short answer where one is known."""

    id: str
    chart_id: str
    question: str
    answer: str
    concise: str = ""
    qa_type: str = ""
    qa_model: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    split: str = ""  # the chart's split where the source says it ("" = look the chart up by id alone)


def concise_answer(answer: str, final_answer: str | None = None) -> str:
    """The short answer: ``final_answer`` when given, else what follows "The final answer is" / "Answer:".

    Empty when the answer has no such marker (the released test answers are already short).
    """
    if final_answer:
        return str(final_answer).strip()
    m = _FINAL.search(answer.strip().splitlines()[-1] if answer.strip() else "")
    return m["a"].strip() if m else ""
