"""The ``reachqa infer`` and ``reachqa judge`` sub-commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_SUFFIX = "Let's think step by step."


def configure_infer(parser: argparse.ArgumentParser) -> None:
    """Answer benchmark questions with a model (transformers, vLLM or an OpenAI-compatible server).

    Example:
      reachqa infer --model runs/llava-reachqa-merged --benchmarks reachqa,chartqa=data/ChartQA/test \\
          --engine transformers --out preds/
    Benchmarks: reachqa, chartqa, charxiv, chartbench, chartx, mathvista, mathvision; NAME=PATH reads
    a local copy in the benchmark's release layout. Predictions go to OUT/<benchmark>.jsonl, one
    line per answer; running the same command again resumes where it stopped.
    """
    p = parser
    p.add_argument("--model", required=True, help="model folder / Hub id (transformers, vllm) or served model name (openai)")
    p.add_argument("--benchmarks", required=True, help="comma-separated names, each optionally NAME=PATH")
    p.add_argument("--out", required=True, help="output folder for <benchmark>.jsonl prediction files")
    p.add_argument("--engine", choices=("transformers", "vllm", "openai"), default="transformers")
    p.add_argument("--adapter", default=None, help="PEFT LoRA adapter folder (transformers, vllm)")
    p.add_argument("--model-name", default=None, help="name recorded in predictions (default: last part of --model)")
    p.add_argument("--prompt-suffix", default=DEFAULT_SUFFIX, help="appended to every question ('' for none)")
    p.add_argument("--system-prompt", default=None, help="optional system message")
    p.add_argument("--max-new-tokens", type=int, default=1024)
    p.add_argument("--limit", type=int, default=None, help="at most this many questions per benchmark")
    p.add_argument("--subsets", default=None, help="comma-separated subsets to keep (e.g. reasoning)")
    p.add_argument("--split", default=None, help="benchmark split when it has several (e.g. testmini)")
    p.add_argument("--render-env", default="current", choices=("current", "faithful"),
                   help="renderer environment for ReachQA charts that have no image file")
    p.add_argument("--image-cache", default=None, help="folder for rendered benchmark charts")
    g = p.add_argument_group("local engines")
    g.add_argument("--batch-size", type=int, default=8, help="requests per generate call (transformers)")
    g.add_argument("--device", default="auto")
    g.add_argument("--dtype", default="auto")
    g.add_argument("--tensor-parallel-size", type=int, default=1, help="GPUs (vllm)")
    g = p.add_argument_group("openai engine")
    g.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", "http://localhost:8000/v1"))
    g.add_argument("--api-key", default=None, help="default: $OPENAI_API_KEY")
    g.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    g.add_argument("--cache", default=None, help="SQLite reply cache for the openai engine")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run_infer)


def run_infer(args: argparse.Namespace) -> int:
    from .benchmarks import load_benchmark, parse_benchmark_list
    from .inference.engines import make_engine
    from .io_utils import atomic_write_json
    from .runner import GenerationSettings, run_benchmark

    try:
        benchmarks = parse_benchmark_list(args.benchmarks)
    except (KeyError, ValueError) as exc:
        print(f"reachqa infer: {exc}", file=sys.stderr)
        return 2
    if args.max_new_tokens < 1 or args.batch_size < 1:
        print("reachqa infer: --max-new-tokens and --batch-size must be >= 1", file=sys.stderr)
        return 2
    settings = GenerationSettings(prompt_suffix=args.prompt_suffix, max_new_tokens=args.max_new_tokens,
                                  system_prompt=args.system_prompt)
    model_name = args.model_name or Path(args.model.rstrip("/")).name
    engine = make_engine(args.engine, model=args.model, adapter=args.adapter, batch_size=args.batch_size,
                         device=args.device, dtype=args.dtype, base_url=args.base_url, api_key=args.api_key,
                         concurrency=args.concurrency, cache_path=args.cache,
                         tensor_parallel_size=args.tensor_parallel_size, progress=not args.no_progress)
    out = Path(args.out)
    subsets = [s.strip() for s in args.subsets.split(",")] if args.subsets else None
    options = {"render_env": args.render_env, "image_cache": args.image_cache}
    if args.split:
        options["split"] = args.split
    summary = []
    for name, source in benchmarks:
        samples = load_benchmark(name, source, subsets=subsets, limit=args.limit, **options)
        stats = run_benchmark(engine, name, samples, out / f"{name}.jsonl", model_name=model_name,
                              settings=settings, chunk_size=max(64, args.batch_size * 4),
                              progress=not args.no_progress)
        print(f"{name}: {stats['written']} new, {stats['skipped']} already done, {stats['failed']} failed "
              f"({stats['samples_per_second']} samples/s) -> {stats['path']}")
        summary.append(stats)
    atomic_write_json(out / "infer_summary.json", {"model": args.model, "engine": args.engine,
                                                    "prompt_suffix": args.prompt_suffix,
                                                    "max_new_tokens": args.max_new_tokens, "runs": summary})
    return 1 if any(s["failed"] for s in summary) else 0


def configure_judge(parser: argparse.ArgumentParser) -> None:
    """Score predictions with an LLM judge and the relaxed-accuracy rule; write a report.

    Example:
      reachqa judge preds/ --judge-model gpt-4o-2024-08-06 --base-url https://api.openai.com/v1 --out report/
    Inputs: folders of reachqa prediction files (*.jsonl), or other tools' outputs (--format swift,
    vlmevalkit, lmms-eval). Writes OUT/judged.jsonl (every item with its verdicts), OUT/report.md
    and OUT/report.json (accuracy per benchmark and subset; judge and relaxed rule side by side).
    """
    p = parser
    p.add_argument("inputs", nargs="+", help="prediction folders or files")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--format", default="auto", choices=("auto", "reachqa", "swift", "vlmevalkit", "lmms-eval"),
                   help="input format (auto: reachqa .jsonl files, else detected)")
    p.add_argument("--benchmark", default=None, help="benchmark name for imported files (default: file name)")
    p.add_argument("--judge-model", default=None, help="judge model name on the server")
    p.add_argument("--base-url", default=None, help="judge API root with /v1 (default: $OPENAI_BASE_URL)")
    p.add_argument("--api-key", default=None, help="default: $OPENAI_API_KEY")
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--cache", default=None, help="verdict cache file (default: ~/.cache/reachqa/judge-cache.sqlite)")
    p.add_argument("--no-judge", action="store_true", help="only the relaxed rule, no LLM judge")
    p.add_argument("--relaxed", choices=("auto", "all", "none"), default="auto",
                   help="where the relaxed rule applies: auto (benchmarks with short answers), all, none")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run_judge)


def _gather(args: argparse.Namespace) -> list[dict]:
    from .importers import import_predictions
    from .predictions import iter_prediction_files, read_predictions

    records: list[dict] = []
    for item in args.inputs:
        path = Path(item)
        if args.format in ("auto", "reachqa") and (path.is_dir() and any(path.glob("*.jsonl"))
                                                  or path.suffix == ".jsonl" and args.format == "reachqa"):
            for f in iter_prediction_files(path):
                records.extend(read_predictions(f))
        elif args.format == "reachqa":
            raise ValueError(f"{path}: no reachqa prediction files (*.jsonl)")
        else:
            try:
                records.extend(read_predictions(path) if path.suffix == ".jsonl" and args.format == "auto"
                               else import_predictions(path, None if args.format == "auto" else args.format,
                                                       args.benchmark))
            except ValueError:
                if args.format != "auto" or path.suffix != ".jsonl":
                    raise
                records.extend(import_predictions(path, None, args.benchmark))
    if not records:
        raise ValueError("no predictions found in " + ", ".join(args.inputs))
    seen = set()
    for r in records:
        key = (r["benchmark"], str(r["id"]))
        if key in seen:
            raise ValueError(f"duplicate prediction id {r['id']!r} in benchmark {r['benchmark']!r}")
        seen.add(key)
    return records


def _relaxed_applies(benchmark: str, mode: str) -> bool:
    if mode != "auto":
        return mode == "all"
    from .benchmarks import get_benchmark
    from .benchmarks.registry import UnknownBenchmarkError

    try:
        return get_benchmark(benchmark).relaxed
    except UnknownBenchmarkError:
        return False


def run_judge(args: argparse.Namespace) -> int:
    from .io_utils import atomic_write_text
    from .judge import DEFAULT_CACHE, JudgeConfig, judge_items
    from .relaxed import extract_final_answer, relaxed_match
    from .report import markdown_table, write_report

    if not args.no_judge and not args.judge_model:
        print("reachqa judge: --judge-model is required (or --no-judge for the relaxed rule only)", file=sys.stderr)
        return 2
    try:
        records = _gather(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"reachqa judge: {exc}", file=sys.stderr)
        return 2
    for r in records:
        r.pop("judge", None)
        r.pop("relaxed", None)
        if _relaxed_applies(r["benchmark"], args.relaxed):
            r["extracted"] = extract_final_answer(r["prediction"])
            r["relaxed"] = relaxed_match(r["extracted"], r["answer"])
    fingerprint = None
    if not args.no_judge:
        config = JudgeConfig(judge_model=args.judge_model, base_url=args.base_url, api_key=args.api_key,
                             concurrency=args.concurrency, cache_path=args.cache or DEFAULT_CACHE,
                             progress=not args.no_progress)
        result = judge_items([r["question"] for r in records], [r["answer"] for r in records],
                             [r["prediction"] for r in records], config)
        for r, v, a, e in zip(records, result.verdicts, result.analyses, result.errors):
            r["judge"], r["judge_analysis"] = v, a
            if e:
                r["judge_error"] = e
        fingerprint = result.fingerprint
        print(f"judge: {result.scored} scored, {result.invalid} invalid; requests {result.usage.get('requests')}, "
              f"cache hits {result.usage.get('cache_hits')}", file=sys.stderr)
    out = Path(args.out)
    atomic_write_text(out / "judged.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    summary = write_report(out, records, fingerprint)
    print(markdown_table(summary), end="")
    return 0
