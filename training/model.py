"""Loading an image-text-to-text model and its processor, and wrapping it with a LoRA adapter."""

from __future__ import annotations

import re

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoConfig, AutoModelForImageTextToText
from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

from reachqa_builder.processors import load_processor

DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
PROJECTOR_NAMES = ("multi_modal_projector", "mm_projector", "mlp1", "connector", "merger", "aligner")


class NotImageTextToTextError(ValueError):
    """The model is not one that transformers runs as image-text-to-text."""


def check_image_text_to_text(name_or_path: str, revision: str | None = None, trust_remote_code: bool = False):
    """Return the model's config, or raise `NotImageTextToTextError` naming the model type."""
    try:
        config = AutoConfig.from_pretrained(name_or_path, revision=revision, trust_remote_code=trust_remote_code)
    except OSError as exc:  # no such folder, no config.json, not on the Hub or offline
        raise FileNotFoundError(f"cannot load the model config of {name_or_path!r}: {exc}") from exc
    supported = config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES
    remote = trust_remote_code and "AutoModelForImageTextToText" in (getattr(config, "auto_map", None) or {})
    if not (supported or remote):
        raise NotImageTextToTextError(
            f"{name_or_path!r} is a {config.model_type!r} model ({', '.join(config.architectures or ['?'])}), which "
            "transformers does not load as image-text-to-text (AutoModelForImageTextToText). Pick a vision-language "
            "checkpoint such as llava-hf/llama3-llava-next-8b-hf, llava-hf/llava-1.5-7b-hf or "
            "OpenGVLab/InternVL3-8B-hf")
    return config


def resolve_dtype(name: str, bf16: bool, fp16: bool) -> torch.dtype:
    if name == "auto":
        return torch.bfloat16 if bf16 else torch.float16 if fp16 else torch.float32
    return DTYPES[name]


def load_model_and_processor(model_args, dtype: torch.dtype):
    check_image_text_to_text(model_args.model_name_or_path, model_args.revision, model_args.trust_remote_code)
    processor = load_processor(model_args.model_name_or_path, revision=model_args.revision,
                               trust_remote_code=model_args.trust_remote_code)
    if getattr(processor, "tokenizer", None) is None:
        raise NotImageTextToTextError(f"{model_args.model_name_or_path!r}: AutoProcessor gave "
                                      f"{type(processor).__name__}, which has no tokenizer")
    if processor.tokenizer.pad_token is None:
        processor.tokenizer.pad_token = processor.tokenizer.eos_token
    kwargs = {"dtype": dtype, "revision": model_args.revision, "trust_remote_code": model_args.trust_remote_code}
    if model_args.attn_implementation:
        kwargs["attn_implementation"] = model_args.attn_implementation
    model = AutoModelForImageTextToText.from_pretrained(model_args.model_name_or_path, **kwargs)
    model.config.use_cache = False
    return model, processor


def language_model_prefix(model: torch.nn.Module) -> str:
    """Dotted name of the language model inside a vision-language model."""
    names = [n for n, _ in model.named_modules() if n.split(".")[-1] in ("language_model", "text_model")]
    if not names:
        raise NotImageTextToTextError(f"{type(model).__name__} has no 'language_model' submodule to put LoRA on")
    return min(names, key=len)


def projector_name(model: torch.nn.Module) -> str | None:
    names = [n for n, _ in model.named_modules() if n.split(".")[-1] in PROJECTOR_NAMES]
    return min(names, key=len) if names else None


def lora_target_regex(model: torch.nn.Module, target_modules: list[str] | None = None) -> str:
    """A PEFT ``target_modules`` regex matching the language model's linear layers (all, or those named)."""
    prefix = language_model_prefix(model)
    leaves = sorted({n.split(".")[-1] for n, m in model.named_modules()
                     if n.startswith(prefix + ".") and isinstance(m, torch.nn.Linear)})
    if target_modules:
        unknown = sorted(set(target_modules) - set(leaves))
        if unknown:
            raise ValueError(f"--lora_target_modules {', '.join(unknown)}: no such linear layer in the language "
                             f"model; its linear layers are: {', '.join(leaves)}")
        leaves = sorted(set(target_modules))
    if not leaves:
        raise ValueError(f"the language model ({prefix}) has no linear layers for LoRA")
    return rf"{re.escape(prefix)}\..*\.(?:{'|'.join(map(re.escape, leaves))})"


def apply_lora(model, lora_args):
    """Wrap ``model`` in a PEFT LoRA model; the vision tower (and the projector by default) stay frozen."""
    modules_to_save = None
    if lora_args.train_projector:
        name = projector_name(model)
        if name is None:
            raise ValueError(f"--train_projector: found no projector module in {type(model).__name__} "
                             f"(looked for {', '.join(PROJECTOR_NAMES)})")
        modules_to_save = [name]
    config = LoraConfig(
        r=lora_args.lora_r,
        lora_alpha=lora_args.lora_alpha,
        lora_dropout=lora_args.lora_dropout,
        target_modules=lora_target_regex(model, lora_args.lora_target_modules),
        modules_to_save=modules_to_save,
        use_rslora=lora_args.use_rslora,
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)
