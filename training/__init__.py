"""LoRA fine-tuning of image-text-to-text models on chart Q&A (transformers + PEFT, accelerate).

``reachqa train`` (or ``accelerate launch $(which reachqa) train``) runs :func:`training.train.main`
(``--method grpo``: :func:`training.grpo.main`, RL with TRL's GRPOTrainer; ``methods`` picks);
``reachqa merge-lora`` is :mod:`training.merge`; ``reachqa convert internvl2`` is
:mod:`training.convert_internvl2`. Modules, one concept each: ``config`` (argument dataclasses, YAML presets),
``data`` (loading, columns, image decoding), ``formats`` (JSON / JSONL conversation files), ``budget``
(image tiles / pixels caps), ``native`` (processor backend of converted checkpoints), ``prompts`` (chat-template prompt and answer),
``prepare`` (image check and length pass), ``collator`` (labels and padding), ``model`` (loading,
LoRA placement), ``train`` (the SFT run), ``grpo`` (the GRPO run) and ``rewards`` (its reward functions).
"""
