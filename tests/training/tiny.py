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

INTERNVL_TOKENS = {"start_image_token": "<img>", "end_image_token": "</img>",
                   "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"}


def train_tokenizer(texts: list[str], extra_special_tokens: dict[str, str]) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer (no unknown tokens) trained on ``texts``."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>", *dict.fromkeys(extra_special_tokens.values())]
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts + ["USER: ASSISTANT: Let's think step by step."], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>",
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
    else:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    model = AutoModelForImageTextToText.from_config(config)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out
