"""`reachqa --help` and `reachqa CMD --help` start fast: none of torch, transformers, numpy, aiohttp is imported
(a command loads its heavy modules only when it runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from importlib.metadata import entry_points

import pytest

from reachqa_builder.cli import COMMAND_GROUP

HEAVY = ("torch", "transformers", "numpy", "aiohttp")
COMMANDS = sorted(ep.name for ep in entry_points(group=COMMAND_GROUP))

_PROBE = """
import json, sys
from reachqa_builder.cli import main
try:
    status = main(sys.argv[1:])
except SystemExit as exc:
    status = exc.code
print(json.dumps({"status": status, "heavy": [m for m in %r if m in sys.modules]}))
""" % (HEAVY,)


def _help(*argv: str) -> tuple[dict, str]:
    # run outside the checkout, like the installed `reachqa` command (no build metadata from the cwd)
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=300,
                          cwd=tempfile.gettempdir())
    assert done.returncode == 0, done.stderr[-2000:]
    *text, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(text)


def test_every_command_is_listed():
    assert {"render", "build", "train", "judge", "view", "evaluate", "infer", "merge-lora"} <= set(COMMANDS)


def test_top_level_help_imports_neither_torch_nor_transformers():
    result, text = _help("--help")
    assert result == {"status": 0, "heavy": []}
    assert all(name in text for name in COMMANDS) and "unavailable" not in text


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_imports_neither_torch_nor_transformers(command):
    result, text = _help(command, "--help")
    assert result == {"status": 0, "heavy": []}, command
    assert f"reachqa {command}" in text  # its own usage or help, not the top-level one


def test_train_help_all_lists_the_training_arguments_of_transformers():
    result, text = _help("train", "--help-all")
    assert result["status"] == 0 and "transformers" in result["heavy"]
    assert "--learning_rate" in text and "--lora_r" in text and "--config" in text
