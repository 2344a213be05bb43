"""Prompt templates of the synthesis pipeline, and the JSON Schemas of the replies we parse.

Templates are the ``*.txt`` files beside this module, filled with :class:`string.Template`
(``$name`` placeholders, so code and JSON braces need no escaping). :data:`PROMPT_VERSION` is a
short hash of every template and of the evolution directions: it goes into each record's
provenance, so a change to any prompt shows up in the data it produced.

Example::

    >>> from synthesis.prompts import render
    >>> "question" in render("qa_check", question="How many?", answer="3")
    True
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from string import Template

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
    h = hashlib.sha256()
    for path in sorted(list(HERE.glob("*.txt")) + list(HERE.glob("*.json"))):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


PROMPT_VERSION = _version()
EVOL_DIRECTIONS: dict[str, str] = json.loads((HERE / "evol_directions.json").read_text(encoding="utf-8"))

RATING_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "score": {"type": "integer", "minimum": 1, "maximum": 5},
    },
    "required": ["reason", "score"],
    "additionalProperties": False,
}

QA_SCHEMA = {
    "type": "object",
    "properties": {
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "question": {"type": "string", "minLength": 1},
                    "steps": {"type": "array", "items": {"type": "string"}},
                    "answer": {"type": "string", "minLength": 1},
                },
                "required": ["question", "steps", "answer"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["questions"],
    "additionalProperties": False,
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
