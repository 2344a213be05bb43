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
import contextlib
import errno
import os
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


# commands that write into --out, and so take its lock (reachqa_builder.lock) for the whole run
LOCKED_COMMANDS = frozenset({"build", "push", "synthesize", "infer", "judge", "evaluate", "view"})


def _add_global_flags(parser: argparse.ArgumentParser) -> None:
    from . import __version__

    parser.add_argument("--version", action="version", version=f"reachqa {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error instead of one line (also $REACHQA_DEBUG=1)")
    parser.add_argument("--wait-lock", action="store_true",
                        help="when another run writes the same --out folder, wait for it instead of refusing "
                             "(also $REACHQA_WAIT_LOCK=1)")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _folder_lock(args):
    """The ``--out`` lock of a writing command (a no-op context for the others)."""
    out = getattr(args, "out", None)
    if args.command not in LOCKED_COMMANDS or not out:
        return contextlib.nullcontext()
    from .lock import FolderLock

    def waiting(line: str) -> None:
        print(f"reachqa {args.command}: {line}", file=sys.stderr, flush=True)

    return FolderLock(out, command=args.command, wait=args.wait_lock or _env_flag("REACHQA_WAIT_LOCK"),
                      on_wait=waiting)


def error_line(exc: BaseException) -> tuple[str, int]:
    """One line for an error that reached :func:`main`, and the exit status: 2 for what the user can
    fix (bad input, a busy or unwritable folder), 1 for a full disk or an unexpected error."""
    from .lock import FolderBusy
    from .redact import redact_urls

    text = " ".join(str(exc).split())
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        where = exc.filename
        return (f"no space left on device{f' writing {where}' if where else ''}: "
                f"{getattr(exc, 'reachqa_hint', 'free some space and run the command again')}"), 1
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and exc.filename:
        return f"cannot write {exc.filename}: {exc.strerror}", 2
    if isinstance(exc, (FolderBusy, OSError, ValueError, LookupError)):
        return redact_urls(text or type(exc).__name__), 2
    return (f"{type(exc).__name__}: {redact_urls(text)} (unexpected: run with --debug for the traceback)"), 1


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    _add_global_flags(parser)
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help()
        return 2
    debug = args.debug or _env_flag("REACHQA_DEBUG")
    try:
        with _folder_lock(args) as lock:
            if lock is not None and lock.stale:
                print(f"reachqa {args.command}: note: the lock of {args.out} named pid {lock.stale.get('pid')} "
                      f"(started {lock.stale.get('started')}), which is no longer running: taken over",
                      file=sys.stderr)
            return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line per error; --debug shows the traceback
        if debug:
            raise
        line, code = error_line(exc)
        print(f"reachqa {args.command}: error: {line}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
