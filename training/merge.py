"""`reachqa merge-lora`: fold a trained LoRA adapter into its base model and save a standalone model.

Usage::

    reachqa merge-lora runs/llava-reachqa --out runs/llava-reachqa-merged
    reachqa merge-lora runs/llava-reachqa --out merged --base /models/llava-next --dtype bfloat16

The result loads with ``AutoModelForImageTextToText.from_pretrained(out)`` and
``AutoProcessor.from_pretrained(out)``, without PEFT. It is written to a temporary folder next to
``--out`` and moved into place when complete, so an interrupted merge leaves no half-written model.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

DTYPE_CHOICES = ("auto", "float32", "bfloat16", "float16")


def configure(parser: argparse.ArgumentParser) -> None:
    """Merge a LoRA adapter from training into its base model and save a standalone model."""
    parser.add_argument("adapter", help="folder written by `reachqa train` (adapter_config.json) "
                                        "or one of its checkpoint-N folders")
    parser.add_argument("--out", required=True, help="folder for the merged model and its processor")
    parser.add_argument("--base", default=None,
                        help="base model (Hub id or folder); default: base_model_name_or_path in adapter_config.json")
    parser.add_argument("--dtype", default="auto", choices=DTYPE_CHOICES,
                        help="dtype of the saved weights; 'auto' keeps the base checkpoint's")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)


def adapter_base(adapter_dir: Path) -> str:
    config_path = adapter_dir / "adapter_config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{adapter_dir}: no adapter_config.json; pass the output folder of a training run")
    base = json.loads(config_path.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise ValueError(f"{config_path} names no base model; pass --base")
    return base


def merge(adapter: str | Path, out: str | Path, base: str | None = None, dtype: str = "auto",
          overwrite: bool = False) -> Path:
    """Merge ``adapter`` into ``base`` and save model and processor to ``out``; returns ``out``."""
    adapter_dir, out = Path(adapter), Path(out)
    base = base or adapter_base(adapter_dir)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --overwrite to replace it")
    import torch
    from peft import PeftModel
    from transformers import AutoModelForImageTextToText

    from reachqa_builder.processors import (copy_conversion_record, load_processor, match_model_to_processor,
                                            processor_source)
    torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
    model = AutoModelForImageTextToText.from_pretrained(base, dtype=torch_dtype)
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    processor = load_processor(processor_source(base, adapter_dir))
    match_model_to_processor(merged.config, processor)  # the training run's --max_tiles, saved with its processor

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        merged.save_pretrained(tmp)
        processor.save_pretrained(tmp)
        copy_conversion_record(base, tmp)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def run(args) -> int:
    try:
        out = merge(args.adapter, args.out, base=args.base, dtype=args.dtype, overwrite=args.overwrite)
    except (FileNotFoundError, FileExistsError, ValueError, OSError) as exc:
        print(f"reachqa merge-lora: {exc}", file=sys.stderr)
        return 2
    print(f"merged model written to {out}")
    return 0
