"""The transformers engine on a tiny LLaVA built in the test (CPU, nothing downloaded)."""

from __future__ import annotations

import pytest
import torch

from evaluation.inference.transformers_engine import (TransformersEngine, TransformersEngineConfig,
                                                      to_processor_messages)
from evaluation.inference.types import ChatRequest, user_message

QUESTIONS = ["what is the value ?", "how many bars are in the chart ?", "which color is highest",
             "total", "what is the trend of the line in year 2020 ? let's think step by step ."]


@pytest.fixture(scope="module")
def engine(tiny_model):
    return TransformersEngine(TransformersEngineConfig(model=str(tiny_model), batch_size=4, progress=False))


def _requests(charts, max_tokens=6):
    return [ChatRequest(messages=[user_message(q, [charts[i % len(charts)]])], model="tiny", max_tokens=max_tokens)
            for i, q in enumerate(QUESTIONS)]


def test_batched_equals_one_at_a_time(engine, charts):
    reqs = _requests(charts)
    batched = engine.generate(reqs)
    engine.config.batch_size = 1
    try:
        single = engine.generate(reqs)
    finally:
        engine.config.batch_size = 4
    assert [r.text for r in batched] == [r.text for r in single]
    assert all(r.completion_tokens <= 6 and r.prompt_tokens > 16 for r in batched)  # 16 image tokens + text
    assert len({r.text for r in batched}) > 1  # the inputs matter


def test_matches_plain_generate(engine, charts, tiny_model):
    """Same reply as calling the processor and model.generate by hand."""
    from transformers import AutoModelForImageTextToText, AutoProcessor

    req = _requests(charts, max_tokens=6)[1]
    processor = AutoProcessor.from_pretrained(tiny_model)
    model = AutoModelForImageTextToText.from_pretrained(tiny_model).eval()
    conv, images = to_processor_messages(req.messages)
    text = processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=images, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=6, do_sample=False)
    new = out[0, inputs["input_ids"].shape[1]:].tolist()
    eos = processor.tokenizer.eos_token_id
    new = new[:new.index(eos)] if eos in new else new
    expected = processor.tokenizer.decode(new, skip_special_tokens=True).strip()
    assert engine.generate([req])[0].text == expected


def test_finish_reason_length_and_order(engine, charts):
    reqs = _requests(charts, max_tokens=3)
    out = engine.generate(reqs)
    assert len(out) == len(reqs)
    for r in out:
        assert r.finish_reason in ("stop", "length")
        if r.finish_reason == "length":
            assert r.completion_tokens == 3
    # order is the request order even though batches are sorted by prompt length
    assert [o.text for o in out] == [engine.generate([r])[0].text for r in reqs]


@pytest.mark.slow
def test_lora_adapter_changes_outputs(tiny_model, tmp_path, charts, engine):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    base = AutoModelForImageTextToText.from_pretrained(tiny_model)
    torch.manual_seed(1)
    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj", "o_proj"],
                                                 init_lora_weights=False))
    peft_model.save_pretrained(tmp_path / "adapter")
    tuned = TransformersEngine(TransformersEngineConfig(model=str(tiny_model), adapter=str(tmp_path / "adapter"),
                                                        batch_size=4, progress=False))
    reqs = _requests(charts, max_tokens=8)
    assert [r.text for r in tuned.generate(reqs)] != [r.text for r in engine.generate(reqs)]


def test_bad_messages_are_named():
    with pytest.raises(ValueError, match="unsupported content part type 'audio'"):
        to_processor_messages([{"role": "user", "content": [{"type": "audio"}]}])
    with pytest.raises(ValueError, match="needs 'role' and 'content'"):
        to_processor_messages([{"content": "hi"}])
    with pytest.raises(ValueError, match="batch_size"):
        TransformersEngineConfig(model="x", batch_size=0)
