"""The transformers engine on a tiny LLaVA built in the test (CPU, nothing downloaded)."""

from __future__ import annotations

import pytest
import torch

from evaluation.inference.transformers_engine import (TransformersEngine, TransformersEngineConfig,
                                                      to_processor_messages)
from reachqa_builder.llm.types import ChatRequest, user_message

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


def _remote_code_checkpoint(tiny_model, tmp_path):
    """The tiny LLaVA turned into a checkpoint that ships its own model code (``auto_map``), like
    the original InternVL2 releases."""
    import json
    import shutil

    folder = tmp_path / "remote-llava"
    shutil.copytree(tiny_model, folder)
    (folder / "configuration_remote.py").write_text(
        "from transformers import LlavaConfig\n\n\nclass RemoteLlavaConfig(LlavaConfig):\n"
        "    model_type = 'reachqa_remote_llava'\n")
    (folder / "modeling_remote.py").write_text(
        "from transformers import LlavaForConditionalGeneration\n\nfrom .configuration_remote import RemoteLlavaConfig"
        "\n\n\nclass RemoteLlava(LlavaForConditionalGeneration):\n    config_class = RemoteLlavaConfig\n")
    cfg = json.loads((folder / "config.json").read_text())
    cfg["model_type"] = "reachqa_remote_llava"
    cfg["architectures"] = ["RemoteLlava"]
    cfg["auto_map"] = {"AutoConfig": "configuration_remote.RemoteLlavaConfig",
                       "AutoModelForImageTextToText": "modeling_remote.RemoteLlava"}
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder


def test_trust_remote_code(tiny_model, tmp_path, charts, capsys):
    from reachqa_builder.cli import main
    from tests.evaluation import benchmark_fixtures as fx

    folder = _remote_code_checkpoint(tiny_model, tmp_path)
    engine = TransformersEngine(TransformersEngineConfig(model=str(folder), trust_remote_code=True, progress=False))
    assert type(engine.model).__name__ == "RemoteLlava"  # the checkpoint's own class
    (reply,) = engine.generate(_requests(charts)[:1])
    assert reply.text and reply.completion_tokens > 0

    cq = fx.write_chartqa_release(tmp_path / "ChartQA", charts)
    args = ["infer", "--model", str(folder), "--benchmarks", f"chartqa={cq}", "--out", str(tmp_path / "p"),
            "--max-new-tokens", "3", "--limit", "1", "--no-progress"]
    assert main(args) == 2  # refused without the flag: one line, no traceback
    err = capsys.readouterr().err
    ours = [ln for ln in err.splitlines() if ln.startswith("reachqa infer:")]
    assert len(ours) == 1 and "trust_remote_code" in ours[0] and "Traceback" not in err
    assert main(args + ["--trust-remote-code"]) == 0
