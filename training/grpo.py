"""GRPO (group relative policy optimisation) with LoRA on chart Q&A: TRL's ``GRPOTrainer`` with verifiable rewards.

Usage::

    reachqa train --method grpo --config llava_next --dataset ./reachqa --output_dir runs/llava-grpo
    accelerate launch -m training --method grpo --config internvl --dataset ./reachqa --output_dir runs/ivl-grpo \\
        --num_generations 8 --max_completion_length 1024 --beta 0.04 --rewards accuracy format judge \\
        --reward_weights 1 0.5 1 --judge_model gpt-4o-2024-08-06
    reachqa merge-lora runs/llava-grpo --out runs/llava-grpo-merged

Same data, presets, model loading and LoRA as ``reachqa train`` (SFT); the trainer options are TRL's
``GRPOConfig`` fields (``--num_generations``, ``--max_completion_length``, ``--beta``, ``--temperature``,
``--reward_weights``, ...; ``GRPOConfig`` extends ``TrainingArguments``). Values are layered:
``configs/paper.yaml``, then ``configs/methods/grpo.yaml`` (the GRPO recipe, sources named there), then
``--config`` (a model preset or your YAML), then the command line.

Each row becomes a prompt (the chart, the question, ``--prompt_suffix`` and the answer-format instruction)
and a reference: the ``--reference_column`` (``concise_answer`` of the ReachQA ``qa`` config) where it is
filled, else the ``--answer_column``; rows taking the fallback are counted in ``data_report.json``. The
rewards are :mod:`training.rewards`. The output folder gets the adapter, the processor,
``trainer_state.json``, ``reward_log.jsonl`` (one line per logged step: each reward's mean and std, the
total reward, KL, judge usage) and ``reachqa_training.json``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from training.rewards import ANSWER_FORMATS, FORMAT_INSTRUCTIONS, REWARD_NAMES
from training.methods import train_and_evaluate

logger = logging.getLogger("training")

# the method's base (not a --config preset); no torch / transformers / trl import at module level
GRPO_CONFIG = Path(__file__).resolve().parent / "configs" / "methods" / "grpo.yaml"
REWARD_LOG = "reward_log.jsonl"


@dataclass
class RewardArguments:
    """What the GRPO run rewards and how the answer is written."""

    rewards: list[str] = field(
        default_factory=lambda: ["accuracy", "format"],
        metadata={"help": f"Reward functions, summed with --reward_weights in this order: {', '.join(REWARD_NAMES)}. "
                          "accuracy: relaxed accuracy of the extracted final answer; format: the answer format; "
                          "judge: the LLM judge of `reachqa judge` (needs --judge_model)."},
    )
    answer_format: str = field(
        default="think",
        metadata={"help": "think: '<think> ... </think> <answer> ... </answer>' (the R1 convention); answer_is: "
                          "reasoning ending with 'The answer is X.' (ReachQA's answers, what the evaluation reads).",
                  "choices": list(ANSWER_FORMATS)},
    )
    reference_column: str = field(
        default="concise_answer",
        metadata={"help": "Column with the short reference answer the rewards compare with; where it is missing or "
                          "empty, --answer_column is used (counted in data_report.json)."},
    )
    relaxed_tolerance: float = field(default=0.05, metadata={"help": "Relative tolerance of the relaxed match."})
    judge_model: str | None = field(default=None, metadata={"help": "Judge model name on the server (judge reward)."})
    judge_protocol: str = field(default="paper", metadata={"help": "Judge protocol: paper or json (see reachqa judge)."})
    judge_base_url: str | None = field(
        default=None, metadata={"help": "Judge API root with /v1 (default: $OPENAI_BASE_URL, else OpenAI)."})
    judge_concurrency: int = field(default=16, metadata={"help": "Judge requests in flight."})
    judge_cache: str | None = field(
        default=None, metadata={"help": "Judge reply cache (SQLite). Default: the judge's, "
                                        "$REACHQA_HOME/judge-cache.sqlite."})
    judge_usd_per_mtok_in: float | None = field(
        default=None, metadata={"help": "Judge price per million prompt tokens, for the cost in the log."})
    judge_usd_per_mtok_out: float | None = field(
        default=None, metadata={"help": "Judge price per million completion tokens, for the cost in the log."})

    def judge_settings(self) -> dict:
        settings = {"judge_model": self.judge_model, "protocol": self.judge_protocol, "base_url": self.judge_base_url,
                    "concurrency": self.judge_concurrency, "progress": False}
        if self.judge_cache is not None:
            settings["cache_path"] = self.judge_cache
        return settings


def arg_classes() -> tuple:
    from trl import GRPOConfig

    from training.config import DataArguments, LoraArguments, ModelArguments
    return ModelArguments, DataArguments, LoraArguments, GRPOConfig, RewardArguments


def parse_args(argv: list[str] | None = None, prog: str = "reachqa train --method grpo"):
    """(model, data, lora, GRPOConfig, reward) arguments; `training.config.ConfigError` on bad input."""
    from training.config import BASE_CONFIG
    from training.config import parse_args as parse
    return parse(argv, prog, classes=arg_classes(), base_configs=(BASE_CONFIG, GRPO_CONFIG))


def prompt_suffix(data_args, reward_args) -> str:
    """What follows each question: the --prompt_suffix, then the answer-format instruction."""
    return " ".join(s for s in (data_args.prompt_suffix, FORMAT_INSTRUCTIONS[reward_args.answer_format]) if s)


def add_references(ds, data_args, reward_args, split: str) -> tuple:
    """Add the ``reference`` column (reference column, else the answer) and ``question_text`` (for the judge)."""
    from training.prompts import row_conversation

    column = reward_args.reference_column

    def refs(batch):
        out = {"reference": [], "question_text": [], "fallback": []}
        for i in range(len(next(iter(batch.values())))):
            row = {k: v[i] for k, v in batch.items()}
            _, turns, _ = row_conversation(row, data_args.image_column, data_args.question_column,
                                           data_args.answer_column)
            user = next(t["content"] for t in turns if t["role"] == "user")
            answer = next(t["content"] for t in turns if t["role"] == "assistant")
            given = row.get(column)
            use = isinstance(given, str) and bool(given.strip())
            out["reference"].append(given.strip() if use else answer.strip())
            out["question_text"].append(user.replace("<image>", "").strip())
            out["fallback"].append(not use)
        return out

    ds = ds.map(refs, batched=True, desc=f"References ({split})")
    fallback = sum(ds["fallback"])
    ds = ds.remove_columns("fallback")
    if fallback:
        logger.warning("split %r: %d of %d rows have no %r; their reference is the %r column", split, fallback,
                       len(ds), column, data_args.answer_column)
    return ds, {"reference_column": column, "reference_fallback_rows": fallback}


class RowsToPrompts:
    """``with_transform`` function: dataset rows to what ``GRPOTrainer`` takes (``prompt`` messages whose image
    parts are filled from ``images``), plus ``reference`` and ``question`` for the rewards. Images are decoded
    here, when a row is read, so the dataset never holds decoded images."""

    def __init__(self, formatter, data_args, base_dir: str | None):
        self.formatter = formatter
        self.data_args = data_args
        self.base_dir = base_dir

    def __call__(self, batch: dict) -> dict:
        from training.data import decode_image
        from training.prompts import _template_message, row_conversation

        out = {"prompt": [], "images": [], "reference": [], "question": []}
        d = self.data_args
        for i in range(len(batch["reference"])):
            row = {k: v[i] for k, v in batch.items()}
            images, turns, add_suffix = row_conversation(row, d.image_column, d.question_column, d.answer_column)
            first_answer = next(k for k, t in enumerate(turns) if t["role"] == "assistant")
            messages = []
            if self.formatter.system_prompt and turns[0]["role"] != "system":
                messages.append({"role": "system", "content": [{"type": "text", "text": self.formatter.system_prompt}]})
            first_user = True
            for turn in turns[:first_answer]:
                if turn["role"] == "system":
                    messages.append({"role": "system", "content": [{"type": "text", "text": turn["content"]}]})
                    continue
                transform = self.formatter.user_text if (turn["role"] == "user" and first_user and add_suffix) else None
                messages.append(_template_message(turn, transform))
                first_user = first_user and turn["role"] != "user"
            out["prompt"].append(messages)
            out["images"].append([decode_image(im, self.base_dir) for im in images])
            out["reference"].append(row["reference"])
            out["question"].append(row["question_text"])
        return out


def reward_log_callback(path: Path):
    """A TrainerCallback appending every logged step that carries rewards to ``path`` (JSONL, flushed lines)."""
    from transformers import TrainerCallback

    class RewardLog(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if not state.is_world_process_zero or not logs or "reward" not in logs:
                return
            record = {"step": state.global_step, **{k: v for k, v in logs.items()
                                                    if k.startswith(("reward", "rewards/", "judge/", "kl"))
                                                    or k in ("loss", "learning_rate", "completions/mean_length")}}
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()

    return RewardLog()


def run(model_args, data_args, lora_args, training_args, reward_args) -> dict:
    """Train with GRPO and save the adapter; returns the final metrics."""
    import transformers
    from trl import GRPOTrainer

    from reachqa_builder.fileio import atomic_write_json
    from training.budget import apply_image_budget
    from training.data import load_splits
    from training.model import apply_lora, load_model_and_processor, resolve_dtype
    from reachqa_builder.processors import copy_conversion_record
    from training.prepare import LENGTH_COLUMN, LengthMeter, measure_split
    from training.prompts import ChatFormatter
    from training.rewards import build_rewards
    from training.train import local_base_dir, record_absolute_base, resume_checkpoint, settle_training_args

    rewards = build_rewards(reward_args.rewards, reward_args.answer_format, reward_args.relaxed_tolerance,
                            reward_args.judge_settings() if "judge" in reward_args.rewards else None,
                            reward_args.judge_usd_per_mtok_in, reward_args.judge_usd_per_mtok_out)
    weights = training_args.reward_weights
    if weights is not None and len(weights) != len(rewards):
        raise ValueError(f"--reward_weights {weights}: give one weight per reward of --rewards "
                         f"({' '.join(reward_args.rewards)})")
    settle_training_args(training_args, model_args)
    resume_from = resume_checkpoint(training_args)
    transformers.set_seed(training_args.seed)
    dtype = resolve_dtype(model_args.dtype, training_args.bf16, training_args.fp16)
    model, processor = load_model_and_processor(model_args, dtype)
    padding_side = processor.tokenizer.padding_side
    processor.tokenizer.padding_side = "left"  # GRPOTrainer generates from left-padded prompts
    apply_image_budget(processor, model.config, data_args.max_tiles, data_args.max_pixels)
    formatter = ChatFormatter(processor, prompt_suffix(data_args, reward_args), data_args.system_prompt,
                              data_args.append_eos)
    base_dir = local_base_dir(data_args.dataset)

    with training_args.main_process_first(desc="loading and checking the dataset"):
        train, evaluation = load_splits(data_args)
        meter = LengthMeter(processor, formatter)
        train, report = measure_split(train, meter, data_args, data_args.train_split, base_dir)
        train, ref_report = add_references(train, data_args, reward_args, data_args.train_split)
        reports = [{**report, **ref_report}]
        if evaluation is not None:
            split = data_args.eval_split or "eval"
            evaluation, eval_report = measure_split(evaluation, meter, data_args, split, base_dir)
            evaluation, eval_ref = add_references(evaluation, data_args, reward_args, split)
            reports.append({**eval_report, **eval_ref})
    to_prompts = RowsToPrompts(formatter, data_args, base_dir)
    train = train.remove_columns(LENGTH_COLUMN).with_transform(to_prompts)
    if evaluation is not None:
        evaluation = evaluation.remove_columns(LENGTH_COLUMN).with_transform(to_prompts)

    model = apply_lora(model, lora_args)
    if training_args.process_index == 0:
        model.print_trainable_parameters()
    output_dir = Path(training_args.output_dir)
    trainer = GRPOTrainer(model=model, reward_funcs=rewards, args=training_args, train_dataset=train,
                          eval_dataset=evaluation, processing_class=processor,
                          callbacks=[reward_log_callback(output_dir / REWARD_LOG)])
    if trainer.is_world_process_zero():
        atomic_write_json(output_dir / "data_report.json", reports, default=str)
        atomic_write_json(output_dir / "reachqa_training.json", {
            "method": "grpo", "model": dataclasses.asdict(model_args), "data": dataclasses.asdict(data_args),
            "lora": dataclasses.asdict(lora_args), "rewards": dataclasses.asdict(reward_args),
            "prompt_suffix": formatter.prompt_suffix, "training": training_args.to_dict()}, default=str)

    # the evaluation: rewards of sampled completions on the eval rows
    metrics = train_and_evaluate(trainer, resume_from, evaluation is not None)
    if trainer.is_world_process_zero():
        record_absolute_base(output_dir, model_args.model_name_or_path)
        processor.tokenizer.padding_side = padding_side  # the checkpoint's own, for inference and SFT
        processor.save_pretrained(training_args.output_dir)
        copy_conversion_record(model_args.model_name_or_path, training_args.output_dir)
        judges = [r for r in rewards if r.__name__ == "judge"]
        if judges:
            atomic_write_json(output_dir / "judge_usage.json", dataclasses.asdict(judges[0].cost), default=str)
    return metrics


def main(argv: list[str] | None = None, prog: str = "reachqa train --method grpo") -> int:
    from training.config import ConfigError

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        args = parse_args(argv, prog)
    except (ConfigError, ValueError) as exc:  # ValueError: GRPOConfig's own checks of its values
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    import transformers

    from reachqa_builder.scoring import judge_errors

    transformers.utils.logging.set_verbosity_warning()
    try:
        run(*args)
    except (ValueError, FileNotFoundError, *judge_errors()) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0
