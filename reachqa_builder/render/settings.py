"""How charts are rendered: :class:`RenderSettings`, the one declaration of every render setting, its
default and its help. Every command's render flags are generated from it (:mod:`reachqa_builder.cli_flags`):
``reachqa render`` (:class:`~.cli.RenderFlags`), the checks and ``reachqa decontaminate``
(:func:`add_render_flags`), ``reachqa synthesize`` (``SynthesisConfig.render``, embedded), infer /
evaluate (the ``env`` field). Settings that must stay flat for their public API (``BuildSettings``,
training's ``DataArguments``) declare their fields with :func:`render_field`, which copies the default,
help and choices from here.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from .envs import ENV_NAMES

__all__ = ["RenderSettings", "DEFAULT_ENV", "DEFAULT_DPI", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB",
           "RENDER_FLAG_ALIASES", "add_render_flags", "render_settings_from_args", "render_field"]

DEFAULT_ENV = "faithful"     # the pinned matplotlib of the released data
DEFAULT_DPI = 200            # the release's JPEG resolution
DEFAULT_TIMEOUT = 60.0       # wall-clock seconds per script
DEFAULT_MEMORY_MB = 4096     # memory per script above the worker baseline


@dataclass
class RenderSettings:
    """How chart scripts are rendered (the options of :func:`reachqa_builder.render.render_scripts`)."""

    env: str = field(default=DEFAULT_ENV, metadata={
        "help": "render environment: faithful (pinned versions of the released data, created on first use) or "
                "current (this interpreter's matplotlib with a compatibility layer)", "choices": ENV_NAMES})
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


    def with_options(self, **options: Any) -> "RenderSettings":
        """A copy with ``render_scripts``-style keyword arguments applied (``use_cache`` is :attr:`cache`)."""
        if "use_cache" in options:
            options["cache"] = options.pop("use_cache")
        return dataclasses.replace(self, **options)


# the spellings commands accepted before their flags were generated (``--workers`` beside ``--render-workers``)
RENDER_FLAG_ALIASES = {"workers": ("--workers",), "timeout": ("--timeout",), "progress": ("--progress",)}


def add_render_flags(parser: argparse.ArgumentParser, title: str) -> None:
    """The render flags of a command that renders to read charts (``reachqa lint`` / ``verify``,
    ``reachqa decontaminate``), one per :class:`RenderSettings` field: ``--render-env``, ``--render-dpi``,
    ``--render-workers`` (``--workers``), ``--render-timeout`` (``--timeout``), ``--render-memory-mb``,
    ``--render-cache-dir``, ``--no-render-cache``, ``--no-render-progress`` (``--no-progress``); read back
    with :func:`render_settings_from_args`."""
    from ..cli_flags import add_dataclass_flags

    add_dataclass_flags(parser.add_argument_group(title), RenderSettings, prefix="render", aliases=RENDER_FLAG_ALIASES)


def render_settings_from_args(args: argparse.Namespace) -> RenderSettings:
    """The :class:`RenderSettings` of flags added by :func:`add_render_flags`."""
    from ..cli_flags import dataclass_from_args

    return dataclass_from_args(RenderSettings, args, prefix="render")


def render_field(name: str, *, note: str = "", flags: tuple[str, ...] = (), **overrides: Any) -> Any:
    """A flat field of another settings dataclass that stands for ``RenderSettings.<name>``: its default,
    help and choices are copied from there (``default=`` overrides the default, ``note`` is appended to
    the help, ``flags`` are extra command-line spellings for :mod:`reachqa_builder.cli_flags`)."""
    source = RenderSettings.__dataclass_fields__[name]
    metadata = {k: source.metadata[k] for k in ("help", "choices") if k in source.metadata}
    if note:
        metadata["help"] = f"{metadata['help']} {note}"
    if flags:
        metadata["flags"] = tuple(flags)
    return field(default=overrides.pop("default", source.default), metadata=metadata, **overrides)
