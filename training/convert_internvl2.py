"""`reachqa convert internvl2 SRC OUT`: an InternVL2 / InternVL2.5 remote-code checkpoint as a native
transformers `InternVLForConditionalGeneration` (InternViT vision tower, `mlp1` projector, Llama text model).

The source is read without its remote code: ``config.json`` and the safetensors shards only, so the
conversion runs with transformers 5. What changes on the way:

- InternViT: ``attn.qkv`` is split into q/k/v (rows ``[q; k; v]``), keys renamed to the native vision tower;
  no final norm (``use_mean_pooling`` keeps the native tower's last norm an identity, as InternViT has none).
- ``mlp1`` (LayerNorm, Linear, GELU, Linear) becomes ``multi_modal_projector``.
- InternLM2: the packed ``attention.wqkv`` holds, per KV head, its ``g = heads / kv_heads`` query heads then
  its key and its value head; it is split into Llama's ``q_proj``/``k_proj``/``v_proj`` (RoPE needs no row
  permutation: both use the rotate-half convention). ``w1``/``w3``/``w2`` are gate/up/down.
- Tokenizer: ``<img>``, ``</img>``, ``<IMG_CONTEXT>`` named for the native processor; the conversation
  template of the checkpoint (``internlm2-chat``, or ``internvl2_5``) as a chat template with the same
  system message and separators, so ``input_ids`` equal what the original ``chat()`` builds; ``<|im_end|>``
  ends generation.
- Images: 448 px tiles, up to ``max_dynamic_patch`` (12) plus a thumbnail, bicubic resize in PIL and
  ImageNet mean/std, as in the model card's ``load_image``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

# The conversation templates of InternVL's conversation.py that InternVL2 / 2.5 checkpoints name:
# (default system message, separator after each turn). Both are "MPT" style:
# <|im_start|>system\n{system}{sep}<|im_start|>user\n{question}{sep}<|im_start|>assistant\n{answer}{sep}
TEMPLATES = {
    "internlm2-chat": ("你是由上海人工智能实验室联合商汤科技开发的书生多模态大模型，英文名叫InternVL, 是一个有用无害的人工智能助手。",
                       "<|im_end|>"),
    "internvl2_5": ("你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。",
                    "<|im_end|>\n"),
}
IMAGE_TOKENS = {"start_image_token": "<img>", "end_image_token": "</img>", "context_image_token": "<IMG_CONTEXT>"}
END_OF_TURN = "<|im_end|>"
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
SOURCE_FILES = ["config.json", "*.safetensors", "*.safetensors.index.json", "generation_config.json", "tokenizer*",
                "special_tokens_map.json", "added_tokens.json"]


class ConversionError(ValueError):
    """The source is not an InternVL2-style checkpoint this converter handles."""


def chat_template(system_message: str, sep: str) -> str:
    """A Jinja chat template writing the conversation exactly like InternVL's MPT-style templates.

    Each image of a user turn becomes ``<IMG_CONTEXT>\\n`` (the native processor expands it to
    ``<img>`` + 256 x tiles ``<IMG_CONTEXT>`` + ``</img>``), in the order the content lists it; a
    system message in the conversation replaces the checkpoint's default one.
    """
    sys_json = json.dumps(system_message, ensure_ascii=False)
    sep_json = json.dumps(sep)
    return (
        "{%- set sep = " + sep_json + " -%}"
        "{%- if messages and messages[0]['role'] == 'system' -%}"
        "{%- set system = messages[0]['content'] if messages[0]['content'] is string "
        "else messages[0]['content'] | selectattr('type', 'equalto', 'text') | map(attribute='text') | join('') -%}"
        "{%- set turns = messages[1:] -%}"
        "{%- else -%}{%- set system = " + sys_json + " -%}{%- set turns = messages -%}{%- endif -%}"
        "{{- '<|im_start|>system\\n' + system + sep -}}"
        "{%- for m in turns -%}"
        "{{- '<|im_start|>' + m['role'] + '\\n' -}}"
        "{%- if m['content'] is string -%}{{- m['content'] -}}"
        "{%- else -%}{%- for c in m['content'] -%}"
        "{%- if c['type'] == 'image' -%}{{- '<IMG_CONTEXT>\\n' -}}"
        "{%- elif c['type'] == 'text' -%}{{- c['text'] -}}{%- endif -%}"
        "{%- endfor -%}{%- endif -%}"
        "{{- sep -}}"
        "{%- endfor -%}"
        "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
    )


# ----------------------------------------------------------------------------------------------- source
def resolve_source(src: str, revision: str | None = None) -> Path:
    """A local folder as is; a Hub id downloaded (weights, config and tokenizer files only, no code)."""
    path = Path(src).expanduser()
    if path.is_dir():
        return path.resolve()
    if path.exists() or src.startswith((".", "/", "~")) or src.count("/") != 1:
        raise FileNotFoundError(f"{src}: no such checkpoint folder (give a folder or a Hub id such as "
                                "OpenGVLab/InternVL2-8B)")
    from huggingface_hub import snapshot_download
    return Path(snapshot_download(src, revision=revision, allow_patterns=SOURCE_FILES))


def read_source_config(src: Path) -> dict:
    config_path = src / "config.json"
    if not config_path.is_file():
        raise ConversionError(f"{src}: no config.json")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if "llm_config" not in config or "vision_config" not in config:
        raise ConversionError(f"{config_path}: not an InternVL chat checkpoint (no llm_config / vision_config; "
                              f"model_type {config.get('model_type')!r})")
    llm = config["llm_config"]
    arch = (llm.get("architectures") or ["?"])[0]
    if arch != "InternLM2ForCausalLM":
        raise ConversionError(f"{config_path}: the language model is {arch}; this converter handles InternLM2 "
                              "(InternVL2-2B/8B/26B, InternVL2.5-8B), whose packed wqkv it splits into Llama layers")
    if config.get("ps_version", "v2") != "v2":
        raise ConversionError(f"{config_path}: ps_version {config.get('ps_version')!r}; the native pixel shuffle "
                              "is InternVL's 'v2'")
    if config.get("use_backbone_lora") or config.get("use_llm_lora"):
        raise ConversionError(f"{config_path}: the checkpoint holds unmerged LoRA weights; merge them first")
    template = config.get("template", "internlm2-chat")
    if template not in TEMPLATES:
        raise ConversionError(f"{config_path}: conversation template {template!r} is not one of "
                              f"{', '.join(TEMPLATES)}")
    return config


def weight_files(src: Path) -> list[Path]:
    index = src / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return [src / name for name in dict.fromkeys(weight_map.values())]
    single = src / "model.safetensors"
    if single.is_file():
        return [single]
    raise ConversionError(f"{src}: no model.safetensors or model.safetensors.index.json (only safetensors "
                          "checkpoints are read: no pickle files)")


# ----------------------------------------------------------------------------------------------- config
def rope_parameters(llm: dict) -> dict:
    theta = float(llm.get("rope_theta", 10000.0))
    scaling = llm.get("rope_scaling")
    if not scaling:
        return {"rope_type": "default", "rope_theta": theta}
    kind = scaling.get("type") or scaling.get("rope_type")
    if kind not in ("dynamic", "linear"):
        raise ConversionError(f"rope_scaling type {kind!r} is not supported (dynamic or linear)")
    return {"rope_type": kind, "factor": float(scaling["factor"]), "rope_theta": theta}


def native_config(config: dict, image_token_id: int, dtype: str):
    from transformers import InternVLConfig, InternVLVisionConfig, LlamaConfig

    llm, vit = config["llm_config"], config["vision_config"]
    image_size = config.get("force_image_size") or vit["image_size"]
    patch = vit["patch_size"]
    ratio = config.get("downsample_ratio", 0.5)
    vision = InternVLVisionConfig(
        hidden_size=vit["hidden_size"], intermediate_size=vit["intermediate_size"],
        num_hidden_layers=vit["num_hidden_layers"], num_attention_heads=vit["num_attention_heads"],
        attention_bias=vit.get("qkv_bias", True), use_qk_norm=vit.get("qk_normalization", False),
        hidden_act=vit.get("hidden_act", "gelu"), norm_type=vit.get("norm_type", "rms_norm"),
        layer_norm_eps=vit.get("layer_norm_eps", 1e-6), image_size=image_size, patch_size=patch,
        num_channels=vit.get("num_channels", 3), use_mean_pooling=True, use_absolute_position_embeddings=True,
        hidden_dropout_prob=0.0, attention_dropout=0.0, projection_dropout=0.0)
    text = LlamaConfig(
        vocab_size=llm["vocab_size"], hidden_size=llm["hidden_size"], intermediate_size=llm["intermediate_size"],
        num_hidden_layers=llm["num_hidden_layers"], num_attention_heads=llm["num_attention_heads"],
        num_key_value_heads=llm.get("num_key_value_heads", llm["num_attention_heads"]),
        hidden_act=llm.get("hidden_act", "silu"), max_position_embeddings=llm["max_position_embeddings"],
        rms_norm_eps=llm.get("rms_norm_eps", 1e-6), attention_bias=bool(llm.get("bias", False)),
        rope_parameters=rope_parameters(llm), tie_word_embeddings=False,
        bos_token_id=llm.get("bos_token_id", 1), eos_token_id=llm.get("eos_token_id", 2),
        pad_token_id=llm.get("pad_token_id", 2), dtype=dtype)
    native = InternVLConfig(
        vision_config=vision, text_config=text, image_token_id=image_token_id,
        image_seq_length=int((image_size // patch) ** 2 * ratio ** 2), downsample_ratio=ratio,
        projector_hidden_act="gelu", vision_feature_layer=config.get("select_layer", -1),
        vision_feature_select_strategy="default", tie_word_embeddings=False)
    native.architectures = ["InternVLForConditionalGeneration"]
    native.dtype = dtype
    return native


# ----------------------------------------------------------------------------------------------- weights
VISION_RENAMES = [
    ("embeddings.class_embedding", "embeddings.cls_token"),
    ("embeddings.position_embedding", "embeddings.position_embeddings"),
    ("embeddings.patch_embedding", "embeddings.patch_embeddings.projection"),
    ("encoder.layers.", "encoder.layer."),
    (".ls1", ".lambda_1"), (".ls2", ".lambda_2"),
    (".norm1.", ".layernorm_before."), (".norm2.", ".layernorm_after."),
    (".attn.proj.", ".attention.projection_layer."),
    (".attn.q_norm.", ".attention.q_norm."), (".attn.k_norm.", ".attention.k_norm."),
]
TEXT_RENAMES = [
    ("model.tok_embeddings.", "model.embed_tokens."),
    (".attention.wo.", ".self_attn.o_proj."),
    (".feed_forward.w1.", ".mlp.gate_proj."), (".feed_forward.w3.", ".mlp.up_proj."),
    (".feed_forward.w2.", ".mlp.down_proj."),
    (".attention_norm.", ".input_layernorm."), (".ffn_norm.", ".post_attention_layernorm."),
]
PROJECTOR = {"mlp1.0.": "model.multi_modal_projector.layer_norm.", "mlp1.1.": "model.multi_modal_projector.linear_1.",
             "mlp1.3.": "model.multi_modal_projector.linear_2."}


def split_wqkv(wqkv, num_heads: int, num_kv_heads: int, head_dim: int):
    """Split InternLM2's packed ``wqkv`` (weight or bias) into Llama's q, k, v.

    Rows are grouped per KV head: head h holds ``[q_{h*g} .. q_{h*g+g-1}, k_h, v_h]``, ``head_dim``
    rows each, with ``g = num_heads // num_kv_heads``.
    """
    g = num_heads // num_kv_heads
    rest = wqkv.shape[1:]
    grouped = wqkv.reshape(num_kv_heads, g + 2, head_dim, *rest)
    q = grouped[:, :g].reshape(num_heads * head_dim, *rest)
    k = grouped[:, g].reshape(num_kv_heads * head_dim, *rest)
    v = grouped[:, g + 1].reshape(num_kv_heads * head_dim, *rest)
    return q.contiguous(), k.contiguous(), v.contiguous()


def convert_tensor(name: str, tensor, config: dict) -> dict:
    """The native name(s) and tensor(s) of one source tensor."""
    if name.startswith("vision_model."):
        new = "model.vision_tower." + name[len("vision_model."):]
        for old, rep in VISION_RENAMES:
            new = new.replace(old, rep)
        if ".attn.qkv." in new:
            q, k, v = tensor.chunk(3, dim=0)
            base = new.replace(".attn.qkv.", ".attention.{}.")
            return {base.format("q_proj"): q.contiguous(), base.format("k_proj"): k.contiguous(),
                    base.format("v_proj"): v.contiguous()}
        if ".attn." in new:
            raise ConversionError(f"unexpected vision attention tensor {name}")
        return {new: tensor}
    if name.startswith("mlp1."):
        for old, rep in PROJECTOR.items():
            if name.startswith(old):
                return {rep + name[len(old):]: tensor}
        raise ConversionError(f"unexpected projector tensor {name}")
    if name == "language_model.output.weight":
        return {"lm_head.weight": tensor}
    if name.startswith("language_model.model."):
        new = "model.language_model." + name[len("language_model.model."):]
        for old, rep in TEXT_RENAMES:
            new = new.replace(old, rep)
        if ".attention.wqkv." in new:
            llm = config["llm_config"]
            heads, kv = llm["num_attention_heads"], llm.get("num_key_value_heads", llm["num_attention_heads"])
            q, k, v = split_wqkv(tensor, heads, kv, llm["hidden_size"] // heads)
            base = new.replace(".attention.wqkv.", ".self_attn.{}.")
            return {base.format("q_proj"): q, base.format("k_proj"): k, base.format("v_proj"): v}
        return {new: tensor}
    raise ConversionError(f"unexpected tensor {name} (not vision_model., mlp1. or language_model.)")


def expected_state(native) -> dict:
    """Names and shapes of the native model's tensors, from a model built on the meta device."""
    import torch
    from transformers import InternVLForConditionalGeneration

    with torch.device("meta"):
        model = InternVLForConditionalGeneration(native)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def convert_weights(src: Path, config: dict, native, out: Path, dtype, max_shard_bytes: int) -> int:
    """Stream the source shards into native safetensors shards (one source shard in memory at a time)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    expected = expected_state(native)
    seen: dict[str, tuple] = {}
    shards: list[dict] = [{}]
    sizes = [0]
    for path in weight_files(src):
        with safe_open(str(path), framework="pt") as f:
            for name in f.keys():
                for new, tensor in convert_tensor(name, f.get_tensor(name), config).items():
                    if new not in expected:
                        raise ConversionError(f"{path.name}: {name} -> {new}, which the native model does not have")
                    if tuple(tensor.shape) != expected[new]:
                        raise ConversionError(f"{path.name}: {name} -> {new} has shape {tuple(tensor.shape)}, "
                                              f"the native model expects {expected[new]}")
                    if new in seen:
                        raise ConversionError(f"{path.name}: {new} written twice")
                    tensor = tensor.to(dtype) if dtype is not None and tensor.is_floating_point() else tensor
                    nbytes = tensor.numel() * tensor.element_size()
                    if sizes[-1] and sizes[-1] + nbytes > max_shard_bytes:
                        shards.append({})
                        sizes.append(0)
                    shards[-1][new] = tensor.contiguous()
                    sizes[-1] += nbytes
                    seen[new] = tuple(tensor.shape)
    missing = sorted(set(expected) - set(seen))
    if missing:
        raise ConversionError(f"{src}: no source tensor for {len(missing)} native tensor(s), e.g. {missing[:5]}")
    metadata = {"format": "pt"}
    if len(shards) == 1:
        save_file(shards[0], str(out / "model.safetensors"), metadata=metadata)
    else:
        weight_map = {}
        for i, shard in enumerate(shards, 1):
            name = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
            save_file(shard, str(out / name), metadata=metadata)
            weight_map.update(dict.fromkeys(shard, name))
        index = {"metadata": {"total_size": sum(sizes)}, "weight_map": dict(sorted(weight_map.items()))}
        (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    return len(seen)


# ----------------------------------------------------------------------------------------------- processor
def load_tokenizer(src: Path):
    """The source tokenizer without its remote code, with the names the native processor needs."""
    from transformers import PreTrainedTokenizerFast

    specials, additional = {}, []
    special_map = src / "special_tokens_map.json"
    if special_map.is_file():
        for key, value in json.loads(special_map.read_text(encoding="utf-8")).items():
            if key in ("bos_token", "eos_token", "unk_token", "pad_token"):
                specials[key] = value["content"] if isinstance(value, dict) else value
            elif key == "additional_special_tokens":  # <|im_end|>, <|im_start|>, <img>...: special, as in the source
                additional = [v["content"] if isinstance(v, dict) else v for v in value]
    # The native processor also needs a video token. InternVL2 has none: `<video>` is added to the tokenizer
    # only (id = vocab size, no embedding row), so a prompt that writes it without a video is refused by the
    # processor instead of silently embedding garbage. Videos are not supported by these checkpoints.
    specials["extra_special_tokens"] = {**IMAGE_TOKENS, "video_token": "<video>"}
    if (src / "tokenizer.json").is_file():
        tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(src / "tokenizer.json"), **specials)
    elif (src / "tokenizer.model").is_file():
        # InternLM2's sentencepiece model read as a Llama-style tokenizer (no dummy prefix, <s> prepended).
        # Needs the sentencepiece package for the one-off conversion to a fast tokenizer.
        from transformers import LlamaTokenizer
        try:
            tokenizer = LlamaTokenizer.from_pretrained(str(src), legacy=False, add_prefix_space=False,
                                                       add_bos_token=True, add_eos_token=False, **specials)
        except (ImportError, ValueError, OSError) as exc:
            raise ConversionError(f"{src}/tokenizer.model: cannot convert the sentencepiece tokenizer ({exc}); "
                                  "`pip install sentencepiece protobuf` and retry") from exc
    else:
        raise ConversionError(f"{src}: no tokenizer.json or tokenizer.model")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    named = set(IMAGE_TOKENS.values())
    extra = [t for t in additional if t not in named]
    if extra:  # kept as extra special tokens: listed in all_special_ids, skipped by decode(skip_special_tokens)
        tokenizer.add_special_tokens({"extra_special_tokens": extra}, replace_extra_special_tokens=False)
    missing = [t for t in [*IMAGE_TOKENS.values(), END_OF_TURN, "<|im_start|>"]
               if tokenizer.convert_tokens_to_ids(t) in (None, tokenizer.unk_token_id)]
    if missing:
        raise ConversionError(f"{src}: the tokenizer has no token(s) {', '.join(missing)}")
    return tokenizer


def build_processor(config: dict, tokenizer, native):
    from transformers import InternVLProcessor, InternVLVideoProcessor
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    size = native.vision_config.image_size[0]
    image_processor = GotOcr2ImageProcessorPil(
        size={"height": size, "width": size}, crop_to_patches=bool(config.get("dynamic_image_size", True)),
        min_patches=config.get("min_dynamic_patch", 1), max_patches=config.get("max_dynamic_patch", 12),
        do_resize=True, do_rescale=True, rescale_factor=1 / 255, do_normalize=True,
        image_mean=IMAGENET_MEAN, image_std=IMAGENET_STD, do_convert_rgb=True)
    if not config.get("use_thumbnail", True):
        raise ConversionError("use_thumbnail false: the native processor always adds the thumbnail")
    system, sep = TEMPLATES[config.get("template", "internlm2-chat")]
    system = config.get("system_message", system)
    video = InternVLVideoProcessor(size={"height": size, "width": size}, image_mean=IMAGENET_MEAN,
                                   image_std=IMAGENET_STD)
    return InternVLProcessor(image_processor=image_processor, tokenizer=tokenizer, video_processor=video,
                             image_seq_length=native.image_seq_length, chat_template=chat_template(system, sep))


# ----------------------------------------------------------------------------------------------- driver
def convert(src: str | Path, out: str | Path, *, dtype: str = "auto", revision: str | None = None,
            max_shard_size_gb: float = 5.0, overwrite: bool = False) -> Path:
    """Convert ``src`` (folder or Hub id) and write the native checkpoint to ``out``; returns ``out``."""
    import torch
    from transformers import GenerationConfig

    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --overwrite to replace it")
    source = resolve_source(str(src), revision)
    config = read_source_config(source)
    tokenizer = load_tokenizer(source)
    image_token_id = tokenizer.convert_tokens_to_ids(IMAGE_TOKENS["context_image_token"])
    if dtype == "auto":
        dtype = config.get("torch_dtype") or config["llm_config"].get("torch_dtype") or "bfloat16"
    target = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    native = native_config(config, image_token_id, dtype)
    processor = build_processor(config, tokenizer, native)
    end_of_turn = tokenizer.convert_tokens_to_ids(END_OF_TURN)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        convert_weights(source, config, native, tmp, target, int(max_shard_size_gb * 1024 ** 3))
        native.save_pretrained(tmp)
        GenerationConfig(eos_token_id=end_of_turn, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id).save_pretrained(tmp)
        processor.save_pretrained(tmp)
        (tmp / "reachqa_conversion.json").write_text(json.dumps({
            "source": str(src), "source_path": str(source), "revision": revision, "template": config.get("template"),
            "dtype": dtype, "image_token_id": image_token_id, "end_of_turn_token_id": end_of_turn,
            # PIL's bicubic resize, as the original preprocessing (see reachqa_builder/processors.py)
            "image_processor_backend": "pil"}, indent=2))
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


FORMAT = "internvl2"  # `reachqa convert internvl2` (found by training.convert)
HELP = "InternVL2 / InternVL2.5 (InternLM2) -> InternVLForConditionalGeneration"


def configure_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", help="folder or Hub id of an InternVL2 / InternVL2.5 remote-code checkpoint with an "
                                    "InternLM2 language model, e.g. OpenGVLab/InternVL2-8B")
    parser.add_argument("out", help="folder for the native checkpoint (model, processor, generation config)")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"],
                        help="dtype of the written weights; 'auto' keeps the source's (bfloat16 for InternVL2-8B)")
    parser.add_argument("--revision", default=None, help="Hub revision of SRC")
    parser.add_argument("--max-shard-size-gb", type=float, default=5.0, help="largest output shard, in GiB")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.set_defaults(run=run_internvl2)


def run_internvl2(args) -> int:
    try:
        out = convert(args.src, args.out, dtype=args.dtype, revision=args.revision,
                      max_shard_size_gb=args.max_shard_size_gb, overwrite=args.overwrite)
    except (ConversionError, FileNotFoundError, FileExistsError, OSError) as exc:
        print(f"reachqa convert internvl2: {exc}", file=sys.stderr)
        return 2
    print(f"native InternVL checkpoint written to {out}")
    return 0


def __getattr__(name: str):
    if name in ("configure", "configure_internvl2"):  # `reachqa convert` moved to training.convert
        from reachqa_builder.moved import moved_name

        return moved_name(__name__, "configure", "training.convert") if name == "configure" else configure_format
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
