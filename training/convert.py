"""``reachqa convert FORMAT SRC OUT``: remote-code checkpoints as native transformers checkpoints.

Each converter is its own module ``training/convert_<name>.py`` that defines ``FORMAT`` (the
sub-command), ``HELP`` (its one-line help) and ``configure_format(parser)`` (its flags and
``run``); this command finds them by name, so a model family that needs a converter adds one
module and nothing else. Converter modules import their heavy dependencies inside ``run`` so that
``reachqa convert --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import training


def converter_modules() -> list:
    """The ``convert_*`` modules of the ``training`` package, by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(training.__path__) if m.name.startswith("convert_"))
    return [importlib.import_module(f"training.{name}") for name in names]


def configure(parser: argparse.ArgumentParser) -> None:
    """Convert a remote-code checkpoint to a native transformers checkpoint."""
    sub = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    for module in converter_modules():
        missing = [a for a in ("FORMAT", "HELP", "configure_format") if not hasattr(module, a)]
        if missing:
            raise AttributeError(f"{module.__name__} is a converter module (convert_*) without {', '.join(missing)}")
        module.configure_format(sub.add_parser(
            module.FORMAT, help=module.HELP, description=(module.__doc__ or "").strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter))
