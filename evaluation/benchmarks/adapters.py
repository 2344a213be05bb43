"""Imports every built-in benchmark module so its ``@register`` runs."""

from . import chartbench, chartqa, chartx, charxiv, math, reachqa  # noqa: F401
