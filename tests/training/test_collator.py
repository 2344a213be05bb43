"""Prompts, labels, lengths and padding on the three tiny model families."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoProcessor

from training.collator import IGNORE_INDEX, VisionQACollator
from training.config import DataArguments
from training.data import load_splits
from training.prepare import LENGTH_COLUMN, LengthMeter, measure_split
from training.prompts import ChatFormatter, ChatTemplateError

FAMILIES = ("llava", "llava_next", "internvl")


def setup(model_dir, dataset, **data_kwargs):
    processor = AutoProcessor.from_pretrained(model_dir)
    args = DataArguments(dataset=str(dataset), **data_kwargs)
    formatter = ChatFormatter(processor, args.prompt_suffix, args.system_prompt)
    collator = VisionQACollator(processor, formatter, max_length=args.max_length)
    train, _ = load_splits(args)
    return processor, formatter, collator, train, args


@pytest.mark.parametrize("family", FAMILIES)
def test_labels_only_on_answer_tokens(family, tiny_models, qa_dataset):
    processor, formatter, collator, train, _ = setup(tiny_models[family], qa_dataset)
    rows = [train[0], train[3], train[4]]
    batch = collator(rows)
    tok = processor.tokenizer
    for i, row in enumerate(rows):
        ids, labels, mask = batch["input_ids"][i], batch["labels"][i], batch["attention_mask"][i]
        trained = (labels != IGNORE_INDEX).nonzero().flatten()
        # labels form one contiguous block that ends at the last real token
        assert trained.numel() > 0
        assert trained.tolist() == list(range(int(trained[0]), int(mask.sum())))
        assert torch.equal(labels[trained], ids[trained])
        # the block is exactly the answer turn: the answer text and the template's end-of-turn
        completion = formatter.completion(row["question"], row["answer"])
        assert tok.decode(ids[trained]) == completion
        assert row["answer"] in completion and "ASSISTANT" not in completion
        # everything before it is the prompt: image tokens, question, suffix, generation prompt
        prompt = tok.decode(ids[: int(trained[0])])
        assert prompt.endswith("Let's think step by step.\nASSISTANT:")
        assert row["question"] in prompt and row["answer"] not in prompt
        assert (ids[: int(trained[0])] == processor.image_token_id).sum() > 0
        assert (ids[trained] == processor.image_token_id).sum() == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_padded_to_its_longest_row_and_lengths_exact(family, tiny_models, qa_dataset):
    processor, formatter, collator, train, args = setup(tiny_models[family], qa_dataset)
    measured, report = measure_split(train, LengthMeter(processor, formatter), args, "train")
    assert report["kept"] == len(train) and report["skipped_bad_image"] == 0
    rows = [measured[i] for i in range(len(measured))]
    batch = collator(rows)
    real = batch["attention_mask"].sum(dim=1).tolist()
    # the measured lengths are the collated lengths, and the batch is exactly as long as its longest row
    assert real == [r[LENGTH_COLUMN] for r in rows]
    assert batch["input_ids"].shape[1] == max(real)
    assert len(set(real)) > 1  # rows differ, so padding is really exercised
    pad = batch["attention_mask"] == 0
    assert (batch["labels"][pad] == IGNORE_INDEX).all()
    assert (batch["input_ids"][pad] == processor.tokenizer.pad_token_id).all()
    single = collator(rows[:1])
    assert single["input_ids"].shape[1] == real[0]


def test_model_forward_accepts_batch(tiny_models, qa_dataset):
    from transformers import AutoModelForImageTextToText

    for family in FAMILIES:
        _, _, collator, train, _ = setup(tiny_models[family], qa_dataset)
        model = AutoModelForImageTextToText.from_pretrained(tiny_models[family])
        batch = collator([train[0], train[5]])
        out = model(**batch)
        assert torch.isfinite(out.loss)
        # the loss is next-token cross-entropy over the labelled (answer) positions and nothing else
        logits, labels = out.logits[:, :-1].float(), batch["labels"][:, 1:]
        expected = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                                     ignore_index=IGNORE_INDEX)
        assert torch.allclose(out.loss, expected, atol=1e-4), family
        # hiding the answer labels leaves nothing to learn from: no loss at all
        hidden = dict(batch, labels=torch.full_like(batch["labels"], IGNORE_INDEX))
        assert not torch.isfinite(model(**hidden).loss) or model(**hidden).loss == 0


def test_max_length_cuts_answers_and_drops_long_prompts(tiny_models, qa_dataset):
    processor, formatter, _, train, args = setup(tiny_models["llava"], qa_dataset)
    meter = LengthMeter(processor, formatter)
    full, _ = measure_split(train, meter, args, "train")
    prompt_len = meter.prompt_length(formatter.prompt(train[0]["question"]), _image(train[0]))
    args.max_length = prompt_len + 3
    cut, report = measure_split(train, meter, args, "train")
    assert max(cut[LENGTH_COLUMN]) <= args.max_length
    assert report["truncated_answers"] > 0
    collator = VisionQACollator(processor, formatter, max_length=args.max_length)
    batch = collator([cut[0]])
    assert batch["input_ids"].shape[1] <= args.max_length
    assert (batch["labels"][0] != IGNORE_INDEX).sum() >= 1
    args.max_length = 5  # shorter than any prompt: nothing left to train on
    with pytest.raises(ValueError, match="no usable rows"):
        measure_split(train, meter, args, "train")


def test_prompt_suffix_and_system_prompt(tiny_models):
    processor = AutoProcessor.from_pretrained(tiny_models["llava"])
    plain = ChatFormatter(processor, prompt_suffix="")
    assert plain.prompt("How many bars?").endswith("How many bars?\nASSISTANT:")
    custom = ChatFormatter(processor, prompt_suffix="Answer briefly.", system_prompt="You read charts.")
    text = custom.prompt("How many bars?")
    assert text.startswith("You read charts.\n") and "How many bars? Answer briefly." in text


def test_template_without_chat_template_is_an_error(tiny_models):
    processor = AutoProcessor.from_pretrained(tiny_models["llava"])
    processor.chat_template = None
    processor.tokenizer.chat_template = None
    with pytest.raises(ChatTemplateError, match="no chat template"):
        ChatFormatter(processor)


def _image(row):
    from training.data import decode_image

    return decode_image(row["image"])


def test_eos_appended_only_when_the_template_writes_no_end_token(tiny_models):
    processor = AutoProcessor.from_pretrained(tiny_models["llava"])
    eos = processor.tokenizer.eos_token_id
    with_end = ChatFormatter(processor).completion_ids("How many bars?", "Three.")
    assert with_end[-2:] == [eos, processor.tokenizer.convert_tokens_to_ids("Ċ")] and with_end.count(eos) == 1
    processor.chat_template = processor.chat_template.replace("</s>", "")  # like LLaVA-1.5's template
    ids = ChatFormatter(processor).completion_ids("How many bars?", "Three.")
    assert ids[-1] == eos and ids.count(eos) == 1
    assert eos not in ChatFormatter(processor, append_eos=False).completion_ids("How many bars?", "Three.")


@pytest.mark.parametrize("family", ["llava", "internvl"])
def test_cut_answer_keeps_its_closing_tokens(family, tiny_models, qa_dataset):
    """An answer longer than max_length loses its middle, not the end-of-turn / EOS the model must learn."""
    processor, formatter, _, train, args = setup(tiny_models[family], qa_dataset)
    full = VisionQACollator(processor, formatter, max_length=4096)([train[0]])
    n = int(full["attention_mask"].sum())
    closing = [i for i in full["input_ids"][0, :n].tolist()[-2:]]  # "</s>\n" of the tiny template
    assert closing[0] == processor.tokenizer.eos_token_id
    cut = VisionQACollator(processor, formatter, max_length=n - 5)([train[0]])
    ids, labels = cut["input_ids"][0].tolist(), cut["labels"][0].tolist()
    assert len(ids) == n - 5
    assert ids[-2:] == closing and labels[-2:] == closing
    assert ids[:-2] == full["input_ids"][0, :n - 7].tolist()


@pytest.mark.parametrize("family", FAMILIES)
def test_quick_token_count_is_exact_and_stays_quick(family, tiny_models, qa_dataset):
    """The count from image sizes equals the processor's on every row (InternVL's <img></img> included), so the
    meter stays on the quick path after checking its first rows against the full processor."""
    processor, formatter, collator, train, args = setup(tiny_models[family], qa_dataset)
    meter = LengthMeter(processor, formatter)
    args.prepare_cache_dir = ""  # measured here, not read from a cache
    measured, _ = measure_split(train, meter, args, "train")
    assert meter.fast and meter.checked == LengthMeter.CHECKED_ROWS
    for i in range(len(measured)):
        batch = collator([measured[i]])
        assert batch["input_ids"].shape[1] == measured[i][LENGTH_COLUMN]


def test_checks_and_counts_cached_by_data_file_and_processor(tiny_models, tmp_path, chart_images):
    """A second start reads the per-row checks and counts; a changed image file, another processor budget or
    another data file measures again."""
    import json as json_module

    import shutil
    for cid, path in chart_images.items():
        shutil.copy(path, tmp_path / f"{cid}.jpg")
    records = [{"image": f"{cid}.jpg", "question": f"What is chart {cid}?", "answer": "A bar chart."}
               for cid in chart_images]
    data = tmp_path / "qa.json"
    data.write_text(json_module.dumps(records))
    processor, formatter, _, train, args = setup(tiny_models["internvl"], data)
    args.prepare_cache_dir = str(tmp_path / "cache")

    first_meter = LengthMeter(processor, formatter)
    first, _ = measure_split(train, first_meter, args, "train")
    assert first_meter.checked > 0 and len(list((tmp_path / "cache").iterdir())) == 1
    again = LengthMeter(processor, formatter)
    second, _ = measure_split(train, again, args, "train")
    assert again.checked == 0 and second[LENGTH_COLUMN] == first[LENGTH_COLUMN]  # read, not measured

    (tmp_path / "c1.jpg").write_bytes(b"not an image any more")
    changed = LengthMeter(processor, formatter)
    _, report = measure_split(train, changed, args, "train")
    assert report["skipped_bad_image"] == 1 and len(list((tmp_path / "cache").iterdir())) == 2

    processor.image_processor.max_patches = 1  # another image budget: other counts
    narrowed = LengthMeter(processor, ChatFormatter(processor, args.prompt_suffix))
    third, _ = measure_split(train, narrowed, args, "train")
    assert narrowed.checked > 0 and len(list((tmp_path / "cache").iterdir())) == 3


def test_the_default_check_cache_is_under_reachqa_home(tiny_models, qa_dataset, tmp_path, monkeypatch):
    """Without --prepare_cache_dir the cache lives under $REACHQA_HOME, as every other reachqa cache."""
    monkeypatch.setenv("REACHQA_HOME", str(tmp_path / "home"))
    processor, formatter, _, train, args = setup(tiny_models["internvl"], qa_dataset)
    assert args.prepare_cache_dir is None
    measure_split(train, LengthMeter(processor, formatter), args, "train")
    assert len(list((tmp_path / "home" / "training-prepare").glob("*.json"))) == 1
