"""Tiny random vision-language models built in the tests: what the Hub would have given, offline.

Each family gets a real transformers model class from a small config (a few ten thousand
parameters), a byte-level BPE tokenizer trained here on the test's own text with the family's
image tokens, an image processor configured in code and a chat template; all saved to a folder
that ``--model_name_or_path`` can point at.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import (
    AutoModelForImageTextToText,
    CLIPImageProcessor,
    CLIPVisionConfig,
    GotOcr2ImageProcessor,
    InternVLConfig,
    InternVLProcessor,
    InternVLVideoProcessor,
    InternVLVisionConfig,
    LlamaConfig,
    LlavaConfig,
    LlavaNextConfig,
    LlavaNextImageProcessor,
    LlavaNextProcessor,
    LlavaProcessor,
    PreTrainedTokenizerFast,
    Qwen2Config,
    set_seed,
)

FAMILIES = ("llava", "llava_next", "internvl")
# Families of today's users, each with its own chat template format (written for these tests): trained, merged
# and inferred in tests/training/test_families.py.
NEW_FAMILIES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "mllama")
# Wider than the usual 0.02 so the frozen random LM head gives the adapter logits it can move: the loss on
# the overfit set then falls within a few dozen steps.
INIT_RANGE = 0.2

# A template in the LLaVA-1.5 style ("USER: <image>\n... ASSISTANT: ...</s>"), written for these
# tests; IMAGE is replaced by each family's image token.
CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'system' %}{{ m['content'][0]['text'] + '\n' }}"
    "{% elif m['role'] == 'user' %}{{ 'USER: ' }}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}{{ 'IMAGE\n' }}"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{{ '\n' }}"
    "{% else %}{{ 'ASSISTANT: ' }}{% for c in m['content'] %}{{ c['text'] }}{% endfor %}{{ '</s>\n' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

# ChatML as the Qwen-VL family writes it: the image as <|vision_start|><|image_pad|><|vision_end|> in the user turn.
QWEN_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' }}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{{ '<|im_end|>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
QWEN_TOKENS = {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
               "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>"}
QWEN_CHAT_TOKENS = ["<|im_start|>", "<|im_end|>"]
# Llama 3 headers as Llama-3.2-Vision writes them; the image is one <|image|> token before the question.
MLLAMA_TEMPLATE = (
    "{{ '<|begin_of_text|>' }}{% for m in messages %}"
    "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' }}"
    "{% for c in m['content'] %}{% if c['type'] == 'image' %}{{ '<|image|>' }}"
    "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{{ '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)

INTERNVL_TOKENS = {"start_image_token": "<img>", "end_image_token": "</img>",
                   "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"}


def train_tokenizer(texts: list[str], extra_special_tokens: dict[str, str], more_specials: list[str] = (),
                    bos: str = "<s>", eos: str = "</s>") -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (no unknown tokens) trained on ``texts``; ``more_specials`` are special tokens
    that no attribute names (a chat template's end of turn)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", bos, eos, *dict.fromkeys(extra_special_tokens.values()), *more_specials]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts + ["USER: ASSISTANT: user assistant Let's think step by step."], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token=bos, eos_token=eos,
                                   extra_special_tokens=extra_special_tokens)


def _llama(vocab_size: int) -> LlamaConfig:
    return LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024, pad_token_id=0,
                       initializer_range=INIT_RANGE)


def _clip() -> CLIPVisionConfig:
    return CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            image_size=32, patch_size=8, projection_dim=32)


def build(family: str, out_dir: str | Path, texts: list[str], seed: int = 0) -> Path:
    """Save a tiny random ``family`` model with its processor to ``out_dir``; return the folder."""
    set_seed(seed)
    out = Path(out_dir)
    if family == "llava":
        tok = train_tokenizer(texts, {"image_token": "<image>"})
        processor = LlavaProcessor(
            image_processor=CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}),
            tokenizer=tok, patch_size=8, vision_feature_select_strategy="default", num_additional_image_tokens=1,
            chat_template=CHAT_TEMPLATE.replace("IMAGE", "<image>"))
        config = LlavaConfig(vision_config=_clip(), text_config=_llama(len(tok)), image_token_id=tok.image_token_id,
                             vision_feature_layer=-1)
    elif family == "llava_next":
        tok = train_tokenizer(texts, {"image_token": "<image>"})
        pinpoints = [[32, 32], [32, 64], [64, 32], [64, 64]]
        processor = LlavaNextProcessor(
            image_processor=LlavaNextImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32},
                                                    image_grid_pinpoints=pinpoints),
            tokenizer=tok, patch_size=8, vision_feature_select_strategy="default", num_additional_image_tokens=1,
            chat_template=CHAT_TEMPLATE.replace("IMAGE", "<image>"))
        config = LlavaNextConfig(vision_config=_clip(), text_config=_llama(len(tok)),
                                 image_token_id=tok.image_token_id, image_grid_pinpoints=pinpoints,
                                 vision_feature_layer=-1)
    elif family == "internvl":
        tok = train_tokenizer(texts, INTERNVL_TOKENS)
        processor = InternVLProcessor(
            image_processor=GotOcr2ImageProcessor(size={"height": 32, "width": 32}, crop_to_patches=True,
                                                  min_patches=1, max_patches=4),
            tokenizer=tok, video_processor=InternVLVideoProcessor(size={"height": 32, "width": 32}),
            image_seq_length=4, chat_template=CHAT_TEMPLATE.replace("IMAGE", "<IMG_CONTEXT>"))
        text = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024, pad_token_id=0,
                       initializer_range=INIT_RANGE)
        vision = InternVLVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, image_size=32, patch_size=8)
        config = InternVLConfig(vision_config=vision, text_config=text, image_token_id=tok.context_image_token_id,
                                image_seq_length=4)
    elif family in ("qwen2_vl", "qwen2_5_vl", "qwen3_vl"):
        processor, config = _qwen(family, texts)
    elif family == "mllama":
        processor, config = _mllama(texts)
    else:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES + NEW_FAMILIES)}")
    model = AutoModelForImageTextToText.from_config(config)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def _qwen(family: str, texts: list[str]):
    """Qwen2-VL, Qwen2.5-VL or Qwen3-VL: 8 px patches merged 2x2, at most 64x64 pixels per image."""
    import transformers as tf

    tok = train_tokenizer(texts, QWEN_TOKENS, QWEN_CHAT_TOKENS, bos="<|endoftext|>", eos="<|im_end|>")
    pixels = {"shortest_edge": 16 * 16, "longest_edge": 64 * 64}
    common = dict(patch_size=8, merge_size=2, temporal_patch_size=2, size=pixels)
    image_processor = tf.Qwen2VLImageProcessor(**common)
    video = (tf.Qwen3VLVideoProcessor if family == "qwen3_vl" else tf.Qwen2VLVideoProcessor)(**common)
    processor_cls = {"qwen2_vl": tf.Qwen2VLProcessor, "qwen2_5_vl": tf.Qwen2_5_VLProcessor,
                     "qwen3_vl": tf.Qwen3VLProcessor}[family]
    processor = processor_cls(image_processor=image_processor, tokenizer=tok, video_processor=video,
                              chat_template=QWEN_TEMPLATE)
    ids = {k: tok.convert_tokens_to_ids(v) for k, v in QWEN_TOKENS.items()}
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 1, 1]}
    text = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, max_position_embeddings=1024, initializer_range=INIT_RANGE,
                rope_parameters=rope, pad_token_id=0, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    vision_common = dict(depth=2, num_heads=4, patch_size=8, spatial_merge_size=2, temporal_patch_size=2)
    if family == "qwen2_vl":
        vision = tf.Qwen2VLVisionConfig(embed_dim=32, hidden_size=32, mlp_ratio=2, **vision_common)
        config = tf.Qwen2VLConfig(text_config=text, vision_config=vision.to_dict(), image_token_id=ids["image_token"],
                                  video_token_id=ids["video_token"], vision_start_token_id=ids["vision_start_token"],
                                  vision_end_token_id=ids["vision_end_token"])
    elif family == "qwen2_5_vl":
        vision = tf.Qwen2_5_VLVisionConfig(hidden_size=32, intermediate_size=64, out_hidden_size=32, window_size=32,
                                           fullatt_block_indexes=[1], **vision_common)
        config = tf.Qwen2_5_VLConfig(text_config=text, vision_config=vision.to_dict(),
                                     image_token_id=ids["image_token"], video_token_id=ids["video_token"],
                                     vision_start_token_id=ids["vision_start_token"],
                                     vision_end_token_id=ids["vision_end_token"])
    else:
        vision = tf.Qwen3VLVisionConfig(hidden_size=32, intermediate_size=64, out_hidden_size=32,
                                        num_position_embeddings=64, deepstack_visual_indexes=[1], **vision_common)
        text = {**text, "head_dim": 8, "rope_parameters": {**rope, "mrope_interleaved": True}}
        config = tf.Qwen3VLConfig(text_config=text, vision_config=vision.to_dict(), image_token_id=ids["image_token"],
                                  video_token_id=ids["video_token"], vision_start_token_id=ids["vision_start_token"],
                                  vision_end_token_id=ids["vision_end_token"])
    return processor, config


def _mllama(texts: list[str]):
    """Llama-3.2-Vision: 32 px tiles, up to 2 per image, cross-attention in text layer 1."""
    import transformers as tf

    tok = train_tokenizer(texts, {"image_token": "<|image|>"}, ["<|start_header_id|>", "<|end_header_id|>"],
                          bos="<|begin_of_text|>", eos="<|eot_id|>")
    processor = tf.MllamaProcessor(
        image_processor=tf.MllamaImageProcessor(size={"height": 32, "width": 32}, max_image_tiles=2),
        tokenizer=tok, chat_template=MLLAMA_TEMPLATE)
    vision = tf.MllamaVisionConfig(hidden_size=32, num_hidden_layers=2, num_global_layers=1, attention_heads=4,
                                   intermediate_size=64, vision_output_dim=64, image_size=32, patch_size=8,
                                   max_num_tiles=2, intermediate_layers_indices=[0],
                                   supported_aspect_ratios=[[1, 1], [1, 2], [2, 1]])
    text = tf.MllamaTextConfig(vocab_size=len(tok) + 8, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                               num_key_value_heads=2, intermediate_size=64, cross_attention_layers=[1],
                               max_position_embeddings=1024, initializer_range=INIT_RANGE,
                               bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=0)
    config = tf.MllamaConfig(vision_config=vision.to_dict(), text_config=text.to_dict(),
                             image_token_index=tok.image_token_id)
    return processor, config
