"""--dataset as JSON / JSONL files: LLaVA, messages (ms-swift/TRL), flat and released ReachQA records;
multi-turn labels, several images, mixing with weights, bad records named."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import torch
from transformers import AutoProcessor

from training.collator import IGNORE_INDEX, VisionQACollator
from training.config import DataArguments
from training.data import load_splits
from training.formats import RecordError
from training.prepare import LengthMeter, measure_split
from training.prompts import ChatFormatter


@pytest.fixture()
def files(tmp_path, chart_images):
    (tmp_path / "img").mkdir()
    for cid, path in chart_images.items():
        shutil.copy(path, tmp_path / "img" / f"{cid}.jpg")
    llava = [{"id": "a", "image": "img/c1.jpg", "conversations": [
        {"from": "human", "value": "<image>\nWhich bar is tallest?"}, {"from": "gpt", "value": "B is tallest."},
        {"from": "human", "value": "And the smallest?"}, {"from": "gpt", "value": "A is smallest."}]}]
    messages = [{"messages": [{"role": "user", "content": "<image><image>Compare the two charts."},
                              {"role": "assistant", "content": "The first has three bars."}],
                 "images": ["img/c1.jpg", "img/c2.jpg"]},
                {"messages": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Title?"}]},
                              {"role": "assistant", "content": "Visitors."}], "images": ["img/c3.jpg"]}]
    flat = [{"image": "img/c4.jpg", "question": "What is the sum?", "answer": "95."}]
    (tmp_path / "llava.json").write_text(json.dumps(llava))
    (tmp_path / "messages.jsonl").write_text("\n".join(json.dumps(r) for r in messages))
    (tmp_path / "flat.jsonl").write_text("\n".join(json.dumps(r) for r in flat))
    return tmp_path


def collate(model_dir, dataset, **kwargs):
    processor = AutoProcessor.from_pretrained(model_dir)
    args = DataArguments(dataset=dataset, prompt_suffix="Let's think step by step.", **kwargs)
    formatter = ChatFormatter(processor, args.prompt_suffix)
    train, _ = load_splits(args)
    measured, report = measure_split(train, LengthMeter(processor, formatter), args, "train")
    batch = VisionQACollator(processor, formatter, max_length=args.max_length)([measured[i] for i in range(len(measured))])
    return processor, train, report, batch


def trained_spans(ids, labels):
    spans, current = [], []
    for token, label in zip(ids.tolist(), labels.tolist()):
        if label != IGNORE_INDEX:
            current.append(token)
        elif current:
            spans.append(current)
            current = []
    return spans + ([current] if current else [])


def test_llava_multi_turn_trains_every_answer(files, tiny_models):
    processor, train, report, batch = collate(tiny_models["llava"], str(files / "llava.json"))
    spans = [processor.tokenizer.decode(s) for s in trained_spans(batch["input_ids"][0], batch["labels"][0])]
    assert spans == [" B is tallest.</s>\n", " A is smallest.</s>\n"]  # both answers, nothing else
    text = processor.tokenizer.decode(batch["input_ids"][0])
    assert "And the smallest?" in text and "Let's think step by step." not in text  # used as written
    assert report["kept"] == 1 and report["length_max"] == int(batch["attention_mask"][0].sum())


def test_messages_with_two_images_and_flat_records_mixed(files, tiny_models):
    dataset = f"{files / 'messages.jsonl'},{files / 'flat.jsonl'}"
    processor, train, report, batch = collate(tiny_models["internvl"], dataset)
    assert sorted(train["source"]) == ["flat.jsonl#0", "messages.jsonl#0", "messages.jsonl#1"]
    assert report["kept"] == 3
    rows = {s: i for i, s in enumerate(train["source"])}
    ids = batch["input_ids"]
    starts = (ids == processor.tokenizer.convert_tokens_to_ids("<img>")).sum(dim=1).tolist()
    assert starts[rows["messages.jsonl#0"]] == 2 and starts[rows["flat.jsonl#0"]] == 1  # two images, one image
    flat_text = processor.tokenizer.decode(ids[rows["flat.jsonl#0"]])
    assert "What is the sum? Let's think step by step." in flat_text  # the paper's suffix on flat records
    weighted, _ = load_splits(DataArguments(dataset=dataset, dataset_weights=[1.0, 3.0]))
    assert sorted(set(weighted["source"])) == sorted(train["source"]) and len(weighted) >= 3


@pytest.mark.parametrize("record, message", [
    ({"conversations": [{"from": "robot", "value": "hi"}], "image": "img/c1.jpg"}, "'from' must be one of"),
    ({"messages": [{"role": "user", "content": "<image>q"}, {"role": "assistant", "content": "a"}],
      "images": ["img/c1.jpg", "img/c2.jpg"]}, "1 <image> mark(s) for 2 image(s)"),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
                   {"role": "user", "content": "<image>more"}, {"role": "assistant", "content": "b"}],
      "images": ["img/c1.jpg"]}, "first user turn only"),
    ({"picture": "img/c1.jpg", "q": "x"}, "missing image, question, answer"),
])
def test_bad_record_names_file_and_record(files, record, message):
    good = {"image": "img/c1.jpg", "question": "q", "answer": "a"}
    path = files / "bad.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(record))
    with pytest.raises(RecordError, match=rf"bad\.jsonl record 1: .*{re.escape(message)}"):
        load_splits(DataArguments(dataset=str(path)))


@pytest.mark.slow
def test_released_reachqa_file_renders_its_charts(tmp_path, tiny_models):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "00001.py").write_text(
        "import matplotlib.pyplot as plt\nplt.figure(figsize=(2, 1.5))\nplt.bar(['a', 'b'], [3, 5])\nplt.show()\n")
    records = [{"data_id": "reachqa-test-00001", "image": "images/00001.jpg", "code": "code/00001.py",
                "question": "Which bar is taller?", "answer": "b"}]
    (tmp_path / "instruction_data_1.json").write_text(json.dumps(records))
    args = DataArguments(dataset=str(tmp_path / "instruction_data_1.json"), render_env="current",
                         render_dir=str(tmp_path / "renders"))
    train, _ = load_splits(args)
    image = train[0]["images"][0]
    assert image.startswith(str(tmp_path / "renders")) and image.endswith(".jpg")
    processor, _, report, batch = collate(tiny_models["llava"], args.dataset, render_env="current",
                                          render_dir=str(tmp_path / "renders"))
    assert report["kept"] == 1 and (batch["input_ids"] == processor.image_token_id).any()
    assert torch.equal(batch["labels"][batch["labels"] != IGNORE_INDEX],
                       batch["input_ids"][batch["labels"] != IGNORE_INDEX])


def test_ms_swift_query_response_file(files, tiny_models):
    """The authors trained from ms-swift 2.x records (query / response / images, optional history); each
    answer is trained, the query is used as written."""
    records = [{"query": "<image>\nWhich bar is tallest? Let's think step by step.", "response": "B, at 7.",
                "images": ["img/c1.jpg"]},
               {"query": "And the smallest?", "response": "A is smallest.", "images": ["img/c2.jpg"],
                "history": [["<image>\nHow many bars?", "Two."]], "system": "You read charts."}]
    (files / "swift.json").write_text(json.dumps(records))
    processor, train, report, batch = collate(tiny_models["llava"], str(files / "swift.json"))
    assert report["kept"] == 2
    tok = processor.tokenizer
    first = trained_spans(batch["input_ids"][0], batch["labels"][0])
    assert [tok.decode(s).strip() for s in first] == ["B, at 7.</s>"]
    second = [tok.decode(s).strip() for s in trained_spans(batch["input_ids"][1], batch["labels"][1])]
    assert second == ["Two.</s>", "A is smallest.</s>"]
    prompt = tok.decode(batch["input_ids"][0])
    assert prompt.count("Let's think step by step.") == 1  # taken as written, no second suffix
    assert tok.decode(batch["input_ids"][1]).startswith("You read charts.\n")
