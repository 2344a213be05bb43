"""Moved to :mod:`reachqa_builder.checks.verify` (the command uses only the foundation: its checks
and its client); this alias goes in the next release."""

from reachqa_builder.moved import alias

alias(__name__, "reachqa_builder.checks.verify")
