"""``reachqa verify``: each Q&A answer checked against its chart's own data.

Examples::

    reachqa verify ../shared/reachqa-data/reachqa_test --out verdicts.jsonl --json verdicts.json
    reachqa verify my-charts --model qwen2.5-coder --base-url http://localhost:8000/v1 --program-only-uncheckable

Without a model, every number a recognition answer states is looked up among the values the
figure plots (:mod:`.answers`, through :func:`.cli.verify_rows`). With ``--model``, the LLM also
writes a program per question that computes the answer from the chart's code; the program runs in
the render sandbox (:mod:`.program`) and its result is compared with the answer. The model is
reached through the foundation's client (:mod:`reachqa_builder.llm`), whose settings give the
command its client flags.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# the client settings `reachqa verify` exposes, as flags generated from APIConfig (prefix "api")
CLIENT_FLAGS = ("base_url", "api_key", "concurrency", "timeout", "backoff_base")
CLIENT_ALIASES = {"base_url": ["--base-url"], "concurrency": ["--concurrency"], "timeout": ["--request-timeout"],
                  "backoff_base": ["--backoff-base"]}
# this command's own default: long program-writing replies get more time than the client's
CLIENT_DEFAULTS = {"timeout": 600.0}


def program_verdicts(items: list[tuple[str, str, str, str]], args) -> dict:
    """``{qa_id: Verdict}`` for ``(qa_id, question, answer, code)`` items, via model-written programs."""
    from ..cli_flags import dataclass_kwargs
    from ..llm.api import APIClient, APIError
    from ..llm.api_config import APIConfig
    from ..llm.types import ChatRequest
    from ..paths import reachqa_home
    from ..render.settings import render_settings_from_args
    from .program import compare_answer, extract_program, program_prompt, run_programs

    cache = args.program_cache or str(reachqa_home() / "checks" / "program-replies.sqlite")
    Path(cache).parent.mkdir(parents=True, exist_ok=True)
    client = APIClient(APIConfig(**dataclass_kwargs(APIConfig, args, prefix="api"), cache_path=cache))
    requests = [ChatRequest(messages=({"role": "user", "content": program_prompt(code, question)},), model=args.model,
                            temperature=0.0, max_tokens=1024) for _, question, _, code in items]
    replies = client.chat_many_sync(requests)
    programs, verdicts = {}, {}
    for (qa_id, _, answer, _), reply in zip(items, replies):
        if isinstance(reply, APIError):
            verdicts[qa_id] = compare_answer(answer, None, f"the model call failed: {reply}")
            continue
        program = extract_program(reply.text)
        if program is None:
            verdicts[qa_id] = compare_answer(answer, None, "the model's reply holds no program")
        else:
            programs[qa_id] = program
    render = render_settings_from_args(args)
    results = run_programs(programs, env=render.env, workers=render.workers, timeout=args.program_timeout,
                           cache_dir=render.cache_dir, progress=render.progress)
    answers = {qa_id: answer for qa_id, _, answer, _ in items}
    for qa_id, (computed, problem) in results.items():
        verdicts[qa_id] = compare_answer(answers[qa_id], computed, problem)
    return verdicts


def run(args) -> int:
    from ..layout import LayoutError
    from .cli import verify_rows, write_verdicts

    try:
        rows, codes = verify_rows(args)
    except LayoutError as exc:
        print(f"reachqa verify: error: {exc}", file=sys.stderr)
        return 2
    if args.model:
        items = [(r["qa_id"], r["question"], r["answer"], codes[r["chart_id"]]) for r in rows
                 if not args.program_only_uncheckable or r["verdict"] == "not_checkable"]
        verdicts = program_verdicts(items, args)
        for r in rows:
            if r["qa_id"] in verdicts:
                r["program"] = verdicts[r["qa_id"]].as_dict()
    write_verdicts(args, rows)
    return 0


def configure(parser: argparse.ArgumentParser) -> None:
    """Check each Q&A answer against the values its chart actually plots (and, with --model, a computed answer).

    Every number a recognition answer states is looked up among the values the figure plots (read
    in the render worker), within the relaxed-accuracy tolerance (5%): supported / contradicted /
    not_checkable, with the evidence. With --model, an LLM also writes a short program computing
    the answer from the chart's code; the program runs in the render sandbox and its result is
    compared with the stated answer.
    """
    from ..cli_flags import add_dataclass_flags
    from ..llm.api_config import APIConfig
    from .cli import add_verify_args

    add_verify_args(parser)
    g = parser.add_argument_group("program check (optional; an OpenAI-compatible server)")
    g.add_argument("--model", help="model that writes the checking programs (enables the program check)")
    add_dataclass_flags(g, APIConfig, only=CLIENT_FLAGS, prefix="api", aliases=CLIENT_ALIASES,
                        defaults=CLIENT_DEFAULTS)
    g.add_argument("--program-timeout", type=float, default=30.0, help="seconds one program may run (default 30)")
    g.add_argument("--program-cache", help="SQLite cache of the model's replies (default: "
                                           "$REACHQA_HOME/checks/program-replies.sqlite)")
    g.add_argument("--program-only-uncheckable", action="store_true",
                   help="ask the model only about pairs the plotted-values check cannot decide")
    parser.set_defaults(run=run)
