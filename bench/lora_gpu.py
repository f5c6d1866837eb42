"""Throughput of LoRA training and pool scoring on one GPU, for the model shapes the README
recommends, with random weights built from each shape's config (the GPU machine has no internet
and no weights; speed does not depend on the values of the weights).

Texts: the example corpus (headline + text), tokenised by a BPE tokenizer trained on it and cut
at 256 tokens. LoRA as bucle configures it: peft, rank 16 on every linear layer, the
classification head trained in full, bf16 weights, AdamW.

Configurations, each measured in the same run (ratios against the first):
- ``baseline``: what was measured before any tuning: batches of 16 texts in random order, each
  padded to 256 tokens, eager PyTorch;
- ``bucketed``: the same 16 texts per batch, grouped by length (bucle's length-grouped sampler),
  each batch padded only to its longest text;
- ``large-batch``: bucketed, micro-batches of 64 texts;
- ``compiled``: large-batch under ``torch.compile`` (dynamic shapes);
- ``liger``: large-batch with liger-kernel's fused RMSNorm/SwiGLU/RoPE, when it is installed.

Columns: training texts/s and real (non-padding) tokens/s; model FLOPs utilisation against the
H100's 989 TFLOP/s dense bf16, counting 4 × non-embedding parameters per real token (forward
2N, backward through the frozen weights' activations 2N; LoRA's own weights are negligible);
peak GPU memory; scoring texts/s (bucketed batches of 128; the baseline: 16 padded to 256).

    python bench/lora_gpu.py                      # every shape, on a GPU
    python bench/lora_gpu.py --shapes qwen2.5-0.5b --steps 10
    python bench/lora_gpu.py --columns headline   # short texts
    python bench/lora_gpu.py --smoke              # a tiny shape on the CPU in seconds (what CI runs)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bucle.training.models.random_llm import SHAPES, shape_config, train_tokenizer  # noqa: E402

PEAK_FLOPS = 989e12  # H100 SXM, dense bf16
MAX_TOKENS = 256
GPU_SHAPES = ("qwen2.5-0.5b", "qwen2.5-1.5b", "salamandra-2b", "salamandra-7b")
CONFIGS = ("baseline", "bucketed", "large-batch", "compiled", "liger")


@dataclass
class Row:
    shape: str
    config: str
    train_texts_s: float | None = None
    train_tokens_s: float | None = None
    mfu: float | None = None
    peak_gib: float | None = None
    score_texts_s: float | None = None
    note: str = ""


def corpus(columns: list[str]) -> list[str]:
    """The example corpus's texts, ``columns`` joined as the project config joins them."""
    texts = []
    for name in ("train.jsonl", "dev.jsonl"):
        for line in (ROOT / "examples" / "noticias-falsas" / "data" / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts.append("\n\n".join(str(row[c]) for c in columns if row.get(c)))
    return texts


def batches(encoded: list[list[int]], size: int, bucketed: bool, rng: random.Random) -> list[list[int]]:
    """Positions per batch: random order, or grouped by length as transformers' length-grouped
    sampler does (shuffled mega-batches of 50 batches, sorted by length inside)."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    if bucketed:
        mega = size * 50
        order = [
            i
            for start in range(0, len(order), mega)
            for i in sorted(order[start : start + mega], key=lambda i: -len(encoded[i]))
        ]
    chunks = [order[start : start + size] for start in range(0, len(order), size)]
    if bucketed:
        rng.shuffle(chunks)
    return [chunk for chunk in chunks if len(chunk) == size]


def collate(encoded: list[list[int]], rows: list[int], pad_id: int, padded_to: int | None, device: str) -> dict:
    import torch

    width = padded_to or max(len(encoded[i]) for i in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, i in enumerate(rows):
        ids[row, : len(encoded[i])] = torch.tensor(encoded[i])
        mask[row, : len(encoded[i])] = 1
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device)}


def lora_model(shape: str, tokenizer, device: str, liger: bool):
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForSequenceClassification

    config = shape_config(shape, tokenizer)
    config.num_labels, config.pad_token_id = 2, tokenizer.pad_token_id
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config, dtype=dtype, attn_implementation="sdpa")
    if liger:
        from liger_kernel.transformers import _apply_liger_kernel_to_instance

        _apply_liger_kernel_to_instance(model=model)
    model = get_peft_model(
        model,
        LoraConfig(task_type=TaskType.SEQ_CLS, r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear"),
    )
    return model.to(device)


def non_embedding_parameters(model) -> int:
    embeddings = model.get_input_embeddings().weight.numel()
    return sum(p.numel() for p in model.parameters()) - embeddings


def measure(shape: str, name: str, encoded: list[list[int]], tokenizer, args, device: str) -> Row:
    import torch

    row = Row(shape, name)
    if name == "liger":
        try:
            import liger_kernel  # noqa: F401
        except ImportError:
            row.note = "liger-kernel not installed"
            return row
    size = 16 if name in ("baseline", "bucketed") else args.large_batch
    padded = MAX_TOKENS if name == "baseline" else None
    try:
        model = lora_model(shape, tokenizer, device, liger=name == "liger")
        step_model = torch.compile(model, dynamic=True) if name == "compiled" else model
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        labels = torch.tensor([i % 2 for i in range(size)], device=device)
        plan = batches(encoded, size, bucketed=name != "baseline", rng=random.Random(0))
        plan = (plan * (1 + (args.warmup + args.steps) // max(len(plan), 1)))[: args.warmup + args.steps]
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        texts = tokens = 0
        for step, rows in enumerate(plan):
            if step == args.warmup:
                synchronize(device)
                started = time.perf_counter()
            batch = collate(encoded, rows, tokenizer.pad_token_id, padded, device)
            loss = torch.nn.functional.cross_entropy(step_model(**batch).logits.float(), labels[: len(rows)])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if step >= args.warmup:
                texts, tokens = texts + len(rows), tokens + int(batch["attention_mask"].sum())
        synchronize(device)
        seconds = time.perf_counter() - started
        row.train_texts_s, row.train_tokens_s = texts / seconds, tokens / seconds
        row.mfu = 4 * non_embedding_parameters(model) * row.train_tokens_s / PEAK_FLOPS
        if device == "cuda":
            row.peak_gib = torch.cuda.max_memory_allocated() / 2**30
        row.score_texts_s = score(model, encoded, tokenizer.pad_token_id, device, baseline=name == "baseline")
    except torch.OutOfMemoryError:
        row.note = "out of GPU memory"
    except Exception as error:  # a configuration that fails (compile on an old driver, say) is a row, not the end
        row.note = f"{type(error).__name__}: {str(error).splitlines()[0][:80]}"
    finally:
        if device == "cuda":
            torch.cuda.empty_cache()
    return row


def score(model, encoded: list[list[int]], pad_id: int, device: str, baseline: bool) -> float:
    import torch

    size = 16 if baseline else 128
    order = list(range(len(encoded))) if baseline else sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    model.eval()
    synchronize(device)
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(order), size):
            model(**collate(encoded, order[start : start + size], pad_id, MAX_TOKENS if baseline else None, device))
    synchronize(device)
    model.train()
    return len(order) / (time.perf_counter() - started)


def synchronize(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def table(rows: list[Row]) -> str:
    lines = [
        "| shape | configuration | train texts/s | ratio | train tokens/s | MFU | peak GiB | score texts/s | ratio | note |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    fmt = lambda value, spec, unit="": "" if value is None else format(value, spec) + unit  # noqa: E731
    for row in rows:
        base = next(r for r in rows if r.shape == row.shape and r.config == "baseline")
        train_ratio = row.train_texts_s / base.train_texts_s if row.train_texts_s and base.train_texts_s else None
        score_ratio = row.score_texts_s / base.score_texts_s if row.score_texts_s and base.score_texts_s else None
        lines.append(
            f"| {row.shape} | {row.config} | {fmt(row.train_texts_s, ',.1f')} | {fmt(train_ratio, '.2f', '×')} | "
            f"{fmt(row.train_tokens_s, ',.0f')} | {fmt(row.mfu, '.1%')} | {fmt(row.peak_gib, '.1f')} | "
            f"{fmt(row.score_texts_s, ',.0f')} | {fmt(score_ratio, '.2f', '×')} | {row.note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=None)
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--steps", type=int, default=20, help="timed optimisation steps per configuration")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--large-batch", type=int, default=64)
    parser.add_argument(
        "--columns",
        nargs="+",
        default=["headline", "text"],
        help="text columns (headline alone: short texts, where length grouping matters)",
    )
    parser.add_argument("--smoke", action="store_true", help="the tiny shape on the CPU, a few steps")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.smoke:
        args.shapes, args.steps, args.warmup, args.large_batch = ["tiny-qwen2"], 2, 1, 8
        args.configs = [c for c in args.configs if c != "compiled"]  # compiling takes minutes on 2 cores
    shapes = args.shapes or list(GPU_SHAPES)
    if device == "cpu" and not args.smoke:
        print(
            "no CUDA device: these figures are for a GPU (use --smoke to check the script on the CPU)", file=sys.stderr
        )
    texts = corpus(args.columns)
    with tempfile.TemporaryDirectory() as folder:
        tokenizer = train_tokenizer(texts, 32_000 if not args.smoke else 2_000, Path(folder))
    tokenizer.pad_token = tokenizer.eos_token
    encoded = tokenizer(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    print(
        f"{len(texts)} texts, {sum(map(len, encoded)) / len(encoded):.0f} tokens on average (cut at {MAX_TOKENS}); "
        f"device: {torch.cuda.get_device_name() if device == 'cuda' else 'CPU'}",
        flush=True,
    )
    rows = []
    for shape in shapes:
        for name in ["baseline", *[c for c in args.configs if c != "baseline"]]:
            rows.append(measure(shape, name, encoded, tokenizer, args, device))
            print(f"{shape} {name}: {asdict(rows[-1])}", file=sys.stderr, flush=True)
    print(table(rows))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([asdict(row) for row in rows], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
