"""The LLM judge: does a model's final answer agree with the ground truth?

Each item is one request through the shared :class:`~evaluation.inference.api.APIClient` at
temperature 0, with a JSON-schema verdict (``{"analysis": ..., "correct": "yes" | "no"}``). The
client retries faults and caches replies on disk (keyed by the whole request), so judging the
same inputs twice sends no requests the second time. An item whose request fails for good, or
whose reply never satisfies the schema, is ``invalid``: counted and reported, never scored wrong.
Accuracy is over the scored items; the result also carries a fingerprint (judge model, prompt
hash) so reports from different judges are not mixed up.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from .inference.api import APIClient, APIConfig, APIError
from .inference.types import ChatRequest

__all__ = ["JUDGE_SCHEMA", "JudgeConfig", "JudgeResult", "judge_items", "judge_fingerprint", "judge_request"]

JUDGE_SYSTEM = "You grade answers to questions about charts. You are strict, brief and consistent."

JUDGE_TEMPLATE = """A model answered a question about a chart. You cannot see the chart. Decide whether the \
model's final answer agrees with the ground truth.

Rules:
- Only the final answer matters; do not grade the reasoning steps.
- Different wording, units written out, or rounding consistent with the ground truth are fine.
- A final answer that is wrong, missing, hedged between options, or that adds claims contradicting \
the ground truth is not correct.

Question: {question}
Ground truth: {answer}
Model answer: {prediction}

Reply with JSON: "analysis" (one or two sentences comparing the final answer with the ground truth) \
and "correct" ("yes" or "no")."""

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"analysis": {"type": "string"}, "correct": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["analysis", "correct"],
    "additionalProperties": False,
}

DEFAULT_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "reachqa", "judge-cache.sqlite")


@dataclass
class JudgeConfig:
    """Where the judge runs and how."""

    judge_model: str = field(metadata={"help": "judge model name as the server knows it (e.g. gpt-4o-2024-08-06)"})
    base_url: str | None = field(default=None, metadata={"help": "API root with /v1 (default: $OPENAI_BASE_URL)"})
    api_key: str | None = field(default=None, repr=False, metadata={"help": "key (default: $OPENAI_API_KEY)"})
    concurrency: int = field(default=16, metadata={"help": "judge requests in flight"})
    max_tokens: int = field(default=512, metadata={"help": "token budget of one verdict"})
    timeout: float = field(default=120.0, metadata={"help": "seconds per request"})
    max_retries: int = field(default=6, metadata={"help": "retries per request on faults"})
    backoff_base: float = field(default=1.0, metadata={"help": "first retry delay (s)"})
    cache_path: str | None = field(default=DEFAULT_CACHE, metadata={"help": "verdict cache (SQLite); None disables"})
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})

    def api_config(self) -> APIConfig:
        base_url = self.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        return APIConfig(base_url=base_url, api_key=self.api_key, concurrency=self.concurrency, timeout=self.timeout,
                         max_retries=self.max_retries, backoff_base=self.backoff_base, cache_path=self.cache_path)


@dataclass
class JudgeResult:
    verdicts: list[str]            # "correct" | "incorrect" | "invalid", per item
    analyses: list[str]
    errors: list[str | None]
    fingerprint: dict[str, Any]
    usage: dict[str, Any]

    @property
    def scored(self) -> int:
        return sum(v != "invalid" for v in self.verdicts)

    @property
    def invalid(self) -> int:
        return len(self.verdicts) - self.scored

    @property
    def accuracy(self) -> float:
        return sum(v == "correct" for v in self.verdicts) / self.scored if self.scored else 0.0


def judge_fingerprint(judge_model: str) -> dict[str, Any]:
    blob = json.dumps({"system": JUDGE_SYSTEM, "template": JUDGE_TEMPLATE, "schema": JUDGE_SCHEMA}, sort_keys=True)
    return {"judge_model": judge_model, "prompt_sha256": hashlib.sha256(blob.encode()).hexdigest()[:16],
            "temperature": 0.0}


def judge_request(question: str, answer: str, prediction: str, judge_model: str, max_tokens: int = 512) -> ChatRequest:
    user = JUDGE_TEMPLATE.format(question=question.strip(), answer=str(answer).strip(),
                                 prediction=str(prediction).strip() or "(empty)")
    return ChatRequest(messages=[{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}],
                       model=judge_model, temperature=0.0, top_p=1.0, max_tokens=max_tokens,
                       response_schema=JUDGE_SCHEMA, schema_name="verdict")


def judge_items(questions: Sequence[str], references: Sequence[str], predictions: Sequence[str],
                config: JudgeConfig) -> JudgeResult:
    """Judge every (question, reference, prediction) triple; blocking (runs its own event loop)."""
    if not (len(questions) == len(references) == len(predictions)):
        raise ValueError(f"questions, references and predictions differ in length: "
                         f"{len(questions)}, {len(references)}, {len(predictions)}")
    if not config.judge_model:
        raise ValueError("judge_model is required (the judge's model name on the server)")
    requests = [judge_request(q, r, p, config.judge_model, config.max_tokens)
                for q, r, p in zip(questions, references, predictions)]
    verdicts = ["invalid"] * len(requests)
    analyses = [""] * len(requests)
    errors: list[str | None] = [None] * len(requests)

    async def run() -> dict[str, Any]:
        bar = None
        if config.progress and len(requests) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(requests), desc="judge", unit="item")
        async with APIClient(config.api_config()) as client:
            async def one(i: int) -> None:
                try:
                    reply = await client.chat(requests[i])
                    parsed = reply.parsed if isinstance(reply.parsed, dict) else {}
                    verdict = str(parsed.get("correct", "")).lower()
                    if verdict in ("yes", "no"):
                        verdicts[i] = "correct" if verdict == "yes" else "incorrect"
                        analyses[i] = str(parsed.get("analysis", ""))
                    else:
                        errors[i] = f"bad_verdict: {reply.text[:200]!r}"
                except APIError as exc:
                    errors[i] = str(exc)[:300]
                finally:
                    if bar is not None:
                        bar.update(1)

            await asyncio.gather(*(one(i) for i in range(len(requests))))
            usage = client.usage.summary()
        if bar is not None:
            bar.close()
        return usage

    usage = asyncio.run(run())
    return JudgeResult(verdicts, analyses, errors, judge_fingerprint(config.judge_model), usage)
