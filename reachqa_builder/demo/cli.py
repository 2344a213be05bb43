"""``reachqa demo-server``'s flags, kept apart from the server so that ``reachqa --help`` does not
load aiohttp (:mod:`.server` is imported when the command runs)."""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    """Serve stand-in models on 127.0.0.1 (an OpenAI-compatible server) for the offline demo.

    They write chart scripts, rate images, write and check Q&A (reachqa synthesize), answer
    benchmark questions (reachqa infer/evaluate --engine openai) and judge answers (reachqa judge).
    Example:
      reachqa demo-server --port 8000 &
      reachqa synthesize --model demo --rater-model r1 --rater-model r2 --num-charts 5 --render-env current
    """
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each reply takes")
    parser.add_argument("--api-key", default=None, help="require this key (default: none)")
    parser.add_argument("--reply", choices=("demo", "ok"), default="demo",
                        help="demo: stand-in models that answer reachqa's prompts (reachqa_builder/demo/models.py); "
                             "ok: 'ok' / {} to everything")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .server import run as serve

    return serve(args)
