"""The image budget: how many tiles or pixels one image may cost, per model family.

A 2480x1571 chart (the released ReachQA size) must fit ``max_length`` with its question and answer.
InternVL: ``max_tiles`` tiles of 448 px (+ thumbnail), 256 tokens each (default: the processor's own,
12 for InternVL2 = at most 3,328 tokens). LLaVA-NeXT: the anyres grids with at most ``max_tiles``
tiles (default: all of the checkpoint's, 2x2 at 336 px for llama3-llava-next). Qwen2-VL style
(``size.longest_edge`` in pixels): at most ``max_pixels`` (default 1280 x 28 x 28, 1,280 tokens).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 1280 * 28 * 28


def apply_image_budget(processor, model_config, max_tiles: int | None, max_pixels: int | None) -> dict:
    """Cap the processor (and, for LLaVA-NeXT, the model config with it); return what was applied."""
    ip = getattr(processor, "image_processor", None)
    applied = {}
    if ip is None:
        return applied
    if hasattr(ip, "max_patches") and getattr(ip, "crop_to_patches", False):  # InternVL / GotOcr2 tiles
        if max_tiles is not None:
            ip.max_patches = max_tiles
        applied["max_tiles"] = ip.max_patches
    elif getattr(ip, "image_grid_pinpoints", None):  # LLaVA-NeXT anyres grids
        crop = ip.crop_size
        crop = crop if isinstance(crop, int) else (getattr(crop, "height", None) or crop["height"])
        pinpoints = ip.image_grid_pinpoints
        if max_tiles is not None:
            pinpoints = [p for p in pinpoints if (p[0] // crop) * (p[1] // crop) <= max_tiles]
            if not pinpoints:
                raise ValueError(f"--max_tiles {max_tiles}: no anyres grid of this LLaVA-NeXT checkpoint is that small")
            ip.image_grid_pinpoints = pinpoints
            model_config.image_grid_pinpoints = pinpoints  # the model unpads features with the same grids
        applied["max_tiles"] = max((p[0] // crop) * (p[1] // crop) for p in pinpoints)
    elif isinstance(getattr(ip, "size", None), dict) and "longest_edge" in ip.size and hasattr(ip, "merge_size"):
        # Qwen2-VL style: size.longest_edge is a pixel count
        if max_pixels is not None and ip.size["longest_edge"] > max_pixels:
            ip.size = {**ip.size, "longest_edge": max_pixels}
            if hasattr(ip, "max_pixels"):
                ip.max_pixels = max_pixels
        applied["max_pixels"] = ip.size["longest_edge"]
    elif max_tiles is not None:
        raise ValueError(f"--max_tiles: {type(ip).__name__} does not tile images (one fixed-size image per sample)")
    if applied:
        logger.info("image budget: %s", applied)
    return applied


def match_model_to_processor(model_config, processor) -> bool:
    """Give a LLaVA-NeXT model config the anyres grids of its processor (which a ``--max_tiles`` run narrowed
    and saved with the adapter); True if the config changed. The model splits image features by the grid the
    processor picked, so the two must agree (else ``split_with_sizes`` fails in forward)."""
    ip = getattr(processor, "image_processor", None)
    pinpoints = getattr(ip, "image_grid_pinpoints", None)
    if not pinpoints or getattr(model_config, "image_grid_pinpoints", None) is None:
        return False
    pinpoints = [list(p) for p in pinpoints]
    if [list(p) for p in model_config.image_grid_pinpoints] == pinpoints:
        return False
    model_config.image_grid_pinpoints = pinpoints
    logger.info("model config follows the processor's anyres grids: %s", pinpoints)
    return True
