"""`reachqa convert` finds its converters by module name: a remote-code model family adds one
``training/convert_<name>.py`` and no registration anywhere else."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import training
from training import convert

TOY = '''
"""A toy converter: copies SRC to OUT."""
import shutil

FORMAT = "toyfamily"
HELP = "a toy remote-code family -> its native class"


def configure_format(parser):
    parser.add_argument("src")
    parser.add_argument("out")
    parser.set_defaults(run=lambda args: shutil.copytree(args.src, args.out) and 0)
'''


def test_a_converter_module_is_the_whole_registration(tmp_path, monkeypatch):
    """A ``convert_*`` module on the package path becomes a ``reachqa convert`` format, runs, and
    the built-in converter stays listed beside it."""
    (tmp_path / "convert_toyfamily.py").write_text(textwrap.dedent(TOY))
    monkeypatch.setattr(training, "__path__", [*training.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "training.convert_toyfamily", raising=False)
    import argparse

    parser = argparse.ArgumentParser(prog="reachqa convert")
    convert.configure(parser)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "config.json").write_text("{}")
    args = parser.parse_args(["toyfamily", str(tmp_path / "src"), str(tmp_path / "out")])
    args.run(args)
    assert (tmp_path / "out" / "config.json").read_text() == "{}"
    assert {m.FORMAT for m in convert.converter_modules()} == {"internvl2", "toyfamily"}


def test_a_converter_module_without_its_names_is_named_in_the_error(tmp_path, monkeypatch):
    (tmp_path / "convert_broken.py").write_text("HELP = 'x'\n")
    monkeypatch.setattr(training, "__path__", [*training.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "training.convert_broken", raising=False)
    import argparse

    try:
        convert.configure(argparse.ArgumentParser())
    except AttributeError as exc:
        assert "training.convert_broken" in str(exc) and "FORMAT" in str(exc) and "configure_format" in str(exc)
    else:
        raise AssertionError("a converter module without FORMAT was accepted")


def test_reachqa_convert_lists_the_internvl2_converter():
    out = subprocess.run([sys.executable, "-m", "reachqa_builder.cli", "convert", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "internvl2" in out.stdout, out.stderr
