"""Credentials in URLs never shown or written: ``https://user:KEY@host/v1`` -> ``https://***@host/v1``.

A server address may carry a key in its user-info part (some gateways take it there). Whatever
reachqa prints, logs or writes (summaries, run records, journals, cards, viewer pages) passes URLs
through :func:`redact_urls` first; the address with its credentials is only handed to the HTTP client.

>>> redact_urls("https://user:sk-123@api.example.com/v1")
'https://***@api.example.com/v1'
>>> redact_urls("error at http://k@127.0.0.1:8000/v1/chat: 500")
'error at http://***@127.0.0.1:8000/v1/chat: 500'
>>> redact_urls("http://127.0.0.1:8000/v1")
'http://127.0.0.1:8000/v1'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["redact_urls", "redact_value"]

# scheme://userinfo@ : userinfo has no '/', '?', '#', '@' or white space (RFC 3986)
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s\"'<>]+)@")


def redact_urls(text: str) -> str:
    """``text`` with the user-info of every URL in it replaced by ``***``."""
    if not isinstance(text, str) or "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}***@", text)


def redact_value(value: Any) -> Any:
    """:func:`redact_urls` applied to every string inside ``value`` (dicts, lists, tuples)."""
    if isinstance(value, str):
        return redact_urls(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    return value
