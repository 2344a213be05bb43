"""One LLM client and one reply cache: outside ``reachqa_builder/llm`` no module makes an ``openai``
client, and none of the foundation, ``evaluation`` (its metric folders included) or ``training``
opens an SQLite file (where a second cache of judge replies would live). Modules are parsed, not
imported, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_layers import imported_names

ROOT = Path(__file__).resolve().parents[1]
HOME = "reachqa_builder/llm"                          # the client (api.py) and its cache (cache.py)
CLIENT_SCOPE = ("reachqa_builder", "synthesis", "training", "evaluation")
CACHE_SCOPE = ("reachqa_builder", "training", "evaluation")
CLIENT_NAMES = {"OpenAI", "AsyncOpenAI", "AzureOpenAI", "AsyncAzureOpenAI"}


def second_clients(root: Path) -> list[str]:
    found = []
    for package in CLIENT_SCOPE:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(HOME + "/"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for line, name in imported_names(tree):
                top = name.split(".")[0]
                if top == "openai":
                    found.append(f"{rel}:{line} imports {name}")
                elif top == "sqlite3" and package in CACHE_SCOPE:
                    found.append(f"{rel}:{line} imports {name}")
            for node in ast.walk(tree):
                used = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
                if used in CLIENT_NAMES:
                    found.append(f"{rel}:{node.lineno} uses {used}")
    return sorted(found)


def test_only_the_foundation_client_talks_to_servers_and_caches_replies():
    assert second_clients(ROOT) == [], "use reachqa_builder.llm (APIClient, ReplyCache) instead"


def test_the_scan_finds_a_second_client_or_cache(tmp_path):
    """What the llm_judge metric had (its own AsyncOpenAI client and SQLite reply store) is found again
    if it comes back, in any form; the foundation's own client is allowed."""
    files = {
        "evaluation/metrics/llm_judge/openai_judge.py":
            "import sqlite3\n\ndef run(url):\n    import openai\n    return openai.AsyncOpenAI(base_url=url)\n",
        "training/rewards.py": "from openai import OpenAI\n",
        "synthesis/stages.py": "import importlib\nclient = importlib.import_module('openai').OpenAI()\n",
        "reachqa_builder/scoring/judge.py": "from sqlite3 import connect\n",
        "reachqa_builder/llm/api.py": "import openai\nclass C(openai.AsyncOpenAI): pass\n",
        "reachqa_builder/llm/cache.py": "import sqlite3\n",
        "synthesis/journal.py": "import sqlite3\n",  # not a reply cache's package: allowed
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert second_clients(tmp_path) == [
        "evaluation/metrics/llm_judge/openai_judge.py:1 imports sqlite3",
        "evaluation/metrics/llm_judge/openai_judge.py:4 imports openai",
        "evaluation/metrics/llm_judge/openai_judge.py:5 uses AsyncOpenAI",
        "reachqa_builder/scoring/judge.py:1 imports sqlite3",
        "synthesis/stages.py:2 imports openai",
        "synthesis/stages.py:2 uses OpenAI",
        "training/rewards.py:1 imports openai",
    ]


def test_commands_that_reach_a_model_server_take_their_client_flags_from_apiconfig(monkeypatch):
    """`reachqa infer` (openai engine) and `reachqa verify --model` name the server with flags made from
    APIConfig's fields: the same help, the same defaults ($OPENAI_BASE_URL resolved when the client
    is made, not frozen into the parser)."""
    import dataclasses

    from reachqa_builder.cli import build_parser
    from reachqa_builder.llm.api_config import APIConfig

    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    fields = {f.name: f for f in dataclasses.fields(APIConfig)}
    for command, dests in (("infer", {"base_url": "base_url", "concurrency": "concurrency", "api_key": "api_key"}),
                           ("verify", {"base_url": "api_base_url", "concurrency": "api_concurrency",
                                       "api_key": "api_key"})):
        actions = {a.dest: a for a in commands[command]._actions}
        for name, dest in dests.items():
            action = actions[dest]
            assert action.help.startswith(fields[name].metadata["help"]), (command, name)
            assert action.default == fields[name].default, (command, name)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    args = commands["infer"].parse_args(["--model", "m", "--benchmarks", "chartqa", "--out", "o", "--engine", "openai"])
    assert APIConfig(base_url=args.base_url).base_url == "http://127.0.0.1:9/v1"
