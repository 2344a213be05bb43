"""Flags generated from a settings dataclass (reachqa_builder.cli_flags)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Optional

import pytest

from reachqa_builder.cli_flags import add_dataclass_flags, dataclass_from_args


@dataclass
class Settings:
    model: str = field(default="gpt", metadata={"help": "model name"})
    max_retries: int = field(default=3, metadata={"help": "retries", "flags": ("--retries",)})
    timeout: Optional[float] = field(default=None, metadata={"help": "seconds"})
    env: str = field(default="faithful", metadata={"help": "render env", "choices": ("faithful", "current")})
    cache: bool = field(default=True, metadata={"help": "use the cache"})
    verbose: bool = field(default=False, metadata={"help": "say more"})
    rater: list[str] = field(default_factory=list, metadata={"help": "rater; repeat"})
    api_key: Optional[str] = field(default=None, metadata={"help": "key"})


def parse(argv):
    p = argparse.ArgumentParser()
    add_dataclass_flags(p, Settings)
    return dataclass_from_args(Settings, p.parse_args(argv))


def test_defaults_come_from_the_dataclass():
    assert parse([]) == Settings()


def test_types_switches_lists_and_aliases():
    s = parse(["--model", "m", "--retries", "5", "--timeout", "2.5", "--no-cache", "--verbose",
               "--rater", "a", "--rater", "b", "--env", "current"])
    assert s == Settings(model="m", max_retries=5, timeout=2.5, env="current", cache=False, verbose=True,
                         rater=["a", "b"])


def test_choices_are_enforced(capsys):
    with pytest.raises(SystemExit):
        parse(["--env", "other"])
    assert "invalid choice" in capsys.readouterr().err


def test_secret_defaults_are_not_shown_in_help():
    p = argparse.ArgumentParser()
    add_dataclass_flags(p, Settings, defaults={"api_key": "sk-secret"})
    assert "sk-secret" not in p.format_help()
    assert "(default: 3)" in p.format_help()


@dataclass
class Outer:
    name: str = field(default="run", metadata={"help": "run name"})
    inner: Settings = field(default_factory=Settings, metadata={"help": "embedded", "embed": {"exclude": ("api_key",)}})


def test_embedded_dataclass_fields_become_flags_of_the_outer_one():
    p = argparse.ArgumentParser()
    add_dataclass_flags(p, Outer)
    flags = {s for a in p._actions for s in a.option_strings}
    assert {"--name", "--model", "--retries", "--no-cache", "--rater"} <= flags and "--api-key" not in flags
    assert "--inner" not in flags
    assert dataclass_from_args(Outer, p.parse_args([])) == Outer()
    got = dataclass_from_args(Outer, p.parse_args(["--name", "x", "--model", "m", "--no-cache", "--rater", "a"]))
    assert got == Outer(name="x", inner=Settings(model="m", cache=False, rater=["a"]))


def test_an_embedded_field_that_clashes_with_an_outer_one_is_an_error():
    @dataclass
    class Clash:
        model: str = field(default="x", metadata={"help": "again"})
        inner: Settings = field(default_factory=Settings, metadata={"embed": True})

    with pytest.raises(argparse.ArgumentError, match="--model"):
        add_dataclass_flags(argparse.ArgumentParser(), Clash)


def test_an_embedded_dataclass_can_have_its_own_prefix_and_per_field_aliases():
    @dataclass
    class Prefixed:
        model: str = field(default="x", metadata={"help": "the outer model"})
        inner: Settings = field(default_factory=Settings, metadata={"embed": {
            "prefix": "judge", "exclude": ("api_key",), "aliases": {"timeout": ["--timeout"], "cache": ["--cache"]}}})

    p = argparse.ArgumentParser()
    add_dataclass_flags(p, Prefixed)
    flags = {s for a in p._actions for s in a.option_strings}
    assert {"--model", "--judge-model", "--judge-timeout", "--timeout", "--no-judge-cache", "--no-cache"} <= flags
    assert dataclass_from_args(Prefixed, p.parse_args([])) == Prefixed()
    got = dataclass_from_args(Prefixed, p.parse_args(["--model", "a", "--judge-model", "b", "--timeout", "4",
                                                      "--no-cache"]))
    assert got == Prefixed(model="a", inner=Settings(model="b", timeout=4.0, cache=False))
