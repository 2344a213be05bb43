"""Configuration of a LoRA fine-tuning run: three dataclasses plus transformers' `TrainingArguments`.

Every field can be set on the command line (``--lora_r 32``) or in a YAML file given with
``--config``. Values are layered: ``training/configs/paper.yaml`` (the paper's hyper-parameters)
first, then the ``--config`` file (a preset such as ``llava_next`` or your own YAML), then the
command line.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml
from transformers import HfArgumentParser, TrainingArguments

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


@dataclass
class DataArguments:
    """Which dataset to train on and how to turn a row into a conversation."""

    dataset: str | None = field(
        default=None,
        metadata={"help": "Hub id or local path that datasets.load_dataset loads (a `reachqa build` folder, a "
                          "synthesis output, any dataset with image, question and answer columns). Required."},
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
                          "for the eval loss. 0: no eval set."},
    )
    image_column: str = field(default="image", metadata={"help": "Column with the chart image."})
    question_column: str = field(default="question", metadata={"help": "Column with the question."})
    answer_column: str = field(default="answer", metadata={"help": "Column with the answer (the training target)."})
    prompt_suffix: str = field(
        default="Let's think step by step.",
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


@dataclass
class LoraArguments:
    """The LoRA adapter (PEFT). Defaults are the paper's: rank 16, alpha 8, dropout 0.05."""

    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=8, metadata={"help": "LoRA alpha (scaling = alpha / r)."})
    lora_dropout: float = field(default=0.05, metadata={"help": "Dropout on the LoRA input."})
    lora_target_modules: list[str] | None = field(
        default=None,
        metadata={"help": "Names of the language model's linear layers to adapt (e.g. q_proj v_proj). "
                          "Default: all linear layers of the language model."},
    )
    train_projector: bool = field(
        default=False,
        metadata={"help": "Also train the vision-language projector in full (saved with the adapter). "
                          "The vision tower always stays frozen."},
    )
    use_rslora: bool = field(default=False, metadata={"help": "Rank-stabilised LoRA scaling (alpha / sqrt(r))."})


ARG_CLASSES = (ModelArguments, DataArguments, LoraArguments, TrainingArguments)


def build_parser() -> HfArgumentParser:
    parser = HfArgumentParser(ARG_CLASSES, prog="accelerate launch -m training",
                              description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--config", default=None,
                        help="YAML file of values for any argument below, applied over training/configs/paper.yaml "
                             "(the paper's hyper-parameters); command-line values override both. A bare preset "
                             "name (llava_next, llava, internvl) picks the shipped preset.")
    return parser


def resolve_config_path(value: str) -> Path:
    """A YAML path, or the name of a shipped preset."""
    path = Path(value)
    if path.is_file():
        return path
    preset = PRESETS_DIR / f"{value}.yaml"
    if preset.is_file():
        return preset
    names = sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))
    raise FileNotFoundError(f"--config {value!r}: no such YAML file and no preset of that name "
                            f"(presets: {', '.join(names)})")


def load_yaml_defaults(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of argument names to values, got {type(data).__name__}")
    known = {f.name for cls in ARG_CLASSES for f in fields(cls) if f.init}
    unknown = sorted(set(data) - known)
    if unknown:
        hints = [f"{k} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(k, known, n=1)) else k
                 for k in unknown]
        raise ValueError(f"{path}: unknown argument(s): {', '.join(hints)}")
    return data


def parse_args(argv: list[str] | None = None):
    """Parse the command line (and the --config YAML) into the four argument dataclasses."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    pre, _ = parser.parse_known_args(argv)
    parser.set_defaults(**load_yaml_defaults(BASE_CONFIG))
    if pre.config:
        parser.set_defaults(**load_yaml_defaults(resolve_config_path(pre.config)))
    namespace, remaining = parser.parse_known_args(argv)
    if remaining:
        parser.error(f"unrecognized arguments: {' '.join(remaining)}")
    namespace.__dict__.pop("config", None)
    values = vars(namespace)
    outputs = []
    for cls in ARG_CLASSES:
        keys = {f.name for f in fields(cls) if f.init}
        outputs.append(cls(**{k: v for k, v in values.items() if k in keys}))
    model_args, data_args, lora_args, training_args = outputs
    if not model_args.model_name_or_path:
        parser.error("--model_name_or_path is required (on the command line or in the --config YAML)")
    if not data_args.dataset:
        parser.error("--dataset is required (on the command line or in the --config YAML)")
    if not training_args.output_dir:
        parser.error("--output_dir is required (on the command line or in the --config YAML)")
    return model_args, data_args, lora_args, training_args
