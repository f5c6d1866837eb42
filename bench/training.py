"""Benchmark of training and scoring on the example corpus (train as the pool, dev as the test set).

For 64, 128, 256 and all labels (stratified samples of the gold labels): macro-F1 on the test
set of the TF-IDF + LR baseline, SetFit head-only (cached embeddings of the base body) and SetFit
with a contrastive fine-tune, with seconds per refit and grams of CO₂eq. Then the costs that
decide whether annotators wait: a head-only refit over 1,000 labels, and scoring a 10,000-text
pool with a fresh body (a forward pass per text) and with a cached one (a matrix product).

    python bench/training.py                    # all of it (tens of minutes on 2 cores)
    python bench/training.py --sizes 64 --pool 1000 --fine-tune-steps 5   # quick
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file is named like the `training` package: import the package

from bench.corpus import add_body_argument, body_path  # noqa: E402
from bucle.loop.splits import stratified_sample  # noqa: E402
from bucle.training.carbon import track  # noqa: E402
from bucle.training.embedding_cache import EmbeddingCache  # noqa: E402
from bucle.training.evaluation import evaluate_model  # noqa: E402
from bucle.training.models.setfit_model import SetFitClassifier
from bucle.training.settings import FineTuneSettings  # noqa: E402
from bucle.training.models.tfidf import TfidfClassifier  # noqa: E402

DATA = ROOT / "examples" / "noticias-falsas" / "data"
CLASSES = ["falsa", "verdadera"]


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def run_model(name, make, fit, test_texts, test_labels, rows):
    with track() as footprint:
        start = time.perf_counter()
        model = make()
        fit(model)
        seconds = time.perf_counter() - start
        evaluation, _ = evaluate_model(model, test_texts, test_labels, bootstrap=200)
    rows.append(
        (name, evaluation.macro_f1, evaluation.macro_f1_low, evaluation.macro_f1_high, seconds, footprint.grams_co2eq)
    )
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["64", "128", "256", "all"])
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--fine-tune-steps", type=int, default=40)
    parser.add_argument("--pool", type=int, default=10_000, help="texts to score")
    parser.add_argument("--seed", type=int, default=13)
    add_body_argument(parser)
    args = parser.parse_args(argv)
    body = body_path(args.body)

    train, test = load("train.jsonl"), load("dev.jsonl")
    test_texts, test_labels = [r["text"] for r in test], [r["label"] for r in test]
    by_id = {r["id"]: r for r in train}
    folder = Path(tempfile.mkdtemp(prefix="bucle-train-bench-"))
    cache = EmbeddingCache(folder / "embeddings.sqlite")
    quality = []
    for size in args.sizes:
        n = len(train) if size == "all" else int(size)
        ids = stratified_sample({r["id"]: r["label"] for r in train}, n, args.seed)
        texts, labels = [by_id[i]["text"] for i in ids], [by_id[i]["label"] for i in ids]
        rows: list[tuple] = []
        run_model(
            "TF-IDF + LR",
            lambda: TfidfClassifier(CLASSES),
            lambda m: m.fit(texts, labels),
            test_texts,
            test_labels,
            rows,
        )
        head = lambda: SetFitClassifier(CLASSES, body=body, max_seq_length=args.max_seq_length, cache=cache)  # noqa: E731
        warm = head().fit(texts, labels)  # fills the cache: the timed refit below is the head-only round
        warm.predict_proba(test_texts)
        run_model("SetFit head-only", head, lambda m: m.fit(texts, labels), test_texts, test_labels, rows)
        settings = FineTuneSettings(pairs_per_label=10, batch_size=16, max_steps=args.fine_tune_steps, seed=args.seed)
        run_model(
            f"SetFit fine-tune ({args.fine_tune_steps} steps)",
            lambda: SetFitClassifier(CLASSES, body=body, max_seq_length=args.max_seq_length),
            lambda m: (m.fine_tune(texts, labels, settings), m.fit(texts, labels)),
            test_texts,
            test_labels,
            rows,
        )
        quality += [(n, *row) for row in rows]
        print(f"done: {n} labels", file=sys.stderr, flush=True)

    import importlib.util

    spec = importlib.util.spec_from_file_location("ingest_bench", ROOT / "bench" / "ingest.py")
    ingest_bench = importlib.util.module_from_spec(spec)  # its mixed-quality Spanish generator
    spec.loader.exec_module(ingest_bench)
    pool = [r["text"] for r in ingest_bench.make_rows(max(args.pool, 1000), seed=3)][: args.pool]
    rng = random.Random(args.seed)
    thousand = pool[:1000]
    thousand_labels = [rng.choice(CLASSES) for _ in thousand]
    model = SetFitClassifier(CLASSES, body=body, max_seq_length=args.max_seq_length, cache=cache)
    start = time.perf_counter()
    model.fit(thousand, thousand_labels)
    embed_1k = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(thousand, thousand_labels)
    refit_1k = time.perf_counter() - start

    fresh = SetFitClassifier(
        CLASSES, body=body, max_seq_length=args.max_seq_length, cache=EmbeddingCache(folder / "fresh.sqlite")
    )
    fresh.head = model.head  # calibrated: the temperature is folded into it
    start = time.perf_counter()
    fresh.predict_proba(pool)
    fresh_s = time.perf_counter() - start
    start = time.perf_counter()
    fresh.predict_proba(pool)
    cached_s = time.perf_counter() - start

    from bucle.training.onnx_body import export_int8

    export_int8(fresh.encoder, folder / "onnx")
    int8 = fresh.with_int8_body(folder / "onnx")
    int8.cache = EmbeddingCache(folder / "int8.sqlite")
    start = time.perf_counter()
    int8.predict_proba(pool)
    int8_s = time.perf_counter() - start
    texts, labels = [r["text"] for r in train], [r["label"] for r in train]
    fp32_model = SetFitClassifier(CLASSES, body=body, max_seq_length=args.max_seq_length, cache=cache).fit(
        texts, labels
    )
    int8_model = fp32_model.with_int8_body(folder / "onnx")
    fp32_f1 = evaluate_model(fp32_model, test_texts, test_labels, bootstrap=200)[0].macro_f1
    int8_f1 = evaluate_model(int8_model, test_texts, test_labels, bootstrap=200)[0].macro_f1

    print(f"## Quality on the frozen test set ({len(test)} texts), max_seq_length {args.max_seq_length}\n")
    print("| labels | model | macro-F1 | 95% CI | seconds to fit | g CO₂eq |")
    print("| ---: | --- | ---: | --- | ---: | ---: |")
    for n, name, f1, low, high, seconds, grams in quality:
        print(f"| {n} | {name} | {f1:.3f} | {low:.3f}–{high:.3f} | {seconds:.1f} | {grams:.3f} |")
    print(f"\n## What annotators wait for (2 cores, max_seq_length {args.max_seq_length})\n")
    print("| step | seconds | texts/s | target |")
    print("| --- | ---: | ---: | --- |")
    print(f"| head-only round over 1,000 labels, cached embeddings | {refit_1k:.2f} | | < 10 s |")
    print(f"| the same 1,000 labels, embeddings computed first | {embed_1k:.1f} | {1000 / embed_1k:,.0f} | |")
    print(f"| score a {len(pool):,}-text pool, fresh body | {fresh_s:.1f} | {len(pool) / fresh_s:,.0f} | < 180 s |")
    print(f"| score it again, cached body | {cached_s:.2f} | {len(pool) / cached_s:,.0f} | < 5 s |")
    print(f"| score it with a fresh int8 ONNX body | {int8_s:.1f} | {len(pool) / int8_s:,.0f} | |")
    print(f"\nfresh / cached: {fresh_s / cached_s:,.0f}× slower; int8 / fp32 speed-up: {fresh_s / int8_s:.2f}×")
    print(
        f"head-only SetFit on all labels, test macro-F1: fp32 {fp32_f1:.3f}, int8 {int8_f1:.3f} "
        f"(delta {100 * (int8_f1 - fp32_f1):+.1f} points; used only within -0.5)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
