"""``reachqa train``'s sub-command: light to import, so the ``reachqa`` command and ``reachqa train --help``
start without loading torch and transformers; a run imports :mod:`training.train`."""

from __future__ import annotations

import argparse

from training.config import quick_help


def configure(parser: argparse.ArgumentParser) -> None:
    """LoRA fine-tuning of an image-text-to-text model on chart Q&A (`reachqa train --help`; `--help-all` lists every option).

    Under accelerate: ``accelerate launch [--config_file training/configs/accelerate/ddp.yaml] $(which reachqa)
    train --config internvl2 ...``. Every option is handled by the training parser, so they are passed
    through untouched.
    ``--method grpo`` trains with GRPO instead (:mod:`training.grpo`: TRL's GRPOTrainer, GRPOConfig names as flags).
    """

    def parse_known_args(args=None, namespace=None):
        # hand every argument to the training parser (HfArgumentParser) instead of argparse's sub-parser
        namespace = namespace if namespace is not None else argparse.Namespace()
        namespace.train_argv = list(args or [])
        namespace.run = run
        return namespace, []

    parser.parse_known_args = parse_known_args


def run(namespace: argparse.Namespace) -> int:
    argv = namespace.train_argv
    if "--help-all" in argv:
        argv = ["--help"]
    elif "-h" in argv or "--help" in argv:
        print(quick_help())
        return 0
    from training.train import main

    return main(argv)
