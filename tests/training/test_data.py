"""Dataset checks (columns, undecodable images) and the configuration layers (paper preset, YAML, CLI)."""

from __future__ import annotations

import json

import datasets
import pytest

from transformers import AutoProcessor

from tests.training.dataset_fixtures import QA_FEATURES, write_dataset
from training.config import PRESETS_DIR, DataArguments, parse_args
from training.data import DatasetColumnsError, ImageDecodeError, decode_image, load_splits
from training.prepare import LengthMeter, measure_split
from training.prompts import ChatFormatter
from training.train import main


def test_missing_columns_named_with_the_flag_to_fix(tmp_path, qa_rows, tiny_models, capsys):
    features = datasets.Features({**{k: v for k, v in QA_FEATURES.items() if k != "answer"},
                                  "response": datasets.Value("string")})
    rows = [{**r, "response": r["answer"]} for r in qa_rows]
    root = write_dataset(tmp_path / "ds", {"train": rows}, features)
    with pytest.raises(DatasetColumnsError, match=r"lacks column\(s\) 'answer' \(set --answer_column\)"):
        load_splits(DataArguments(dataset=str(root)))
    train, _ = load_splits(DataArguments(dataset=str(root), answer_column="response"))
    assert len(train) == len(rows)
    code = main(["--model_name_or_path", str(tiny_models["llava"]), "--dataset", str(root),
                 "--output_dir", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "'answer' (set --answer_column)" in err and "response" in err


def test_unknown_split_is_named(qa_dataset):
    with pytest.raises(ValueError, match="no split 'validation'.*train, test"):
        load_splits(DataArguments(dataset=str(qa_dataset), eval_split="validation"))


def test_eval_size_holds_out_whole_charts(qa_dataset, tmp_path, qa_rows):
    train, evaluation = load_splits(DataArguments(dataset=str(qa_dataset), eval_size=3))
    assert len(train) + len(evaluation) == 8 and len(evaluation) >= 3
    assert not set(train["qa_id"]) & set(evaluation["qa_id"])
    assert not set(train["chart_id"]) & set(evaluation["chart_id"])  # one chart's questions on one side only
    # without a chart_id column, rows with the same image are kept together
    root = write_dataset(tmp_path / "noid", {"train": [{**r, "chart_id": "?"} for r in qa_rows]})
    train, evaluation = load_splits(DataArguments(dataset=str(root), eval_size=0.25, eval_group_column="image"))
    assert not set(train["qa_id"]) & set(evaluation["qa_id"])
    assert not {q.split("-")[0] for q in train["qa_id"]} & {q.split("-")[0] for q in evaluation["qa_id"]}
    # 'none' is the plain row split
    train, evaluation = load_splits(DataArguments(dataset=str(qa_dataset), eval_size=3, eval_group_column="none"))
    assert (len(train), len(evaluation)) == (5, 3)


@pytest.fixture
def broken_dataset(tmp_path, qa_rows):
    rows = [dict(r) for r in qa_rows]
    rows[2]["image"] = {"bytes": b"\xff\xd8 not really a jpeg", "path": None}
    rows[5]["image"] = {"bytes": rows[5]["image"]["bytes"][:200], "path": None}  # truncated JPEG
    rows[7]["answer"] = "  "  # nothing to learn: skipped and counted whatever --on_bad_image says
    return write_dataset(tmp_path / "broken", {"train": rows})


def test_undecodable_images_and_empty_answers_skipped_and_counted(broken_dataset, tiny_models):
    processor = AutoProcessor.from_pretrained(tiny_models["llava"])
    meter = LengthMeter(processor, ChatFormatter(processor))
    args = DataArguments(dataset=str(broken_dataset))
    train, _ = load_splits(args)
    kept, report = measure_split(train, meter, args, "train")
    assert report["skipped_bad_image"] == 2 and report["kept"] == len(train) - 3 == len(kept)
    assert [r["row"] for r in report["bad_image_rows"]] == [2, 5]
    assert report["skipped_missing_text"] == 1 and report["missing_text_rows"] == [{"row": 7, "missing": "answer"}]
    assert not {"c2-0", "c3-1", "c4-1"} & set(kept["qa_id"])
    args.on_bad_image = "fail"
    with pytest.raises(ImageDecodeError, match=r"split 'train' row 2: the image does not decode .*--on_bad_image skip"):
        measure_split(train, meter, args, "train")


def test_bad_images_through_the_cli(broken_dataset, tiny_models, tmp_path, capsys):
    base = ["--model_name_or_path", str(tiny_models["llava"]), "--dataset", str(broken_dataset),
            "--use_cpu", "true", "--max_steps", "1", "--per_device_train_batch_size", "2", "--eval_size", "0",
            "--activation_checkpointing", "false", "--disable_tqdm", "true"]
    assert main(base + ["--output_dir", str(tmp_path / "a"), "--on_bad_image", "fail"]) == 2
    assert "row 2: the image does not decode" in capsys.readouterr().err
    assert main(base + ["--output_dir", str(tmp_path / "b")]) == 0
    report = json.loads((tmp_path / "b" / "data_report.json").read_text())
    assert report[0]["skipped_bad_image"] == 2 and report[0]["kept"] == 5


def test_decode_image_sources(tmp_path, chart_images):
    path = chart_images["c1"]
    data = path.read_bytes()
    for value in (data, {"bytes": data, "path": None}, str(path), {"bytes": None, "path": str(path)}):
        assert decode_image(value).mode == "RGB"
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.jpg").write_bytes(data)
    assert decode_image("img/a.jpg", base_dir=tmp_path).size == decode_image(data).size
    with pytest.raises(ImageDecodeError, match="does not exist"):
        decode_image("img/missing.jpg", base_dir=tmp_path)
    with pytest.raises(ImageDecodeError, match="no image data"):
        decode_image(None)


REQUIRED = ["--model_name_or_path", "m", "--dataset", "d", "--output_dir", "o"]


def test_paper_hyper_parameters_are_the_defaults():
    model_args, data_args, lora_args, training_args = parse_args(REQUIRED)
    assert (lora_args.lora_r, lora_args.lora_alpha, lora_args.lora_dropout) == (16, 8, 0.05)
    assert training_args.learning_rate == 2e-5 and training_args.num_train_epochs == 1
    assert training_args.per_device_train_batch_size == 1 and training_args.gradient_accumulation_steps == 8
    assert (training_args.weight_decay, training_args.max_grad_norm, training_args.warmup_steps) == (0.1, 0.5, 0.03)
    assert training_args.activation_checkpointing is True
    assert data_args.max_length == 4096 and data_args.prompt_suffix == "Let's think step by step."
    # the authors' ms-swift run: LoRA on every linear layer (vision tower and projector too), ms-swift's cosine
    # schedule and Adam beta2, 1% held out, eval and save every 100 steps
    assert lora_args.lora_scope == ["vision", "projector", "language"]
    assert training_args.lr_scheduler_type == "cosine" and training_args.adam_beta2 == 0.95
    assert data_args.eval_size == 0.01 and training_args.eval_strategy == "steps" and training_args.eval_steps == 100
    assert training_args.save_steps == 100 and training_args.save_total_limit is None
    assert training_args.dataloader_num_workers > 0



def test_suffix_is_the_shared_constant_everywhere():
    """The paper's suffix is declared once; the YAML preset repeats it only as this test keeps equal."""
    import yaml

    from evaluation.runner import GenerationSettings
    from reachqa_builder.settings import PROMPT_SUFFIX
    from training.config import BASE_CONFIG, DataArguments

    assert PROMPT_SUFFIX == "Let's think step by step."
    assert yaml.safe_load(BASE_CONFIG.read_text())["prompt_suffix"] == PROMPT_SUFFIX
    assert DataArguments(dataset="d").prompt_suffix == GenerationSettings().prompt_suffix == PROMPT_SUFFIX


def test_flags_accept_dashes_as_well_as_underscores():
    dashed = parse_args(["--model-name-or-path", "m", "--dataset", "d", "--output-dir", "o", "--lora-r", "4",
                         "--prompt-suffix", "Be brief."])
    underscored = parse_args(REQUIRED + ["--lora_r", "4", "--prompt_suffix", "Be brief."])
    assert dashed[0].model_name_or_path == underscored[0].model_name_or_path == "m"
    assert dashed[2].lora_r == underscored[2].lora_r == 4
    assert dashed[1].prompt_suffix == underscored[1].prompt_suffix == "Be brief."

def test_no_abbreviations_and_booleans_take_false():
    with pytest.raises(ValueError, match="learning_rat \\(did you mean learning_rate"):
        parse_args(REQUIRED + ["--learning-rat", "1e-4"])
    with pytest.raises(ValueError, match="unrecognized"):
        parse_args(REQUIRED + ["--lora_alph", "4"])
    assert parse_args(REQUIRED)[3].activation_checkpointing is True  # the paper's setting
    for flag in ("--gradient_checkpointing", "--gradient-checkpointing", "--activation_checkpointing"):
        assert parse_args(REQUIRED + [flag, "false"])[3].activation_checkpointing is False
        assert parse_args(REQUIRED + [f"{flag}=False"])[3].activation_checkpointing is False
    args = parse_args(REQUIRED + ["--auto_bf16", "false", "--train_projector", "false", "--append_eos", "False"])
    assert (args[0].auto_bf16, args[2].train_projector, args[1].append_eos) == (False, False, False)


def test_yaml_gradient_checkpointing_name(tmp_path):
    (tmp_path / "a.yaml").write_text("gradient_checkpointing: false\n")
    assert parse_args(["--config", str(tmp_path / "a.yaml"), *REQUIRED])[3].activation_checkpointing is False
    (tmp_path / "b.yaml").write_text("gradient_checkpointing: false\nactivation_checkpointing: true\n")
    with pytest.raises(ValueError, match="give activation_checkpointing only"):
        parse_args(["--config", str(tmp_path / "b.yaml"), *REQUIRED])


def test_yaml_then_command_line(tmp_path):
    (tmp_path / "mine.yaml").write_text("lora_r: 32\nlearning_rate: 1.0e-4\nmodel_name_or_path: from-yaml\n")
    model_args, _, lora_args, training_args = parse_args(
        ["--config", str(tmp_path / "mine.yaml"), "--dataset", "d", "--output_dir", "o", "--lora_r", "8"])
    assert model_args.model_name_or_path == "from-yaml"  # the file fills what the command line leaves out
    assert lora_args.lora_r == 8                         # the command line wins over the file
    assert training_args.learning_rate == 1e-4           # the file wins over the paper preset
    assert lora_args.lora_alpha == 8                     # the paper preset fills the rest


@pytest.mark.parametrize("preset, model", [("llava_next", "llava-hf/llama3-llava-next-8b-hf"),
                                           ("llava", "llava-hf/llava-1.5-7b-hf"),
                                           ("internvl", "OpenGVLab/InternVL3-8B-hf"),
                                           ("qwen2_vl", "Qwen/Qwen2-VL-7B-Instruct"),
                                           ("qwen2_5_vl", "Qwen/Qwen2.5-VL-7B-Instruct"),
                                           ("qwen3_vl", "Qwen/Qwen3-VL-8B-Instruct"),
                                           ("llama3_2_vision", "meta-llama/Llama-3.2-11B-Vision-Instruct")])
def test_presets(preset, model):
    model_args, _, lora_args, _ = parse_args(["--config", preset, "--dataset", "d", "--output_dir", "o"])
    assert model_args.model_name_or_path == model and lora_args.lora_r == 16


def test_config_errors(tmp_path, capsys):
    (tmp_path / "typo.yaml").write_text("lora_alhpa: 4\n")
    with pytest.raises(ValueError, match="unknown argument.*lora_alhpa \\(did you mean lora_alpha"):
        parse_args(["--config", str(tmp_path / "typo.yaml"), *REQUIRED])
    with pytest.raises(ValueError, match="presets: " + ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.yaml")))):
        parse_args(["--config", "llava2", *REQUIRED])
    with pytest.raises(ValueError, match="--model_name_or_path is required"):
        parse_args(["--dataset", "d", "--output_dir", "o"])


def test_rebuilt_dataset_folder_is_not_served_from_a_stale_cache(tmp_path, qa_rows):
    # datasets keys the cache of a local folder with card configs on the folder name and the card only
    root = write_dataset(tmp_path / "again" / "ds", {"train": qa_rows[:2]})
    assert len(load_splits(DataArguments(dataset=str(root)))[0]) == 2
    other = write_dataset(tmp_path / "other" / "ds", {"train": qa_rows[:5]})
    assert len(load_splits(DataArguments(dataset=str(other)))[0]) == 5
    write_dataset(root, {"train": qa_rows[:3]})
    train, _ = load_splits(DataArguments(dataset=str(root)))
    assert train["qa_id"] == [r["qa_id"] for r in qa_rows[:3]]


def test_every_record_checked_before_the_model_loads(broken_dataset, tiny_models, tmp_path, capsys):
    """A bad image is reported before the weights are read: here the weights file is garbage, and the error
    the user gets is still the data's, at once."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_models["llava"], model)
    (model / "model.safetensors").write_bytes(b"not weights")
    code = main(["--model_name_or_path", str(model), "--dataset", str(broken_dataset), "--output_dir",
                 str(tmp_path / "out"), "--on_bad_image", "fail", "--use_cpu", "true", "--eval_size", "0"])
    assert code == 2
    assert "row 2: the image does not decode" in capsys.readouterr().err
