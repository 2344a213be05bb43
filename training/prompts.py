"""Turning a (question, answer) pair into the model's own chat format.

The prompt is the user turn (the image, then the question plus the suffix) rendered by the
processor's chat template with the generation prompt; the completion is what the template adds
after it for the assistant's answer, end-of-turn tokens included (plus EOS where the template
writes none). Only the completion is trained.
"""

from __future__ import annotations

import json


class ChatTemplateError(ValueError):
    """The processor's chat template cannot be used to split prompt and answer."""


class ChatFormatter:
    """Render prompts and completions with a processor's chat template."""

    def __init__(self, processor, prompt_suffix: str = "", system_prompt: str | None = None,
                 append_eos: bool = True):
        template = getattr(processor, "chat_template", None) or getattr(
            getattr(processor, "tokenizer", None), "chat_template", None)
        if not template:
            raise ChatTemplateError(f"{type(processor).__name__} has no chat template; save one with the processor "
                                    "(processor.chat_template = ...) so prompts use the model's own format")
        self.processor = processor
        self.prompt_suffix = prompt_suffix or ""
        self.system_prompt = system_prompt
        self.append_eos = append_eos
        self.tokenizer = processor.tokenizer
        self.special_ids = special_token_ids(self.tokenizer)
        bos = getattr(self.tokenizer, "bos_token", None)
        probe = self.prompt("?")
        # A template that writes the BOS token itself must not get a second one from the tokenizer.
        self.add_special_tokens = not (bos and probe.startswith(bos))

    def user_text(self, question: str) -> str:
        question = question.strip()
        return f"{question} {self.prompt_suffix}" if self.prompt_suffix else question

    def messages(self, question: str, answer: str | None = None) -> list[dict]:
        messages = []
        if self.system_prompt:
            messages.append({"role": "system", "content": [{"type": "text", "text": self.system_prompt}]})
        messages.append({"role": "user", "content": [{"type": "image"},
                                                     {"type": "text", "text": self.user_text(question)}]})
        if answer is not None:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
        return messages

    def prompt(self, question: str) -> str:
        return self.processor.apply_chat_template(self.messages(question), add_generation_prompt=True,
                                                  tokenize=False)

    def completion(self, question: str, answer: str) -> str:
        prompt = self.prompt(question)
        full = self.processor.apply_chat_template(self.messages(question, answer), tokenize=False)
        if not full.startswith(prompt):
            raise ChatTemplateError(
                "the chat template renders the conversation with the answer differently from the prompt alone, "
                f"so the answer tokens cannot be told apart:\nprompt: {prompt!r}\nfull:   {full!r}")
        completion = full[len(prompt):]
        if answer.strip() and answer.strip() not in completion:
            raise ChatTemplateError(f"the chat template dropped the answer text: {completion!r}")
        return completion

    def completion_ids(self, question: str, answer: str) -> list[int]:
        """Token ids of the completion; the EOS token is appended when the template ends the answer with
        no special token at all (LLaVA-1.5's template, for one), so the model learns to stop."""
        ids = self.tokenizer(self.completion(question, answer), add_special_tokens=False)["input_ids"]
        eos = self.tokenizer.eos_token_id
        if self.append_eos and eos is not None and not set(ids) & self.special_ids:
            ids.append(eos)
        return ids


def special_token_ids(tokenizer) -> set[int]:
    """Ids of every special token: the named ones (bos, eos, pad, extra_special_tokens) and every added token
    marked special in the tokenizer (``<|im_end|>`` of a tokenizer.json, also when nothing names it)."""
    ids = set(tokenizer.all_special_ids)
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    ids.update(i for i, token in decoder.items() if getattr(token, "special", False))
    return ids


IMAGE_MARK = "<image>"


def row_conversation(row: dict, image_column: str, question_column: str, answer_column: str):
    """(images, turns, add_suffix) of a dataset row: a conversation row (``messages`` column, from a JSON /
    JSONL file) or a flat image / question / answer row (one user turn, the prompt suffix applies)."""
    if "messages" in row and "images" in row:
        return list(row["images"]), json.loads(row["messages"]), bool(row.get("add_suffix"))
    turns = [{"role": "user", "content": f"{IMAGE_MARK}\n{row[question_column]}"},
             {"role": "assistant", "content": row[answer_column]}]
    return [row[image_column]], turns, True


def _template_message(turn: dict, text_transform=None) -> dict:
    parts = []
    pieces = turn["content"].split(IMAGE_MARK)
    for k, piece in enumerate(pieces):
        if k > 0:
            parts.append({"type": "image"})
            piece = piece[1:] if piece.startswith("\n") else piece
        if k == len(pieces) - 1 and text_transform is not None:
            piece = text_transform(piece)
        if piece:
            parts.append({"type": "text", "text": piece})
    return {"role": turn["role"], "content": parts}


def conversation_segments(formatter: ChatFormatter, turns: list[dict], add_suffix: bool) -> list[tuple[str, bool]]:
    """The conversation as (text, trained) segments in the model's chat template: the first segment is the
    prompt up to the first assistant answer (it holds the images); each assistant answer is trained.

    Every prefix is rendered with the template, so each answer is exactly what the template writes after
    its generation prompt (end-of-turn tokens included)."""
    messages = []
    if turns and turns[0]["role"] == "system":
        messages.append({"role": "system", "content": [{"type": "text", "text": turns[0]["content"]}]})
        turns = turns[1:]
    elif formatter.system_prompt:
        messages.append({"role": "system", "content": [{"type": "text", "text": formatter.system_prompt}]})
    first_user = True
    for turn in turns:
        transform = formatter.user_text if (turn["role"] == "user" and first_user and add_suffix) else None
        messages.append(_template_message(turn, transform))
        first_user = first_user and turn["role"] != "user"
    apply = formatter.processor.apply_chat_template
    segments, done = [], ""
    for k, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = apply(messages[:k], add_generation_prompt=True, tokenize=False)
        full = apply(messages[:k + 1], tokenize=False)
        if not (prompt.startswith(done) and full.startswith(prompt)):
            raise ChatTemplateError("the chat template renders earlier turns differently once later turns are "
                                    f"added, so answers cannot be told apart:\nprompt: {prompt!r}\nfull:   {full!r}")
        segments.append((prompt[len(done):], False))
        segments.append((full[len(prompt):], True))
        done = full
    return segments


def segment_ids(formatter: ChatFormatter, text: str, trained: bool) -> list[int]:
    """Token ids of a text segment after the prompt (EOS appended to answers the template closes with no
    special token, as `ChatFormatter.completion_ids` does)."""
    tokenizer = formatter.tokenizer
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    if trained and formatter.append_eos and eos is not None and not set(ids) & formatter.special_ids:
        ids.append(eos)
    return ids
