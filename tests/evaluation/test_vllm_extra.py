"""The ``vllm`` extra: its pin, the recorded PyPI metadata of that release, the project's torch pin
and the install commands shown to users (docs/evaluation.md) agree (the network check itself is
``.ci/check-vllm-env``)."""

from __future__ import annotations

import configparser
import json
import re
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
RECORDED = json.loads((Path(__file__).parent / "data" / "vllm_metadata.json").read_text())


def _extra_pin() -> str:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    (req,) = [Requirement(x) for x in cfg["options.extras_require"]["vllm"].split() if x]
    assert req.name == "vllm" and len(req.specifier) == 1, "pin one vllm release"
    return next(iter(req.specifier)).version


def _ci_torch() -> str:
    return re.search(r"torch==([\d.]+)", (REPO / ".ci" / "setup").read_text()).group(1)


def _documented_commands() -> list[str]:
    """The shell lines of the fenced code blocks of the evaluation manual (what a user copies)."""
    lines, inside = [], False
    for line in (REPO / "docs" / "evaluation.md").read_text().splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside:
            lines.append(line.strip())
    return lines


def test_extra_pin_matches_the_recorded_metadata():
    assert _extra_pin() == RECORDED["vllm"] == RECORDED["separate_env_resolution"]["pins"]["vllm"]


def test_the_documented_vllm_install_matches_the_pin():
    torch_req = next(Requirement(r) for r in RECORDED["requires_dist"] if r.startswith("torch=="))
    commands = _documented_commands()
    if _ci_torch() in torch_req.specifier:  # the release installs beside the project's torch
        assert any("pip install 'reachqa[vllm]'" in c for c in commands)
    else:  # the release pins another torch: a separate environment, with exact commands
        assert "python3 -m venv .venv-vllm" in commands
        assert f".venv-vllm/bin/pip install 'vllm=={_extra_pin()}' -e ." in commands
