"""The synthesis settings hand the client every setting they share with it."""

from __future__ import annotations

import dataclasses

from evaluation.inference import APIConfig
from synthesis.config import SynthesisConfig


def test_client_settings_reach_the_client():
    cfg = SynthesisConfig(timeout=7.5, max_retries=2, backoff_base=0.25, backoff_max=3.0, rpm=60.0, tpm=9000.0,
                          concurrency=5, no_cache=True, protocol="reachqa")
    api = cfg.api_config("http://127.0.0.1:9/v1", "k")
    assert (api.base_url, api.api_key) == ("http://127.0.0.1:9/v1", "k")
    assert (api.timeout, api.max_retries, api.backoff_base, api.backoff_max) == (7.5, 2, 0.25, 3.0)
    assert (api.rpm, api.tpm, api.concurrency, api.no_cache) == (60.0, 9000.0, 5, True)
    assert (api.schema_retries, api.structured) == (2, "json_schema")  # from the protocol


def test_shared_fields_are_declared_by_the_client():
    ours = {f.name: f for f in dataclasses.fields(SynthesisConfig)}
    for name in ("timeout", "max_retries", "backoff_base", "backoff_max", "rpm", "tpm", "no_cache"):
        theirs = APIConfig.__dataclass_fields__[name]
        assert ours[name].default == theirs.default and ours[name].metadata["help"] == theirs.metadata["help"], name
