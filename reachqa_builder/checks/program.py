"""Answers recomputed by a program: the model-free half of the program check.

An LLM (driven from ``reachqa verify``, :mod:`.verify`) writes a short program
that computes the answer to a question from the data in the chart's code. The program never
runs in this process: :func:`run_programs` sends it through the render sandbox
(:func:`reachqa_builder.render.render_scripts`) with a tail that draws the value of ``answer``
as a figure text, and reads it back from the figure inspection. Results are cached with the
render cache (keyed by the program's text), so a rerun executes nothing again.

:func:`compare_answer` turns the computed value into a verdict: ``supported`` when a number the
stated answer gives is within 5% of the computed number (percent and fraction readings both
count), ``contradicted`` when the stated answer gives numbers and none is; ``not_checkable``
when the program failed, or either side has no number and the texts do not contain each other
(text answers are not judged wrong by a program).
"""

from __future__ import annotations

import re
import tempfile

from ..render.settings import DEFAULT_ENV
from .answers import CONTRADICTED, NOT_CHECKABLE, SUPPORTED, Verdict
from .numbers import find_numbers, relaxed_close

ANSWER_MARK = "REACHQA_ANSWER="
_TAIL = f"""

import matplotlib.pyplot as _reachqa_plt
_reachqa_plt.close("all")
_reachqa_fig = _reachqa_plt.figure(figsize=(4, 1))
_reachqa_fig.text(0.01, 0.5, "{ANSWER_MARK}" + str(answer)[:150])
_reachqa_plt.show()
"""
_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)

PROMPT = """Below is the Python (matplotlib) code of a chart, and a question about the chart.

Write a short Python program that computes the answer to the question from the data in the code.
Copy the data you need from the code into your program, compute the answer, and assign it to a
variable named `answer` (a number where the answer is a number, else a short string). Do not draw
or show anything, do not read or write files, and use only the standard library and numpy.
Reply with the program in one ```python block.

Chart code:
```python
{code}
```

Question: {question}
"""


def program_prompt(code: str, question: str) -> str:
    return PROMPT.format(code=code.strip(), question=question.strip())


def extract_program(reply: str) -> str | None:
    """The last fenced code block of a reply (or the whole reply when it has no fence and parses)."""
    blocks = _FENCE.findall(reply or "")
    if blocks:
        return blocks[-1]
    try:
        compile(reply or "", "<reply>", "exec")
    except SyntaxError:
        return None
    return reply if reply and reply.strip() else None


def wrap_program(program: str) -> str:
    """The program plus a tail that shows ``answer`` as a figure text (how the result comes back)."""
    return program.rstrip() + "\n" + _TAIL


def run_programs(programs: dict[str, str], *, env: str = DEFAULT_ENV, workers: int | None = None,
                 timeout: float = 30.0, cache_dir: str | None = None,
                 progress: bool = False) -> dict[str, tuple[str | None, str | None]]:
    """``{id: (computed answer text or None, problem or None)}``, every program run in the sandbox."""
    from ..render import render_scripts

    with tempfile.TemporaryDirectory(prefix="reachqa-programs-") as tmp:
        records = render_scripts({k: wrap_program(v) for k, v in programs.items()}, tmp, env=env, workers=workers,
                                 timeout=timeout, cache_dir=cache_dir, progress=progress, report=False,
                                 desc="running answer programs", inspect=True)
    out = {}
    for r in records:
        if r.status != "ok":
            out[r.id] = (None, f"the program failed: {r.error}")
            continue
        texts = [t["text"] for t in (r.plotted or {}).get("texts", []) if t["text"].startswith(ANSWER_MARK)]
        out[r.id] = (texts[-1][len(ANSWER_MARK):], None) if texts else (None, "the program showed no answer")
    return out


def compare_answer(stated: str, computed: str | None, problem: str | None = None) -> Verdict:
    """The verdict of a stated answer against a program's computed answer."""
    if computed is None:
        return Verdict(NOT_CHECKABLE, [problem or "no computed answer"], method="program")
    got = find_numbers(computed)
    said = find_numbers(stated)
    if got and said:
        value = got[0].value
        for n in said:
            if any(relaxed_close(reading, value) for reading in n.readings()):
                return Verdict(SUPPORTED, [f"the program computed {computed!r}; the answer states {n.text!r}"],
                               method="program")
        return Verdict(CONTRADICTED, [f"the program computed {computed!r}; the answer states "
                                      f"{', '.join(n.text for n in said)}"], method="program")
    a, c = " ".join(stated.lower().split()), " ".join(computed.lower().split())
    if c and (c in a or (a and a in c)):
        return Verdict(SUPPORTED, [f"the program computed {computed!r}, which the answer states"], method="program")
    return Verdict(NOT_CHECKABLE, [f"the program computed {computed!r}; the answer {stated[:80]!r} is not a number "
                                   "to compare"], method="program")
