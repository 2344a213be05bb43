"""Attention maps over the chart, on the tiny LLaVA."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from evaluation.attention import attention_maps, draw_attention
from reachqa_builder.cli import main as reachqa


@pytest.fixture(scope="module")
def model_and_processor(tiny_model):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(tiny_model, attn_implementation="eager").eval()
    return model, AutoProcessor.from_pretrained(tiny_model)


def test_step0_equals_a_plain_forward_pass(model_and_processor, charts):
    model, processor = model_and_processor
    image = Image.open(io.BytesIO(charts[0])).convert("RGB")
    maps, tokens = attention_maps(model, processor, image, "what is the value ?", steps=[0, 2])
    assert [m.shape for m in maps] == [(4, 4), (4, 4)]  # 32 px / patch 8 -> 16 image tokens
    assert all(0 < m.sum() <= 1 + 1e-5 for m in maps) and not np.allclose(maps[0], maps[1])
    # the same number by hand: last prompt position, all layers and heads, image positions
    text = processor.apply_chat_template([{"role": "user", "content": [{"type": "image"}, {
        "type": "text", "text": "what is the value ?"}]}], add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=[image], return_tensors="pt")
    with torch.inference_mode():
        out = model(**inputs, output_attentions=True)
    mean = torch.stack([a[0, :, -1, :] for a in out.attentions]).mean(dim=(0, 1))
    pos = (inputs["input_ids"][0] == model.config.image_token_id).nonzero().flatten()
    np.testing.assert_allclose(maps[0], mean[pos].reshape(4, 4).numpy(), rtol=1e-2)  # generate vs forward kernels
    first = processor.tokenizer.decode([int(out.logits[0, -1].argmax())])
    assert tokens[0] == first


def test_draw_and_cli(model_and_processor, charts, tiny_model, tmp_path):
    image = Image.open(io.BytesIO(charts[1])).convert("RGB")
    out = draw_attention(image, [np.eye(4), np.ones((4, 4))], ["a", "b"], tmp_path / "a.png")
    assert Image.open(out).format == "PNG" and Image.open(out).size[0] > Image.open(out).size[1]
    (tmp_path / "chart.png").write_bytes(charts[2])
    assert reachqa(["attention", "--model", str(tiny_model), "--image", str(tmp_path / "chart.png"), "--question", "total",
                    "--steps", "0,1", "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="non-negative"):
        attention_maps(*model_and_processor, image, "q", steps=[-1])
