"""Where reachqa keeps its caches and environments: ``$REACHQA_HOME`` (default ``~/.cache/reachqa``).

Every default location below it is named here, so one place answers "what does reachqa write where":

* ``envs/``                      render environments (:mod:`reachqa_builder.render.envs`)
* ``renders/``                   the render cache (``$REACHQA_RENDER_CACHE`` overrides it)
* ``mplconfig/``                 matplotlib config folders of the sandbox
* ``judge-cache.sqlite``         the LLM judge's reply cache
* ``checks/program-replies.sqlite``  ``reachqa verify``'s reply cache
* ``benchmark-images/``          rendered benchmark images
* ``viewer-thumbs/``             the viewer's thumbnails
* ``training-renders/``          charts ``reachqa train`` renders from released chart scripts
* ``training-prepare/``          ``reachqa train``'s cached image checks and token counts
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["reachqa_home", "render_cache_root", "judge_cache_path"]


def reachqa_home() -> Path:
    """The root of reachqa's caches: ``$REACHQA_HOME`` or ``~/.cache/reachqa``."""
    return Path(os.environ.get("REACHQA_HOME") or Path.home() / ".cache" / "reachqa")


def render_cache_root() -> Path:
    """The render cache: ``$REACHQA_RENDER_CACHE`` or ``$REACHQA_HOME/renders``."""
    return Path(os.environ.get("REACHQA_RENDER_CACHE") or reachqa_home() / "renders")


def judge_cache_path() -> Path:
    """The LLM judge's reply cache (SQLite): ``$REACHQA_HOME/judge-cache.sqlite``."""
    return reachqa_home() / "judge-cache.sqlite"
