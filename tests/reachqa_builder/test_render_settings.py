"""One declaration per render setting: every command and config that renders takes its defaults from
:class:`reachqa_builder.render.settings.RenderSettings`; the one named exception is infer / evaluate's
render environment (``evaluation.cli.BENCHMARK_RENDER_ENV``)."""

from __future__ import annotations

import pytest

from reachqa_builder.cli import build_parser
from reachqa_builder.render.settings import DEFAULT_DPI, DEFAULT_ENV, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, RenderSettings


def subparser(name: str):
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices[name]


def defaults(name: str, *positional: str) -> dict:
    return vars(subparser(name).parse_args(list(positional)))


def test_render_settings_defaults_are_the_named_ones():
    s = RenderSettings()
    assert (s.env, s.dpi, s.timeout, s.memory_mb, s.workers, s.cache) == (
        DEFAULT_ENV, DEFAULT_DPI, DEFAULT_TIMEOUT, DEFAULT_MEMORY_MB, None, True)


def test_render_command_flags_come_from_render_settings():
    got = defaults("render", "code", "out")
    assert (got["env"], got["dpi"], got["timeout"], got["memory_mb"]) == (
        DEFAULT_ENV, DEFAULT_DPI, DEFAULT_TIMEOUT, DEFAULT_MEMORY_MB)


@pytest.mark.parametrize("command, positional", [("lint", ["data"]), ("decontaminate", ["data"])])
def test_checking_commands_share_the_render_defaults(command, positional):
    got = defaults(command, *positional)
    assert got["render_env"] == DEFAULT_ENV
    assert got.get("timeout", DEFAULT_TIMEOUT) == DEFAULT_TIMEOUT


def test_configs_that_render_use_the_same_defaults():
    from reachqa_builder.render import render_scripts
    from reachqa_builder.settings import BuildSettings
    from synthesis.config import SynthesisConfig
    from training.config import DataArguments

    import inspect

    build = BuildSettings()
    # build's env default is None: the env a synthesized folder records, else DEFAULT_ENV
    assert (build.render_env, build.dpi, build.render_timeout) == (None, DEFAULT_DPI, DEFAULT_TIMEOUT)
    from reachqa_builder.generation import resolve_render_env
    assert resolve_render_env(None, []) == DEFAULT_ENV
    synth = SynthesisConfig.__dataclass_fields__
    assert (synth["render_env"].default, synth["render_timeout"].default) == (DEFAULT_ENV, DEFAULT_TIMEOUT)
    assert DataArguments.__dataclass_fields__["render_env"].default == DEFAULT_ENV
    params = inspect.signature(render_scripts).parameters
    assert [params[k].default for k in ("env", "dpi", "timeout", "memory_mb")] == [
        DEFAULT_ENV, DEFAULT_DPI, DEFAULT_TIMEOUT, DEFAULT_MEMORY_MB]


def test_inference_render_env_is_the_named_exception():
    from evaluation.cli import BENCHMARK_RENDER_ENV

    assert defaults("infer", "--model", "m", "--benchmarks", "reachqa", "--out", "o")["render_env"] == BENCHMARK_RENDER_ENV
