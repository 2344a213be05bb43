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
VISION_NAMES = ("vision_tower", "vision_model", "visual", "vision_encoder")
LORA_SCOPES = ("language", "projector", "vision")


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


def load_checked_processor(model_args):
    """The model's config (checked to be image-text-to-text) and its processor, with a pad token."""
    config = check_image_text_to_text(model_args.model_name_or_path, model_args.revision, model_args.trust_remote_code)
    processor = load_processor(model_args.model_name_or_path, revision=model_args.revision,
                               trust_remote_code=model_args.trust_remote_code)
    if getattr(processor, "tokenizer", None) is None:
        raise NotImageTextToTextError(f"{model_args.model_name_or_path!r}: AutoProcessor gave "
                                      f"{type(processor).__name__}, which has no tokenizer")
    if processor.tokenizer.pad_token is None:
        processor.tokenizer.pad_token = processor.tokenizer.eos_token
    return config, processor


def quantization_config(name: str):
    """The bitsandbytes config of ``--quantization`` (None for 'none'); refuses where it cannot run."""
    if name == "none":
        return None
    if name != "4bit":
        raise ValueError(f"--quantization {name!r}: choose 'none' or '4bit'")
    if not torch.cuda.is_available():
        raise ValueError("--quantization 4bit (QLoRA) needs a CUDA GPU: bitsandbytes' 4-bit kernels do not run on "
                         "this machine's CPU. Train without it, or on a GPU")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as exc:
        raise ValueError("--quantization 4bit needs the bitsandbytes package: pip install bitsandbytes") from exc
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def load_model(model_args, dtype: torch.dtype, config=None):
    """The model in ``dtype`` (4-bit base weights with --quantization 4bit); ``config`` as the processor's
    image budget left it."""
    kwargs = {"dtype": dtype, "revision": model_args.revision, "trust_remote_code": model_args.trust_remote_code}
    if config is not None:
        kwargs["config"] = config
    if model_args.attn_implementation:
        kwargs["attn_implementation"] = model_args.attn_implementation
    quantization = quantization_config(model_args.quantization)
    if quantization is not None:
        kwargs["quantization_config"] = quantization
    model = AutoModelForImageTextToText.from_pretrained(model_args.model_name_or_path, **kwargs)
    model.config.use_cache = False
    if quantization is not None:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    return model


def load_model_and_processor(model_args, dtype: torch.dtype):
    config, processor = load_checked_processor(model_args)
    return load_model(model_args, dtype), processor


def language_model_prefix(model: torch.nn.Module) -> str:
    """Dotted name of the language model inside a vision-language model."""
    names = [n for n, _ in model.named_modules() if n.split(".")[-1] in ("language_model", "text_model")]
    if not names:
        raise NotImageTextToTextError(f"{type(model).__name__} has no 'language_model' submodule to put LoRA on")
    return min(names, key=len)


def projector_name(model: torch.nn.Module) -> str | None:
    names = [n for n, _ in model.named_modules() if n.split(".")[-1] in PROJECTOR_NAMES]
    return min(names, key=len) if names else None


def vision_name(model: torch.nn.Module) -> str | None:
    names = [n for n, _ in model.named_modules() if n.split(".")[-1] in VISION_NAMES]
    return min(names, key=len) if names else None


def linear_parts(model: torch.nn.Module) -> dict[str, str]:
    """Every linear layer's dotted name -> the part it belongs to ('language', 'projector', 'vision').

    A projector inside the vision tower (Qwen2-VL's ``visual.merger``) counts as the projector."""
    prefixes = {"language": language_model_prefix(model), "projector": projector_name(model),
                "vision": vision_name(model)}
    out = {}
    for name, module in model.named_modules():
        if not isinstance(module, torch.nn.Linear):
            continue
        for part in ("projector", "vision", "language"):
            prefix = prefixes[part]
            if prefix is not None and (name == prefix or name.startswith(prefix + ".")):
                out[name] = part
                break
    return out


def lora_target_regex(model: torch.nn.Module, target_modules: list[str] | None = None,
                      scope: list[str] | tuple[str, ...] = ("language",)) -> str:
    """A PEFT ``target_modules`` regex matching the linear layers of the parts in ``scope`` (all of them, or
    those whose last name is in ``target_modules``)."""
    unknown_parts = sorted(set(scope) - set(LORA_SCOPES))
    if unknown_parts or not scope:
        raise ValueError(f"--lora_scope {' '.join(scope)}: choose one or more of {', '.join(LORA_SCOPES)}")
    parts = linear_parts(model)
    missing = sorted(p for p in scope if p not in parts.values())
    if missing:
        raise ValueError(f"--lora_scope {', '.join(missing)}: {type(model).__name__} has no linear layer in that part")
    names = sorted(n for n, p in parts.items() if p in scope)
    leaves = sorted({n.split(".")[-1] for n in names})
    if target_modules:
        unknown = sorted(set(target_modules) - set(leaves))
        if unknown:
            raise ValueError(f"--lora_target_modules {', '.join(unknown)}: no such linear layer in "
                             f"{' / '.join(scope)}; its linear layers are: {', '.join(leaves)}")
        names = [n for n in names if n.split(".")[-1] in target_modules]
    # one alternative per parent module, each followed by its linear leaves: short enough for 8B models
    by_parent: dict[str, list[str]] = {}
    for n in names:
        parent, _, leaf = n.rpartition(".")
        by_parent.setdefault(parent, []).append(leaf)
    groups: dict[tuple[str, ...], list[str]] = {}
    for parent, leaf_list in by_parent.items():
        groups.setdefault(tuple(sorted(leaf_list)), []).append(parent)
    alternatives = [rf"(?:{'|'.join(re.escape(p) for p in sorted(parents))})\.(?:{'|'.join(map(re.escape, leafs))})"
                    for leafs, parents in sorted(groups.items())]
    return "|".join(alternatives) if len(alternatives) > 1 else alternatives[0]


def upcast_trainable(model: torch.nn.Module) -> int:
    """Keep every trainable parameter in fp32 (master weights), whatever the base dtype; returns how many were
    cast. With bf16 weights, an update of lr 2e-5 is below half a bf16 step for most weights and is lost; the
    Trainer's bf16 autocast still runs the matrix work in bf16."""
    cast = 0
    for param in model.parameters():
        if param.requires_grad and param.dtype != torch.float32:
            param.data = param.data.float()
            cast += 1
    return cast


def apply_lora(model, lora_args):
    """Wrap ``model`` in a PEFT LoRA model on the parts of ``--lora_scope`` (by default the language model; the
    vision tower and the projector stay frozen). Every trainable parameter is kept in fp32."""
    modules_to_save = None
    scope = list(lora_args.lora_scope)
    if lora_args.train_projector:
        name = projector_name(model)
        if name is None:
            raise ValueError(f"--train_projector: found no projector module in {type(model).__name__} "
                             f"(looked for {', '.join(PROJECTOR_NAMES)})")
        modules_to_save = [name]
        scope = [p for p in scope if p != "projector"]  # trained in full, not through LoRA
    config = LoraConfig(
        r=lora_args.lora_r,
        lora_alpha=lora_args.lora_alpha,
        lora_dropout=lora_args.lora_dropout,
        target_modules=lora_target_regex(model, lora_args.lora_target_modules, scope),
        modules_to_save=modules_to_save,
        use_rslora=lora_args.use_rslora,
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, config)
    upcast_trainable(model)
    if modules_to_save:
        for wrapper in [m for m in model.modules() if type(m).__name__ == "ModulesToSaveWrapper"]:
            # the trained fp32 copy and the frozen original (used with the adapter off, e.g. GRPO's reference)
            for module in (wrapper.original_module, *wrapper.modules_to_save.values()):
                dtype_island(module)
    return model


def dtype_island(module: torch.nn.Module) -> None:
    """Let a module whose weights have another dtype than the model around it (the fp32 copy of a projector
    trained in full) run also outside autocast (GRPO's generation, evaluation): floating inputs are cast to the
    module's own dtype, the output back to the input's dtype."""

    def floating(value) -> bool:
        return torch.is_tensor(value) and value.is_floating_point()

    def cast_in(mod, args, kwargs):
        first = next((a for a in (*args, *kwargs.values()) if floating(a)), None)
        mod._reachqa_input_dtype = None if first is None else first.dtype
        own = next(mod.parameters()).dtype
        return (tuple(a.to(own) if floating(a) else a for a in args),
                {k: v.to(own) if floating(v) else v for k, v in kwargs.items()})

    def cast_out(mod, args, output):
        dtype = getattr(mod, "_reachqa_input_dtype", None)
        if dtype is None or not torch.is_tensor(output):
            return output
        return output.to(dtype)

    module.register_forward_pre_hook(cast_in, with_kwargs=True)
    module.register_forward_hook(cast_out)
