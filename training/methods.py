"""``--method``: which training a ``reachqa train`` / ``accelerate launch -m training`` command runs.

``sft`` (the default) is supervised LoRA fine-tuning (:mod:`training.train`); ``grpo`` is reinforcement
learning with verifiable rewards (:mod:`training.grpo`). The flag is taken off the command line here, so
every other option goes to the chosen method's parser untouched.
"""

from __future__ import annotations

METHODS = ("sft", "grpo")


def split_method(argv: list[str]) -> tuple[str, list[str]]:
    """(method, the other arguments); ``ValueError`` for a missing or unknown method name."""
    method, rest, i = "sft", [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--method":
            if i + 1 >= len(argv):
                raise ValueError(f"--method needs a value: {', '.join(METHODS)}")
            method, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--method="):
            method = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    if method not in METHODS:
        raise ValueError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    return method, rest


def train_and_evaluate(trainer, resume_from, evaluate: bool) -> dict:
    """Train, save the adapter, log and save the train metrics, then (``evaluate``) once on the eval set, and
    save the trainer state; the train and eval metrics together. Shared by every method."""
    result = trainer.train(resume_from_checkpoint=resume_from)
    metrics = dict(result.metrics)
    trainer.save_model()
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    if evaluate:
        eval_metrics = trainer.evaluate()
        trainer.log_metrics("eval", eval_metrics)
        trainer.save_metrics("eval", eval_metrics)
        metrics.update(eval_metrics)
    trainer.save_state()
    return metrics
