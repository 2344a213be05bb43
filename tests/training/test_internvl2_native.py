"""`reachqa convert internvl2` checked against the original InternVL2 remote code (the test oracle).

The oracle (``../shared/oracles/internvl2`` beside the checkout or ``$REACHQA_INTERNVL2_ORACLE``; its own virtualenv with transformers 4.44.2, created by
``.ci/setup``) builds tiny random InternVL2 checkpoints and runs the original forward pass and the model
card's preprocessing. Its files are run by path, never copied. Here: the converted native checkpoint
gives the same logits on the oracle's own inputs, the native processor gives the same ``input_ids``
and ``pixel_values`` (same tile counts), and the converted model works in `reachqa infer`'s
transformers engine and in the attention maps.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors import safe_open

from reachqa_builder.cli import main as cli_main
from tests.prerequisites import INTERNVL2_ORACLE, needs_shared, require_ci_setup

ORACLE = INTERNVL2_ORACLE
ORACLE_VENV = Path(os.environ.get("REACHQA_INTERNVL2_ORACLE_VENV",
                                  Path.home() / ".cache/reachqa/oracles/internvl2-venv"))
QUESTION = "What is the highest value shown in this chart?"
# image name -> size; the tile grids the model card picks: 3x2+thumbnail, 2x2+thumbnail (tie rule),
# 2x4+thumbnail (tie rule, portrait), 1x1 (no thumbnail)
IMAGES = {"wide": "2480x1571", "square": "800x800", "tall": "700x1500", "small": "500x480"}
TILES = {"wide": 7, "square": 5, "tall": 9, "small": 1}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),
              needs_shared(ORACLE / "make_tiny.py", "the InternVL2 oracle (shared files)")]


@pytest.fixture(autouse=True)
def oracle_venv_created():
    require_ci_setup((ORACLE_VENV / "bin/python").is_file(), f"the InternVL2 oracle's virtualenv ({ORACLE_VENV})")


def oracle_env(tmp: Path) -> dict:
    return dict(os.environ, HF_HOME=str(tmp / "hf"), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
                TOKENIZERS_PARALLELISM="false", PYTHONPATH="")


def run_parallel(commands: list[list[str]], env: dict) -> None:
    procs = [subprocess.Popen(c, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for c in commands]
    for cmd, proc in zip(commands, procs):
        out, _ = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"oracle command failed: {' '.join(cmd)}\n{out[-3000:]}"


def oracle_outputs(root: Path) -> dict:
    """Build the tiny checkpoints and run the references into ``root`` (skipped when already complete)."""
    refs = {f"A-{name}": (root / "A", size) for name, size in IMAGES.items()}
    refs["B-wide"] = (root / "B", IMAGES["wide"])
    if (root / "complete").is_file():
        return refs
    env = oracle_env(root)
    py = str(ORACLE_VENV / "bin/python")
    run_parallel([[py, str(ORACLE / "make_tiny.py"), str(root / "A")],
                  [py, str(ORACLE / "make_tiny.py"), str(root / "B"), "--seed", "1", "--dtype", "bfloat16",
                   "--max-shard-size", "200KB", "--max-position-embeddings", "1024"]], env)
    run_parallel([[py, str(ORACLE / "reference_logits.py"), str(ckpt), "--synthetic-image", size,
                   "--question", QUESTION, "--write-image", str(root / f"{key}.png"), "--out", str(root / f"{key}.pt")]
                  for key, (ckpt, size) in refs.items()], env)
    (root / "complete").write_text("ok")
    return refs


def oracle_cache_root(tmp_path_factory) -> Path:
    """Oracle outputs depend only on the oracle's files and this test's arguments: cache them by that hash
    (``$REACHQA_INTERNVL2_ORACLE_CACHE``, default ~/.cache/reachqa/oracles/); "0" disables the cache."""
    setting = os.environ.get("REACHQA_INTERNVL2_ORACLE_CACHE", str(Path.home() / ".cache/reachqa/oracles"))
    if setting == "0":
        return tmp_path_factory.mktemp("internvl2")
    digest = hashlib.sha256(repr((IMAGES, QUESTION)).encode())
    for path in sorted(ORACLE.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    root = Path(setting) / f"internvl2-refs-{digest.hexdigest()[:16]}"
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def oracle(tmp_path_factory) -> dict:
    """Tiny checkpoints (A: fp32, GQA; B: bf16, sharded, 1024 positions so dynamic NTK acts), their
    references, and their conversions (always fresh)."""
    root = oracle_cache_root(tmp_path_factory)
    refs = oracle_outputs(root)
    out = tmp_path_factory.mktemp("converted")
    for name in ("A", "B"):
        assert cli_main(["convert", "internvl2", str(root / name), str(out / f"{name}-native"), "--dtype", "float32"]) == 0
    return {"root": root, "out": out, "refs": {key: torch.load(root / f"{key}.pt", weights_only=False) for key in refs}}


@pytest.mark.parametrize("key", ["A-wide", "A-square", "A-tall", "A-small", "B-wide"])
def test_logits_equal_the_original(oracle, key):
    from transformers import AutoModelForImageTextToText

    ref = oracle["refs"][key]
    model = AutoModelForImageTextToText.from_pretrained(oracle["out"] / f"{key[0]}-native", dtype=torch.float32)
    assert type(model).__name__ == "InternVLForConditionalGeneration"
    assert model.config.text_config.model_type == "llama"
    with torch.no_grad():
        logits = model.eval()(input_ids=ref["input_ids"], attention_mask=ref["attention_mask"],
                              pixel_values=ref["pixel_values"]).logits
    diff = (logits - ref["logits"]).abs().max().item()
    print(f"{key}: tiles={ref['num_tiles']} seq_len={ref['input_ids'].shape[1]} max|dlogit|={diff:.2e}")
    assert diff < 1e-4
    assert ref["logits"].abs().max() > 1  # not a trivially small model output


@pytest.mark.parametrize("name", list(IMAGES))
def test_processor_equals_the_model_card_preprocessing(oracle, name):
    from reachqa_builder.processors import load_processor

    ref = oracle["refs"][f"A-{name}"]
    assert ref["num_tiles"] == TILES[name]
    processor = load_processor(oracle["out"] / "A-native")
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": QUESTION}]}]
    text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    image = Image.open(oracle["root"] / f"A-{name}.png").convert("RGB")
    enc = processor(text=[text], images=[image], return_tensors="pt")
    assert enc["pixel_values"].shape[0] == ref["num_tiles"]
    assert torch.equal(enc["input_ids"], ref["input_ids"])  # template, system message, <img> tokens, <s>
    torch.testing.assert_close(enc["pixel_values"], ref["pixel_values"], atol=1e-6, rtol=0)


def test_bf16_sharded_source_keeps_its_dtype(oracle, tmp_path):
    out = tmp_path / "bf16"
    assert cli_main(["convert", "internvl2", str(oracle["root"] / "B"), str(out)]) == 0
    from transformers import AutoModelForImageTextToText, GenerationConfig

    model = AutoModelForImageTextToText.from_pretrained(out)
    assert model.dtype == torch.bfloat16
    ref = oracle["refs"]["B-wide"]
    assert GenerationConfig.from_pretrained(out).eos_token_id == ref["eos_token_id"]  # <|im_end|>
    # the split q/k/v rows are the fp32 conversion's, rounded to the source's bf16 values exactly
    with safe_open(out / "model.safetensors", "pt") as f, \
            safe_open(oracle["out"] / "B-native" / "model.safetensors", "pt") as g:
        key = "model.language_model.layers.1.self_attn.k_proj.weight"
        assert torch.equal(f.get_tensor(key), g.get_tensor(key).to(torch.bfloat16))
    # refuses to overwrite, and names what is wrong with a source
    assert cli_main(["convert", "internvl2", str(oracle["root"] / "B"), str(out)]) == 2
    assert cli_main(["convert", "internvl2", str(oracle["out"] / "B-native"), str(tmp_path / "x")]) == 2


def test_infer_engine_and_attention_maps(oracle, capsys):
    from evaluation.attention import attention_maps
    from evaluation.inference.transformers_engine import TransformersEngine, TransformersEngineConfig
    from reachqa_builder.llm.types import ChatRequest, user_message

    ref = oracle["refs"]["A-wide"]
    image = Image.open(oracle["root"] / "A-wide.png").convert("RGB")
    engine = TransformersEngine(TransformersEngineConfig(model=str(oracle["out"] / "A-native"), device="cpu",
                                                         progress=False))
    prompt, images = engine.prompt(ChatRequest(model="m", messages=[user_message(QUESTION, [image])], max_tokens=3))
    assert torch.equal(engine.encode([(prompt, images)])["input_ids"].cpu(), ref["input_ids"])
    with torch.no_grad():
        logits = engine.model(**engine.encode([(prompt, images)])).logits
    assert int(logits[0, -1].argmax()) == int(ref["logits"][0, -1].argmax())  # greedy step 0 = the original's
    reply = engine.generate([ChatRequest(model="m", messages=[user_message(QUESTION, [image])], max_tokens=3,
                                         temperature=0)])[0]
    assert isinstance(reply.text, str) and reply.completion_tokens >= 1

    maps, tokens = attention_maps(engine.model, engine.processor, image, QUESTION, steps=[0])
    assert maps[0].shape == (16, 16)  # the thumbnail's 256 tokens (448 px / 14 / 2)
    assert 0 < maps[0].sum() <= 1 + 1e-5


def test_converted_answers_end_at_the_end_of_turn_token(oracle):
    """The source's extra special tokens stay special: an answer is trained as ``answer<|im_end|>``, with no
    ``</s>`` appended after it (the append-EOS rule is for templates that close a turn with no special token)."""
    from transformers import AutoProcessor

    from training.prompts import ChatFormatter

    processor = AutoProcessor.from_pretrained(oracle["out"] / "A-native")
    tok = processor.tokenizer
    end = tok.convert_tokens_to_ids("<|im_end|>")
    assert end in tok.all_special_ids and tok.convert_tokens_to_ids("<|im_start|>") in tok.all_special_ids
    ids = ChatFormatter(processor, "").completion_ids("How many bars?", "Three.")
    assert end in ids and tok.eos_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True).strip() == "Three."


def test_converted_model_trains_merges_and_infers(oracle, tmp_path, qa_dataset):
    """The paper's InternVL2 path: a converted checkpoint through `reachqa train` (the authors' LoRA placement),
    `merge-lora` and the `infer` engine."""
    from evaluation.inference.transformers_engine import TransformersEngine, TransformersEngineConfig
    from evaluation.inference.types import ChatRequest, user_message
    from training.train import main

    out = tmp_path / "run"
    assert main(["--config", "internvl2", "--model_name_or_path", str(oracle["out"] / "A-native"),
                 "--dataset", str(qa_dataset), "--output_dir", str(out), "--max_steps", "1", "--max_tiles", "2",
                 "--use_cpu", "true", "--eval_size", "0", "--activation_checkpointing", "false",
                 "--dataloader_num_workers", "0", "--disable_tqdm", "true", "--prepare_cache_dir", ""]) == 0
    assert cli_main(["merge-lora", str(out), "--out", str(tmp_path / "merged")]) == 0
    assert (tmp_path / "merged" / "reachqa_conversion.json").is_file()  # the PIL backend choice comes along
    engine = TransformersEngine(TransformersEngineConfig(model=str(tmp_path / "merged"), device="cpu", progress=False))
    image = Image.open(oracle["root"] / "A-small.png").convert("RGB")
    reply = engine.generate([ChatRequest(model="m", messages=[user_message(QUESTION, [image])], max_tokens=2,
                                         temperature=0)])[0]
    assert reply.completion_tokens >= 1
