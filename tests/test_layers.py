"""The package layers: ``reachqa_builder`` is the foundation; ``synthesis``, ``training`` and
``evaluation`` import only it, never each other, and the foundation imports none of them.

Every module is parsed (not imported), so a lazy import inside a function counts as much as a
top-level one, and so does ``importlib.import_module("evaluation....")`` with a literal name.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("synthesis", "training", "evaluation")
PACKAGES = ("reachqa_builder",) + PEERS
# the old paths of moved modules: each is an alias of its new home (reachqa_builder.moved)
ALIASES = {"evaluation/inference/api.py", "evaluation/inference/api_config.py", "evaluation/inference/cache.py",
           "evaluation/inference/types.py", "evaluation/judge.py", "evaluation/relaxed.py", "training/native.py",
           "evaluation/verify.py"}


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names.append((node.lineno, node.args[0].value))
    return names


def layer_violations(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for line, name in imported_names(ast.parse(path.read_text(encoding="utf-8"))):
                top = name.split(".")[0]
                if top in PEERS and top != package:
                    found.append(f"{path.relative_to(root)}:{line} imports {name}")
    return found


def test_no_package_imports_a_peer_and_the_foundation_imports_none():
    assert layer_violations(ROOT) == []


def test_the_scan_finds_a_cross_import(tmp_path):
    """The guard fails when a peer import is added (top level, lazy, or through importlib)."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "synthesis" / "a.py").write_text("from evaluation.inference import APIClient\n")
    (tmp_path / "training" / "b.py").write_text("def f():\n    import synthesis.config\n")
    (tmp_path / "reachqa_builder" / "c.py").write_text("import importlib\nimportlib.import_module('training.grpo')\n")
    (tmp_path / "evaluation" / "d.py").write_text("from reachqa_builder.llm import APIClient\n")
    assert layer_violations(tmp_path) == ["reachqa_builder/c.py:2 imports training.grpo",
                                          "synthesis/a.py:1 imports evaluation.inference",
                                          "training/b.py:2 imports synthesis.config"]


@pytest.mark.parametrize("old, new, name", [
    ("evaluation.inference.api", "reachqa_builder.llm.api", "APIClient"),
    ("evaluation.inference.api_config", "reachqa_builder.llm.api_config", "APIConfig"),
    ("evaluation.inference.cache", "reachqa_builder.llm.cache", "ReplyCache"),
    ("evaluation.inference.types", "reachqa_builder.llm.types", "ChatRequest"),
    ("evaluation.judge", "reachqa_builder.scoring.judge", "judge_items"),
    ("evaluation.relaxed", "reachqa_builder.scoring.relaxed", "relaxed_match"),
    ("training.native", "reachqa_builder.processors", "load_processor"),
    ("evaluation.verify", "reachqa_builder.checks.verify", "program_verdicts"),
])
def test_moved_modules_still_import_with_a_deprecation_warning(old, new, name):
    import importlib
    import sys

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert getattr(module, name) is getattr(importlib.import_module(new), name)


def test_client_names_on_the_engines_package_warn_and_are_the_foundation_ones():
    import evaluation.inference
    import reachqa_builder.llm

    with pytest.warns(DeprecationWarning, match="evaluation.inference.APIConfig moved to reachqa_builder.llm"):
        config = evaluation.inference.APIConfig
    assert config is reachqa_builder.llm.APIConfig
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from reachqa_builder.llm import APIClient  # noqa: F401 (the new path does not warn)


def test_alias_files_are_only_aliases():
    """An old path holds nothing but the alias, so no code lives in two places."""
    for rel in sorted(ALIASES):
        text = (ROOT / rel).read_text(encoding="utf-8")
        assert "from reachqa_builder.moved import alias" in text and text.count("\n") <= 6, rel
