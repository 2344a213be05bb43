"""The final answer of a model's reply, read as a careful reader would (standard library only).

:func:`extract_final_answer` applies the rules of :data:`EXTRACTION_RULES` in this order:

1. ``reasoning`` -- reasoning-model output first: ``<think>...</think>`` blocks are dropped (an
   unclosed ``<think>`` with nothing after it leaves nothing: no answer was given), and the last
   ``<answer>...</answer>`` is the reply from then on.
2. ``boxed`` -- the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced, wins.
3. ``marker`` -- else the text after the last "final answer" marker, then, inside that, after the
   last "the answer is" / "answer:" (so "Final Answer: The answer is 42" gives "42"); markdown
   around the marker (``**Answer**:``, ``**Final Answer:**``) is allowed.
4. ``bullets`` -- a marker ending its line, followed by a list ("- A", "* B", "1. C"), gives the
   items joined by ", "; a reply that is one list item has its mark dropped; on the marker's own
   line "- 35" is a negative number.
5. ``trailing`` -- the answer ends at the end of its sentence: text after ". ", "; ", " because",
   " since", ", which", ", as " is explanation, not answer.
6. ``conclusion`` -- with no marker, the last non-empty line; when that line is a concluding
   sentence ("Therefore, the highest value is 42."), the words after its last "is / are / was /
   equals / =" are the answer.
7. ``latex`` -- ``\\text{}`` / ``\\mathrm{}`` / ``\\textbf{}`` unwrapped, ``\\%`` read as "%",
   ``\\frac{a}{b}`` as "a/b", ``\\,`` and ``\\!`` dropped, ``$...$`` unwrapped.
8. ``brackets`` -- one pair of enclosing brackets around an answer with no comma is dropped
   ("[42]", "(B)", "{7}"); an interval like "[50, 100]" keeps them.
9. ``number-notation`` -- a Unicode minus (U+2212) or dash before a digit reads as "-";
   "1.5 × 10^3", "1.5x10^{3}", "1.5 \\times 10^3" read as "1.5e3"; fractions stay "a/b" (the
   relaxed rule reads them as numbers).
10. ``qualifier`` -- "approximately", "about", "around", "roughly", "nearly", "almost", "~", "≈"
    are dropped only where a number follows ("about 17%" -> "17%", "About the same" stays).
11. ``options`` -- with ``choices`` (MathVista multiple choice), an option letter ("B", "(B)",
    "Option B", "B. text") becomes that option's text; an answer equal to an option's text, ignoring
    case, is that option.
"""

from __future__ import annotations

import re
from typing import Sequence

__all__ = ["EXTRACTION_RULES", "extract_final_answer", "option_text"]

EXTRACTION_RULES = {
    "reasoning": "<think> blocks dropped; the last <answer>...</answer> is the reply",
    "boxed": "the last \\boxed{} / \\fbox{} value",
    "marker": "after the last 'final answer' marker, then after the last 'the answer is' / 'answer:' in it",
    "bullets": "a list after a marker gives its items joined by ', '; a leading list mark is dropped",
    "trailing": "the answer ends with its sentence (explanations after '. ', '; ', 'because' dropped)",
    "conclusion": "no marker: the last line; a concluding sentence gives the words after its last 'is'",
    "latex": "\\text{}, \\mathrm{} unwrapped, \\% as %, \\frac{a}{b} as a/b, $...$ unwrapped",
    "brackets": "one pair of enclosing brackets dropped when the answer has no comma",
    "number-notation": "Unicode minus as '-', 'a x 10^b' as 'aeb'",
    "qualifier": "'about', 'nearly', 'approximately' ... dropped only where a number follows",
    "options": "with choices: an option letter becomes the option's text",
}

_THINK = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_ANSWER_TAG = re.compile(r"<answer>(.*?)(?:</answer>|$)", re.IGNORECASE | re.DOTALL)
_FINAL = re.compile(r"\**[ \t]*final\s+answer[ \t]*(?:is\b)?[ \t]*\**[ \t]*[:：]?[ \t]*\**[ \t]*", re.IGNORECASE)
_ANSWER = re.compile(r"\**[ \t]*\b(?:the\s+)?(?:correct\s+)?answer[ \t]*\**[ \t]*(?:is\b[ \t]*\**[ \t]*[:：]?|[:：])"
                     r"[ \t]*\**[ \t]*", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
_TRAILING = re.compile(r"(?:\.\s+|;\s+|\s+because\b|\s+since\b|,\s+which\b|,\s+as\b|\s+as shown\b|\s+\(since\b)",
                       re.IGNORECASE)
_CONCLUDING = re.compile(r"^\W*(?:therefore|thus|so|hence|overall|in conclusion|in summary|consequently)\b",
                         re.IGNORECASE)
_COPULA = re.compile(r"\b(?:is|are|was|were|equals|equal to|be)\b\s+|\s=\s*", re.IGNORECASE)
_QUALIFIER = re.compile(r"^(?:approximately|approx\.?|about|around|roughly|nearly|almost|~|≈)\s*(?=[-+−$]?\.?\d)",
                        re.IGNORECASE)
_TIMES_TEN = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(?:[x×*]|\\times|\\cdot|·)\s*10\s*\^\s*\{?\s*([-+−]?\d+)\s*\}?$")
_LATEX_WRAP = re.compile(r"\\(?:text|mathrm|textbf|mathbf|textit|operatorname)\s*\{([^{}]*)\}")
_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]+)\}\s*\{([^{}]+)\}")
_OPTION = re.compile(r"^(?:option\s+|choice\s+)?\(?([A-Za-z])\)?(?:[.:)]\s*.*)?$", re.IGNORECASE)


def _last_braced(text: str, commands: Sequence[str]) -> str | None:
    starts = [(text.rfind(c + "{"), c) for c in commands]
    start, cmd = max(starts)
    if start < 0:
        return None
    depth, i = 0, start + len(cmd)
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1:j]
    return None


def _after_last(pattern: re.Pattern, text: str) -> str | None:
    ends = [m.end() for m in pattern.finditer(text)]
    return text[ends[-1]:] if ends else None


def _first_line_or_list(rest: str) -> str:
    """The rest of the marker's line; when that is empty, the list (or line) that follows."""
    lines = rest.lstrip(" \t").splitlines()
    if not lines:
        return ""
    first = lines[0].strip()
    if first:  # on the marker's line: "7. Then ..." is a sentence, "- 35" a negative number
        return first
    items = []
    for ln in lines[1:]:
        if not ln.strip():
            if items:
                break
            continue
        if not _LIST_MARK.match(ln):
            break
        items.append(_LIST_MARK.sub("", ln).strip())
    return ", ".join(items) if items else first


def _cut_trailing(answer: str) -> str:
    m = _TRAILING.search(answer)
    return answer[:m.start()] if m else answer


def _latex(a: str) -> str:
    for _ in range(3):
        a = _LATEX_WRAP.sub(r"\1", a)
    a = _FRAC.sub(r"\1/\2", a)
    a = a.replace("\\%", "%").replace("\\$", "$").replace("\\,", "").replace("\\!", "").replace("\\;", " ")
    a = a.strip()
    if len(a) > 2 and a.startswith("$") and a.endswith("$"):
        a = a.strip("$").strip()
    if a.startswith("\\(") and a.endswith("\\)"):
        a = a[2:-2].strip()
    return a


def _strip(a: str) -> str:
    a = a.strip().strip("*`_").strip()
    if a.endswith(".") and not a.endswith(".."):
        a = a[:-1].rstrip()
    return a.strip().strip("*`\"'").strip()


def _brackets(a: str) -> str:
    pairs = {"[": "]", "(": ")", "{": "}", "【": "】", "「": "」"}
    if len(a) > 2 and a[0] in pairs and a[-1] == pairs[a[0]] and "," not in a:
        inner = a[1:-1]
        if a[0] not in inner and pairs[a[0]] not in inner:
            return inner.strip()
    return a


def _numbers(a: str) -> str:
    a = re.sub(r"[−–—](?=\s?\d)", "-", a)
    a = re.sub(r"^-\s+(?=\d)", "-", a)
    m = _TIMES_TEN.match(a)
    if m:
        a = f"{m.group(1)}e{m.group(2).replace('−', '-')}"
    return a


def option_text(answer: str, choices: Sequence[str] | None) -> str:
    """The option ``answer`` names (by letter or by its text), else ``answer`` unchanged."""
    if not choices:
        return answer
    texts = [str(c) for c in choices]
    for t in texts:
        if answer.strip().lower() == t.strip().lower():
            return t
    m = _OPTION.match(answer.strip())
    if m:
        k = ord(m.group(1).upper()) - ord("A")
        if 0 <= k < len(texts) and (len(answer.strip()) <= 3 or re.match(r"(?i)^(option|choice)\b|^\(?[A-Z][.:)]",
                                                                          answer.strip())):
            return texts[k]
    return answer


def _tidy(a: str) -> str:
    a = _strip(_latex(_strip(a)))
    a = _brackets(a)
    a = _numbers(a)
    a = _QUALIFIER.sub("", a)
    return _strip(_numbers(a))


def extract_final_answer(text: object, choices: Sequence[str] | None = None) -> str:
    """The short final answer in ``text`` (see the module docstring for the rules, in order);
    ``choices``: the options of a multiple-choice question, so a letter maps to its text."""
    text = str(text or "").strip()
    text = _THINK.sub("", text)
    if re.search(r"<think>", text, re.IGNORECASE):  # an unclosed think block: reasoning cut off
        text = text[:re.search(r"<think>", text, re.IGNORECASE).start()]
    tagged = _ANSWER_TAG.findall(text)
    if tagged:
        text = tagged[-1]
    text = text.strip()
    boxed = _last_braced(text, ("\\boxed", "\\fbox"))
    if boxed is not None:
        return option_text(_tidy(boxed), choices)
    rest = _after_last(_FINAL, text)
    if rest is not None:
        inner = _after_last(_ANSWER, _first_line_or_list(rest)) if _ANSWER.search(rest) else None
        answer = _first_line_or_list(inner if inner is not None else rest)
        return option_text(_tidy(_cut_trailing(answer)), choices)
    rest = _after_last(_ANSWER, text)
    if rest is not None:
        return option_text(_tidy(_cut_trailing(_first_line_or_list(rest))), choices)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    last = _LIST_MARK.sub("", lines[-1]).strip()
    if _CONCLUDING.match(last):
        sentence = re.split(r"(?<=[.!?])\s+", last.rstrip(". "))[-1] if ". " in last else last
        parts = list(_COPULA.finditer(sentence))
        if parts:
            last = sentence[parts[-1].end():]
    return option_text(_tidy(last), choices)
