"""Language models with random weights, built from a config shape and saved as an ordinary
model folder (config, weights, a tokenizer trained on the given texts), so that the LoRA family
loads them through the normal ``from_pretrained`` path: for tests on CPU (a tiny shape) and for
the GPU benchmark (real shapes), where no weights can be downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

# The published shapes of the models the README recommends (their config.json, less what
# defaults already give); "tiny" is for tests.
SHAPES: dict[str, dict] = {
    "tiny-qwen2": {
        "model_type": "qwen2",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
    },
    "tiny-llama": {
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
    },
    "qwen2.5-0.5b": {
        "model_type": "qwen2",
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "tie_word_embeddings": True,
        "max_position_embeddings": 32768,
    },
    "qwen2.5-1.5b": {
        "model_type": "qwen2",
        "hidden_size": 1536,
        "intermediate_size": 8960,
        "num_hidden_layers": 28,
        "num_attention_heads": 12,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "tie_word_embeddings": True,
        "max_position_embeddings": 32768,
    },
    "salamandra-2b": {
        "model_type": "llama",
        "hidden_size": 2048,
        "intermediate_size": 5440,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "vocab_size": 256000,
        "max_position_embeddings": 8192,
    },
    "salamandra-7b": {
        "model_type": "llama",
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 256000,
        "max_position_embeddings": 8192,
    },
}
# Qwen2's tokenizer class pads with <|endoftext|>; Llama's has no pad token (bucle pads with </s>)
SPECIAL = ["<|endoftext|>", "<s>", "</s>", "<unk>"]


def train_tokenizer(texts: Iterable[str], vocab_size: int, folder: Path):
    """A byte-level BPE tokenizer trained on ``texts``, saved in transformers' format; its end of
    text doubles as padding, as decoders' tokenizers usually have no pad token."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    core.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    tokenizer.save_pretrained(folder)
    return tokenizer


def shape_config(shape: str, tokenizer):
    """The transformers config of ``shape``, its special tokens those of ``tokenizer``; the
    vocabulary is the shape's own when it has one, else the tokenizer's."""
    from transformers import AutoConfig

    settings = dict(SHAPES[shape])
    model_type = settings.pop("model_type")
    settings.setdefault("vocab_size", len(tokenizer))
    return AutoConfig.for_model(
        model_type, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, **settings
    )


def build(shape: str, texts: Iterable[str], folder: Path, vocab_size: int = 2000, seed: int = 0) -> Path:
    """Save a causal LM of ``shape`` with random weights and a tokenizer trained on ``texts``
    (``vocab_size`` terms at most) in ``folder``, as a model folder any ``from_pretrained`` reads."""
    import torch
    from transformers import AutoModelForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(texts, vocab_size, folder)
    torch.manual_seed(seed)
    AutoModelForCausalLM.from_config(shape_config(shape, tokenizer)).save_pretrained(folder)
    return folder
