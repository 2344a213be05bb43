"""``reachqa render`` and ``reachqa env``: command-line front ends of the renderer."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..cli_flags import add_dataclass_flags, dataclass_from_args
from .settings import RenderSettings


@dataclass
class RenderFlags(RenderSettings):
    """The settings of ``reachqa render``: :class:`RenderSettings` plus running without the sandbox."""

    unsafe_no_sandbox: bool = field(default=False, metadata={
        "help": "render even without bubblewrap: scripts can then read and write your files and use the "
                "network (only for code you trust)"})
    ray: Optional[str] = field(default=None, metadata={
        "help": "render on the Ray cluster at ADDRESS (auto, ray://host:port, host:port; needs reachqa[ray]): "
                "--workers is then per node", "metavar": "ADDRESS"})

    def render_options(self) -> dict:
        """The keyword arguments of ``render_scripts``."""
        return {**super().render_options(), "unsafe_no_sandbox": self.unsafe_no_sandbox}


def configure(parser: argparse.ArgumentParser) -> None:
    """Render every chart script (*.py) in a folder to JPEGs plus render_report.jsonl.

    Example:
      reachqa render ../shared/reachqa-data/reachqa_test/code out/ --env current

    Exit status 0 when the renderer worked, even if some scripts failed (see the report);
    non-zero only when it could not work (bad folder, environment unavailable, workers broken).
    """
    parser.add_argument("code_dir", help="folder of chart scripts (*.py)")
    parser.add_argument("out_dir", help="folder for <id>.jpg and render_report.jsonl")
    add_dataclass_flags(parser, RenderFlags)
    parser.set_defaults(run=run_render)


def run_render(args) -> int:
    from . import RenderEnvironmentError, RenderInfrastructureError, SandboxUnavailableError, render_scripts
    from .terminal import printable

    code_dir = Path(args.code_dir)
    if not code_dir.exists():
        print(f"reachqa render: {code_dir} does not exist", file=sys.stderr)
        return 2
    if not code_dir.is_dir():
        print(f"reachqa render: {code_dir} is not a directory", file=sys.stderr)
        return 2
    scripts = sorted(code_dir.glob("*.py"))
    if not scripts:
        print(f"reachqa render: {code_dir} holds no chart scripts (*.py)", file=sys.stderr)
        return 2
    flags = dataclass_from_args(RenderFlags, args)
    try:
        if flags.ray:
            from ..ray_render import RayUnavailableError, render_scripts_ray

            try:
                records = render_scripts_ray(scripts, args.out_dir, address=flags.ray, **flags.render_options())
            except RayUnavailableError as exc:
                print(f"reachqa render: {exc}", file=sys.stderr)
                return 1
        else:
            records = render_scripts(scripts, args.out_dir, **flags.render_options())
    except (RenderEnvironmentError, RenderInfrastructureError, SandboxUnavailableError, NotADirectoryError) as exc:
        print(f"reachqa render: {printable(exc)}", file=sys.stderr)
        return 1
    ok = sum(r.status == "ok" for r in records)
    cached = sum(r.cached for r in records)
    print(f"rendered {ok}/{len(records)} charts ({cached} from cache, {len(records) - ok} failed) "
          f"into {printable(args.out_dir)}; report: {printable(Path(args.out_dir) / 'render_report.jsonl')}")
    kinds = Counter((r.error or "").split(":", 1)[0] for r in records if r.status != "ok")
    for kind, n in kinds.most_common():
        print(f"  {n:5d} x {printable(kind, 80)}")
    from .sandbox import PER_SCRIPT_LIMITS

    print(f"reachqa render: {PER_SCRIPT_LIMITS}", file=sys.stderr)
    return 0


def configure_env(parser: argparse.ArgumentParser) -> None:
    """Manage render environments (create the pinned 'faithful' virtualenv ahead of time).

    Example:
      reachqa env create faithful
      reachqa env path faithful
    """
    parser.add_argument("action", choices=["create", "path"], help="create: build it if missing; path: print its folder")
    parser.add_argument("name", nargs="?", default="faithful", help="environment name (faithful)")
    parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    parser.set_defaults(run=run_env)


def run_env(args) -> int:
    from .envs import RenderEnvironmentError, create_faithful_env, faithful_env_dir

    if args.name != "faithful":
        print(f"reachqa env: only the 'faithful' environment is created by reachqa ('current' is this "
              f"interpreter); got {args.name!r}", file=sys.stderr)
        return 2
    if args.action == "path":
        print(faithful_env_dir())
        return 0
    try:
        print(create_faithful_env(force=args.force))
    except RenderEnvironmentError as exc:
        print(f"reachqa env: {exc}", file=sys.stderr)
        return 1
    return 0
