"""LoRA training steps with and without activation (gradient) checkpointing: tokens/s and peak memory.

Runs the project's own pieces (model loading, LoRA placement, chat-template prompts, the collator
that pads to the batch's longest row) for a number of optimizer steps, once without checkpointing
(the baseline) and once with it (the paper's and this project's preset), each in a fresh process
so peak memory is measured cleanly. Prints both and their ratio.

On a GPU the model has LLaVA-NeXT-Llama3-8B's shape (Llama-3-8B + CLIP ViT-L/14 336 px, anyres
tiles; random weights built from the config, no download), in bf16; ``--shape 1b`` picks a ~0.95B
one. Without a GPU it is the tiny test model on CPU, and the report says so. The GPU path has not
been run in this project's sessions so far (no GPU was lent).

    .venv/bin/python bench/train.py                    # picks GPU if there is one, else CPU tiny
    .venv/bin/python bench/train.py --steps 20 --batch-size 2
    .venv/bin/python bench/train.py --method grpo      # GRPO steps (TRL GRPOTrainer), group size 8

``--method grpo`` times optimizer steps of ``reachqa train --method grpo`` (sampling a group of 8
completions per prompt, rewards, the policy update; TRL logs each step's time) in the same 8B shape,
once without the KL term (``--beta 0``, the baseline: no reference forward) and once with the preset's
``beta`` 0.04, and prints seconds per step, completion tokens per second and peak memory. The GPU
path has not been run (no GPU was lent to that session); on CPU it runs the tiny model.

``--first-step`` measures something else: the time from ``reachqa train`` starting to the end of its first
optimizer step on the 20k-row shape of the authors' training file (20,000 questions on 2480x1571 JPEG charts,
6 per chart) with an InternVL2-style processor (448 px tiles, up to 12 + thumbnail, 256 tokens each) on a tiny
model: the data preparation dominates that time. The baseline is the code before the cached data preparation (``--baseline-ref``,
taken with ``git archive``), timed on ``--baseline-rows`` and twice that, and extrapolated linearly to the full
row count (its length pass is one per-row loop); the project's figure is the full run, from an empty cache
(first start) and again (second start, cache read).

    .venv/bin/python bench/train.py --first-step       # ~10 min on a 2-core machine
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHAPE = os.environ.get("REACHQA_BENCH_SHAPE", "8b")  # GPU model shape: "8b" (the paper's size) or "1b"
sys.path.insert(0, str(ROOT))


def build_inputs(workdir: Path, on_gpu: bool) -> tuple[Path, Path]:
    """Render the test charts into a dataset folder and save the model to benchmark; return both paths."""
    from reachqa_builder.render import render_scripts
    from tests.training import conftest, tiny

    scripts = {cid: conftest.SCRIPT.format(figsize=(4.0 + i, 3.0), labels=labels, values=values, title=title)
               for i, (cid, (title, labels, values)) in enumerate(conftest.CHARTS.items())}
    records = render_scripts(scripts, workdir / "charts", env="current", dpi=100, workers=1, use_cache=False,
                             progress=False)
    rows = []
    for rec, (cid, (title, labels, values)) in zip(records, conftest.CHARTS.items()):
        if rec.status != "ok":
            raise RuntimeError(f"rendering {cid} failed: {rec.error}")
        image = Path(rec.image).read_bytes()
        for k, (q, a) in enumerate(conftest.qa_pairs(title, labels, values)):
            rows.append({"qa_id": f"{cid}-{k}", "chart_id": cid, "image": {"bytes": image, "path": None},
                         "question": q, "answer": (a + " ") * (3 if on_gpu else 1), "qa_type": "reas"})
    dataset = conftest.write_dataset(workdir / "ds", {"train": rows})
    texts = [r["question"] + " " + r["answer"] for r in rows]
    if not on_gpu:
        return dataset, tiny.build("llava_next", workdir / "model", texts)
    return dataset, build_1b(workdir / "model", texts)


def build_1b(out: Path, texts: list[str]) -> Path:
    import torch
    from transformers import (AutoModelForImageTextToText, CLIPVisionConfig, LlamaConfig, LlavaNextConfig,
                              LlavaNextImageProcessor, LlavaNextProcessor)

    from tests.training import tiny

    tok = tiny.train_tokenizer(texts, {"image_token": "<image>"})
    processor = LlavaNextProcessor(image_processor=LlavaNextImageProcessor(
        size={"shortest_edge": 336}, crop_size={"height": 336, "width": 336}),
        tokenizer=tok, patch_size=14, vision_feature_select_strategy="default", num_additional_image_tokens=1,
        chat_template=tiny.CHAT_TEMPLATE.replace("IMAGE", "<image>"))
    if SHAPE == "8b":  # LLaVA-NeXT-Llama3-8B: Llama-3-8B + CLIP ViT-L/14 at 336 px (random weights, no download)
        text = LlamaConfig(vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                           num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=8192,
                           rope_parameters={"rope_type": "default", "rope_theta": 500000.0}, pad_token_id=0)
        vision = CLIPVisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                  num_attention_heads=16, image_size=336, patch_size=14, projection_dim=768)
    else:
        text = LlamaConfig(vocab_size=32064, hidden_size=2048, intermediate_size=5632, num_hidden_layers=16,
                           num_attention_heads=16, num_key_value_heads=4, max_position_embeddings=8192, pad_token_id=0)
        vision = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                  num_attention_heads=12, image_size=336, patch_size=14, projection_dim=768)
    config = LlavaNextConfig(vision_config=vision, text_config=text, image_token_id=tok.image_token_id,
                             image_grid_pinpoints=processor.image_processor.image_grid_pinpoints,
                             vision_feature_layer=-2)
    model = AutoModelForImageTextToText.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def run_variant(model_dir: str, dataset: str, checkpointing: bool, steps: int, batch_size: int) -> dict:
    """Time ``steps`` LoRA optimizer steps in this process; returns the figures."""
    import torch

    from training.collator import VisionQACollator
    from training.config import DataArguments, LoraArguments, ModelArguments
    from training.data import load_splits
    from training.model import apply_lora, load_model_and_processor
    from training.prompts import ChatFormatter

    on_gpu = torch.cuda.is_available()
    device = torch.device("cuda" if on_gpu else "cpu")
    dtype = torch.bfloat16 if on_gpu else torch.float32
    model, processor = load_model_and_processor(ModelArguments(model_name_or_path=model_dir), dtype)
    model = apply_lora(model, LoraArguments()).to(device)
    if checkpointing:
        model.activation_checkpointing_enable()  # what Trainer does for --activation_checkpointing
    model.train()
    data_args = DataArguments(dataset=dataset)
    rows, _ = load_splits(data_args)
    collator = VisionQACollator(processor, ChatFormatter(processor, data_args.prompt_suffix))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=2e-5)
    batches = [collator([rows[(s * batch_size + i) % len(rows)] for i in range(batch_size)]) for s in range(steps)]
    params = sum(p.numel() for p in model.parameters())

    def step(batch) -> int:
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=on_gpu):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return int(batch["attention_mask"].sum())

    for batch in batches[:2]:  # warm-up: kernels, allocator, optimizer state
        step(batch)
    if on_gpu:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    tokens = sum(step(b) for b in batches)
    if on_gpu:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    peak = (torch.cuda.max_memory_allocated() if on_gpu
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"tokens_per_s": tokens / seconds, "peak_bytes": peak, "seconds": seconds, "tokens": tokens,
            "params": params, "device": torch.cuda.get_device_name() if on_gpu else "cpu",
            "memory_kind": "peak GPU memory allocated" if on_gpu else "peak process RSS"}


def best_of(variants: dict[str, list[str]], repeats: int, on_gpu: bool) -> dict[str, dict] | None:
    """Run this script once per variant (``--variant NAME`` + its arguments) ``repeats`` times, alternating, each
    in a fresh process so peak memory is clean; the run with the most tokens/s of each variant, or None when
    a run failed (its error printed)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    if not on_gpu:
        env["OMP_NUM_THREADS"] = "1"  # one thread: stable timings on a shared CPU
    results: dict[str, dict] = {}
    for _ in range(repeats):
        for variant, args in variants.items():
            proc = subprocess.run([sys.executable, __file__, "--variant", variant, *args], capture_output=True,
                                  text=True, env=env)
            if proc.returncode != 0:
                print(proc.stderr[-4000:], file=sys.stderr)
                return None
            run = json.loads(proc.stdout.strip().splitlines()[-1])
            if variant not in results or run["tokens_per_s"] > results[variant]["tokens_per_s"]:
                results[variant] = run
    return results


def run_grpo_variant(model_dir: str, dataset: str, beta: float, steps: int, group: int) -> dict:
    """``steps`` + 1 GRPO optimizer steps through ``training.grpo`` in this process (one prompt of ``group``
    completions per step; the first step is warm-up); returns the figures from TRL's per-step log."""
    import torch

    from training.grpo import main as grpo_main

    on_gpu = torch.cuda.is_available()
    with tempfile.TemporaryDirectory(prefix="bench-grpo-") as out:
        args = ["--model_name_or_path", model_dir, "--dataset", dataset, "--output_dir", out,
                "--max_steps", str(steps + 1), "--beta", str(beta), "--num_generations", str(group),
                "--per_device_train_batch_size", str(group), "--gradient_accumulation_steps", "1",
                "--max_completion_length", "1024" if on_gpu else "16", "--save_strategy", "no",
                "--disable_tqdm", "true", "--dataloader_num_workers", "0"]
        if not on_gpu:
            args += ["--use_cpu", "true", "--activation_checkpointing", "false", "--gradient_checkpointing", "false"]
        if grpo_main(args, prog="bench/train.py grpo") != 0:
            raise RuntimeError("the GRPO run failed (see its error above)")
        history = json.loads((Path(out) / "trainer_state.json").read_text())["log_history"]
    logged = [h for h in history if "step_time" in h][1:]  # the first step is warm-up
    seconds = sum(h["step_time"] for h in logged)
    tokens = sum(h["completions/mean_length"] * group for h in logged)
    peak = (torch.cuda.max_memory_allocated() if on_gpu
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    return {"seconds_per_step": seconds / len(logged), "tokens_per_s": tokens / seconds, "peak_bytes": peak,
            "steps": len(logged), "device": torch.cuda.get_device_name() if on_gpu else "cpu",
            "memory_kind": "peak GPU memory allocated" if on_gpu else "peak process RSS"}


def main_grpo(steps: int, repeats: int, group: int) -> int:
    """Baseline (no KL term) and preset (beta 0.04) GRPO steps, each in a fresh process; prints both."""
    import torch

    on_gpu = torch.cuda.is_available()
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        dataset, model_dir = build_inputs(Path(tmp), on_gpu)
        common = ["--method", "grpo", "--model-dir", str(model_dir), "--dataset", str(dataset), "--steps", str(steps),
                  "--group", str(group)]
        results = best_of({"nokl": common + ["--beta", "0"], "kl": common + ["--beta", "0.04"]}, repeats, on_gpu)
        if results is None:
            return 1
    base, kl = results["nokl"], results["kl"]
    print(f"device: {kl['device']}" + (f"; random LLaVA-NeXT-style model ({SHAPE} shape), bf16" if on_gpu else
          " - no GPU was available: tiny test model, not a real one"))
    print(f"GRPO with LoRA (paper.yaml + methods/grpo.yaml): {steps} timed steps of one prompt x {group} "
          f"completions (after 1 warm-up step), best of {repeats}; {kl['memory_kind']}")
    print(f"{'':40}{'s/step':>10}{'tokens/s':>12}{'peak memory':>16}")
    for label, r in (("baseline: --beta 0 (no KL term)", base), ("preset: --beta 0.04 (KL to the base)", kl)):
        print(f"{label:40}{r['seconds_per_step']:>10.2f}{r['tokens_per_s']:>12.1f}{r['peak_bytes'] / 2**20:>13.0f} MiB")
    print(f"{'ratio (preset / baseline)':40}{kl['seconds_per_step'] / base['seconds_per_step']:>9.2f}x"
          f"{kl['tokens_per_s'] / base['tokens_per_s']:>11.2f}x{kl['peak_bytes'] / base['peak_bytes']:>15.2f}x")
    return 0


# ------------------------------------------------------------------------------------------- time to first step
BASELINE_REF = "6148ce3"  # the last commit before the cached, validated data preparation
CHART_SIZE = (2480, 1571)  # the released charts' size (dpi 200)


def build_first_step_inputs(workdir: Path, rows: int, charts: int) -> tuple[Path, Path]:
    """A messages-format JSONL of ``rows`` questions on ``charts`` distinct full-size JPEG charts, and a tiny
    InternVL model whose processor has InternVL2's real image settings."""
    from PIL import Image
    from transformers import (AutoModelForImageTextToText, GotOcr2ImageProcessor, InternVLConfig, InternVLProcessor,
                              InternVLVideoProcessor, InternVLVisionConfig, Qwen2Config)

    from reachqa_builder.render import render_scripts
    from tests.training import conftest, tiny

    title, labels, values = conftest.CHARTS["c3"]
    script = conftest.SCRIPT.format(figsize=(CHART_SIZE[0] / 200, CHART_SIZE[1] / 200), labels=labels, values=values,
                                    title=title)
    record = render_scripts({"chart": script}, workdir / "render", env="current", dpi=200, workers=1,
                            use_cache=False, progress=False)[0]
    if record.status != "ok":
        raise RuntimeError(f"rendering the chart failed: {record.error}")
    base = Image.open(record.image).convert("RGB").resize(CHART_SIZE)
    (workdir / "img").mkdir()
    for k in range(charts):  # distinct files (one pixel row differs), the same decoding work
        image = base.copy()
        image.paste((k % 256, (k // 256) % 256, 128), (0, 0, CHART_SIZE[0], 1))
        image.save(workdir / "img" / f"{k:05d}.jpg", quality=90)
    qa = conftest.qa_pairs(title, labels, values)
    lines = []
    for i in range(rows):
        question, answer = qa[i % len(qa)]
        lines.append(json.dumps({"messages": [{"role": "user", "content": f"<image>{question} Let's think step by step."},
                                              {"role": "assistant", "content": answer}],
                                 "images": [f"img/{(i // 6) % charts:05d}.jpg"]}))
    data = workdir / "train.jsonl"
    data.write_text("\n".join(lines) + "\n")

    tok = tiny.train_tokenizer([q + " " + a for q, a in qa], tiny.INTERNVL_TOKENS)
    processor = InternVLProcessor(
        image_processor=GotOcr2ImageProcessor(size={"height": 448, "width": 448}, crop_to_patches=True,
                                              min_patches=1, max_patches=12),
        tokenizer=tok, video_processor=InternVLVideoProcessor(size={"height": 448, "width": 448}),
        image_seq_length=256, chat_template=tiny.CHAT_TEMPLATE.replace("IMAGE", "<IMG_CONTEXT>"))
    text = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=8192, pad_token_id=0)
    vision = InternVLVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
                                  image_size=448, patch_size=14)
    config = InternVLConfig(vision_config=vision, text_config=text, image_token_id=tok.context_image_token_id,
                            image_seq_length=256)
    model_dir = workdir / "model"
    AutoModelForImageTextToText.from_config(config).save_pretrained(model_dir)
    processor.save_pretrained(model_dir)
    return data, model_dir


def time_to_first_step(code_dir: Path, model_dir: Path, data: Path, rows: int, out: Path, cache: Path) -> float:
    """Seconds of one `python -m training` process (code from ``code_dir``) that stops after its first step."""
    args = ["--model_name_or_path", str(model_dir), "--dataset", str(data), "--output_dir", str(out),
            "--max_train_samples", str(rows), "--max_steps", "1", "--use_cpu", "true", "--eval_size", "0",
            "--save_strategy", "no", "--activation_checkpointing", "false", "--report_to", "none",
            "--disable_tqdm", "true", "--per_device_train_batch_size", "1", "--gradient_accumulation_steps", "1"]
    if (code_dir / "training" / "prepare.py").read_text().count("prepare_cache_dir"):
        args += ["--prepare_cache_dir", str(cache), "--eval_strategy", "no"]
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(code_dir), HF_DATASETS_CACHE=str(out / "hf"),
               TOKENIZERS_PARALLELISM="false")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "training", *args], cwd=code_dir, env=env, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"training ({code_dir}) failed:\n{proc.stderr[-3000:]}")
    return seconds


def first_step_main(args) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-first-step-") as tmp:
        tmp = Path(tmp)
        data, model_dir = build_first_step_inputs(tmp, args.rows, args.charts)
        old = tmp / "baseline-code"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_ref, "training", "reachqa_builder"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        n = args.baseline_rows
        small = time_to_first_step(old, model_dir, data, n, tmp / "old-a", tmp / "c0")
        large = time_to_first_step(old, model_dir, data, 2 * n, tmp / "old-b", tmp / "c0")
        per_row = max(0.0, (large - small) / n)
        baseline = large + per_row * (args.rows - 2 * n)
        cold = time_to_first_step(ROOT, model_dir, data, args.rows, tmp / "new-a", tmp / "cache")
        warm = time_to_first_step(ROOT, model_dir, data, args.rows, tmp / "new-b", tmp / "cache")
    print(f"time to the end of the first step, {args.rows:,} rows on {args.charts:,} {CHART_SIZE[0]}x{CHART_SIZE[1]} "
          f"JPEG charts, InternVL2 tiling (448 px, <= 12 tiles + thumbnail), tiny model, CPU, {os.cpu_count()} cores")
    print(f"{'baseline (' + args.baseline_ref + '), ' + str(n) + ' / ' + str(2 * n) + ' rows':46}"
          f"{small:>9.1f} s / {large:.1f} s  ({per_row * 1000:.0f} ms per row)")
    print(f"{'baseline extrapolated to ' + format(args.rows, ',') + ' rows':46}{baseline:>9.1f} s")
    print(f"{'this project, first start (empty cache)':46}{cold:>9.1f} s   ratio {baseline / cold:.1f}x")
    print(f"{'this project, second start (cache read)':46}{warm:>9.1f} s   ratio {baseline / warm:.1f}x")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--first-step", action="store_true",
                   help="time to the first optimizer step on the 20k-row shape, baseline vs this code (see above)")
    p.add_argument("--rows", type=int, default=20000, help="--first-step: rows of the training file")
    p.add_argument("--charts", type=int, default=200, help="--first-step: distinct chart files the rows use")
    p.add_argument("--baseline-rows", type=int, default=100,
                   help="--first-step: rows the baseline is timed on (and twice that), then extrapolated")
    p.add_argument("--baseline-ref", default=BASELINE_REF, help="--first-step: git commit of the baseline code")
    p.add_argument("--steps", type=int, default=None, help="timed steps per variant (default: 10 GPU, 20 CPU)")
    p.add_argument("--repeats", type=int, default=None,
                   help="runs per variant, alternating, best kept (default: 1 GPU, 3 CPU, whose timings are noisy)")
    p.add_argument("--batch-size", type=int, default=None, help="rows per step (default: 4 GPU, 2 CPU)")
    p.add_argument("--shape", choices=["8b", "1b"], default=None,
                   help="GPU only: random model of LLaVA-NeXT-Llama3-8B's shape (default) or a ~1B one")
    p.add_argument("--method", choices=["sft", "grpo"], default="sft",
                   help="sft: LoRA steps with and without checkpointing; grpo: GRPO steps without and with the KL term")
    p.add_argument("--group", type=int, default=8, help="grpo: completions per prompt (group size)")
    p.add_argument("--beta", type=float, default=0.04, help=argparse.SUPPRESS)
    p.add_argument("--variant", choices=["gc", "nogc", "kl", "nokl"], help=argparse.SUPPRESS)
    p.add_argument("--model-dir", help=argparse.SUPPRESS)
    p.add_argument("--dataset", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.first_step:
        return first_step_main(args)
    global SHAPE
    if args.shape:
        SHAPE = os.environ["REACHQA_BENCH_SHAPE"] = args.shape
    import torch

    on_gpu = torch.cuda.is_available()
    steps = args.steps or (10 if on_gpu else 20)
    repeats = args.repeats or (1 if on_gpu else 3)
    batch_size = args.batch_size or (4 if on_gpu else 2)
    if args.method == "grpo":
        steps = args.steps or (5 if on_gpu else 3)
        if args.variant:
            print(json.dumps(run_grpo_variant(args.model_dir, args.dataset, args.beta, steps, args.group)))
            return 0
        return main_grpo(steps, args.repeats or 1, args.group)
    if args.variant:
        print(json.dumps(run_variant(args.model_dir, args.dataset, args.variant == "gc", steps, batch_size)))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        dataset, model_dir = build_inputs(Path(tmp), on_gpu)
        common = ["--model-dir", str(model_dir), "--dataset", str(dataset), "--steps", str(steps), "--batch-size",
                  str(batch_size)]
        results = best_of({"nogc": common, "gc": common}, repeats, on_gpu)
        if results is None:
            return 1

    base, gc = results["nogc"], results["gc"]
    if on_gpu:
        print(f"device: {gc['device']}; random LLaVA-NeXT-style model ({SHAPE} shape), "
              f"{gc['params'] / 1e9:.2f}B parameters, bf16")
    else:
        print(f"device: CPU - no GPU was available, so these are figures for the tiny test model "
              f"({gc['params']:,} parameters), not for a real one")
    print(f"LoRA r=16 on all language-model linear layers; {steps} timed steps of {batch_size} rows "
          f"(padded to each batch's longest row), best of {repeats}; {gc['memory_kind']}")
    print(f"{'':42}{'tokens/s':>12}{'peak memory':>16}")
    print(f"{'baseline: no activation checkpointing':42}{base['tokens_per_s']:>12.1f}"
          f"{base['peak_bytes'] / 2**20:>13.0f} MiB")
    print(f"{'project preset: activation checkpointing':42}{gc['tokens_per_s']:>12.1f}"
          f"{gc['peak_bytes'] / 2**20:>13.0f} MiB")
    print(f"{'ratio (preset / baseline)':42}{gc['tokens_per_s'] / base['tokens_per_s']:>11.2f}x"
          f"{gc['peak_bytes'] / base['peak_bytes']:>15.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
