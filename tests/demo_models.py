"""The stand-in models: :mod:`reachqa_builder.demo.models` (installed with the package)."""

from reachqa_builder.demo.models import *  # noqa: F401,F403
