"""Batching: images through the model's own processor, labels on the answer tokens only, padding to
the longest sequence of the batch and no further."""

from __future__ import annotations

import torch

from training.data import decode_image
from training.prompts import ChatFormatter

IGNORE_INDEX = -100


class VisionQACollator:
    """Collate dataset rows (encoded image, question, answer) into model inputs with labels.

    The prompt of every row goes through ``processor(text=..., images=...)`` in one call, so the
    processor keeps its own tiling, resolution and pixel batching (LLaVA-NeXT patches, InternVL
    tiles). The completion's token ids are appended to the prompt's and are the only positions
    with labels; every other position is ``-100``.
    """

    def __init__(self, processor, formatter: ChatFormatter, *, image_column: str = "image",
                 question_column: str = "question", answer_column: str = "answer", max_length: int = 4096,
                 base_dir: str | None = None):
        self.processor = processor
        self.tokenizer = processor.tokenizer
        self.formatter = formatter
        self.image_column = image_column
        self.question_column = question_column
        self.answer_column = answer_column
        self.max_length = max_length
        self.base_dir = base_dir
        if self.tokenizer.pad_token_id is None:
            raise ValueError("the tokenizer has no pad token; set one (e.g. the EOS token) before training")

    def encode_prompts(self, questions: list[str], images: list) -> tuple[list[list[int]], dict, dict]:
        """Prompt token ids per row, per-token extras (e.g. token_type_ids) per row, and pixel inputs."""
        prompts = [self.formatter.prompt(q) for q in questions]
        enc = self.processor(text=prompts, images=images, padding=True, return_tensors="pt",
                             add_special_tokens=self.formatter.add_special_tokens)
        enc = dict(enc)
        mask = enc.pop("attention_mask").bool()
        ids = enc.pop("input_ids")
        per_token = {k: v for k, v in enc.items() if torch.is_tensor(v) and v.shape == mask.shape}
        pixel_inputs = {k: v for k, v in enc.items() if k not in per_token}
        prompt_ids = [ids[i][mask[i]].tolist() for i in range(len(prompts))]
        extras = {k: [v[i][mask[i]].tolist() for i in range(len(prompts))] for k, v in per_token.items()}
        return prompt_ids, extras, pixel_inputs

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        questions = [f[self.question_column] for f in features]
        answers = [f[self.answer_column] for f in features]
        images = [decode_image(f[self.image_column], self.base_dir) for f in features]
        prompt_ids, extras, pixel_inputs = self.encode_prompts(questions, images)
        completion_ids = [self.formatter.completion_ids(q, a) for q, a in zip(questions, answers)]

        rows = []
        for i, (p, c) in enumerate(zip(prompt_ids, completion_ids)):
            if len(p) >= self.max_length:
                raise ValueError(f"prompt of {len(p)} tokens (image included) does not fit max_length="
                                 f"{self.max_length}; raise --max_length")
            c = c[: self.max_length - len(p)]
            rows.append((p, c, {k: v[i] + [0] * len(c) for k, v in extras.items()}))

        longest = max(len(p) + len(c) for p, c, _ in rows)
        pad_id = self.tokenizer.pad_token_id
        batch = {name: torch.full((len(rows), longest), fill, dtype=torch.long)
                 for name, fill in (("input_ids", pad_id), ("attention_mask", 0), ("labels", IGNORE_INDEX))}
        for k in extras:
            batch[k] = torch.zeros((len(rows), longest), dtype=torch.long)
        for i, (p, c, extra) in enumerate(rows):
            n = len(p) + len(c)
            batch["input_ids"][i, :n] = torch.tensor(p + c)
            batch["attention_mask"][i, :n] = 1
            batch["labels"][i, len(p):n] = torch.tensor(c, dtype=torch.long)
            for k, v in extra.items():
                batch[k][i, :n] = torch.tensor(v)
        batch.update(pixel_inputs)
        return batch
