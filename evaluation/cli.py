"""The ``reachqa infer``, ``reachqa judge`` and ``reachqa evaluate`` sub-commands.

Every expected failure (a missing benchmark file, an unknown name, a judge that cannot be reached,
bad input) ends with one ``reachqa <command>: ...`` line on stderr and a non-zero exit status,
never a traceback; work already done (predictions, cached verdicts) is kept.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
from pathlib import Path

from reachqa_builder.cli_flags import add_dataclass_flags, dataclass_from_args
from reachqa_builder.eval_records import JUDGED_FILE
from reachqa_builder.llm.api_config import APIConfig
from reachqa_builder.render.settings import RenderSettings

from .runner import GenerationSettings

# what `reachqa judge --out DIR` writes: never read back as input from DIR
OUTPUT_FILES = (JUDGED_FILE,)

# errors a user can cause and fix: reported as one line
USER_ERRORS = (FileNotFoundError, ValueError, KeyError, RuntimeError, ImportError, OSError)


def _fail(command: str, exc: BaseException | str, code: int = 2) -> int:
    text = exc if isinstance(exc, str) else (str(exc) or type(exc).__name__)
    print(f"reachqa {command}: {' '.join(text.split())}", file=sys.stderr)
    return code


# -- infer ----------------------------------------------------------------------------------------

def _add_infer_args(p: argparse.ArgumentParser, with_out: bool = True) -> None:
    p.add_argument("--model", required=True, help="model folder / Hub id (transformers, vllm) or served model name (openai)")
    p.add_argument("--benchmarks", required=True, help="comma-separated names, each optionally NAME=PATH")
    if with_out:
        p.add_argument("--out", required=True, help="output folder for <benchmark>.jsonl prediction files")
    p.add_argument("--engine", choices=("transformers", "vllm", "openai"), default="transformers")
    p.add_argument("--adapter", default=None, help="PEFT LoRA adapter folder (transformers, vllm)")
    p.add_argument("--model-name", default=None, help="name recorded in predictions (default: last part of --model)")
    add_dataclass_flags(p.add_argument_group("generation"), GenerationSettings)
    p.add_argument("--limit", type=int, default=None, help="at most this many questions per benchmark")
    p.add_argument("--subsets", default=None, help="comma-separated subsets to keep (e.g. reasoning)")
    p.add_argument("--split", default=None, help="benchmark split when it has several (e.g. testmini)")
    # the render environment of benchmark charts that have no image file (ReachQA's code-only release)
    add_dataclass_flags(p, RenderSettings, only=("env",), prefix="render")
    p.add_argument("--image-cache", default=None, help="folder for rendered benchmark charts")
    g = p.add_argument_group("local engines")
    g.add_argument("--batch-size", type=int, default=8, help="requests per generate call (transformers)")
    g.add_argument("--device", default="auto")
    g.add_argument("--dtype", default="auto")
    g.add_argument("--trust-remote-code", action="store_true",
                   help="allow the model's own code from its folder / the Hub (transformers, vllm)")
    g.add_argument("--tensor-parallel-size", type=int, default=1, help="GPUs (vllm)")
    g = p.add_argument_group("ray cluster (needs reachqa[ray])")
    g.add_argument("--ray", metavar="ADDRESS", default=None,
                   help="run the vllm or openai engine as one Ray Data job (ray.data.llm) on the cluster at ADDRESS")
    g.add_argument("--replicas", type=int, default=1, help="vLLM replicas or concurrent HTTP senders on the cluster")
    g = p.add_argument_group("openai engine")
    add_dataclass_flags(g, APIConfig, only=("base_url", "api_key", "concurrency", "cache_path"),
                        aliases={"cache_path": ["--cache"]})
    p.add_argument("--no-progress", action="store_true")


def configure_infer(parser: argparse.ArgumentParser) -> None:
    """Answer benchmark questions with a model (transformers, vLLM or an OpenAI-compatible server).

    Example:
      reachqa infer --model runs/llava-reachqa-merged --benchmarks reachqa,chartqa=data/ChartQA/test \\
          --engine transformers --out preds/
    Benchmarks: reachqa, chartqa, charxiv, chartbench, chartx, mathvista, mathvision; NAME=PATH reads
    a local copy in the benchmark's release layout. Predictions go to OUT/<benchmark>.jsonl, one
    line per answer; running the same command again resumes where it stopped. Each run is appended
    to OUT/infer_summary.json.
    """
    _add_infer_args(parser)
    parser.set_defaults(run=run_infer)


def _append_summary(path: Path, runs: list[dict]) -> None:
    from reachqa_builder.fileio import atomic_write_json

    old: list[dict] = []
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            data = {}
        if isinstance(data, dict) and isinstance(data.get("runs"), list):
            common = {k: v for k, v in data.items() if k != "runs"}  # the older one-run layout
            old = [{**common, **r} for r in data["runs"] if isinstance(r, dict)]
    atomic_write_json(path, {"runs": old + runs})


def run_infer(args: argparse.Namespace) -> int:
    try:
        return _infer(args)
    except USER_ERRORS as exc:
        return _fail("infer", exc)


def _infer(args: argparse.Namespace) -> int:
    from .benchmarks import load_benchmark, parse_benchmark_list
    from .inference.engines import make_engine
    from .runner import run_benchmark

    try:
        benchmarks = parse_benchmark_list(args.benchmarks)
    except (KeyError, ValueError) as exc:
        return _fail("infer", exc)
    if args.max_new_tokens < 1 or args.batch_size < 1:
        return _fail("infer", "--max-new-tokens and --batch-size must be >= 1")
    settings = dataclass_from_args(GenerationSettings, args)
    model_name = args.model_name or Path(args.model.rstrip("/")).name
    out = Path(args.out)
    subsets = [s.strip() for s in args.subsets.split(",")] if args.subsets else None
    options = {"render_env": args.render_env, "image_cache": args.image_cache, "progress": not args.no_progress}
    if args.split:
        options["split"] = args.split
    # read the first sample of each benchmark before loading a model: missing data fails fast
    for name, source in benchmarks:
        next(iter(load_benchmark(name, source, subsets=subsets, limit=1, **options)), None)
    extra = {"trust_remote_code": True} if args.trust_remote_code and args.engine != "openai" else {}
    engine = make_engine(args.engine, model=args.model, adapter=args.adapter, batch_size=args.batch_size,
                         device=args.device, dtype=args.dtype, base_url=args.base_url, api_key=args.api_key,
                         concurrency=args.concurrency, cache_path=args.cache_path,
                         tensor_parallel_size=args.tensor_parallel_size, progress=not args.no_progress,
                         ray=args.ray, replicas=args.replicas, **extra)
    runs = []
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    for name, source in benchmarks:
        samples = load_benchmark(name, source, subsets=subsets, limit=args.limit, **options)
        stats = run_benchmark(engine, name, samples, out / f"{name}.jsonl", model_name=model_name,
                              settings=settings, chunk_size=max(64, args.batch_size * 4),
                              progress=not args.no_progress, adapter=args.adapter)
        print(f"{name}: {stats['written']} new, {stats['skipped']} already done, {stats['failed']} failed "
              f"({stats['samples_per_second']} samples/s) -> {stats['path']}")
        runs.append({"date": started, "model": args.model, "model_name": model_name, "engine": args.engine,
                     "adapter": args.adapter, "prompt_suffix": args.prompt_suffix,
                     "max_new_tokens": args.max_new_tokens, "temperature": settings.temperature,
                     "top_p": settings.top_p, "limit": args.limit, **stats})
    _append_summary(out / "infer_summary.json", runs)
    failed = sum(r["failed"] for r in runs)
    if failed:
        first = next(f for r in runs for f in r["failures"])  # "<id>: <kind>: <message>"
        print(f"reachqa infer: {failed} requests failed for good and were not written (first: {first[:300]}); "
              f"run the command again to retry them", file=sys.stderr)
    return 1 if failed else 0


# -- judge ----------------------------------------------------------------------------------------

def _add_judge_args(p: argparse.ArgumentParser, short_server_flags: bool) -> None:
    """Judge options, generated from :class:`~reachqa_builder.scoring.judge.JudgeConfig` as ``--judge-*`` flags;
    ``reachqa judge`` also takes --base-url / --api-key / --concurrency / --cache for the judge's
    server, ``reachqa evaluate`` only the --judge-* spellings (its --base-url is the model server's).
    Both keep the older --max-retries, --timeout and --judge-cache spellings."""
    from reachqa_builder.scoring.judge import JudgeConfig

    aliases = {"max_retries": ["--max-retries"], "timeout": ["--timeout"], "cache_path": ["--judge-cache"]}
    if short_server_flags:
        for name in ("base_url", "api_key", "concurrency"):
            aliases[name] = ["--" + name.replace("_", "-")]
        aliases["cache_path"].append("--cache")
    g = p.add_argument_group("judge")
    add_dataclass_flags(g, JudgeConfig, prefix="judge", exclude=("progress",), aliases=aliases)
    g.add_argument("--no-judge", action="store_true", help="only the relaxed rule, no LLM judge")
    g.add_argument("--no-benchmark-grading", action="store_true",
                   help="skip the benchmark's own grading beside the judge (CharXiv's grading queries)")
    g.add_argument("--relaxed", choices=("auto", "all", "none"), default="auto",
                   help="where the relaxed rule applies: auto (benchmarks with short answers), all, none")


def configure_judge(parser: argparse.ArgumentParser) -> None:
    """Score predictions with an LLM judge and the relaxed-accuracy rule; write a report.

    Example:
      reachqa judge preds/ --judge-model gpt-4o-2024-08-06 --base-url https://api.openai.com/v1 --out report/
    Inputs: folders of reachqa prediction files (*.jsonl), or other tools' outputs (--format swift,
    vlmevalkit, lmms-eval; detected when left out). Writes OUT/judged.jsonl (every item with its
    verdicts), OUT/report.md and OUT/report.json (the paper's table, accuracy per benchmark and
    subset, judge and relaxed rule side by side). Exit status 1 when nothing could be scored or the
    judge cannot be reached; a warning when more than 5% of verdicts are invalid.
    """
    p = parser
    p.add_argument("inputs", nargs="+", help="prediction folders or files")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--format", default="auto", choices=("auto", "reachqa", "swift", "vlmevalkit", "lmms-eval"),
                   help="input format (auto: reachqa .jsonl files, else detected)")
    p.add_argument("--benchmark", default=None,
                   help="benchmark of imported files (default: what the file records, else its name)")
    _add_judge_args(p, short_server_flags=True)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run_judge)


def _gather(inputs: list[str], fmt: str, benchmark: str | None) -> list[dict]:
    from reachqa_builder.eval_records import is_prediction_file, read_predictions

    from .importers import import_predictions

    records: list[dict] = []
    for item in inputs:
        path = Path(item)
        if not path.exists():
            raise FileNotFoundError(f"no prediction file or folder at {path}")
        listed = [f for f in sorted(path.glob("*.jsonl")) if f.name not in OUTPUT_FILES] if path.is_dir() else [path]
        ours = [f for f in listed if f.suffix == ".jsonl" and is_prediction_file(f)] if fmt in ("auto", "reachqa") else []
        if ours and (fmt == "reachqa" or not path.is_dir() or len(ours) == len(listed)):
            for f in ours:
                recs = read_predictions(f)
                if benchmark:
                    for r in recs:
                        r["benchmark"] = benchmark
                records.extend(recs)
        elif fmt == "reachqa":
            raise ValueError(f"{path}: no reachqa prediction files (*.jsonl records with "
                             f"id, benchmark, subset, question, answer, prediction)")
        else:
            records.extend(import_predictions(path, None if fmt == "auto" else fmt, benchmark))
    if not records:
        raise ValueError("no predictions found in " + ", ".join(inputs))
    seen = set()
    for r in records:
        key = (r["benchmark"], str(r["id"]))
        if key in seen:
            raise ValueError(f"duplicate prediction id {r['id']!r} in benchmark {r['benchmark']!r}")
        seen.add(key)
    return records


def _relaxed_applies(benchmark: str, mode: str) -> bool | None:
    """True / False, or None for a benchmark the registry does not know (auto mode)."""
    if mode != "auto":
        return mode == "all"
    from .benchmarks import get_benchmark
    from .benchmarks.registry import UnknownBenchmarkError

    try:
        return get_benchmark(benchmark).relaxed
    except UnknownBenchmarkError:
        return None


def run_judge(args: argparse.Namespace) -> int:
    if not args.no_judge and not args.judge_model:
        return _fail("judge", "--judge-model is required (or --no-judge for the relaxed rule only)")
    try:
        records = _gather(args.inputs, args.format, args.benchmark)
    except USER_ERRORS as exc:
        return _fail("judge", exc)
    return _judge_and_report(args, records, "judge")


def _judge_and_report(args: argparse.Namespace, records: list[dict], command: str) -> int:
    from reachqa_builder.fileio import atomic_write_text
    from reachqa_builder.scoring.judge import INVALID_WARN_SHARE, JudgeConfig, JudgeUnavailable, judge_items
    from reachqa_builder.scoring.relaxed import extract_final_answer, relaxed_match
    from .report import collect_meta, markdown_report, write_report

    if not args.no_judge and not args.judge_model:
        return _fail(command, "--judge-model is required (or --no-judge for the relaxed rule only)")
    unknown = set()
    for r in records:
        for stale in ("judge", "judge_analysis", "judge_reply", "judge_error", "relaxed", "extracted", "official",
                      "official_extracted", "official_error"):
            r.pop(stale, None)  # a judged.jsonl given as input is judged afresh
        applies = _relaxed_applies(r["benchmark"], args.relaxed)
        if applies is None:
            unknown.add(r["benchmark"])
        elif applies:
            r["extracted"] = extract_final_answer(r["prediction"], (r.get("meta") or {}).get("choices"))
            r["relaxed"] = relaxed_match(r["extracted"], r["answer"])
    if unknown:
        print(f"reachqa {command}: warning: {', '.join(sorted(unknown))} not a registered benchmark: no relaxed "
              f"accuracy for it (pass --benchmark NAME, or --relaxed all)", file=sys.stderr)
    fingerprint = judge_usage = None
    if not args.no_judge:
        try:
            config = dataclass_from_args(JudgeConfig, args, prefix="judge", progress=not args.no_progress)
            result = judge_items([r["question"] for r in records], [r["answer"] for r in records],
                                 [r["prediction"] for r in records], config)
        except JudgeUnavailable as exc:
            return _fail(command, f"{exc}; nothing was judged", 1)
        except ValueError as exc:
            return _fail(command, exc)
        for r, v, a, reply, e in zip(records, result.verdicts, result.analyses, result.replies, result.errors):
            r["judge"], r["judge_analysis"], r["judge_reply"] = v, a, reply
            if e:
                r["judge_error"] = e
        fingerprint = result.fingerprint
        usage = result.usage
        print(f"judge ({fingerprint['protocol']} protocol): {result.scored} scored, {result.invalid} invalid; "
              f"requests {usage.get('requests')}, cache hits {usage.get('cache_hits')}", file=sys.stderr)
        if not args.no_benchmark_grading and any(r["benchmark"] == "charxiv" for r in records):
            from .charxiv_grading import grade_charxiv

            graded = grade_charxiv(records, config)
            print(f"charxiv's own grading: {graded['graded']} graded, {graded['ungradable']} without template ids "
                  f"(not graded); requests {graded['requests']}, cache hits {graded['cache_hits']}", file=sys.stderr)
            usage = config.usage_with_cost({k: usage.get(k, 0) + graded.get(k, 0)
                                            for k in ("requests", "cache_hits", "prompt_tokens", "completion_tokens")})
        judge_usage = usage
    out = Path(args.out)
    atomic_write_text(out / JUDGED_FILE, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    summary = write_report(out, records, fingerprint, collect_meta(records, fingerprint, list(getattr(args, "inputs", []))),
                           judge_usage)
    print(markdown_report(summary), end="")
    judged = [r for r in records if "judge" in r]
    invalid = [r for r in judged if r["judge"] == "invalid"]
    scored = len(judged) - len(invalid) + sum(r.get("relaxed") is not None for r in records if "judge" not in r)
    if not args.no_judge and len(judged) and len(invalid) == len(judged):
        first = next((r.get("judge_error") for r in invalid if r.get("judge_error")), "no reason recorded")
        return _fail(command, f"the judge scored none of {len(judged)} items (first error: {first[:200]})", 1)
    if args.no_judge and not scored:
        return _fail(command, "nothing was scored: the relaxed rule applies to none of these benchmarks "
                              "(pass --benchmark NAME or --relaxed all)", 1)
    if judged and len(invalid) > INVALID_WARN_SHARE * len(judged):
        first = next((r.get("judge_error") for r in invalid if r.get("judge_error")), "")
        print(f"reachqa {command}: warning: {len(invalid)} of {len(judged)} verdicts "
              f"({100 * len(invalid) / len(judged):.1f}%) are invalid and count as not correct; e.g. {first[:160]}",
              file=sys.stderr)
    return 0


# -- evaluate -------------------------------------------------------------------------------------

def configure_evaluate(parser: argparse.ArgumentParser) -> None:
    """Inference, judging and the report in one command (resumable: rerun it after an interruption).

    Example:
      reachqa evaluate --model runs/llava-reachqa-merged --benchmarks reachqa,chartqa=data/ChartQA \\
          --judge-model gpt-4o-2024-08-06 --judge-base-url https://api.openai.com/v1 --out eval/
    Writes OUT/predictions/<benchmark>.jsonl and OUT/predictions/infer_summary.json (as `reachqa
    infer`), then OUT/judged.jsonl, OUT/report.md and OUT/report.json (as `reachqa judge`) for the
    named benchmarks. --base-url / --api-key are the model server's (--engine openai); the judge's
    are --judge-base-url / --judge-api-key.
    """
    parser.add_argument("--out", required=True, help="evaluation folder")
    parser.add_argument("--baseline", default=None,
                        help="an earlier evaluation folder: also write OUT/compare.json and compare.md, the paired "
                             "difference to it with its 95%% interval (as `reachqa compare OUT BASELINE`)")
    _add_infer_args(parser, with_out=False)
    _add_judge_args(parser, short_server_flags=False)
    parser.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    from reachqa_builder.eval_records import read_predictions

    from .benchmarks import parse_benchmark_list

    if not args.no_judge and not args.judge_model:
        return _fail("evaluate", "--judge-model is required (or --no-judge for the relaxed rule only)")
    if args.baseline and not (Path(args.baseline) / JUDGED_FILE).is_file() and not Path(args.baseline).is_file():
        return _fail("evaluate", f"--baseline: no judged.jsonl at {args.baseline} (a folder written by reachqa "
                                 f"judge / evaluate)")
    try:
        names = [name for name, _ in parse_benchmark_list(args.benchmarks)]
    except (KeyError, ValueError) as exc:
        return _fail("evaluate", exc)
    out = Path(args.out)
    infer_args = argparse.Namespace(**{**vars(args), "out": str(out / "predictions")})
    infer_code = run_infer(infer_args)
    if infer_code == 2:
        return infer_code
    files = [out / "predictions" / f"{n}.jsonl" for n in names]
    records = [r for f in files if f.is_file() for r in read_predictions(f)]
    if not records:
        return _fail("evaluate", "inference wrote no predictions; nothing to judge", 1)
    judge_args = argparse.Namespace(**{**vars(args), "inputs": [str(f) for f in files if f.is_file()]})
    judge_code = _judge_and_report(judge_args, records, "evaluate")
    if args.baseline and judge_code == 0:
        from .compare import write_comparison

        try:
            write_comparison(str(out), args.baseline, str(out))
        except (FileNotFoundError, ValueError, KeyError) as exc:
            return _fail("evaluate", f"comparison with {args.baseline}: {exc}")
    return judge_code or infer_code
