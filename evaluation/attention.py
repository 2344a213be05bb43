"""Attention maps: where in the chart the model looks while it writes its answer.

For one image and question, the model generates greedily with eager attention; at each chosen
generation step the attention from the token being generated to the image tokens is averaged
over all layers and heads, reshaped to the image-token grid, and drawn over the chart (one panel
per step, titled with the token produced there). Step 0 is the first answer token.

    reachqa attention --model runs/merged --image chart.jpg \\
        --question "Which year has the highest revenue?" --steps 0,5,10 --out attention.png

Works with models whose image tokens are marked in ``input_ids`` by ``config.image_token_id``
(LLaVA, LLaVA-NeXT base grid, Qwen2-VL family with ``image_grid_thw``); the grid is taken from
``image_grid_thw`` when present, else the image-token count must be a square.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from pathlib import Path
from typing import Any, Sequence


__all__ = ["attention_maps", "draw_attention", "main"]


def _image_token_id(model) -> int:
    for obj in (model.config, getattr(model.config, "text_config", None)):
        for name in ("image_token_id", "image_token_index"):
            value = getattr(obj, name, None) if obj is not None else None
            if value is not None:
                return int(value)
    raise ValueError("the model config names no image token (image_token_id / image_token_index)")


def _grid(n: int, inputs: dict[str, Any], model) -> tuple[int, int]:
    thw = inputs.get("image_grid_thw")
    if thw is not None:
        t, h, w = (int(x) for x in thw[0])
        merge = getattr(getattr(model.config, "vision_config", None), "spatial_merge_size", 1) or 1
        gh, gw = h // merge, w // merge
        if gh * gw * t == n:
            return gh, gw * t
    side = int(round(math.sqrt(n)))
    if side * side != n:
        raise ValueError(f"{n} image tokens do not form a square grid; this model's layout is not supported")
    return side, side


def attention_maps(model, processor, image, question: str, steps: Sequence[int] = (0,),
                   prompt_suffix: str = "") -> tuple[list[np.ndarray], list[str]]:
    """Per requested step: the attention over the image grid (layers and heads averaged, summing
    to the share of attention that went to the image) and the token generated at that step."""
    import torch

    from .inference.transformers_engine import to_processor_messages
    from reachqa_builder.llm.types import user_message

    if not steps or min(steps) < 0:
        raise ValueError(f"steps must be non-negative generation steps, got {list(steps)}")
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    conv, images = to_processor_messages([user_message(f"{question} {prompt_suffix}".strip(), [image])])
    text = processor.apply_chat_template(conv, add_generation_prompt=True, tokenize=False)
    inputs = processor(text=[text], images=images, return_tensors="pt").to(model.device)
    positions = (inputs["input_ids"][0] == _image_token_id(model)).nonzero().flatten()
    if len(positions) == 0:
        raise ValueError("no image tokens in the prompt")
    per_tile = getattr(model.config, "image_seq_length", None)
    if per_tile and len(positions) > per_tile and len(positions) % per_tile == 0:
        # InternVL dynamic tiles: the grid tiles come first, the thumbnail (whole image) last; map the thumbnail
        positions = positions[-per_tile:]
    gh, gw = _grid(len(positions), inputs, model)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max(steps) + 1, do_sample=False, output_attentions=True,
                             return_dict_in_generate=True)
    new_tokens = out.sequences[0, inputs["input_ids"].shape[1]:]
    tokenizer = getattr(processor, "tokenizer", processor)
    maps, tokens = [], []
    for step in steps:
        if step >= len(out.attentions):
            raise ValueError(f"generation stopped after {len(out.attentions)} steps; step {step} does not exist")
        layers = out.attentions[step]  # per layer: (batch, heads, query, key)
        rows = torch.stack([layer[0, :, -1, :].float() for layer in layers])  # (layers, heads, key)
        mean = rows.mean(dim=(0, 1))
        maps.append(mean[positions].reshape(gh, gw).cpu().numpy())
        tokens.append(tokenizer.decode([int(new_tokens[step])]))
    return maps, tokens


def draw_attention(image, maps: Sequence[np.ndarray], titles: Sequence[str], out_path: str | Path,
                   alpha: float = 0.5) -> Path:
    """Draw each map over the chart (bilinear upsampling, per-panel normalization) into one PNG."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from reachqa_builder.fileio import atomic_write

    base = image.convert("RGB")
    fig, axes = plt.subplots(1, len(maps), figsize=(4 * len(maps), 4 * base.height / base.width + 0.6), squeeze=False)
    for ax, grid, title in zip(axes[0], maps, titles):
        g = np.asarray(grid, dtype=np.float32)
        g = (g - g.min()) / (g.max() - g.min()) if g.max() > g.min() else np.zeros_like(g)
        heat = Image.fromarray((g * 255).astype(np.uint8)).resize(base.size, Image.BILINEAR)
        ax.imshow(base)
        ax.imshow(np.asarray(heat) / 255.0, cmap="jet", alpha=alpha, vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    out_path = Path(out_path)
    atomic_write(out_path, buf.getvalue())
    return out_path


def configure(parser: argparse.ArgumentParser) -> None:
    """Draw where a chart model looks: attention from answer tokens to the image patches, as a PNG.

    Example:
      reachqa attention --model runs/llava-reachqa-merged --image chart.jpg \
          --question "Which year has the highest value?" --steps 0,5 --out attention.png
    """
    p = parser
    p.add_argument("--model", required=True, help="an AutoModelForImageTextToText checkpoint")
    p.add_argument("--image", required=True, help="chart image file")
    p.add_argument("--question", required=True)
    p.add_argument("--steps", default="0", help="comma-separated generation steps (0 = first answer token)")
    p.add_argument("--prompt-suffix", default="")
    p.add_argument("--out", required=True, help="PNG to write")
    p.add_argument("--device", default="cpu")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from PIL import Image
    from transformers import AutoModelForImageTextToText

    try:
        steps = [int(s) for s in args.steps.split(",") if s.strip()]
    except ValueError:
        print(f"--steps must be integers, got {args.steps!r}", file=sys.stderr)
        return 2
    from reachqa_builder.processors import load_processor  # converted InternVL2 checkpoints ask for PIL resizing

    processor = load_processor(args.model)
    model = AutoModelForImageTextToText.from_pretrained(args.model, attn_implementation="eager").to(args.device).eval()
    image = Image.open(args.image).convert("RGB")
    maps, tokens = attention_maps(model, processor, image, args.question, steps, args.prompt_suffix)
    titles = [f"step {s}: {t!r} (image share {float(m.sum()):.2f})" for s, m, t in zip(steps, maps, tokens)]
    print(draw_attention(image, maps, titles, args.out))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m evaluation.attention``: the same as ``reachqa attention``."""
    parser = argparse.ArgumentParser(prog="python -m evaluation.attention", description=__doc__.splitlines()[0])
    configure(parser)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
