"""Synthesize new charts and Q&A with any OpenAI-compatible LLM and MLLM raters (Code-as-Intermediary).

Full run (resumable: run the same command again after a crash, SIGKILL or Ctrl-C)::

    reachqa synthesize --base-url http://localhost:8000/v1 --model Qwen2.5-72B-Instruct \\
        --rater-model InternVL2-40B --rater-model MiniCPM-V-2_6 [--rater-base-url URL] --num-charts 1000 --out my-charts --concurrency 64
    reachqa build --config qa --data-dir my-charts

One stage on an existing folder (a synthesis output, or a ReachQA split such as reachqa_train)::

    reachqa synthesize rate --data-dir /data/reachqa_train --out rerated --rater-model other-mllm --base-url URL

Stages: self-instruct, evol-instruct, execute, rate, qa, check, output. Keys: --api-key or
$OPENAI_API_KEY (generator), --rater-api-key or $RATER_API_KEY (raters, default: the generator key).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from reachqa_builder.cli_flags import add_dataclass_flags, dataclass_from_args

from .config import STAGES, SynthesisConfig


def configure(parser: argparse.ArgumentParser) -> None:
    """Synthesize charts and Q&A from an OpenAI-compatible LLM (full run or one stage).

    Full run (run the same command again to resume after a crash, SIGKILL or Ctrl-C):
      reachqa synthesize --base-url http://localhost:8000/v1 --model Qwen2.5-72B-Instruct \\
          --rater-model InternVL2-40B --rater-model MiniCPM-V-2_6 --num-charts 1000 --out my-charts
      reachqa build --config qa --data-dir my-charts
    The paper's Q&A check drops a pair when 2 raters reject it: give two --rater-model (or
    --reject-rule capped). Estimate the cost first: add --estimate (nothing is sent).
    One stage on an existing folder (a synthesis output or a ReachQA split):
      reachqa synthesize rate --data-dir reachqa_train --out rerated --rater-model M --base-url URL
    Keys: --api-key or $OPENAI_API_KEY; raters: --rater-api-key or $RATER_API_KEY.
    """
    parser.add_argument("stage", nargs="?", default="all", choices=("all",) + STAGES,
                        help="run one stage only (default: the whole pipeline)")
    add_dataclass_flags(parser, SynthesisConfig)
    parser.set_defaults(run=run)


def config_from_args(args: argparse.Namespace) -> SynthesisConfig:
    return dataclass_from_args(SynthesisConfig, args)


def run(args: argparse.Namespace) -> int:
    from .pipeline import format_summary, run_pipeline, run_stage
    from .stages import StopRun

    try:
        cfg = config_from_args(args)
        if cfg.estimate:
            from .estimate import estimate, format_estimate

            print(format_estimate(estimate(cfg)))
            return 0
        coro = run_pipeline(cfg) if args.stage == "all" else run_stage(args.stage, cfg)
        summary = asyncio.run(coro)
    except StopRun as exc:
        print(f"reachqa synthesize: {exc}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"reachqa synthesize: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"reachqa synthesize: interrupted; every finished step is saved in {getattr(args, 'out', '--out')}/work, so running "
              f"the same command again resumes where this run stopped", file=sys.stderr)
        return 130
    print(format_summary(summary))
    for line in closing_hints(summary, cfg, args.stage):
        print(line, file=sys.stderr)
    incomplete = summary.get("pending") or (args.stage == "all" and summary["output"]["charts"] < cfg.num_charts)
    return 1 if incomplete else 0


def closing_hints(summary: dict, cfg, stage: str) -> list[str]:
    """What the user can do next; each line states a fact of this run."""
    lines = []
    pending = sum((summary.get("pending") or {}).values())
    if pending:
        lines.append(f"warning: {pending} item(s) are pending, not dropped: {summary['outage']}. "
                     f"Run the same command again once the server answers to retry them.")
    if stage == "all" and summary["output"]["charts"] < cfg.num_charts:
        lin = summary.get("lineages") or {}
        msg = f"warning: only {summary['output']['charts']} of {cfg.num_charts} charts were kept"
        if not pending and lin.get("started", 0) >= lin.get("budget", 0):
            msg += (f"; all {lin.get('budget')} lineages allowed (--num-charts x --max-attempts-factor "
                    f"{cfg.max_attempts_factor:g}) were tried: raise --max-attempts-factor to try more")
        lines.append(msg)
    return lines
