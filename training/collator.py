"""Batching: images through the model's own processor, labels on the answer tokens only, padding to
the longest sequence of the batch and no further."""

from __future__ import annotations

import torch

from training.data import decode_image
from training.prompts import ChatFormatter, conversation_segments, row_conversation, segment_ids

IGNORE_INDEX = -100


class VisionQACollator:
    """Collate dataset rows (flat image / question / answer, or a conversation with its images) into model
    inputs with labels on every assistant answer.

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

    def encode_prompts(self, prompts: list[str], images: list) -> tuple[list[list[int]], dict, dict]:
        """Prompt token ids per row, per-token extras per row (tensors whose first dimension is the row's
        tokens: token_type_ids, Mllama's cross_attention_mask) and the pixel inputs."""
        kwargs = {"images": images} if images else {}
        enc = self.processor(text=prompts, padding=True, return_tensors="pt",
                             add_special_tokens=self.formatter.add_special_tokens, **kwargs)
        enc = dict(enc)
        mask = enc.pop("attention_mask").bool()
        ids = enc.pop("input_ids")
        per_token = {k: v for k, v in enc.items() if torch.is_tensor(v) and v.dim() >= 2
                     and v.shape[:2] == mask.shape}
        pixel_inputs = {k: v for k, v in enc.items() if k not in per_token}
        prompt_ids = [ids[i][mask[i]].tolist() for i in range(len(prompts))]
        extras = {k: [v[i][mask[i]] for i in range(len(prompts))] for k, v in per_token.items()}
        return prompt_ids, extras, pixel_inputs

    def cut(self, ids: list[int], labels: list[int], tail: list[int]) -> tuple[list[int], list[int]]:
        """Cut a row longer than max_length, keeping the answer's closing tokens (``tail``: EOS or the
        template's end-of-turn) so a cut answer still teaches the model to stop."""
        if len(ids) <= self.max_length:
            return ids, labels
        keep = self.max_length - len(tail)
        return ids[:keep] + tail, labels[:keep] + tail

    def closing_tokens(self, segment: list[int]) -> list[int]:
        """The end of an answer segment from its last special token on (``</s>``, ``<|im_end|>\\n``...)."""
        special = self.formatter.special_ids
        for k in range(len(segment) - 1, -1, -1):
            if segment[k] in special:
                return segment[k:]
        return []

    def __call__(self, features: list[dict]) -> dict[str, torch.Tensor]:
        prompts, images, rest = [], [], []
        per_row = []
        for f in features:
            row_images, turns, add_suffix = row_conversation(f, self.image_column, self.question_column,
                                                             self.answer_column)
            segments = conversation_segments(self.formatter, turns, add_suffix)
            prompts.append(segments[0][0])
            decoded = [decode_image(im, self.base_dir) for im in row_images]
            images.extend(decoded)
            per_row.append(decoded)
            rest.append([(segment_ids(self.formatter, text, trained), trained) for text, trained in segments[1:]])
        # Mllama's processor takes the images grouped by row; the others a flat list in prompt order
        nested = type(self.processor).__name__.startswith("Mllama")
        prompt_ids, extras, pixel_inputs = self.encode_prompts(prompts, per_row if nested and images else images)

        rows = []
        for i, p in enumerate(prompt_ids):
            if len(p) >= self.max_length:
                raise ValueError(f"prompt of {len(p)} tokens (image included) does not fit max_length="
                                 f"{self.max_length}; raise --max_length")
            ids, labels = list(p), [IGNORE_INDEX] * len(p)
            for seg, trained in rest[i]:
                ids += seg
                labels += seg if trained else [IGNORE_INDEX] * len(seg)
            tail = self.closing_tokens(rest[i][-1][0]) if rest[i] else []
            if len(p) + len(tail) >= self.max_length:
                tail = []
            ids, labels = self.cut(ids, labels, tail)
            rows.append((ids, labels, {k: extend(v[i], len(ids)) for k, v in extras.items()}))

        longest = max(len(ids) for ids, _, _ in rows)
        pad_id = self.tokenizer.pad_token_id
        batch = {name: torch.full((len(rows), longest), fill, dtype=torch.long)
                 for name, fill in (("input_ids", pad_id), ("attention_mask", 0), ("labels", IGNORE_INDEX))}
        for k, v in extras.items():
            batch[k] = torch.zeros((len(rows), longest, *v[0].shape[1:]), dtype=v[0].dtype)
        for i, (ids, labels, extra) in enumerate(rows):
            n = len(ids)
            batch["input_ids"][i, :n] = torch.tensor(ids)
            batch["attention_mask"][i, :n] = 1
            batch["labels"][i, :n] = torch.tensor(labels, dtype=torch.long)
            for k, v in extra.items():
                batch[k][i, :n] = v
        batch.update(pixel_inputs)
        return batch


def extend(values: torch.Tensor, length: int) -> torch.Tensor:
    """A per-token tensor of the prompt carried over the answer tokens, cut to ``length``: 0 for per-token
    ids (token_type_ids: text), the last prompt position repeated for per-token masks (Mllama's
    cross_attention_mask: answer tokens see the images the end of the prompt sees)."""
    if length <= len(values):
        return values[:length]
    more = length - len(values)
    if values.dim() == 1:
        fill = values.new_zeros(more)
    else:
        fill = values[-1:].expand(more, *values.shape[1:])
    return torch.cat([values, fill])
