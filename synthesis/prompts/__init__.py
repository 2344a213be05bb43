"""Prompt templates of the synthesis pipeline, and the JSON Schemas of the replies we parse.

Templates are the ``*.txt`` files beside this module, filled with :class:`string.Template`
(``$name`` placeholders, so code and JSON braces need no escaping). :data:`PROMPT_VERSION` is a
short hash of every template, the evolution directions and the chart notes: it goes into each record's
provenance, so a change to any prompt shows up in the data it produced.

Example::

    >>> from synthesis.prompts import render
    >>> "Question: How many?" in render("qa_check", question="How many?", answer="3", reply_format="")
    True
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from string import Template

from reachqa_builder.taxonomy import CHART_NOTES  # read from here by the stages

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def template(name: str) -> Template:
    path = HERE / f"{name}.txt"
    if not path.is_file():
        valid = ", ".join(sorted(p.stem for p in HERE.glob("*.txt")))
        raise KeyError(f"no prompt template {name!r}; templates: {valid}")
    return Template(path.read_text(encoding="utf-8").strip())


def render(name: str, **values) -> str:
    """Fill template ``name``; a missing value raises ``KeyError`` naming it."""
    return template(name).substitute(**{k: str(v) for k, v in values.items()})


def _version() -> str:
    """A hash of every prompt text: the templates beside this module and the chart notes of the
    foundation's chart-type table (hashed as ``chart_notes.json``, indented JSON, so a change to a
    row's type or order alone leaves the version as it was)."""
    parts = {p.name: p.read_bytes() for p in list(HERE.glob("*.txt")) + list(HERE.glob("*.json"))}
    parts["chart_notes.json"] = (json.dumps(CHART_NOTES, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    h = hashlib.sha256()
    for name in sorted(parts):
        h.update(name.encode())
        h.update(b"\0")
        h.update(parts[name])
        h.update(b"\0")
    return h.hexdigest()[:12]


PROMPT_VERSION = _version()
EVOL_DIRECTIONS: dict[str, str] = json.loads((HERE / "evol_directions.json").read_text(encoding="utf-8"))

# the Q&A types as the released data labels them, with their question template and exam framing
QA_TYPES = {
    "Recognizing": ("qa_questions_recognizing", "primary-school mathematics examination, where pupils show that they can read a chart"),
    "Reasoning": ("qa_questions_reasoning", "university entrance examination"),
}


def demo_heading(n: int) -> str:
    """``Three example scripts`` for 3 demos: the heading says how many the prompt really holds."""
    words = ["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]
    count = words[n] if n < len(words) else str(n)
    return f"{count} example script{'' if n == 1 else 's'}"


def chart_note(minor_type: str) -> str:
    """The numbered drawing tips for ``minor_type`` (6-9 per type)."""
    tips = CHART_NOTES.get(minor_type)
    if tips is None:
        raise KeyError(f"no drawing tips for chart type {minor_type!r}")
    return f"Tips for drawing a {minor_type}:\n" + "".join(f"{k}. {t}\n" for k, t in enumerate(tips, start=1))


# -- replies as free text (the paper) -------------------------------------------------------

RATING_TEXT_FORMAT = ("Score the chart on this scale. Give a short analysis, then one whole number. Use exactly this "
                      "format:\nAnalysis: (your analysis)\nRating: (an integer from 1 to 5)")
RATING_JSON_FORMAT = ('Score the chart on this scale. Reply with a JSON object with the fields "reason" (a short '
                      'analysis) and "score" (an integer from 1 to 5).')
CHECK_TEXT_FORMAT = ("Give a short analysis, then decide whether this example should be kept. Use exactly this "
                     "format:\nAnalysis: (your analysis)\nDecision: (yes/no)")
CHECK_JSON_FORMAT = ('Give a short analysis and decide whether this example should be kept. Reply with a JSON object '
                     'with the fields "reason" (the analysis) and "verdict" ("accept" to keep it, "reject" to drop it).')

_RATING = re.compile(r"Rating:\s*\**\s*([1-5])\b")
_DECISION = re.compile(r"Decision:\s*\**\s*(yes|no)\b", re.I)


def parse_rating(text: str) -> tuple[int, str]:
    """``(score, analysis)`` of a free-text rating; an unparsable reply scores 0 (the paper's rule)."""
    m = _RATING.search(text or "")
    return (int(m.group(1)) if m else 0), (text or "").strip()[:2000]


def parse_decision(text: str) -> tuple[str | None, str]:
    """``("accept" | "reject" | None, analysis)`` of a free-text check; ``None`` when unparsable."""
    m = _DECISION.search(text or "")
    verdict = None if m is None else ("accept" if m.group(1).lower() == "yes" else "reject")
    return verdict, (text or "").strip()[:2000]


RATING_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["reason", "score"],
    "additionalProperties": False,
}

QUESTIONS_SCHEMA = {
    "type": "object",
    "properties": {"question_list": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}},
    "required": ["question_list"],
}

ANSWER_SCHEMA = {
    "type": "object",
    "properties": {
        "analysis": {"type": "string"},
        "answer": {"type": "string", "minLength": 1},
        "concise_answer": {"type": "string"},
    },
    "required": ["analysis", "answer"],
}

CHECK_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "verdict": {"type": "string", "enum": ["accept", "reject"]},
    },
    "required": ["reason", "verdict"],
    "additionalProperties": False,
}
