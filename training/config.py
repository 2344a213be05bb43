"""Configuration of a LoRA fine-tuning run: three dataclasses plus transformers' `TrainingArguments`.

Every field can be set on the command line (``--lora_r 32``) or in a YAML file given with
``--config``. Values are layered: ``training/configs/paper.yaml`` (the paper's hyper-parameters)
first, then the ``--config`` file (a preset such as ``llava_next`` or your own YAML), then the
command line.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import yaml

from reachqa_builder.render.settings import render_field
from reachqa_builder.settings import PROMPT_SUFFIX
from training.budget import DEFAULT_MAX_PIXELS

PRESETS_DIR = Path(__file__).resolve().parent / "configs"
BASE_CONFIG = PRESETS_DIR / "paper.yaml"


@dataclass
class ModelArguments:
    """Which model to fine-tune and how to load it.

    Args:
        model_name_or_path: Hub id or local folder of an image-text-to-text model.
        dtype: weight dtype; "auto" follows the training precision (bf16/fp16/fp32).
    """

    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Hub id or local folder of an image-text-to-text model (loaded with "
                          "AutoModelForImageTextToText and AutoProcessor). Required."},
    )
    revision: str | None = field(default=None, metadata={"help": "Model revision (branch, tag or commit)."})
    dtype: str = field(
        default="auto",
        metadata={"help": "Weight dtype: 'auto' (bfloat16 when training in bf16, float16 in fp16, else float32), "
                          "'bfloat16', 'float16' or 'float32'.",
                  "choices": ["auto", "bfloat16", "float16", "float32"]},
    )
    attn_implementation: str | None = field(
        default=None,
        metadata={"help": "Attention kernel passed to from_pretrained, e.g. 'sdpa', 'eager', "
                          "'flash_attention_2'. Default: the model's own choice."},
    )
    trust_remote_code: bool = field(
        default=False,
        metadata={"help": "Allow model code from the Hub. Off: only models transformers supports natively."},
    )
    auto_bf16: bool = field(
        default=True,
        metadata={"help": "Train in bf16 when neither --bf16 nor --fp16 is given and the GPU supports bf16."},
    )
    quantization: str = field(
        default="none",
        metadata={"help": "QLoRA: '4bit' loads the frozen base weights in 4-bit NF4 (bitsandbytes, double "
                          "quantization, bf16 compute) and trains the LoRA adapter in fp32 on top. Needs a CUDA GPU "
                          "and the bitsandbytes package. 'none': full-precision base weights.",
                  "choices": ["none", "4bit"]},
    )


@dataclass
class DataArguments:
    """Which dataset to train on and how to turn a row into a conversation."""

    dataset: str | None = field(
        default=None,
        metadata={"help": "Hub id or local path that datasets.load_dataset loads (a `reachqa build` folder, a "
                          "synthesis output, any dataset with image, question and answer columns), or a JSON / JSONL "
                          "file (LLaVA conversations, ms-swift/TRL messages, flat image/question/answer records, "
                          "released ReachQA instruction_data_*.json; images relative to the file). Several files "
                          "separated by commas are mixed (see --dataset_weights). Required."},
    )
    dataset_weights: list[float] | None = field(
        default=None,
        metadata={"help": "With several --dataset files: sampling weight of each (rows are drawn from each file with "
                          "these probabilities until every file is used up). Default: plain concatenation."},
    )
    # HfArgumentParser needs a flat field: default, help and choices are RenderSettings.env's
    render_env: str = render_field("env", note="Used for released ReachQA Q&A files whose chart images do not exist "
                                               "yet (their code/*.py is rendered).")
    render_dir: str | None = field(
        default=None,
        metadata={"help": "Folder for charts rendered from released ReachQA chart scripts. Default: "
                          "$REACHQA_HOME/training-renders (~/.cache/reachqa/training-renders)."},
    )
    dataset_config: str | None = field(default=None, metadata={"help": "Dataset configuration name, e.g. 'qa'."})
    train_split: str = field(default="train", metadata={"help": "Split to train on."})
    eval_split: str | None = field(
        default=None,
        metadata={"help": "Split to compute the eval loss on (e.g. 'test'). Leave empty to use --eval_size."},
    )
    eval_size: float = field(
        default=0.0,
        metadata={"help": "Without --eval_split: hold out this fraction (<1) or number (>=1) of training rows "
                          "for the eval loss. 0: no eval set. Rows are held out by chart: all questions of one "
                          "chart land on the same side (see --eval_group_column)."},
    )
    eval_group_column: str = field(
        default="auto",
        metadata={"help": "Column that names a row's chart for the --eval_size hold-out. 'auto': chart_id when the "
                          "dataset has it, else the image itself (its bytes or path). 'none': hold out single rows "
                          "(questions of one chart may then be in both train and eval)."},
    )
    image_column: str = field(default="image", metadata={"help": "Column with the chart image."})
    question_column: str = field(default="question", metadata={"help": "Column with the question."})
    answer_column: str = field(default="answer", metadata={"help": "Column with the answer (the training target)."})
    prompt_suffix: str = field(
        default=PROMPT_SUFFIX,
        metadata={"help": "Text appended to each question, separated by a space (the paper's suffix). "
                          "Empty string: none."},
    )
    system_prompt: str | None = field(
        default=None, metadata={"help": "Optional system message put before each conversation."}
    )
    append_eos: bool = field(
        default=True,
        metadata={"help": "Append the EOS token to answers whose chat template closes the turn with no special "
                          "token (e.g. LLaVA-1.5's), so the model learns to stop."},
    )
    max_length: int = field(
        default=4096,
        metadata={"help": "Longest sequence in tokens, image tokens included. Longer answers are cut; rows whose "
                          "prompt alone is longer are dropped and counted."},
    )
    max_tiles: int | None = field(
        default=None,
        metadata={"help": "Most image tiles per image: InternVL's 448 px tiles (a thumbnail is added), LLaVA-NeXT's "
                          "anyres grid. Default: the processor's own (InternVL2: 12)."},
    )
    max_pixels: int | None = field(
        default=DEFAULT_MAX_PIXELS,
        metadata={"help": "Qwen2-VL-style processors: most pixels per image (1280 x 28 x 28 = 1,280 image tokens keeps "
                          "a 2480x1571 chart within max_length). Lower caps of the processor are kept."},
    )
    on_bad_image: str = field(
        default="skip",
        metadata={"help": "What to do with a row whose image does not decode: 'skip' it (counted in "
                          "data_report.json and the log) or 'fail' with an error naming the row.",
                  "choices": ["skip", "fail"]},
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Use only the first N training rows (debugging, smoke runs)."}
    )
    dataset_num_proc: int | None = field(
        default=None, metadata={"help": "Processes for the one-off pass that checks images and measures lengths."}
    )
    prepare_cache_dir: str | None = field(
        default=None,
        metadata={"help": "Folder for the per-row check results and token counts, keyed by the data files (path, "
                          "size, modification time) and the processor with its image budget: a second start with "
                          "the same data and model reads them instead of measuring again. Default: "
                          "$REACHQA_HOME/training-prepare (~/.cache/reachqa/training-prepare). Empty string: no "
                          "cache."},
    )


@dataclass
class LoraArguments:
    """The LoRA adapter (PEFT). Defaults are the paper's: rank 16, alpha 8, dropout 0.05."""

    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=8, metadata={"help": "LoRA alpha (scaling = alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "Dropout on the LoRA input."})
    lora_target_modules: list[str] | None = field(
        default=None,
        metadata={"help": "Names of the linear layers to adapt (e.g. q_proj v_proj) within the parts --lora_scope "
                          "names. Default: all of their linear layers."},
    )
    lora_scope: list[str] = field(
        default_factory=lambda: ["language"],
        metadata={"help": "Parts of the model that get LoRA on their linear layers: any of 'language' (the language "
                          "model), 'projector' (the vision-language projector), 'vision' (the vision tower). "
                          "The authors' ms-swift run (--lora_target_modules ALL) adapts all three: paper.yaml sets "
                          "'vision projector language'. The output head and embeddings are never adapted."},
    )
    train_projector: bool = field(
        default=False,
        metadata={"help": "Also train the vision-language projector in full (saved with the adapter), instead of "
                          "LoRA on it. Parts outside --lora_scope stay frozen."},
    )
    use_rslora: bool = field(default=False, metadata={"help": "Rank-stabilised LoRA scaling (alpha / sqrt(r))."})


# reachqa's own argument classes; transformers' TrainingArguments is added (and transformers imported) only
# when a run parses its arguments, so `reachqa train --help` starts fast.
OWN_ARG_CLASSES = (ModelArguments, DataArguments, LoraArguments)
CONFIG_HELP = ("YAML file of values for any argument below, applied over training/configs/paper.yaml (the authors' "
               "ms-swift run); command-line values override both. A bare preset name (llava_next, internvl, "
               "qwen2_5_vl, ...: the files in training/configs) picks the shipped preset.")


def arg_classes() -> tuple:
    from transformers import TrainingArguments

    return (*OWN_ARG_CLASSES, TrainingArguments)


# Names other fine-tuning tools (LLaMA-Factory, ms-swift, TRL/PEFT, axolotl) use for reachqa's fields.
FOREIGN_NAMES = {
    "lora_rank": "lora_r", "r": "lora_r", "lora_target": "lora_target_modules", "target_modules": "lora_target_modules",
    "lora_targets": "lora_target_modules", "model": "model_name_or_path", "model_name": "model_name_or_path",
    "model_id": "model_name_or_path", "base_model": "model_name_or_path", "cutoff_len": "max_length",
    "max_seq_length": "max_length", "max_seq_len": "max_length", "sequence_len": "max_length",
    "torch_dtype": "dtype", "micro_batch_size": "per_device_train_batch_size",
    "batch_size": "per_device_train_batch_size", "gradient_checkpointing": "activation_checkpointing",
    "epochs": "num_train_epochs", "num_epochs": "num_train_epochs", "lr": "learning_rate",
    "warmup_ratio": "warmup_steps", "image_max_pixels": "max_pixels", "max_image_tiles": "max_tiles",
    "data_path": "dataset", "train_file": "dataset", "output": "output_dir", "save_dir": "output_dir",
    "freeze_vision_tower": None, "freeze_vit": None, "finetuning_type": None, "template": None,
}


# transformers' older names that TrainingArguments still has as separate fields: given under the old name, a value
# would be kept in a field nothing reads (`--gradient_checkpointing false` left checkpointing on), so it is
# moved to the field that counts.
RENAMED = {"gradient_checkpointing": "activation_checkpointing",
           "gradient_checkpointing_kwargs": "activation_checkpointing_kwargs"}


class ConfigError(ValueError):
    """A configuration value or name that reachqa does not accept."""


def explain_unknown(name: str, known: set[str]) -> str:
    """``name`` with the reachqa field it corresponds to (another tool's name) or the closest field."""
    if name in FOREIGN_NAMES:
        target = FOREIGN_NAMES[name]
        if target is None:
            return f"{name} (another tool's option with no reachqa equivalent; --lora_scope picks the parts that " \
                   "train and the chat template is the processor's own)"
        return f"{name} (reachqa calls it {target})"
    match = difflib.get_close_matches(name, known, n=1)
    return f"{name} (did you mean {match[0]}?)" if match else name


def known_names(classes: tuple | None = None) -> set[str]:
    return {f.name for cls in (classes or arg_classes()) for f in fields(cls) if f.init}


def build_parser(prog: str = "reachqa train", classes: tuple | None = None):
    from transformers import HfArgumentParser

    # "resolve": a field two classes share (trust_remote_code in ModelArguments and TRL's configs) is one flag;
    # allow_abbrev=False: a prefix such as --learning-rat is an unknown option, never --learning_rate
    parser = HfArgumentParser(classes or arg_classes(), prog=prog, conflict_handler="resolve", allow_abbrev=False,
                              description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--config", default=None, help=CONFIG_HELP)
    return parser


def quick_help(prog: str = "reachqa train") -> str:
    """The options of reachqa's own argument classes, formatted without importing transformers or torch."""
    parser = argparse.ArgumentParser(
        prog=prog, description=(__doc__ or "").splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Every option of transformers' TrainingArguments (--output_dir, --learning_rate, --num_train_epochs, "
               "--per_device_train_batch_size, --bf16, ...) is accepted too: `--help-all` lists them all "
               "(it loads transformers, which takes a few seconds).")
    parser.add_argument("--config", default=None, help=CONFIG_HELP)
    for cls in OWN_ARG_CLASSES:
        group = parser.add_argument_group(cls.__name__, (cls.__doc__ or "").strip().splitlines()[0])
        for f in (f for f in fields(cls) if f.init):
            default = f.default_factory() if f.default_factory is not MISSING else f.default
            group.add_argument(f"--{f.name}", default=None if default is MISSING else default,
                               choices=f.metadata.get("choices"), help=f.metadata.get("help", " "))
    return parser.format_help()


def resolve_config_path(value: str) -> Path:
    """A YAML path, or the name of a shipped preset."""
    path = Path(value)
    if path.is_file():
        return path
    preset = PRESETS_DIR / f"{value}.yaml"
    if preset.is_file():
        return preset
    names = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
    raise ConfigError(f"--config {value!r}: no such YAML file and no preset of that name "
                      f"(presets: {', '.join(names)})")


def load_yaml_defaults(path: Path, classes: tuple | None = None) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of argument names to values, got {type(data).__name__}")
    for old, new in RENAMED.items():
        if old in data:
            if new in data:
                raise ConfigError(f"{path}: give {new} only ({old} is transformers' older name for it)")
            data[new] = data.pop(old)
    known = known_names(classes)
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown argument(s): {', '.join(explain_unknown(k, known) for k in unknown)}")
    return data


def rename_flag(arg: str) -> str:
    """``--gradient_checkpointing[=v]`` (or dashed) as ``--activation_checkpointing[=v]``; other args unchanged."""
    if not arg.startswith("--"):
        return arg
    name, eq, value = arg[2:].partition("=")
    new = RENAMED.get(name.replace("-", "_"))
    return f"--{new}{eq}{value}" if new else arg


def parse_args(argv: list[str] | None = None, prog: str = "reachqa train", classes: tuple | None = None,
               base_configs: tuple = (BASE_CONFIG,)):
    """Parse the command line (and the --config YAML) into the argument dataclasses (``classes``: model, data,
    LoRA, trainer arguments and any more; the YAML files of ``base_configs`` apply first, in order).

    Raises `ConfigError` for an unknown preset, a bad YAML or an unknown option (naming the reachqa
    field when it is another tool's name for it).
    """
    argv = [rename_flag(a) for a in (sys.argv[1:] if argv is None else argv)]
    classes = classes or arg_classes()
    parser = build_parser(prog, classes)
    pre, _ = parser.parse_known_args(argv)
    for base in base_configs:
        parser.set_defaults(**load_yaml_defaults(base, classes))
    if pre.config:
        parser.set_defaults(**load_yaml_defaults(resolve_config_path(pre.config), classes))
    namespace, remaining = parser.parse_known_args(argv)
    if remaining:
        known = known_names(classes)
        described = [explain_unknown(a.split("=")[0][2:].replace("-", "_"), known) if a.startswith("--") else a
                     for a in remaining]
        raise ConfigError(f"unrecognized arguments: {', '.join(described)}")
    namespace.__dict__.pop("config", None)
    values = vars(namespace)
    outputs = []
    for cls in classes:
        keys = {f.name for f in fields(cls) if f.init}
        outputs.append(cls(**{k: v for k, v in values.items() if k in keys}))
    model_args, data_args, training_args = outputs[0], outputs[1], outputs[3]
    if not model_args.model_name_or_path:
        raise ConfigError("--model_name_or_path is required (on the command line or in the --config YAML)")
    if not data_args.dataset:
        raise ConfigError("--dataset is required (on the command line or in the --config YAML)")
    if not training_args.output_dir:
        raise ConfigError("--output_dir is required (on the command line or in the --config YAML)")
    return tuple(outputs)
