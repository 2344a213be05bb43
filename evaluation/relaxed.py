"""Moved to :mod:`reachqa_builder.scoring.relaxed` (answer scoring is part of the foundation, shared with training); this alias goes in the next release."""

from reachqa_builder.moved import alias

alias(__name__, "reachqa_builder.scoring.relaxed")
