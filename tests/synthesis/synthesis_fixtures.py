"""Scripted models and command lines shared by the synthesis tests (and the viewer's)."""

from __future__ import annotations

from tests.demo_models import DemoModels, simple_script

OWN_SEEDS = __import__("synthesis.seeds", fromlist=["default_seed_dir"]).default_seed_dir()


def chart_code(tag: str, broken: bool = False) -> str:
    """A small valid matplotlib script (two variants, so the render cache keeps tests fast)."""
    return simple_script(tag, broken=broken)


class ScriptedModels(DemoModels):
    """The demo models with small scripts, one near-duplicate recognizing question per chart and
    the "sum of all values" question rejected by every rater (see :mod:`tests.demo_models`)."""

    def __init__(self) -> None:
        super().__init__(simple=True)
        self.duplicate_questions = True
        self.reject_marker = "sum of all values"


def synth_args(server, out, *extra):
    return ["synthesize", "--base-url", server.url, "--api-key", "test-key", "--model", "gen-model",
            "--rater-model", "rater-a", "--rater-model", "rater-b", "--out", str(out),
            "--render-env", "current", "--render-workers", "2", "--no-progress", "--backoff-base", "0.01",
            "--timeout", "10", "--seed-dir", str(OWN_SEEDS), *extra]
