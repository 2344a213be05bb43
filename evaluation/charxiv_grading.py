"""CharXiv scored as the benchmark defines it: its own grading queries, sent to the judge server.

The benchmark (``src/reasoning_utils.py``, ``src/descriptive_utils.py`` of princeton-nlp/CharXiv)
grades with GPT-4o in JSON mode, temperature 0, top_p 1, seed 42, 256 reply tokens:

* a reasoning answer alone, with the grading rules of its answer type (``meta.answer_type``
  1-4) and the question without its instruction (``meta.raw_question``); the reply holds
  ``extracted_answer`` and ``score`` (0 or 1);
* descriptive answers in batches of up to 5 that share a template (``meta.template`` 1-19),
  under the template's overarching question and rubric; the reply holds ``extract_answer_T<i>``
  and ``score_T<i>`` for each.

A reply that is not such JSON makes its items ``invalid`` (the benchmark records -1 and counts it
as 0; so does the report). Records without the template / answer type (e.g. imported from other
tools) are left ungraded and counted. The queries are :func:`~.benchmarks.charxiv.official`'s.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .benchmarks.charxiv import official
from reachqa_builder.llm.types import ChatRequest

if TYPE_CHECKING:
    from reachqa_builder.scoring.judge import JudgeConfig

__all__ = ["grading_batches", "parse_reasoning", "parse_descriptive", "grade_charxiv"]

BATCH = 5  # the benchmark's nq_per_query


def _request(prompt: str, model: str) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": prompt}], model=model, temperature=0.0, top_p=1.0,
                       max_tokens=256, seed=42, extra={"response_format": {"type": "json_object"}})


def _reasoning_prompt(rec: dict[str, Any]) -> str:
    o, m = official(), rec["meta"]
    return o["reasoning_grading_prefix"] + o["reasoning_grading_rules"][str(int(m["answer_type"]))] \
        .replace("<|question|>", str(m["raw_question"])).replace("<|ground_truth|>", rec["answer"]) \
        .replace("<|response|>", rec["prediction"])


def _descriptive_prompt(template: int, batch: list[dict[str, Any]]) -> str:
    o = official()
    keys = []
    for i in range(1, len(batch) + 1):
        keys += [f"extract_answer_T{i}", f"score_T{i}"]
    rubric = {1: "title", **dict.fromkeys(range(2, 8), "ocr"),
              **dict.fromkeys((8, 9, 10, 12, 14, 15, 17, 19), "quant"), 11: "bool", 13: "enum", 16: "trend",
              18: "layout"}[template]
    prefix = o["descriptive_grading_prefix"].replace("<|NUM_TRIPLETS|>", str(len(batch))) \
        .replace("<|OVERARCHING_QUESTION|>", o["descriptive_grading_questions"][str(template)]) \
        .replace("<|JSON_KEYS|>", str(keys))
    body = "".join(f"T{i}:\nResponse {i}: {r['prediction']}\nGround Truth {i}: {r['answer']}\n\n"
                   for i, r in enumerate(batch, 1))
    return prefix + o["descriptive_grading_rubrics"][rubric] + body


def grading_batches(records: list[dict[str, Any]], model: str) -> tuple[list[tuple[list[int], str, ChatRequest]], int]:
    """``([(record indexes, kind, request)], ungradable count)`` for the CharXiv records."""
    batches: list[tuple[list[int], str, ChatRequest]] = []
    by_template: dict[int, list[int]] = defaultdict(list)
    ungradable = 0
    for i, r in enumerate(records):
        if r.get("benchmark") != "charxiv":
            continue
        m = r.get("meta") or {}
        if r.get("subset") == "reasoning" and m.get("answer_type") is not None and m.get("raw_question"):
            batches.append(([i], "reasoning", _request(_reasoning_prompt(r), model)))
        elif r.get("subset") == "descriptive" and m.get("template") is not None:
            by_template[int(m["template"])].append(i)
        else:
            ungradable += 1
    for template in sorted(by_template):
        idx = by_template[template]
        for s in range(0, len(idx), BATCH):
            part = idx[s:s + BATCH]
            batches.append((part, "descriptive", _request(_descriptive_prompt(template, [records[i] for i in part]),
                                                          model)))
    return batches, ungradable


def _json(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    t = re.sub(r"^```(?:json)?\s*|\s*```$", "", text.strip())
    try:
        data = json.loads(t)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _verdict(score: Any) -> str:
    if isinstance(score, bool) or score not in (0, 1, "0", "1"):
        return "invalid"
    return "correct" if int(score) == 1 else "incorrect"


def parse_reasoning(text: str | None) -> tuple[str, str | None]:
    data = _json(text)
    if data is None or "score" not in data:
        return "invalid", None
    return _verdict(data["score"]), None if data.get("extracted_answer") is None else str(data["extracted_answer"])


def parse_descriptive(text: str | None, k: int) -> list[tuple[str, str | None]]:
    data = _json(text)
    if data is None:
        return [("invalid", None)] * k
    out = []
    for i in range(1, k + 1):
        ext = data.get(f"extract_answer_T{i}")
        out.append((_verdict(data.get(f"score_T{i}")) if f"score_T{i}" in data else "invalid",
                    None if ext is None else str(ext)))
    return out


def grade_charxiv(records: list[dict[str, Any]], config: "JudgeConfig") -> dict[str, Any]:
    """Set ``official`` / ``official_extracted`` on every gradable CharXiv record; returns the usage
    (``requests``, tokens) and ``graded`` / ``ungradable`` counts. Replies are cached like the judge's."""
    from reachqa_builder.llm.api import APIClient, APIError

    batches, ungradable = grading_batches(records, config.judge_model)
    if not batches:
        return {"graded": 0, "ungradable": ungradable, "requests": 0, "cache_hits": 0, "prompt_tokens": 0,
                "completion_tokens": 0}

    async def run() -> dict[str, Any]:
        async with APIClient(config.api_config()) as client:
            async def one(idx: list[int], kind: str, req: ChatRequest) -> None:
                try:
                    text = (await client.chat(req)).text
                except APIError as exc:
                    for i in idx:
                        records[i]["official"], records[i]["official_error"] = "invalid", str(exc)[:200]
                    return
                results = [parse_reasoning(text)] if kind == "reasoning" else parse_descriptive(text, len(idx))
                for i, (verdict, extracted) in zip(idx, results):
                    records[i]["official"], records[i]["official_extracted"] = verdict, extracted

            await asyncio.gather(*(one(*b) for b in batches))
            return client.usage.summary()

    usage = asyncio.run(run())
    graded = sum(len(b[0]) for b in batches)
    return {**usage, "graded": graded, "ungradable": ungradable}
