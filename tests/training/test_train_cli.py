"""End to end: `accelerate launch -m training` in a subprocess on CPU, then `reachqa merge-lora`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from safetensors import safe_open
from transformers import AutoModelForImageTextToText, AutoProcessor

from reachqa_builder.cli import main as cli_main
from training.collator import VisionQACollator
from training.config import DataArguments
from training.data import load_splits
from training.prompts import ChatFormatter
from training.train import main

BIN = Path(sys.executable).parent

# Small, fast and aggressive: a few steps that visibly move a tiny model.
FAST = ["--use_cpu", "true", "--per_device_train_batch_size", "2", "--gradient_accumulation_steps", "1",
        "--learning_rate", "1e-2", "--warmup_steps", "0", "--lora_dropout", "0", "--logging_steps", "1",
        "--save_steps", "1000", "--disable_tqdm", "true", "--dataloader_num_workers", "0"]


def accelerate_launch(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "1", "--num_machines", "1",
           "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "training", *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"training failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    return proc


def batch_for(model_dir: Path, dataset: Path, rows=(0, 3)) -> dict:
    processor = AutoProcessor.from_pretrained(model_dir)
    collator = VisionQACollator(processor, ChatFormatter(processor, "Let's think step by step."))
    train, _ = load_splits(DataArguments(dataset=str(dataset)))
    return collator([train[i] for i in rows])


@torch.no_grad()
def logits(model, batch) -> torch.Tensor:
    model.eval()
    return model(**batch).logits


@pytest.mark.slow
def test_overfit_then_merge(tiny_models, qa_dataset, tmp_path, capsys):
    out = tmp_path / "run"
    accelerate_launch(["--model_name_or_path", str(tiny_models["llava"]), "--dataset", str(qa_dataset),
                       "--output_dir", str(out), "--eval_split", "test", "--max_steps", "20",
                       "--activation_checkpointing", "false", *FAST])

    # the loss falls on the overfit set (8 rows seen 5 times)
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    losses = [h["loss"] for h in history if "loss" in h]
    assert len(losses) == 20
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 1.0, losses
    eval_loss = json.loads((out / "eval_results.json").read_text())["eval_loss"]
    assert 0 < eval_loss < losses[0]
    report = json.loads((out / "data_report.json").read_text())
    assert [r["kept"] for r in report] == [8, 2] and report[0]["skipped_bad_image"] == 0
    # the adapter and the processor are saved; the adapter sits on every linear layer, as in the authors' run
    adapter_cfg = json.loads((out / "adapter_config.json").read_text())
    assert "language_model" in adapter_cfg["target_modules"] and adapter_cfg["r"] == 16
    with safe_open(out / "adapter_model.safetensors", "pt") as f:
        keys = list(f.keys())
    assert keys and all("lora_" in k for k in keys)
    assert {part for part in ("language_model", "vision_tower", "multi_modal_projector") if any(part in k for k in keys)} \
        == {"language_model", "vision_tower", "multi_modal_projector"}
    assert AutoProcessor.from_pretrained(out).chat_template

    # the merged model gives the logits of base + adapter, and loads without PEFT
    merged_dir = tmp_path / "merged"
    assert cli_main(["merge-lora", str(out), "--out", str(merged_dir)]) == 0  # the `reachqa` command, in-process
    batch = batch_for(tiny_models["llava"], qa_dataset)
    base = AutoModelForImageTextToText.from_pretrained(tiny_models["llava"])
    base_logits = logits(base, batch)
    with_adapter = logits(PeftModel.from_pretrained(base, out), batch)
    merged = AutoModelForImageTextToText.from_pretrained(merged_dir)
    assert not any("lora" in name for name, _ in merged.named_parameters())
    merged_logits = logits(merged, batch)
    assert not torch.allclose(with_adapter, base_logits, atol=1e-3)  # training changed the model
    torch.testing.assert_close(merged_logits, with_adapter, atol=1e-5, rtol=1e-5)
    # merge refuses to overwrite unless asked, and names what it needs
    assert cli_main(["merge-lora", str(out), "--out", str(merged_dir)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert cli_main(["merge-lora", str(tmp_path), "--out", str(tmp_path / "m2")]) == 2
    assert "no adapter_config.json" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("family, launcher", [("internvl", "accelerate"), ("llava_next", "in-process")])
def test_other_families_train_with_projector(family, launcher, tiny_models, qa_dataset, tmp_path):
    out = tmp_path / "run"
    args = ["--model_name_or_path", str(tiny_models[family]), "--dataset", str(qa_dataset), "--output_dir", str(out),
            "--eval_size", "2", "--max_steps", "3", "--train_projector", "true", *FAST]
    if launcher == "accelerate":  # with the preset's activation checkpointing
        accelerate_launch(args)
    else:  # the same entry point without the launcher's start-up cost
        assert main(args + ["--activation_checkpointing", "false"]) == 0
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert [h["step"] for h in history if "loss" in h] == [1, 2, 3]
    assert "eval_loss" in json.loads((out / "eval_results.json").read_text())
    with safe_open(out / "adapter_model.safetensors", "pt") as f:
        keys = list(f.keys())
    assert any("multi_modal_projector" in k for k in keys)  # trained in full, saved with the adapter
    assert not any("vision_tower" in k and "lora_" not in k for k in keys)  # the tower has LoRA only
    base = AutoModelForImageTextToText.from_pretrained(tiny_models[family])
    batch = batch_for(tiny_models[family], qa_dataset)
    before = logits(base, batch)
    after = logits(PeftModel.from_pretrained(base, out), batch)
    assert not torch.allclose(before, after, atol=1e-4)


def test_foreign_option_names_unknown_preset_and_dashed_flags(tmp_path, capsys):
    from training.config import PRESETS_DIR, parse_args

    yaml_path = tmp_path / "other-tool.yaml"
    yaml_path.write_text("lora_rank: 8\nlora_target: all\n")
    assert cli_main(["train", "--config", str(yaml_path), "--model_name_or_path", "m", "--dataset", "d",
                     "--output-dir", "o"]) == 2
    err = capsys.readouterr().err
    assert "lora_rank (reachqa calls it lora_r)" in err and "lora_target (reachqa calls it lora_target_modules)" in err
    assert cli_main(["train", "--cutoff_len", "2048", "--dataset", "d"]) == 2
    assert "cutoff_len (reachqa calls it max_length)" in capsys.readouterr().err
    assert cli_main(["train", "--config", "no_such_preset"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "presets: " + ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))) in err
    _, data_args, _, training_args = parse_args(["--config", "internvl2", "--dataset", "a.json",
                                                 "--output-dir", "out", "--max-tiles", "6"])
    assert training_args.output_dir == "out" and data_args.max_tiles == 6


def test_image_budget_caps_tiles(tiny_models):
    from training.budget import apply_image_budget
    from reachqa_builder.processors import load_processor

    model_config = AutoModelForImageTextToText.from_pretrained(tiny_models["llava_next"]).config
    processor = load_processor(tiny_models["llava_next"])
    assert apply_image_budget(processor, model_config, None, None) == {"max_tiles": 4}
    assert apply_image_budget(processor, model_config, 2, None) == {"max_tiles": 2}
    assert model_config.image_grid_pinpoints == processor.image_processor.image_grid_pinpoints == [[32, 32], [32, 64],
                                                                                                  [64, 32]]
    processor = load_processor(tiny_models["internvl"])
    apply_image_budget(processor, None, 2, None)
    from PIL import Image
    pixels = processor(text=["<IMG_CONTEXT>"], images=[Image.new("RGB", (400, 100))], return_tensors="pt")["pixel_values"]
    assert pixels.shape[0] == 3  # 2 tiles + thumbnail


def test_max_tiles_survives_merge_and_infer_adapter(tiny_models, qa_dataset, tmp_path):
    """A LLaVA-NeXT run with --max_tiles saves the narrowed processor; the merged model and `infer --adapter` use
    the same grids as that processor (else the model splits the image features by a grid the processor did not
    use: split_with_sizes fails)."""
    from PIL import Image

    from evaluation.inference.transformers_engine import TransformersEngine, TransformersEngineConfig
    from evaluation.inference.types import ChatRequest, user_message

    out = tmp_path / "run"
    assert main(["--model_name_or_path", str(tiny_models["llava_next"]), "--dataset", str(qa_dataset),
                 "--output_dir", str(out), "--max_steps", "1", "--max_tiles", "2",
                 "--activation_checkpointing", "false", *FAST]) == 0
    square = Image.new("RGB", (200, 200), "white")  # the full grid list picks 2x2 tiles for it, the narrowed 1x2
    assert cli_main(["merge-lora", str(out), "--out", str(tmp_path / "merged")]) == 0
    merged = AutoModelForImageTextToText.from_pretrained(tmp_path / "merged")
    processor = AutoProcessor.from_pretrained(tmp_path / "merged")
    assert merged.config.image_grid_pinpoints == processor.image_processor.image_grid_pinpoints == [
        [32, 32], [32, 64], [64, 32]]
    inputs = processor(text=["<image>\nWhat is shown?"], images=[square], return_tensors="pt")
    with torch.no_grad():
        assert torch.isfinite(merged(**inputs).logits).all()
    engine = TransformersEngine(TransformersEngineConfig(model=str(tiny_models["llava_next"]), adapter=str(out),
                                                         device="cpu", progress=False))
    assert engine.model.config.image_grid_pinpoints == [[32, 32], [32, 64], [64, 32]]
    reply = engine.generate([ChatRequest(model="m", messages=[user_message("What is shown?", [square])],
                                         max_tokens=2, temperature=0)])[0]
    assert reply.completion_tokens >= 1
