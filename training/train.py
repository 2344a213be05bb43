"""LoRA fine-tuning of an image-text-to-text model on chart Q&A.

Usage::

    reachqa train --config llava_next --dataset ./reachqa --output_dir runs/llava-reachqa
    accelerate launch --config_file training/configs/accelerate/ddp.yaml $(which reachqa) train ...  # several GPUs
    reachqa train ... --resume_from_checkpoint last  # go on from the newest checkpoint
    reachqa merge-lora runs/llava-reachqa --out runs/llava-reachqa-merged

The output folder gets the adapter (``adapter_model.safetensors``, ``adapter_config.json``), the
processor, ``trainer_state.json`` (loss history), ``data_report.json`` (rows kept, skipped, cut)
and ``reachqa_training.json`` (every argument of the run).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

import torch
import transformers
from transformers import Trainer
from transformers.trainer_utils import get_last_checkpoint

from reachqa_builder.fileio import atomic_write_json
from training.budget import apply_image_budget
from training.collator import VisionQACollator
from training.config import ConfigError, parse_args
from training.data import load_splits
from reachqa_builder.processors import copy_conversion_record
from training.methods import split_method, train_and_evaluate
from training.model import apply_lora, load_checked_processor, load_model, resolve_dtype
from training.prepare import LENGTH_COLUMN, LengthMeter, measure_split
from training.prompts import ChatFormatter

logger = logging.getLogger("training")


def settle_training_args(training_args, model_args) -> None:
    """Fix the TrainingArguments this script relies on, and pick bf16 where the GPU has it."""
    training_args.remove_unused_columns = False  # the collator needs the raw image/question/answer columns
    training_args.label_names = ["labels"]
    training_args.length_column_name = LENGTH_COLUMN
    if (model_args.auto_bf16 and not (training_args.bf16 or training_args.fp16) and not training_args.use_cpu
            and torch.cuda.is_available() and torch.cuda.is_bf16_supported()):
        training_args.bf16 = True
        logger.info("training in bf16 (the GPU supports it; pass --auto_bf16 false to keep fp32)")


def record_absolute_base(output_dir: Path, model_name_or_path: str) -> None:
    """Write a local base model's absolute path into every adapter_config.json of the run, so that
    `reachqa merge-lora` and PEFT find the base from any folder (PEFT records the path as given)."""
    if not os.path.isdir(model_name_or_path):
        return
    absolute = str(Path(model_name_or_path).resolve())
    for config_path in [output_dir / "adapter_config.json", *output_dir.glob("checkpoint-*/adapter_config.json")]:
        if config_path.is_file():
            config = json.loads(config_path.read_text(encoding="utf-8"))
            if config.get("base_model_name_or_path") != absolute:
                config["base_model_name_or_path"] = absolute
                atomic_write_json(config_path, config, default=str)


def resume_checkpoint(training_args) -> str | None:
    value = training_args.resume_from_checkpoint
    if value in (None, "", "false", "False"):
        return None
    if value in ("last", "auto", "true", "True"):
        last = get_last_checkpoint(training_args.output_dir) if os.path.isdir(training_args.output_dir) else None
        if last is None:
            logger.info("no checkpoint in %s yet: starting from scratch", training_args.output_dir)
        return last
    if not os.path.isdir(value):
        raise FileNotFoundError(f"--resume_from_checkpoint {value!r}: no such checkpoint folder")
    return value


def local_base_dir(dataset: str) -> str | None:
    return dataset if os.path.isdir(dataset) else None


def run(model_args, data_args, lora_args, training_args) -> dict:
    """Train, evaluate and save; returns the final metrics."""
    settle_training_args(training_args, model_args)
    logger.info("world size %d (process %d)", training_args.world_size, training_args.process_index)
    resume_from = resume_checkpoint(training_args)  # a wrong path fails before any loading
    transformers.set_seed(training_args.seed)
    dtype = resolve_dtype(model_args.dtype, training_args.bf16, training_args.fp16)
    config, processor = load_checked_processor(model_args)
    apply_image_budget(processor, config, data_args.max_tiles, data_args.max_pixels)
    formatter = ChatFormatter(processor, data_args.prompt_suffix, data_args.system_prompt, data_args.append_eos)
    base_dir = local_base_dir(data_args.dataset)

    # every record is checked (and measured) before the model loads: a data error costs seconds, not a model load
    with training_args.main_process_first(desc="loading and measuring the dataset"):
        train, evaluation = load_splits(data_args)
        meter = LengthMeter(processor, formatter)
        train, train_report = measure_split(train, meter, data_args, data_args.train_split, base_dir)
        reports = [train_report]
        if evaluation is not None:
            evaluation, eval_report = measure_split(evaluation, meter, data_args, data_args.eval_split or "eval",
                                                    base_dir)
            reports.append(eval_report)

    if evaluation is None and training_args.eval_strategy != "no":
        logger.info("no eval set (--eval_split / --eval_size): evaluation off")
        training_args.eval_strategy = training_args.eval_strategy.__class__("no")
    model = apply_lora(load_model(model_args, dtype, config), lora_args)
    if training_args.process_index == 0:
        model.print_trainable_parameters()
    collator = VisionQACollator(processor, formatter, image_column=data_args.image_column,
                                question_column=data_args.question_column, answer_column=data_args.answer_column,
                                max_length=data_args.max_length, base_dir=base_dir)
    trainer = Trainer(model=model, args=training_args, train_dataset=train, eval_dataset=evaluation,
                      data_collator=collator, processing_class=processor)
    logger.info("distributed: %s (process %d)", trainer.accelerator.distributed_type.value,
                training_args.process_index)
    output_dir = Path(training_args.output_dir)
    if trainer.is_world_process_zero():
        atomic_write_json(output_dir / "data_report.json", reports, default=str)
        atomic_write_json(output_dir / "reachqa_training.json", {
            "model": dataclasses.asdict(model_args), "data": dataclasses.asdict(data_args),
            "lora": dataclasses.asdict(lora_args), "training": training_args.to_dict()}, default=str)

    metrics = train_and_evaluate(trainer, resume_from, evaluation is not None)
    if trainer.is_world_process_zero():
        record_absolute_base(output_dir, model_args.model_name_or_path)
        processor.save_pretrained(training_args.output_dir)
        copy_conversion_record(model_args.model_name_or_path, training_args.output_dir)
    return metrics


def main(argv: list[str] | None = None, prog: str = "reachqa train") -> int:
    try:
        method, argv = split_method(list(sys.argv[1:] if argv is None else argv))
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    if method == "grpo":
        from training.grpo import main as grpo_main
        return grpo_main(argv, f"{prog} --method grpo")
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        model_args, data_args, lora_args, training_args = parse_args(argv, prog)
    except ConfigError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    transformers.utils.logging.set_verbosity_warning()
    try:
        run(model_args, data_args, lora_args, training_args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0
