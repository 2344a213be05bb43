"""Pulling chart code out of a model reply and checking its shape."""

from __future__ import annotations

import re

MIN_LINES, MAX_LINES = 10, 150
_BLOCK = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.S)


class CodeFormatError(ValueError):
    """The reply does not hold exactly one usable code block (message says why)."""


def extract_code(reply: str, min_lines: int = MIN_LINES, max_lines: int = MAX_LINES) -> str:
    """The one Python code block of ``reply``, checked to be ``min_lines``-``max_lines`` lines.

    >>> extract_code("Here:\\n```python\\n" + "x = 1\\n" * 12 + "```")[:5]
    'x = 1'
    """
    blocks = [(lang.lower(), body) for lang, body in _BLOCK.findall(reply or "")]
    blocks = [(lang, body) for lang, body in blocks if lang in ("", "python", "py", "python3")]
    if not blocks:
        raise CodeFormatError("the reply has no ```python code block")
    if len(blocks) > 1:
        raise CodeFormatError(f"the reply has {len(blocks)} code blocks; exactly one is required")
    code = blocks[0][1].strip("\n")
    n = len([ln for ln in code.splitlines() if ln.strip()])
    if n < min_lines:
        raise CodeFormatError(f"the script has {n} non-empty lines; at least {min_lines} are required")
    if n > max_lines:
        raise CodeFormatError(f"the script has {n} non-empty lines; at most {max_lines} are allowed")
    return code + "\n"
