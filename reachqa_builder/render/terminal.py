"""Text a chart script chooses (error messages, class names, ids, file names) made safe to print.

A script controls its exception's class name and message, and a CODE_DIR's file names are
whatever the folder holds: printed raw, escape sequences in them could set the window title,
write the clipboard (OSC 52), move the cursor or forge earlier lines. :func:`printable` turns every
control character (C0, DEL, C1) and the Unicode bidirectional overrides into a visible escape.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, limit: int | None = None) -> str:
    """``str(text)`` with control characters escaped (``\\x1b``, ``\\u202e``), cut to ``limit`` characters."""
    text = str(text)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return _UNSAFE.sub(_escape, text)
