"""The ``reachqa`` command: one entry point, sub-commands discovered from entry points.

Each package of the project registers its sub-commands in ``setup.cfg`` under the entry-point
group ``reachqa.commands``. An entry point names a function ``configure(parser)`` that adds the
sub-command's arguments to an ``argparse`` parser and calls ``parser.set_defaults(run=fn)``,
where ``fn(args) -> int`` runs it and returns the exit status. Discovery through entry points
keeps the dependency arrows one-way: ``reachqa_builder`` never imports ``synthesis``,
``training`` or ``evaluation``.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

COMMAND_GROUP = "reachqa.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reachqa",
        description="Chart reasoning data: render chart code, build datasets, synthesize, train, evaluate.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for ep in sorted(entry_points(group=COMMAND_GROUP), key=lambda e: e.name):
        try:
            configure = ep.load()
        except (ImportError, AttributeError) as exc:  # an optional extra is missing (or stale metadata names a
            # function that moved): show the command, explain on use; the other commands still work
            p = sub.add_parser(ep.name, help=f"(unavailable: {exc})")
            p.set_defaults(run=_unavailable(ep.name, exc))
            continue
        doc = (configure.__doc__ or "").strip().splitlines()
        p = sub.add_parser(ep.name, help=doc[0].replace("%", "%%") if doc else None,
                           description=(configure.__doc__ or "").strip() or None,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        configure(p)
    return parser


def _unavailable(name: str, exc: Exception):
    def run(args) -> int:
        print(f"reachqa {name}: cannot run because an import failed: {exc}", file=sys.stderr)
        return 2

    return run


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
