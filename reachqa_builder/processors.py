"""Loading a processor the way its checkpoint asks (foundation; transformers imported on first use).

transformers picks the torchvision image-processing backend by default. Its bicubic resize differs
from PIL's by up to a few grey levels, and InternVL2 was trained on PIL-resized tiles (the model
card's ``load_image``). `reachqa convert internvl2` records ``"image_processor_backend": "pil"`` in
``reachqa_conversion.json``; `load_processor` honours it, so training, inference and attention maps
see the pixels the original preprocessing gives.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

CONVERSION_FILE = "reachqa_conversion.json"

logger = logging.getLogger(__name__)


def conversion_record(name_or_path: str | Path) -> dict:
    """The conversion record of a local converted checkpoint, or {} (Hub ids, other checkpoints)."""
    path = Path(name_or_path) / CONVERSION_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def load_processor(name_or_path: str | Path, **kwargs):
    """``AutoProcessor.from_pretrained`` plus the image-processing backend the checkpoint records."""
    from transformers import AutoImageProcessor, AutoProcessor

    processor = AutoProcessor.from_pretrained(name_or_path, **kwargs)
    backend = conversion_record(name_or_path).get("image_processor_backend")
    if backend and getattr(processor, "image_processor", None) is not None:
        processor.image_processor = AutoImageProcessor.from_pretrained(name_or_path, backend=backend, **kwargs)
    return processor


def copy_conversion_record(source: str | Path, target: str | Path) -> None:
    """Carry the conversion record along (training output, merged model), so the backend choice survives."""
    record = conversion_record(source)
    if record:
        (Path(target) / CONVERSION_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")


PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")


def processor_source(model: str | Path, adapter: str | Path | None = None) -> str | Path:
    """Where the processor to use with ``model`` (+ ``adapter``) lives: the adapter folder when a training run
    saved its processor there (with the run's image budget), else the model."""
    if adapter is not None and any((Path(adapter) / n).is_file() for n in PROCESSOR_FILES):
        return adapter
    return model


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
