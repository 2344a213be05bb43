"""The synthesis settings embed the client's settings: declared once (by APIConfig), flags generated."""

from __future__ import annotations

import argparse
import dataclasses
import json

import synthesis.config
from reachqa_builder.llm import APIConfig
from reachqa_builder.cli import main
from synthesis.cli import config_from_args, configure
from synthesis.config import SynthesisConfig
from tests.synthesis.synthesis_fixtures import synth_args

# every flag of `reachqa synthesize` (a user's scripts rely on each one): the settings' own, and the client's
FLAGS = ['--api-key', '--backoff-base', '--backoff-max', '--base-url', '--concurrency', '--data-dir',
         '--dedup-threshold', '--drop-contradicted', '--evolve-ratio', '--failed-rater', '--id-prefix',
         '--lint-action', '--max-attempts-factor', '--max-fixes', '--max-retries', '--max-tokens', '--min-rating',
         '--model', '--no-cache', '--no-progress', '--num-charts', '--num-demos', '--out', '--protocol',
         '--qa-api-key', '--qa-base-url', '--qa-model', '--qa-per-type', '--rater-api-key', '--rater-base-url',
         '--rater-model', '--rater-temperature', '--reject-rule', '--reject-threshold', '--render-env',
         '--render-timeout', '--render-workers', '--replies', '--rpm', '--schema-retries', '--seed', '--seed-dir',
         '--structured', '--temperature', '--timeout', '--top-p', '--tpm', '--unextracted']
ADDED_SINCE = ['--drop-near-duplicate-questions', '--drop-near-duplicates', '--near-duplicate-question-scope',
               '--notice-after', '--timeout-retries',  # client: a waiting line, timeout retries capped
               '--batch', '--batch-window', '--batch-max-requests', '--batch-poll', '--estimate', '--pilot',
               '--price',  # Batch API and cost estimate
               '--render-memory-mb', '--render-cache-dir', '--no-render-cache']  # every RenderSettings field
CLIENT_FLAGS = ("timeout", "max_retries", "backoff_base", "backoff_max", "rpm", "tpm", "no_cache")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    configure(p)
    return p


def test_client_settings_reach_the_client():
    cfg = SynthesisConfig(client=APIConfig(timeout=7.5, max_retries=2, backoff_base=0.25, backoff_max=3.0, rpm=60.0,
                                           tpm=9000.0, no_cache=True), concurrency=5, protocol="reachqa")
    api = cfg.api_config("http://127.0.0.1:9/v1", "k")
    assert (api.base_url, api.api_key) == ("http://127.0.0.1:9/v1", "k")
    assert (api.timeout, api.max_retries, api.backoff_base, api.backoff_max) == (7.5, 2, 0.25, 3.0)
    assert (api.rpm, api.tpm, api.concurrency, api.no_cache) == (60.0, 9000.0, 5, True)
    assert (api.schema_retries, api.structured) == (2, "json_schema")  # from the protocol


def test_client_flags_keep_their_spelling_and_reach_the_client():
    cfg = config_from_args(parser().parse_args(["--timeout", "7.5", "--max-retries", "2", "--backoff-base", "0.25",
                                                "--backoff-max", "3", "--rpm", "60", "--tpm", "9000", "--no-cache",
                                                "--concurrency", "5", "--protocol", "reachqa"]))
    api = cfg.api_config("http://127.0.0.1:9/v1", "k")
    assert (api.timeout, api.max_retries, api.backoff_base, api.backoff_max) == (7.5, 2, 0.25, 3.0)
    assert (api.rpm, api.tpm, api.concurrency, api.no_cache) == (60.0, 9000.0, 5, True)
    assert config_from_args(parser().parse_args([])).client == APIConfig()  # defaults: the client's


def test_shared_fields_are_declared_by_the_client():
    ours = {a.dest: a for a in parser()._actions}
    for name in CLIENT_FLAGS:
        theirs = APIConfig.__dataclass_fields__[name]
        assert ours[name].default == theirs.default and ours[name].help.startswith(theirs.metadata["help"]), name


def test_help_lists_the_same_flags(capsys):
    assert sorted(s for a in parser()._actions for s in a.option_strings if s not in ("-h", "--help")) == \
        sorted(FLAGS + ADDED_SINCE)
    try:
        main(["synthesize", "--help"])
    except SystemExit:
        pass
    shown = capsys.readouterr().out
    assert all(flag in shown for flag in FLAGS + ADDED_SINCE)


@dataclasses.dataclass
class ClientWithOrganization(APIConfig):
    """The client settings as they would be after a field is added to APIConfig."""

    organization: str | None = dataclasses.field(default=None, metadata={"help": "OpenAI organization header"})


def test_a_field_added_to_the_client_becomes_a_synthesize_flag(monkeypatch, synth_server, tmp_path):
    monkeypatch.setattr(synthesis.config, "APIConfig", ClientWithOrganization)  # the embedded field's type
    cfg = config_from_args(parser().parse_args(["--organization", "org-7", "--timeout", "9"]))
    api = cfg.api_config("http://127.0.0.1:9/v1", "k")
    assert isinstance(api, ClientWithOrganization) and (api.organization, api.timeout) == ("org-7", 9.0)
    # through the command: the run records the new setting beside the others
    out = tmp_path / "run"
    assert main(synth_args(synth_server, out, "self-instruct", "--num-charts", "1", "--organization", "org-7")) == 0
    info = json.loads((out / "work" / "run-self-instruct.json").read_text())
    assert info["organization"] == "org-7" and info["timeout"] == 10.0 and "api_key" not in info
