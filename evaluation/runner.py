"""Run an engine over benchmark samples and append predictions (resumable).

    engine = make_engine("transformers", model="runs/merged")
    stats = run_benchmark(engine, "chartqa", load_benchmark("chartqa", path), "preds/chartqa.jsonl",
                          model_name="merged")
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from reachqa_builder.settings import PROMPT_SUFFIX

from .benchmarks import Sample
from .inference.engines import Engine
from reachqa_builder.llm.types import ChatRequest, user_message
from .predictions import PredictionWriter

__all__ = ["GenerationSettings", "build_request", "run_benchmark"]

DEFAULT_SUFFIX = PROMPT_SUFFIX  # the paper's, shared with training


@dataclass
class GenerationSettings:
    """How each question is asked."""

    prompt_suffix: str = field(default=DEFAULT_SUFFIX, metadata={"help": "text appended to every question ('' for none)"})
    max_new_tokens: int = field(default=1024, metadata={"help": "most tokens generated per answer"})
    temperature: float = field(default=0.0, metadata={"help": "0 = greedy decoding"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus mass when sampling"})
    system_prompt: str | None = field(default=None, metadata={"help": "optional system message"})


def build_request(sample: Sample, model: str, settings: GenerationSettings) -> ChatRequest:
    """The chat request for one sample: the image first, then the question and the suffix."""
    text = sample.question.rstrip()
    if settings.prompt_suffix:
        text = f"{text} {settings.prompt_suffix}"
    messages = []
    if settings.system_prompt:
        messages.append({"role": "system", "content": settings.system_prompt})
    messages.append(user_message(text, [sample.image]))
    return ChatRequest(messages=messages, model=model, temperature=settings.temperature, top_p=settings.top_p,
                       max_tokens=settings.max_new_tokens)


def _json_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The sample's meta as JSON values (what the report reads: ``group``, ``category``, ``pair``)."""
    out = {}
    for k, v in meta.items():
        if v is None or isinstance(v, (str, int, float, bool)):
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float)) for x in v):
            out[k] = list(v)
    return out


def run_benchmark(engine: Engine, benchmark: str, samples: Iterable[Sample], out_path: str | Path, *,
                  model_name: str, settings: GenerationSettings | None = None, chunk_size: int = 64,
                  progress: bool = True, adapter: str | None = None) -> dict[str, Any]:
    """Answer every sample not yet in ``out_path``; returns counts and throughput. ``adapter`` (a
    LoRA folder, if any) is recorded in every prediction."""
    settings = settings or GenerationSettings()
    started = time.perf_counter()
    written = skipped = 0
    failures: list[str] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc=benchmark, unit="q")
    with PredictionWriter(out_path) as writer:
        pending: list[Sample] = []

        def flush() -> int:
            if not pending:
                return 0
            replies = engine.generate([build_request(s, model_name, settings) for s in pending])
            n = sum(record(sample, reply) for sample, reply in zip(pending, replies))
            pending.clear()
            return n

        def record(sample: Sample, reply) -> int:
            if isinstance(reply, Exception):  # failed for good: left out, retried on the next run
                failures.append(f"{sample.id}: {reply}")
                return 0
            writer.write({
                "id": sample.id, "benchmark": benchmark, "subset": sample.subset, "question": sample.question,
                "answer": sample.answer, "prediction": reply.text, "model": model_name,
                "engine": getattr(engine, "name", type(engine).__name__), "finish_reason": reply.finish_reason,
                "prompt_tokens": reply.prompt_tokens, "completion_tokens": reply.completion_tokens,
                "prompt_suffix": settings.prompt_suffix, "adapter": adapter, "meta": _json_meta(sample.meta),
            })
            if bar is not None:
                bar.update(1)
            return 1

        stream = getattr(engine, "generate_stream", None)  # one job for all, each answer written as it comes
        for sample in samples:
            if sample.id in writer.done:
                skipped += 1
                continue
            pending.append(sample)
            if len(pending) >= chunk_size and stream is None:
                written += flush()
        if stream is not None and pending:
            requests = [build_request(s, model_name, settings) for s in pending]
            for i, reply in stream(requests):
                written += record(pending[i], reply)
            pending.clear()
        written += flush()
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - started
    return {"benchmark": benchmark, "written": written, "skipped": skipped, "failed": len(failures),
            "failures": failures[:20], "seconds": round(seconds, 3),
            "samples_per_second": round(written / seconds, 4) if written and seconds > 0 else 0.0,
            "path": str(out_path)}
