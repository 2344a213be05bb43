"""Turning a (question, answer) pair into the model's own chat format.

The prompt is the user turn (the image, then the question plus the suffix) rendered by the
processor's chat template with the generation prompt; the completion is what the template adds
after it for the assistant's answer, end-of-turn tokens included (plus EOS where the template
writes none). Only the completion is trained.
"""

from __future__ import annotations


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
        if self.append_eos and eos is not None and not set(ids) & set(self.tokenizer.all_special_ids):
            ids.append(eos)
        return ids
