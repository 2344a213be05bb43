"""What the LLM judge is asked and how its replies are read (standard library only).

Two protocols:

* ``paper`` (the default): the ReachQA authors' evaluation. The judge sees the question, the
  ground truth and the model's whole prediction (not the chart); wrong answers, over-answers and
  under-answers get no credit, other forms of the same answer are accepted; it writes a short
  analysis and a ``Correctness: Yes/No`` line; temperature 0, top_p 0.95. A reply without a
  readable verdict is ``invalid`` and counts as not correct over all items (the paper's accuracy).
* ``json``: reachqa's earlier judge: a JSON-schema verdict ``{"analysis", "correct": yes|no}``
  about the final answer only, temperature 0, top_p 1.

Reading a ``paper`` reply (:func:`parse_paper_verdict`): the verdict is the first whole word
``yes`` or ``no`` (any case) on the line of the last ``Correctness:`` marker (or the next line when
the marker ends its line); a marker followed by the template's own "(Yes or No)" is skipped.
Where this differs from the authors' reading (first marker, then the substring "yes", else "no",
anywhere after it) is listed in :data:`PARSING_DIFFERENCES`.

This module is the one place verdicts are asked for and read: ``reachqa judge`` / ``evaluate``,
training's rewards and the ``llm_judge`` metric (through :mod:`.judge`) all use it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["PROTOCOLS", "Protocol", "get_protocol", "parse_paper_verdict", "parse_json_verdict",
           "summarize_verdicts", "PARSING_DIFFERENCES", "VERDICTS"]

VERDICTS = ("correct", "incorrect", "invalid")

PAPER_SYSTEM = "You are an assistant that checks answers to questions about charts."

PAPER_TEMPLATE = """Below are a question about a chart, its ground-truth answer and the prediction of an AI model. \
You are not shown the chart. Decide whether the prediction agrees with the ground truth.
- A wrong answer earns nothing, and so does an answer that gives more than was asked (over-answering) or less \
(under-answering).
- Look at the final answer; the reasoning before it hardly matters.
- The same answer may be expressed differently; some variation is acceptable.

## Question: {question}
## Ground Truth: {answer}
## Prediction: {prediction}

Analyse the prediction briefly first, then give your verdict. Reply in exactly this format:
Analysis: (a brief analysis)
Correctness: (Yes or No)"""

JSON_SYSTEM = "You grade answers to questions about charts. You are strict, brief and consistent."

JSON_TEMPLATE = """A model answered a question about a chart. You cannot see the chart. Decide whether the \
model's final answer agrees with the ground truth.

Rules:
- Only the final answer matters; do not grade the reasoning steps.
- Different wording, units written out, or rounding consistent with the ground truth are fine.
- A final answer that is wrong, missing, hedged between options, or that adds claims contradicting \
the ground truth is not correct.

Question: {question}
Ground truth: {answer}
Model answer: {prediction}

Reply with JSON: "analysis" (one or two sentences comparing the final answer with the ground truth) \
and "correct" ("yes" or "no")."""

# No enum on "correct": a server that does not enforce schemas may write "Yes"; the reader below
# accepts any case, and anything else is an invalid verdict (counted, never guessed).
JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"analysis": {"type": "string"},
                   "correct": {"type": "string", "description": "yes or no"}},
    "required": ["analysis", "correct"],
    "additionalProperties": False,
}

_MARKER = re.compile(r"correctness\s*:", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+")

PARSING_DIFFERENCES = {
    "first-word": "the first whole word yes/no on the verdict line decides (the authors: 'yes' anywhere after "
                  "the marker wins over 'no', so 'Correctness: No. A yes would need ...' reads as Yes)",
    "whole-word": "yes/no must be whole words ('Not correct', 'Nope', 'unknown' are invalid; the authors read "
                  "them as No because they contain 'no')",
    "last-marker": "the last 'Correctness:' line counts and a template echo '(Yes or No)' is skipped (the "
                   "authors read the first marker, so an echoed template line reads as Yes)",
    "verdict-line": "only the verdict line is read (the authors read everything after the marker, so "
                    "'Correctness: invalid reply\\n... yes ...' reads as Yes)",
}


def _verdict_line(rest: str) -> str:
    lines = rest.split("\n")
    first = lines[0]
    if first.strip(" \t*_`'\"") or len(lines) == 1:
        return first
    return next((ln for ln in lines[1:] if ln.strip()), "")


def parse_paper_verdict(text: str) -> str:
    """``correct`` / ``incorrect`` / ``invalid`` from a free-text ``paper`` reply (see module doc)."""
    text = str(text or "")
    for m in reversed(list(_MARKER.finditer(text))):
        words = _WORD.findall(_verdict_line(text[m.end():]).lower())
        if words[:3] in (["yes", "or", "no"], ["no", "or", "yes"]):
            continue  # the format line echoed back
        verdict = next((w for w in words if w in ("yes", "no")), None)
        if verdict is None:
            return "invalid"
        return "correct" if verdict == "yes" else "incorrect"
    return "invalid"


def _json_value(text: str) -> Any:
    """The first JSON object in ``text`` (code fences and prose around it are fine), else None."""
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"\{", text)]:
        try:
            value, _ = decoder.raw_decode(text[start:])
            return value
        except ValueError:
            continue
    return None


def parse_json_verdict(reply: Any) -> str:
    """``correct`` / ``incorrect`` / ``invalid`` from a ``json`` reply (parsed dict or text)."""
    value = reply if isinstance(reply, dict) else _json_value(str(reply or ""))
    if not isinstance(value, dict):
        return "invalid"
    raw = value.get("correct")
    if isinstance(raw, bool):
        return "correct" if raw else "incorrect"
    word = str(raw or "").strip().strip(".").lower()
    return {"yes": "correct", "no": "incorrect"}.get(word, "invalid")


def analysis_of(protocol: str, reply: Any) -> str:
    """The judge's explanation in a reply, for the judged.jsonl file."""
    if protocol == "json":
        value = reply if isinstance(reply, dict) else _json_value(str(reply or ""))
        return str(value.get("analysis", "")) if isinstance(value, dict) else ""
    text = str(reply or "")
    m = re.search(r"analysis\s*:\s*(.*?)(?=correctness\s*:|\Z)", text, re.IGNORECASE | re.DOTALL)
    return (m.group(1) if m else text).strip()


@dataclass(frozen=True)
class Protocol:
    """One way of asking the judge.

    Args:
        name: ``paper`` or ``json``.
        system: the system message.
        template: the user message, with ``{question}``, ``{answer}``, ``{prediction}``.
        parse: reply text (or parsed JSON) -> verdict.
        temperature, top_p, max_tokens: sampling settings of every request.
        schema: JSON schema sent as ``response_format`` (``None``: free text).
        description: one line saying what runs, for reports and the metric card.
    """

    name: str
    system: str
    template: str
    parse: Callable[[Any], str]
    temperature: float
    top_p: float
    max_tokens: int
    schema: dict[str, Any] | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def messages(self, question: Any, answer: Any, prediction: Any) -> list[dict[str, str]]:
        user = self.template.format(question=str(question).strip(), answer=str(answer).strip(),
                                    prediction=str(prediction).strip() or "(empty)")
        return [{"role": "system", "content": self.system}, {"role": "user", "content": user}]

    def fingerprint(self, judge_model: str) -> dict[str, Any]:
        """Judge model, protocol and a hash of everything that shapes a verdict."""
        blob = json.dumps({"system": self.system, "template": self.template, "schema": self.schema,
                           "temperature": self.temperature, "top_p": self.top_p}, sort_keys=True)
        return {"judge_model": judge_model, "protocol": self.name,
                "prompt_sha256": hashlib.sha256(blob.encode()).hexdigest()[:16],
                "temperature": self.temperature, "top_p": self.top_p, "description": self.description}


PROTOCOLS: dict[str, Protocol] = {
    "paper": Protocol(
        name="paper", system=PAPER_SYSTEM, template=PAPER_TEMPLATE, parse=parse_paper_verdict,
        temperature=0.0, top_p=0.95, max_tokens=4096,
        description="ReachQA paper protocol: free-text analysis ending in 'Correctness: Yes/No' (read "
                    "case-insensitively); no credit for wrong, over- or under-answers; temperature 0, top_p 0.95; "
                    "accuracy counts invalid verdicts as not correct over all items"),
    "json": Protocol(
        name="json", system=JSON_SYSTEM, template=JSON_TEMPLATE, parse=parse_json_verdict,
        temperature=0.0, top_p=1.0, max_tokens=512, schema=JSON_SCHEMA,
        description="reachqa JSON protocol (not the paper's): JSON-schema verdict {analysis, correct: yes|no} on "
                    "the final answer only; temperature 0, top_p 1"),
}


def get_protocol(name: str) -> Protocol:
    if name not in PROTOCOLS:
        raise ValueError(f"unknown judge protocol {name!r}; choose from {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]


def summarize_verdicts(verdicts: list[str]) -> dict[str, Any]:
    """The paper's accuracy (correct over all items, invalid counted as not correct), the accuracy
    over scored items, and the counts."""
    bad = sorted({v for v in verdicts if v not in VERDICTS})
    if bad:
        raise ValueError(f"unknown verdicts {bad}; expected {VERDICTS}")
    n = len(verdicts)
    correct = sum(v == "correct" for v in verdicts)
    scored = sum(v != "invalid" for v in verdicts)
    return {"accuracy": correct / n if n else None, "accuracy_scored": correct / scored if scored else None,
            "n": n, "correct": correct, "scored": scored, "invalid": n - scored}
