"""Every supported model family, on a tiny model built from its real config and processor classes: the
collated rows equal what the family's own processor makes of the conversation (chat template, image tokens,
pixels), labels cover the answer only, and `reachqa train` -> `merge-lora` -> the `infer` engine runs with
the authors' LoRA placement (vision tower, projector and language model)."""

from __future__ import annotations

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForImageTextToText, AutoProcessor

from reachqa_builder.cli import main as cli_main
from tests.training import tiny
from training.collator import IGNORE_INDEX, VisionQACollator
from training.config import DataArguments
from training.data import decode_image, load_splits
from training.prepare import LENGTH_COLUMN, LengthMeter, measure_split
from training.prompts import ChatFormatter
from training.train import main

# llava_next: LLaVA-NeXT; internvl: InternVL2.5 / InternVL3 (transformers' InternVL class, "-hf" checkpoints)
FAMILIES = ("llava", "llava_next", "internvl", *tiny.NEW_FAMILIES)
QUICK = ["--use_cpu", "true", "--per_device_train_batch_size", "2", "--gradient_accumulation_steps", "1",
         "--learning_rate", "1e-2", "--warmup_steps", "0", "--lora_dropout", "0", "--logging_steps", "1",
         "--disable_tqdm", "true", "--dataloader_num_workers", "0", "--activation_checkpointing", "false",
         "--eval_size", "0", "--max_steps", "2"]


@pytest.fixture(scope="module")
def family_models(tmp_path_factory, qa_rows, tiny_models) -> dict:
    texts = [r["question"] + " " + r["answer"] for r in qa_rows]
    root = tmp_path_factory.mktemp("families")
    built = {f: tiny.build(f, root / f, texts) for f in tiny.NEW_FAMILIES}
    return {**{f: tiny_models[f] for f in tiny.FAMILIES}, **built}


def own_processor_ids(processor, row, answer: bool):
    """What the family's processor makes of the conversation through its own apply_chat_template."""
    messages = [{"role": "user", "content": [{"type": "image", "image": decode_image(row["image"])},
                                             {"type": "text", "text": row["question"] + " Let's think step by step."}]}]
    if answer:
        messages.append({"role": "assistant", "content": [{"type": "text", "text": row["answer"]}]})
    return processor.apply_chat_template(messages, add_generation_prompt=not answer, tokenize=True,
                                         return_dict=True, return_tensors="pt")


@pytest.mark.parametrize("family", FAMILIES)
def test_rows_equal_the_family_processor_output(family, family_models, qa_dataset):
    processor = AutoProcessor.from_pretrained(family_models[family])
    formatter = ChatFormatter(processor, "Let's think step by step.")
    args = DataArguments(dataset=str(qa_dataset), prepare_cache_dir="")
    train, _ = load_splits(args)
    meter = LengthMeter(processor, formatter)
    measured, _ = measure_split(train, meter, args, "train")
    collator = VisionQACollator(processor, formatter)
    for i in (0, 3):
        row = measured[i]
        batch = collator([row])
        full = own_processor_ids(processor, row, answer=True)
        prompt = own_processor_ids(processor, row, answer=False)
        ids, labels = batch["input_ids"][0], batch["labels"][0]
        assert ids.tolist() == full["input_ids"][0].tolist()  # template, image tokens and answer as the family's
        n = prompt["input_ids"].shape[1]
        assert ids[:n].tolist() == prompt["input_ids"][0].tolist()
        assert (labels[:n] == IGNORE_INDEX).all() and labels[n:].tolist() == ids[n:].tolist()  # answer only
        assert row["answer"] in processor.tokenizer.decode(ids[n:])
        for key, value in prompt.items():  # pixels and their layout (grid sizes, tiles, aspect ratios)
            if key not in ("input_ids", "attention_mask") and value.shape[:2] != prompt["input_ids"].shape:
                torch.testing.assert_close(batch[key], value)
        assert row[LENGTH_COLUMN] == len(ids)  # the measured length is the collated one
    eos_like = processor.tokenizer.convert_ids_to_tokens(int(ids[-1]))
    assert eos_like in {"</s>", "<|im_end|>", "<|eot_id|>", "\n", "Ċ"}


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_train_merge_infer(family, family_models, qa_dataset, tmp_path):
    from evaluation.inference.transformers_engine import TransformersEngine, TransformersEngineConfig
    from evaluation.inference.types import ChatRequest, user_message

    model_dir, out = family_models[family], tmp_path / "run"
    assert main(["--model_name_or_path", str(model_dir), "--dataset", str(qa_dataset), "--output_dir", str(out),
                 "--prepare_cache_dir", str(tmp_path / "cache"), *QUICK]) == 0
    adapter = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(model_dir), out)
    adapted = {n.split(".lora_A")[0] for n, _ in adapter.named_parameters() if ".lora_A" in n}
    assert any(".language_model." in n for n in adapted) and any(
        part in n for n in adapted for part in ("vision_tower", "visual.blocks", "vision_model"))
    assert cli_main(["merge-lora", str(out), "--out", str(tmp_path / "merged")]) == 0
    processor = AutoProcessor.from_pretrained(tmp_path / "merged")
    train, _ = load_splits(DataArguments(dataset=str(qa_dataset)))
    batch = VisionQACollator(processor, ChatFormatter(processor, "Let's think step by step."))([train[0]])
    merged = AutoModelForImageTextToText.from_pretrained(tmp_path / "merged").eval()
    with torch.no_grad():
        torch.testing.assert_close(merged(**batch).logits, adapter.eval()(**batch).logits, atol=1e-4, rtol=1e-4)
    engine = TransformersEngine(TransformersEngineConfig(model=str(tmp_path / "merged"), device="cpu",
                                                         progress=False))
    image = decode_image(train[0]["image"])
    reply = engine.generate([ChatRequest(model="m", messages=[user_message("Which bar is tallest?", [image])],
                                         max_tokens=3, temperature=0)])[0]
    assert isinstance(reply.text, str) and reply.completion_tokens >= 1
