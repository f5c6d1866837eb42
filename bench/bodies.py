"""Bodies compared: SetFit on multilingual-e5-small (the default) against the English MiniLM and
the TF-IDF + LR baseline, at 16/32/64/128/all labels, mean ± sd over seeds.

Each seed draws a stratified sample of the pool of each size; every model learns from the same
sample and is scored on the frozen test set (macro-F1). "head" is what most rounds do (the
logistic-regression head refitted on cached embeddings); "fine-tuned" adds SetFit's contrastive
fine-tune of the body (minutes on 2 cores, so only at ``--fine-tune-sizes`` and for
``--fine-tune-seeds`` seeds). Also the descriptions' zero-shot accuracy on the pool with each body
(the cold start's probabilities: descriptions as queries, texts as passages). Ratios are against
TF-IDF in the same run.

    python bench/bodies.py                        # fakenews-es: label, then topic (≈ 1 h on 2 cores)
    python bench/bodies.py --label topic --fine-tune-sizes
    python bench/bodies.py --smoke                # what CI runs
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.active_learning import quiet  # noqa: E402
from bench.bucle_runs import macro_f1  # noqa: E402
from bench.corpus import BODIES, Corpus, add_arguments, body_path, load_corpus  # noqa: E402
from bucle.loop.splits import stratified_sample  # noqa: E402
from bucle.loop.strategies.cold_start import zero_shot_probs  # noqa: E402
from bucle.training.embedding_cache import EmbeddingCache  # noqa: E402
from bucle.training.models.setfit_model import SetFitClassifier  # noqa: E402
from bucle.training.settings import FineTuneSettings  # noqa: E402
from bucle.training.models.tfidf import TfidfClassifier  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks" / "bodies"
DESCRIPTIONS = ROOT / "bench" / "descriptions"
BODY_NAMES = {"e5": None, "minilm": "minilm"}  # name in the table -> --body value (None: bucle's default)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--sizes", nargs="+", default=["16", "32", "64", "128", "all"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-seq-length", type=int, default=256, help="bucle's default")
    parser.add_argument(
        "--fine-tune-sizes", nargs="*", default=["64"], help="sizes at which the body is fine-tuned too"
    )
    parser.add_argument("--fine-tune-seeds", type=int, default=1)
    parser.add_argument("--fine-tune-steps", type=int, default=40)
    parser.add_argument("--bodies", nargs="+", default=list(BODY_NAMES), choices=list(BODY_NAMES))
    parser.add_argument("--cache", type=Path, default=BODIES.parent / "bench-embeddings.sqlite")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--smoke", action="store_true", help="60 pool and 40 test texts, 2 seeds, the small body only")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.seeds, args.bodies, args.fine_tune_sizes = ["16", "all"], 2, ["minilm"], ["16"]
        args.fine_tune_steps, args.max_seq_length = 2, 64
        args.out = args.out or ROOT / "test-artifacts" / "bench-smoke" / "bodies"
    return args


def zero_shot_accuracy(encoder: SetFitClassifier, corpus: Corpus, descriptions: dict[str, str] | None) -> float | None:
    if descriptions is None:
        return None
    probs = zero_shot_probs(
        encoder.embed(corpus.pool_texts, prompt="passage"),
        encoder.embed([descriptions[c] for c in corpus.classes], prompt="query"),
    )
    return float(np.mean([corpus.classes[k] == gold for k, gold in zip(probs.argmax(axis=1), corpus.pool_labels)]))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet()
    corpus = load_corpus(args.pool, args.test, args.text, args.label, args.name)
    if args.smoke:
        corpus = corpus.subsample(60, 40)
    described = DESCRIPTIONS / f"{corpus.name}-{args.label}.yaml"
    descriptions = yaml.safe_load(described.read_text(encoding="utf-8")) if described.exists() else None
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(args.cache)
    positions = {str(i): label for i, label in enumerate(corpus.pool_labels)}
    scores: dict[tuple[str, str], list[float]] = {}  # (model, size) -> macro-F1 per seed
    seconds: dict[str, list[float]] = {}
    zero_shot: dict[str, float | None] = {}
    try:
        encoders = {name: body_path(BODY_NAMES[name]) for name in args.bodies}
        for name, body in encoders.items():
            started = time.perf_counter()
            encoder = SetFitClassifier(corpus.classes, body=body, max_seq_length=args.max_seq_length, cache=cache)
            encoder.embed(corpus.pool_texts + corpus.test_texts)
            zero_shot[name] = zero_shot_accuracy(encoder, corpus, descriptions)
            print(
                f"{name}: embedded in {time.perf_counter() - started:.0f} s; zero-shot accuracy {zero_shot[name]}",
                file=sys.stderr,
                flush=True,
            )
        for size in args.sizes:
            n = len(corpus.pool_texts) if size == "all" else int(size)
            for seed in range(1 if size == "all" else args.seeds):
                chosen = [int(i) for i in stratified_sample(positions, n, seed)]
                texts, labels = [corpus.pool_texts[i] for i in chosen], [corpus.pool_labels[i] for i in chosen]
                scores.setdefault(("TF-IDF + LR", size), []).append(
                    macro_f1(TfidfClassifier(corpus.classes, seed=seed).fit(texts, labels), corpus)
                )
                for name, body in encoders.items():
                    head = SetFitClassifier(
                        corpus.classes, body=body, max_seq_length=args.max_seq_length, seed=seed, cache=cache
                    )
                    scores.setdefault((f"SetFit head · {name}", size), []).append(
                        macro_f1(head.fit(texts, labels), corpus)
                    )
                    if size in args.fine_tune_sizes and seed < args.fine_tune_seeds:
                        started = time.perf_counter()
                        tuned = SetFitClassifier(
                            corpus.classes, body=body, max_seq_length=args.max_seq_length, seed=seed
                        )
                        tuned.fine_tune(
                            texts, labels, FineTuneSettings(batch_size=16, max_steps=args.fine_tune_steps, seed=seed)
                        )
                        scores.setdefault((f"SetFit fine-tuned · {name}", size), []).append(
                            macro_f1(tuned.fit(texts, labels), corpus)
                        )
                        seconds.setdefault(name, []).append(time.perf_counter() - started)
            print(f"done: {size} labels", file=sys.stderr, flush=True)
    finally:
        cache.close()
    report = table(args, corpus, scores, seconds, zero_shot)
    print(report)
    out = args.out or RESULTS / f"{corpus.name}-{args.label}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bodies.md").write_text(report + "\n", encoding="utf-8")
    (out / "bodies.json").write_text(
        json.dumps(
            {
                "scores": {f"{m} @ {s}": v for (m, s), v in scores.items()},
                "fine_tune_seconds": seconds,
                "zero_shot_accuracy": zero_shot,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return 0


def table(args, corpus: Corpus, scores: dict, seconds: dict, zero_shot: dict) -> str:
    def cell(model: str, size: str) -> str:
        values = scores.get((model, size))
        if not values:
            return "—"
        mean = statistics.fmean(values)
        sd = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
        base = statistics.fmean(scores[("TF-IDF + LR", size)])
        return f"{mean:.3f}{sd} ({mean / base:.2f}×)" if model != "TF-IDF + LR" else f"{mean:.3f}{sd}"

    models = list(dict.fromkeys(model for model, _ in scores))
    lines = [
        f"Corpus `{corpus.name}` ({args.label}): pool {len(corpus.pool_texts)}, test {len(corpus.test_texts)}, "
        f"{len(corpus.classes)} labels; macro-F1 on the test set, mean ± sd over {args.seeds} seeds ('all': one run), "
        f"(× TF-IDF's in the same run); max_seq_length {args.max_seq_length}; fine-tune: {args.fine_tune_steps} steps "
        f"of batch 16, {args.fine_tune_seeds} seed(s).",
        "",
        "| model | " + " | ".join(f"{s} labels" for s in args.sizes) + " |",
        "| --- | " + " | ".join("---:" for _ in args.sizes) + " |",
    ]
    lines += [f"| {model} | " + " | ".join(cell(model, size) for size in args.sizes) + " |" for model in models]
    lines.append("")
    lines += [
        f"- zero-shot accuracy of the label descriptions with {name}: "
        + (f"{value:.3f}" if value is not None else "no descriptions for this label")
        for name, value in zero_shot.items()
    ]
    lines += [f"- one fine-tune of {name}: {statistics.fmean(values):.0f} s" for name, values in seconds.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
