"""GRPO (`--method grpo`): a few steps of TRL's GRPOTrainer on a tiny model on CPU, the per-step reward log,
`reachqa merge-lora` and `reachqa infer` on the result; the rewards against the evaluation's metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import datasets
import evaluate
import pytest
import torch
from safetensors import safe_open
from transformers import AutoModelForImageTextToText

from reachqa_builder.cli import main as cli_main
from tests.evaluation.benchmark_fixtures import write_reachqa_data_json
from tests.openai_server import OpenAIServer
from tests.training.dataset_fixtures import QA_FEATURES, write_dataset
from tests.training.test_train_cli import accelerate_launch, batch_for, logits
from training.rewards import AccuracyReward, FormatReward, answer_part, build_rewards

ROOT = Path(__file__).resolve().parents[2]
GRPO_FEATURES = datasets.Features({**QA_FEATURES, "concise_answer": datasets.Value("string")})
# Tiny and quick: one group of 4 per step, short completions, a visible learning rate, the KL term on (beta > 0).
FAST = ["--use_cpu", "true", "--per_device_train_batch_size", "4", "--gradient_accumulation_steps", "1",
        "--num_generations", "4", "--max_completion_length", "12", "--learning_rate", "1e-2", "--beta", "0.04",
        "--warmup_steps", "0", "--lora_dropout", "0", "--save_steps", "1000", "--disable_tqdm", "true",
        "--dataloader_num_workers", "0", "--activation_checkpointing", "false", "--gradient_checkpointing", "false"]


@pytest.fixture(scope="module")
def grpo_dataset(tmp_path_factory, qa_rows) -> Path:
    """The training fixture rows with a ReachQA ``concise_answer`` (the last one left empty: the answer is used)."""
    rows = []
    for i, r in enumerate(qa_rows):
        concise = r["answer"].rsplit("The answer is ", 1)[1].rstrip(".")
        rows.append({**r, "concise_answer": None if i == len(qa_rows) - 1 else concise})
    return write_dataset(tmp_path_factory.mktemp("grpo-data"), {"train": rows}, GRPO_FEATURES)


def parity_judge(req):
    """A scripted judge whose verdict varies within a group of a random model's completions (even length: Yes),
    so the advantages are not all zero and the policy moves; in the paper protocol's reply format."""
    prediction = req.last_user_text.split("## Prediction: ")[1].rsplit("\n\nAnalyse", 1)[0]
    return f"Analysis: checked.\nCorrectness: {'Yes' if len(prediction) % 2 == 0 else 'No'}"


@pytest.mark.slow
def test_grpo_steps_log_rewards_then_merge_and_infer(tiny_models, grpo_dataset, chart_images, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    out = tmp_path / "run"
    with OpenAIServer(parity_judge) as server:
        accelerate_launch(["--method", "grpo", "--model_name_or_path", str(tiny_models["llava"]), "--dataset",
                           str(grpo_dataset), "--output_dir", str(out), "--max_steps", "3", "--eval_size", "2",
                           "--rewards", "accuracy", "format", "judge", "--reward_weights", "1", "0.5", "1",
                           "--judge_model", "judge-1", "--judge_base_url", server.url,
                           "--judge_cache", str(tmp_path / "judge.sqlite"), "--judge_usd_per_mtok_in", "2.5",
                           "--judge_usd_per_mtok_out", "10", *FAST])
        judged = server.received

    # every step logged each reward (TRL's rewards/<name>/mean), the weighted total, KL and the judge's usage
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    steps = [h for h in history if "reward" in h]
    assert [h["step"] for h in steps] == [1, 2, 3]
    for h in steps:
        means = {name: h[f"rewards/{name}/mean"] for name in ("accuracy", "format", "judge")}
        assert all(0.0 <= m <= 1.0 for m in means.values())
        assert h["reward"] == pytest.approx(means["accuracy"] + 0.5 * means["format"] + means["judge"], abs=1e-6)
        assert "kl" in h and h["judge/prompt_tokens"] > 0 and h["judge/usd"] > 0
    assert any(h["rewards/judge/std"] > 0 for h in steps)  # verdicts differed within a group: a real update
    assert judged >= 4 * 3 - 3  # one judge request per new completion (the preflight's are uncounted there)
    log = [json.loads(line) for line in (out / "reward_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2, 3]
    assert [r["rewards/judge/mean"] for r in log] == [h["rewards/judge/mean"] for h in steps]
    usage = json.loads((out / "judge_usage.json").read_text())
    # 3 training steps of 4 completions, then the eval's 2 prompts x 4
    assert usage["items"] == 3 * 4 + 2 * 4 and usage["usd"] > 0 and len(usage["per_step"]) == 4

    # the references: concise_answer where filled, the answer column for the one row without it
    report = json.loads((out / "data_report.json").read_text())
    assert [r["kept"] for r in report] == [6, 2] and sum(r["reference_fallback_rows"] for r in report) == 1
    evaluated = json.loads((out / "eval_results.json").read_text())  # rewards of the eval rows' groups
    assert 0.0 <= evaluated["eval_rewards/accuracy/mean"] <= 1.0 and "eval_rewards/judge/mean" in evaluated
    run = json.loads((out / "reachqa_training.json").read_text())
    assert run["method"] == "grpo" and run["training"]["num_generations"] == 4 and run["training"]["beta"] == 0.04
    assert run["rewards"]["answer_format"] == "think" and "<answer>" in run["prompt_suffix"]
    adapter = json.loads((out / "adapter_config.json").read_text())
    assert "language_model" in adapter["target_modules"] and adapter["r"] == 16  # paper.yaml's LoRA

    # merged, the model differs from the base (GRPO moved it) and answers through `reachqa infer`
    merged = tmp_path / "merged"
    assert cli_main(["merge-lora", str(out), "--out", str(merged)]) == 0
    batch = batch_for(tiny_models["llava"], grpo_dataset)
    before = logits(AutoModelForImageTextToText.from_pretrained(tiny_models["llava"]), batch)
    after = logits(AutoModelForImageTextToText.from_pretrained(merged), batch)
    assert not torch.allclose(before, after, atol=1e-4)
    bench = write_reachqa_data_json(tmp_path / "bench", [p.read_bytes() for p in list(chart_images.values())[:2]])
    preds = tmp_path / "preds"
    assert cli_main(["infer", "--model", str(merged), "--benchmarks", f"reachqa={bench}", "--engine", "transformers",
                     "--out", str(preds), "--max-new-tokens", "6", "--no-progress"]) == 0
    lines = [json.loads(line) for line in (preds / "reachqa.jsonl").read_text().splitlines()]
    assert len(lines) == 2 and all(r["prediction"] and r["model"] == "merged" for r in lines)


@pytest.mark.slow
@pytest.mark.parametrize("family", ["internvl", "llava_next"])
def test_other_families_through_reachqa_train(family, tiny_models, grpo_dataset, tmp_path):
    """`reachqa train --method grpo` (in-process) on InternVL's tiles and LLaVA-NeXT's anyres grids."""
    out = tmp_path / "run"
    assert cli_main(["train", "--method", "grpo", "--model_name_or_path", str(tiny_models[family]), "--dataset",
                     str(grpo_dataset), "--output_dir", str(out), "--max_steps", "2", "--train_projector", "true",
                     *FAST]) == 0
    log = [json.loads(line) for line in (out / "reward_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2] and all("rewards/accuracy/mean" in r for r in log)
    with safe_open(out / "adapter_model.safetensors", "pt") as f:
        keys = list(f.keys())
    assert any("multi_modal_projector" in k for k in keys) and any("lora_" in k for k in keys)


def test_method_flag_and_bad_options(tiny_models, grpo_dataset, tmp_path, capsys, monkeypatch):
    base = ["train", "--method", "grpo", "--model_name_or_path", str(tiny_models["llava"]), "--dataset",
            str(grpo_dataset), "--output_dir", str(tmp_path / "o"), "--use_cpu", "true"]
    assert cli_main(["train", "--method", "ppo"]) == 2
    assert "choose one of sft, grpo" in capsys.readouterr().err
    assert cli_main(base + ["--num_generatons", "4"]) == 2  # a misspelt GRPOConfig field
    assert "did you mean num_generations" in capsys.readouterr().err
    assert cli_main(base + ["--rewards", "accuracy", "judge"]) == 2
    assert "--judge_model" in capsys.readouterr().err
    assert cli_main(base + ["--rewards", "accuracy", "--reward_weights", "1", "2"]) == 2
    assert "one weight per reward" in capsys.readouterr().err
    # a judge that cannot be reached stops the run with one line, no traceback
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    assert cli_main(base + ["--rewards", "judge", "--judge_model", "j", "--judge_base_url", "http://127.0.0.1:9/v1",
                            "--judge_cache", str(tmp_path / "c.sqlite"), "--max_steps", "1",
                            "--per_device_train_batch_size", "2", "--num_generations", "2",
                            "--gradient_accumulation_steps", "1", "--max_completion_length", "4",
                            "--activation_checkpointing", "false", "--gradient_checkpointing", "false"]) == 2
    err = capsys.readouterr().err
    assert "the judge at http://127.0.0.1:9/v1 cannot be used" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "adapter_model.safetensors").exists()


# (completion, reference) pairs where extraction and the relaxed rule matter: markers, \boxed, %, thousands,
# tolerance, text answers, wrong answers, no answer at all
PAIRS = [
    ("The bars read 3, 7 and 5.\nThe answer is 15.", "15"),
    ("Sum: 3 + 7 + 5 = 15.\nFinal answer: 15.6", "15"),
    ("So it is \\boxed{16}", "15"),
    ("The share grew to 45%.\nThe answer is 45%", "0.45"),
    ("Total: 1,234\nAnswer: 1,234", "1234"),
    ("Comparing bars.\nThe answer is Wed.", "wed"),
    ("Comparing bars.\nThe answer is Tue.", "Wed"),
    ("I cannot tell.", "12"),
    ("The answer is approximately 29.", "30"),
    ("", "0"),
]


def test_accuracy_reward_agrees_with_relaxed_accuracy_metric():
    metric = evaluate.load(str(ROOT / "evaluation" / "metrics" / "relaxed_accuracy"))
    expected = [metric.compute(predictions=[p], references=[r], extract_answer=True)["relaxed_accuracy"]
                for p, r in PAIRS]
    assert 0 < sum(expected) < len(PAIRS)  # the pairs hold right and wrong answers
    completions = [[{"role": "assistant", "content": p}] for p, _ in PAIRS]
    references = [r for _, r in PAIRS]
    assert AccuracyReward("answer_is")(completions=completions, reference=references) == expected
    # think format: the reward is the metric on the <answer> part
    tagged = [f"<think>{p}</think>\n<answer>{p.splitlines()[-1] if p else ''}</answer>" for p, _ in PAIRS]
    expected_tagged = [metric.compute(predictions=[answer_part(t, "think")], references=[r],
                                      extract_answer=True)["relaxed_accuracy"] for t, (_, r) in zip(tagged, PAIRS)]
    assert AccuracyReward("think")(completions=tagged, reference=references) == expected_tagged
    assert expected_tagged == expected  # the last line of each reply, alone in <answer>, scores the same


def test_format_reward():
    think = FormatReward("think")
    assert think(completions=["<think>3 + 7 = 10</think> <answer>10</answer>",
                              "<think></think><answer>10</answer>",  # empty reasoning
                              "<answer>10</answer>",
                              "<think>a</think><answer>10</answer> trailing text",
                              [{"role": "assistant", "content": "<think>a</think>\n<answer>b</answer>\n"}]]) == [
        1.0, 0.0, 0.0, 0.0, 1.0]
    answer_is = FormatReward("answer_is")
    assert answer_is(completions=["3 + 7 = 10.\nThe answer is 10.", "The answer is 10.", "3 + 7 = 10."]) == [
        1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="choose from"):
        build_rewards(["accuracy", "speed"], "think")


def grader(req):
    text = req.last_user_text
    truth = text.split("## Ground Truth: ")[1].split("\n")[0]
    pred = text.split("## Prediction: ")[1].split("\n\n")[0]
    if "???" in pred:
        return "I am not sure."  # no verdict line: invalid
    return f"Analysis: compared.\nCorrectness: {'Yes' if truth in pred else 'No'}"


def test_judge_reward_cached_concurrent_with_cost(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    logged: list[tuple[str, float]] = []
    with OpenAIServer(grader, latency=0.05) as server:
        settings = {"judge_model": "judge-1", "base_url": server.url, "cache_path": str(tmp_path / "judge.sqlite"),
                    "concurrency": 4, "progress": False}
        (judge,) = build_rewards(["judge"], "think", judge_settings=settings, usd_per_mtok_in=2.5,
                                 usd_per_mtok_out=10.0)
        kwargs = dict(completions=["<answer>15</answer>", "<answer>14</answer>", "???", "<answer>15.0</answer>"],
                      reference=["15", "15", "15", "15"], question=["Sum?"] * 4,
                      log_metric=lambda name, value: logged.append((name, value)))
        assert judge(**kwargs) == [1.0, 0.0, None, 1.0]
        first = server.received
        # 4 items, the unreadable verdict re-asked twice (reachqa judge's rule) before it counts as invalid
        assert first == 4 + 2 and server.max_in_flight > 1  # concurrent
        assert judge(**kwargs) == [1.0, 0.0, None, 1.0]  # the same group again: readable verdicts from the cache
        assert server.received == first + 2  # only the unreadable one is re-asked (its cached reply, then 2 re-asks)
    metrics = dict(logged[:7])
    # judge_items' usage counts the requests after its one-item preflight (which has its own client)
    assert metrics["judge/requests"] >= 3 and metrics["judge/invalid"] == 1
    assert metrics["judge/prompt_tokens"] > 0 and metrics["judge/usd"] > 0
    assert judge.cost.items == 8 and judge.cost.invalid == 2 and judge.cost.cache_hits >= 3
    assert judge.cost.usd == pytest.approx(
        (judge.cost.prompt_tokens * 2.5 + judge.cost.completion_tokens * 10.0) / 1e6)


def test_grpo_modules_import_neither_evaluation_nor_heavy_packages():
    """training stays a peer of evaluation (the scoring comes through reachqa_builder.scoring, on first use), and
    the GRPO modules load no trl / torch / transformers until a run starts."""
    code = ("import sys, training.grpo, training.rewards, training.methods, reachqa_builder.scoring; "
            "print(sorted(m for m in ('evaluation', 'trl', 'torch', 'transformers') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
