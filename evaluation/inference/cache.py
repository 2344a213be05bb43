"""Moved to :mod:`reachqa_builder.llm.cache` (the LLM client is part of the foundation); this alias goes in the next release."""

from reachqa_builder.moved import alias

alias(__name__, "reachqa_builder.llm.cache")
