"""How charts are rendered: :class:`RenderSettings`, the one declaration of every render setting and
its default. Commands build their flags from it (``reachqa render``: :class:`~.cli.RenderFlags`; the
checks and ``reachqa decontaminate``: :func:`add_render_flags`); the dataset builder, synthesis and
training name the same defaults.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Optional

from .envs import ENV_NAMES

__all__ = ["RenderSettings", "DEFAULT_ENV", "DEFAULT_DPI", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB",
           "add_render_flags", "render_settings_from_args"]

DEFAULT_ENV = "faithful"     # the pinned matplotlib of the released data
DEFAULT_DPI = 200            # the release's JPEG resolution
DEFAULT_TIMEOUT = 60.0       # wall-clock seconds per script
DEFAULT_MEMORY_MB = 4096     # memory per script above the worker baseline


@dataclass
class RenderSettings:
    """How chart scripts are rendered (the options of :func:`reachqa_builder.render.render_scripts`)."""

    env: str = field(default=DEFAULT_ENV, metadata={
        "help": "faithful (pinned versions of the released data, created on first use) or current (this "
                "interpreter's matplotlib with a compatibility layer)"})
    dpi: int = field(default=DEFAULT_DPI, metadata={"help": "resolution of the saved JPEG"})
    workers: Optional[int] = field(default=None, metadata={"help": "warm render workers (default: CPU count)"})
    timeout: float = field(default=DEFAULT_TIMEOUT, metadata={"help": "wall-clock seconds per script"})
    memory_mb: int = field(default=DEFAULT_MEMORY_MB, metadata={"help": "memory per script above the worker baseline"})
    cache_dir: Optional[str] = field(default=None, metadata={
        "help": "render cache folder (default $REACHQA_RENDER_CACHE or ~/.cache/reachqa/renders)"})
    cache: bool = field(default=True, metadata={"help": "read and write the render cache"})
    progress: bool = field(default=True, metadata={"help": "the progress bar"})

    def render_options(self) -> dict:
        """The keyword arguments of ``render_scripts``."""
        return {"env": self.env, "dpi": self.dpi, "workers": self.workers, "timeout": self.timeout,
                "memory_mb": self.memory_mb, "cache_dir": self.cache_dir, "use_cache": self.cache,
                "progress": self.progress}


def add_render_flags(parser: argparse.ArgumentParser, title: str, *, timeout: bool = True) -> None:
    """The rendering flags of commands that render to read charts (``reachqa lint`` / ``verify``,
    ``reachqa decontaminate``): ``--render-env``, ``--render-cache-dir``, ``--workers``, ``--timeout``,
    ``--no-progress``; read back with :func:`render_settings_from_args`."""
    g = parser.add_argument_group(title)
    g.add_argument("--render-env", choices=ENV_NAMES, default=DEFAULT_ENV,
                   help=f"render environment (default: {DEFAULT_ENV}, the pinned matplotlib of the release)")
    g.add_argument("--render-cache-dir", help="render cache folder (default: the renderer's own)")
    g.add_argument("--workers", type=int, help="render workers (default: CPU count)")
    if timeout:
        g.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                       help=f"seconds per script (default {DEFAULT_TIMEOUT:g})")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")


def render_settings_from_args(args: argparse.Namespace) -> RenderSettings:
    return RenderSettings(env=args.render_env, workers=args.workers, timeout=getattr(args, "timeout", DEFAULT_TIMEOUT),
                          cache_dir=args.render_cache_dir, progress=not args.no_progress)
