"""LoRA fine-tuning of image-text-to-text models on chart Q&A (transformers + PEFT, accelerate).

``accelerate launch -m training`` runs :func:`training.train.main`; ``reachqa merge-lora`` is
:mod:`training.merge`. Modules, one concept each: ``config`` (argument dataclasses, YAML presets),
``data`` (loading, columns, image decoding), ``prompts`` (chat-template prompt and answer),
``prepare`` (image check and length pass), ``collator`` (labels and padding), ``model`` (loading,
LoRA placement), ``train`` (the run).
"""
