"""The LLM judge of ``reachqa judge``: does a model's answer agree with the ground truth?

What the judge is asked and how replies are read is :mod:`.judge_protocol` (``paper`` by default:
the ReachQA authors' protocol; ``json``: reachqa's JSON-schema variant). Requests go through the
shared :class:`~reachqa_builder.llm.api.APIClient`, which retries faults and caches replies on disk
(keyed by the whole request), so judging the same inputs twice sends no requests the second time.
This is the one judge: ``reachqa judge`` / ``evaluate``, training's rewards and the ``llm_judge``
``evaluate`` metric all call :func:`judge_items`, so they share one client and one reply cache
(``$REACHQA_HOME/judge-cache.sqlite`` by default): a reply one of them got is a cache hit for the others.

A reply without a readable verdict is asked again (bypassing the cache; a readable reply
then replaces it there) up to ``reasks`` times, counted in ``usage["reasks"]``. An item whose request
fails for good, or whose replies all lack a readable verdict, is ``invalid``: counted and reported. The paper's accuracy counts it as not correct over all items
(``accuracy``); ``accuracy_scored`` is over the items with a verdict. Before sending everything,
the first item is judged alone: a judge that cannot be reached (connection refused, unknown host),
refuses us (401/403/404) or answers with server errors (5xx) through its retries stops the run
with :class:`JudgeUnavailable` instead of failing every item one by one.

``JudgeResult.usage`` counts the requests sent and the tokens the server reported for this run
(cache hits cost nothing); with ``price_per_prompt_token`` / ``price_per_completion_token`` set
it also holds ``cost``.

:func:`judge_items` blocks; called while an event loop runs in the thread (a notebook cell), it
runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Sequence

from ..llm.types import ChatRequest
from ..paths import judge_cache_path
from .judge_protocol import PROTOCOLS, analysis_of, get_protocol, summarize_verdicts

if TYPE_CHECKING:  # the client (and ``openai``) load on first use, not when a command's flags are built
    from ..llm.api import APIConfig, APIError

__all__ = ["INVALID_WARN_SHARE", "JudgeConfig", "JudgeResult", "JudgeUnavailable", "judge_items", "judge_request",
           "PROTOCOLS"]

INVALID_WARN_SHARE = 0.05  # callers warn when more than this share of the judged items has no verdict


def default_cache() -> str:
    """The judge's reply cache: ``$REACHQA_HOME/judge-cache.sqlite``."""
    return str(judge_cache_path())


class JudgeUnavailable(RuntimeError):
    """The judge server cannot be used at all (unreachable, or it rejects the key / model)."""


@dataclass
class JudgeConfig:
    """Where the judge runs and how."""

    judge_model: str = field(metadata={"help": "judge model name on the server (e.g. gpt-4o-2024-08-06)"})
    protocol: str = field(default="paper", metadata={
        "help": "paper: the ReachQA authors' protocol (analysis + 'Correctness: Yes/No', temperature 0, top_p "
                "0.95); json: reachqa's JSON-schema verdict on the final answer", "choices": tuple(PROTOCOLS)})
    base_url: str | None = field(default=None, metadata={
        "help": "judge API root with /v1 (default: $OPENAI_BASE_URL, else OpenAI)"})
    api_key: str | None = field(default=None, repr=False, metadata={"help": "judge key (default: $OPENAI_API_KEY)"})
    concurrency: int = field(default=16, metadata={"help": "judge requests in flight"})
    max_tokens: int | None = field(default=None, metadata={"help": "judge reply budget (default: the protocol's)"})
    timeout: float = field(default=120.0, metadata={"help": "seconds per judge request"})
    max_retries: int = field(default=6, metadata={"help": "judge retries per request on faults"})
    backoff_base: float = field(default=1.0, metadata={"help": "first retry delay of the judge (s)"})
    preflight_retries: int = field(default=2, metadata={
        "help": "retries of the first item, judged alone before the rest: a judge that still cannot answer it "
                "(unreachable, server errors, key refused) stops the run early (at most max_retries)"})
    reasks: int = field(default=2, metadata={
        "help": "times a judge reply without a readable verdict is asked again before the item counts as invalid"})
    cache_path: str | None = field(default_factory=default_cache, metadata={
        "help": "judge reply cache, SQLite (default: $REACHQA_HOME/judge-cache.sqlite, REACHQA_HOME defaulting "
                "to ~/.cache/reachqa); None disables"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})
    price_per_prompt_token: float | None = field(default=None, metadata={
        "help": "price of one judge prompt token (e.g. 2.5e-6 for $2.50 per million), for the cost in report.json"})
    price_per_completion_token: float | None = field(default=None, metadata={
        "help": "price of one judge completion token (e.g. 1e-5), for the cost in report.json"})

    def __post_init__(self) -> None:
        get_protocol(self.protocol)  # fails early with the valid names
        if self.max_retries < 0 or self.preflight_retries < 0 or self.timeout <= 0:
            raise ValueError("max_retries and preflight_retries must be >= 0 and timeout > 0")
        if any(p is not None and p < 0 for p in (self.price_per_prompt_token, self.price_per_completion_token)):
            raise ValueError("judge token prices must be >= 0")

    def usage_with_cost(self, usage: dict[str, Any]) -> dict[str, Any]:
        """``usage`` plus the prices and ``cost`` (None when no price is set)."""
        pp, pc = self.price_per_prompt_token, self.price_per_completion_token
        cost = None if pp is None and pc is None else \
            (pp or 0.0) * usage.get("prompt_tokens", 0) + (pc or 0.0) * usage.get("completion_tokens", 0)
        return {**usage, "price_per_prompt_token": pp, "price_per_completion_token": pc, "cost": cost}

    def api_config(self) -> APIConfig:
        from ..llm.api import APIConfig

        base_url = self.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        return APIConfig(base_url=base_url, api_key=self.api_key, concurrency=self.concurrency, timeout=self.timeout,
                         max_retries=self.max_retries, backoff_base=self.backoff_base, cache_path=self.cache_path)


@dataclass
class JudgeResult:
    verdicts: list[str]            # "correct" | "incorrect" | "invalid", per item
    analyses: list[str]
    replies: list[str | None]      # the judge's raw reply text, per item
    errors: list[str | None]
    fingerprint: dict[str, Any]
    usage: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        return summarize_verdicts(self.verdicts)

    @property
    def scored(self) -> int:
        return self.summary["scored"]

    @property
    def invalid(self) -> int:
        return self.summary["invalid"]

    @property
    def accuracy(self) -> float:
        """The paper's: correct over all items (invalid counts as not correct)."""
        return self.summary["accuracy"] or 0.0

    @property
    def accuracy_scored(self) -> float | None:
        return self.summary["accuracy_scored"]


def judge_fingerprint(judge_model: str, protocol: str = "paper") -> dict[str, Any]:
    return get_protocol(protocol).fingerprint(judge_model)


def judge_request(question: str, answer: str, prediction: str, judge_model: str, protocol: str = "paper",
                  max_tokens: int | None = None) -> ChatRequest:
    proto = get_protocol(protocol)
    return ChatRequest(messages=proto.messages(question, answer, prediction), model=judge_model,
                       temperature=proto.temperature, top_p=proto.top_p, max_tokens=max_tokens or proto.max_tokens,
                       response_schema=proto.schema, schema_name="verdict")


def _unusable(exc: APIError) -> bool:
    """A first item failing like this means the judge cannot be used now: stop before the rest."""
    return exc.fatal or exc.kind == "connection" or (exc.status or 0) >= 500


def judge_items(questions: Sequence[str], references: Sequence[str], predictions: Sequence[str],
                config: JudgeConfig) -> JudgeResult:
    """Judge every (question, reference, prediction) triple; blocking (runs its own event loop, in a
    worker thread when one already runs here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _judge_items(questions, references, predictions, config)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_judge_items, questions, references, predictions, config).result()


def _judge_items(questions: Sequence[str], references: Sequence[str], predictions: Sequence[str],
                 config: JudgeConfig) -> JudgeResult:
    from ..llm.api import APIClient, APIError

    if not (len(questions) == len(references) == len(predictions)):
        raise ValueError(f"questions, references and predictions differ in length: "
                         f"{len(questions)}, {len(references)}, {len(predictions)}")
    if not config.judge_model:
        raise ValueError("judge_model is required (the judge's model name on the server)")
    proto = get_protocol(config.protocol)
    requests = [judge_request(q, r, p, config.judge_model, config.protocol, config.max_tokens)
                for q, r, p in zip(questions, references, predictions)]
    verdicts = ["invalid"] * len(requests)
    analyses = [""] * len(requests)
    replies: list[str | None] = [None] * len(requests)
    errors: list[str | None] = [None] * len(requests)

    api = config.api_config()
    from ..llm.api import Usage

    shared = Usage()  # the pre-check's requests count too

    reasks = [0]

    def reasker(client: APIClient) -> APIClient:
        """The same client without cache reads: a re-ask gets a fresh reply, which then replaces the cached one."""
        return APIClient(replace(api, no_cache=True), limiter=client.limiter, cache=client.cache, usage=client.usage)

    async def ask(client: APIClient, i: int, again: APIClient) -> None:
        errors[i] = None
        for attempt in range(1 + max(0, config.reasks)):
            reasks[0] += attempt > 0
            try:
                reply = await (client if attempt == 0 else again).chat(requests[i])
            except APIError as exc:
                errors[i] = str(exc)[:300]
                raise
            replies[i] = reply.text
            got = reply.parsed if proto.schema is not None and reply.parsed is not None else reply.text
            verdicts[i] = proto.parse(got)
            analyses[i] = analysis_of(proto.name, got)
            if verdicts[i] != "invalid":
                return
        errors[i] = f"no verdict in {1 + max(0, config.reasks)} replies; the last: {reply.text[:200]!r}"

    async def preflight() -> None:
        """The first item alone, with at most ``preflight_retries``: stop early when the judge is unusable."""
        retries = min(config.preflight_retries, api.max_retries)
        async with APIClient(replace(api, max_retries=retries), usage=shared) as client:
            try:
                async with reasker(client) as again:
                    await ask(client, 0, again)
            except APIError as exc:
                if _unusable(exc):
                    status = "" if exc.status is None else f" {exc.status}"
                    raise JudgeUnavailable(f"the judge at {api.display_url} cannot be used "
                                           f"({exc.kind}{status}): {exc.message[:200]}") from None

    async def run() -> dict[str, Any]:
        bar = None
        if config.progress and len(requests) > 2:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(requests), desc="judge", unit="item")
        async with APIClient(api, usage=shared) as client, reasker(client) as again:
            async def guarded(i: int) -> None:
                try:
                    await ask(client, i, again)
                except APIError:
                    pass
                finally:
                    if bar is not None:
                        bar.update(1)

            await asyncio.gather(*(guarded(i) for i in range(len(requests)) if replies[i] is None))
            usage = {**client.usage.summary(), "reasks": reasks[0]}
        if bar is not None:
            bar.close()
        return usage

    if requests:
        asyncio.run(preflight())
    usage = asyncio.run(run())
    return JudgeResult(verdicts, analyses, replies, errors, proto.fingerprint(config.judge_model),
                       config.usage_with_cost(usage))
