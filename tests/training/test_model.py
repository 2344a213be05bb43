"""Model loading, where LoRA goes, adapter save/reload, resume, group-by-length batches (in-process)."""

from __future__ import annotations

import json

import datasets
import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForImageTextToText, AutoProcessor, LlamaConfig, LlamaForCausalLM, Trainer

from training.collator import VisionQACollator
from training.config import DataArguments, LoraArguments, parse_args
from training.data import load_splits
from training.model import NotImageTextToTextError, apply_lora, check_image_text_to_text
from training.prepare import LengthMeter, measure_split
from training.prompts import ChatFormatter
from training.train import main, settle_training_args


def test_text_only_model_is_refused(tmp_path, qa_dataset, capsys):
    LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                 num_attention_heads=2)).save_pretrained(tmp_path / "llama")
    with pytest.raises(NotImageTextToTextError, match="'llama' model .*image-text-to-text"):
        check_image_text_to_text(str(tmp_path / "llama"))
    code = main(["--model_name_or_path", str(tmp_path / "llama"), "--dataset", str(qa_dataset),
                 "--output_dir", str(tmp_path / "out")])
    assert code == 2
    assert "not load as image-text-to-text" in capsys.readouterr().err
    assert main(["--model_name_or_path", str(tmp_path / "nowhere"), "--dataset", str(qa_dataset),
                 "--output_dir", str(tmp_path / "out")]) == 2
    assert "cannot load the model config" in capsys.readouterr().err


@pytest.mark.parametrize("family", ["llava", "llava_next", "internvl"])
def test_lora_on_language_model_only(family, tiny_models):
    model = apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models[family]), LoraArguments())
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(".language_model." in n and "lora_" in n for n in trainable)
    lora_layers = {n.rsplit(".lora_A", 1)[0].rsplit(".", 1)[-1] for n in trainable if ".lora_A" in n}
    assert {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"} <= lora_layers
    assert not any("lm_head" in n for n in trainable)


def test_train_projector_and_named_targets(tiny_models):
    model = apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models["llava"]),
                       LoraArguments(train_projector=True, lora_target_modules=["q_proj", "v_proj"]))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any("multi_modal_projector" in n for n in trainable)
    assert not any("vision_tower" in n for n in trainable)
    assert {n.split(".lora_A")[0].rsplit(".", 1)[-1] for n in trainable if ".lora_A" in n} == {"q_proj", "v_proj"}
    with pytest.raises(ValueError, match="no such linear layer.*q_proj"):
        apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models["llava"]),
                   LoraArguments(lora_target_modules=["qkv_proj"]))


@pytest.mark.parametrize("family", ["llava", "internvl"])
def test_saved_adapter_reloads_to_same_outputs(family, tiny_models, qa_dataset, tmp_path):
    processor = AutoProcessor.from_pretrained(tiny_models[family])
    collator = VisionQACollator(processor, ChatFormatter(processor, "Let's think step by step."))
    train, _ = load_splits(DataArguments(dataset=str(qa_dataset)))
    batch = collator([train[0], train[1]])
    torch.manual_seed(0)
    model = apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models[family]),
                       LoraArguments(lora_dropout=0.0, train_projector=True))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(3):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    with torch.no_grad():
        trained = model(**batch).logits
    model.save_pretrained(tmp_path / "adapter")

    base = AutoModelForImageTextToText.from_pretrained(tiny_models[family]).eval()
    with torch.no_grad():
        untouched = base(**batch).logits
        reloaded = PeftModel.from_pretrained(base, tmp_path / "adapter")(**batch).logits
    assert not torch.allclose(trained, untouched, atol=1e-4)
    torch.testing.assert_close(reloaded, trained, atol=1e-6, rtol=1e-6)


def _args(model_dir, dataset, out, *extra):
    return ["--model_name_or_path", str(model_dir), "--dataset", str(dataset), "--output_dir", str(out),
            "--use_cpu", "true", "--per_device_train_batch_size", "2", "--gradient_accumulation_steps", "1",
            "--logging_steps", "1", "--disable_tqdm", "true", "--activation_checkpointing", "false", *extra]


def test_resume_from_last_checkpoint(tiny_models, qa_dataset, tmp_path):
    out = tmp_path / "run"
    assert main(_args(tiny_models["llava"], qa_dataset, out, "--max_steps", "2", "--save_steps", "2")) == 0
    assert (out / "checkpoint-2").is_dir()
    assert main(_args(tiny_models["llava"], qa_dataset, out, "--max_steps", "4", "--save_steps", "2",
                      "--resume_from_checkpoint", "last")) == 0
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    # the resumed run logged only steps 3 and 4: steps 1-2 come from the checkpoint's state
    steps = [h["step"] for h in state["log_history"] if "loss" in h]
    assert steps == [1, 2, 3, 4]
    assert (out / "checkpoint-4").is_dir()
    assert main(_args(tiny_models["llava"], qa_dataset, out, "--resume_from_checkpoint", str(out / "nope"))) == 2


def test_batches_grouped_by_length(tiny_models, qa_dataset, tmp_path):
    model_args, data_args, lora_args, training_args = parse_args(
        _args(tiny_models["internvl"], qa_dataset, tmp_path / "run", "--eval_strategy", "no", "--eval_size", "0",
              "--dataloader_num_workers", "0"))
    settle_training_args(training_args, model_args)
    assert training_args.train_sampling_strategy == "group_by_length"  # the paper preset's choice
    processor = AutoProcessor.from_pretrained(tiny_models["internvl"])
    formatter = ChatFormatter(processor, data_args.prompt_suffix)
    train, _ = load_splits(data_args)
    train, _ = measure_split(train, LengthMeter(processor, formatter), data_args, "train")
    train = datasets.concatenate_datasets([train] * 4)  # 32 rows: 4 mega-batches of 4 batches of 2
    model = AutoModelForImageTextToText.from_pretrained(tiny_models["internvl"])
    trainer = Trainer(model=model, args=training_args, train_dataset=train,
                      data_collator=VisionQACollator(processor, formatter), processing_class=processor)
    seen = []
    for batch in trainer.get_train_dataloader():
        real = batch["attention_mask"].sum(dim=1).tolist()
        assert batch["input_ids"].shape[1] == max(real)  # no padding beyond the batch's longest row
        seen.extend(real)
    lengths = train["reachqa_num_tokens"]
    assert sorted(seen) == sorted(lengths) and len(set(lengths)) > 2
    # transformers' length-grouped sampler: the longest row first, then each mega-batch of 8 rows sorted
    # by length (its first row may be the one swapped out for the longest)
    assert seen[0] == max(lengths)
    for start in range(0, len(seen), 8):
        chunk = seen[start + 1:start + 8]
        assert chunk == sorted(chunk, reverse=True)
    # which wastes less padding than the random batches a plain sampler gives
    padding = sum(max(pair) * 2 - sum(pair) for pair in zip(seen[::2], seen[1::2]))
    generator = torch.Generator().manual_seed(0)
    random_padding = []
    for _ in range(20):
        order = [lengths[i] for i in torch.randperm(len(lengths), generator=generator).tolist()]
        random_padding.append(sum(max(p) * 2 - sum(p) for p in zip(order[::2], order[1::2])))
    assert padding < sum(random_padding) / len(random_padding)


def test_trainable_parameters_stay_fp32_under_bf16(tiny_models, qa_dataset):
    """bf16 base weights, projector trained in full: its weights are fp32 master copies and every one of them
    moves at the paper's lr 2e-5 (kept in bf16, most updates round away)."""
    processor = AutoProcessor.from_pretrained(tiny_models["llava"])
    collator = VisionQACollator(processor, ChatFormatter(processor, "Let's think step by step."))
    train, _ = load_splits(DataArguments(dataset=str(qa_dataset)))
    batch = collator([train[0], train[1]])
    model = apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models["llava"], dtype=torch.bfloat16),
                       LoraArguments(train_projector=True, lora_scope=["vision", "language"]))
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(p.dtype == torch.float32 for p in trainable.values())
    assert all(p.dtype == torch.bfloat16 for n, p in model.named_parameters() if not p.requires_grad)
    projector = {n: p.detach().clone() for n, p in trainable.items() if "multi_modal_projector" in n}
    optimizer = torch.optim.AdamW(list(trainable.values()), lr=2e-5)
    for _ in range(8):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    changed = sum(int((trainable[n] != before).sum()) for n, before in projector.items())
    assert changed / sum(p.numel() for p in projector.values()) > 0.95


def test_lora_scope_places_adapters_on_the_parts_named(tiny_models):
    for family, projector in (("llava", "multi_modal_projector"), ("internvl", "multi_modal_projector")):
        base = AutoModelForImageTextToText.from_pretrained(tiny_models[family])
        linears = {n for n, m in base.named_modules() if isinstance(m, torch.nn.Linear)}
        model = apply_lora(base, LoraArguments(lora_scope=["vision", "projector", "language"]))
        adapted = {n.split(".lora_A")[0] for n, _ in model.named_parameters() if ".lora_A" in n}
        # every linear layer but the output head, as ms-swift's --lora_target_modules ALL
        assert {n.removeprefix("base_model.model.") for n in adapted} == {n for n in linears if "lm_head" not in n}
        assert any(projector in n for n in adapted) and any("vision_tower" in n for n in adapted)
        only_vision = apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models[family]),
                                 LoraArguments(lora_scope=["vision"]))
        assert all("vision_tower" in n for n, p in only_vision.named_parameters() if p.requires_grad)
    with pytest.raises(ValueError, match="--lora_scope audio: choose one or more of language, projector, vision"):
        apply_lora(AutoModelForImageTextToText.from_pretrained(tiny_models["llava"]), LoraArguments(lora_scope=["audio"]))


def test_qlora_is_refused_without_a_gpu_and_configured_on_one(monkeypatch):
    from training.model import quantization_config

    assert quantization_config("none") is None
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="needs a CUDA GPU"):
            quantization_config("4bit")
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    try:
        config = quantization_config("4bit")
    except ValueError as exc:  # no bitsandbytes installed: named, with the install line
        assert "pip install bitsandbytes" in str(exc)
        return
    assert config.load_in_4bit and config.bnb_4bit_quant_type == "nf4" and config.bnb_4bit_use_double_quant
    assert config.bnb_4bit_compute_dtype == torch.bfloat16
    assert parse_args(["--model_name_or_path", "m", "--dataset", "d", "--output_dir", "o",
                       "--quantization", "4bit"])[0].quantization == "4bit"
