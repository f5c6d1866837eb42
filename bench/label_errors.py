"""Label-error review: how many of the records ``bucle review`` sends back are really mislabelled.

A share of a labelled corpus's pool labels (default 10%) is flipped on purpose to another label,
as a tired annotator would; confident learning (``loop.label_issues``) ranks the labelled pool.
Reported per seed and on average: how many records are flagged, the precision of the top k
(flipped ones among them) and the share of all flips they catch, and the test macro-F1 of the
TF-IDF baseline trained on the clean labels, on the noisy ones, and after a reviewer (the gold
label) has looked at the top k.

    python bench/label_errors.py                                  # fakenews-es, label, 3 seeds
    python bench/label_errors.py --label topic --seeds 3
    python bench/label_errors.py --smoke                          # seconds: what CI runs
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.corpus import Corpus, add_arguments, load_corpus  # noqa: E402
from bench.bucle_runs import macro_f1  # noqa: E402
from bucle.loop.label_issues import label_issues  # noqa: E402
from bucle.training.models.tfidf import TfidfClassifier  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks" / "label-errors"
TARGET_PRECISION_AT_20 = 0.7  # issue 18


def flip(labels: list[str], classes: list[str], share: float, seed: int) -> tuple[list[str], set[int]]:
    """``labels`` with ``share`` of them (a seeded sample) changed to another label at random."""
    rng = random.Random(seed)
    flipped = set(rng.sample(range(len(labels)), round(share * len(labels))))
    noisy = [
        rng.choice([c for c in classes if c != label]) if i in flipped else label for i, label in enumerate(labels)
    ]
    return noisy, flipped


def one_seed(corpus: Corpus, share: float, ks: list[int], seed: int) -> dict:
    noisy, flipped = flip(corpus.pool_labels, corpus.classes, share, seed)
    start = time.perf_counter()
    issues = label_issues([str(i) for i in range(len(noisy))], corpus.pool_texts, noisy, seed)
    seconds = time.perf_counter() - start
    ranked = [int(issue.id) for issue in issues]

    def trained_f1(labels: list[str]) -> float:
        return macro_f1(TfidfClassifier(corpus.classes, seed=seed).fit(corpus.pool_texts, labels), corpus)

    result = {
        "seed": seed,
        "flipped": len(flipped),
        "flagged": len(ranked),
        "seconds": seconds,
        "flagged_precision": sum(i in flipped for i in ranked) / len(ranked) if ranked else None,
        "clean_f1": trained_f1(corpus.pool_labels),
        "noisy_f1": trained_f1(noisy),
        "at": {},
    }
    for k in ks:
        top = ranked[:k]
        reviewed = [corpus.pool_labels[i] if i in top else label for i, label in enumerate(noisy)]  # the reviewer knows
        result["at"][str(k)] = {
            "sent": len(top),
            "precision": sum(i in flipped for i in top) / len(top) if top else None,
            "caught": sum(i in flipped for i in top) / len(flipped),
            "reviewed_f1": trained_f1(reviewed),
        }
    return result


def mean(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "—"
    sd = f" ± {statistics.stdev(present):.3f}" if len(present) > 1 else ""
    return f"{statistics.fmean(present):.3f}{sd}"


def report(corpus: Corpus, args: argparse.Namespace, runs: list[dict]) -> str:
    lines = [
        f"Corpus `{corpus.name}` ({args.label}): pool {len(corpus.pool_texts)}, test {len(corpus.test_texts)}, "
        f"{len(corpus.classes)} classes; {args.flip:.0%} of the pool labels flipped, {len(runs)} seeds; "
        f"out-of-fold TF-IDF + confident learning (cleanlab), {statistics.fmean(r['seconds'] for r in runs):.1f} s per ranking.",
        "",
        f"Flagged: {statistics.fmean(r['flagged'] for r in runs):.1f} records of {runs[0]['flipped']} flipped; precision of all flagged "
        f"{mean([r['flagged_precision'] for r in runs])}. Test macro-F1 with clean labels {mean([r['clean_f1'] for r in runs])}, "
        f"with the noisy ones {mean([r['noisy_f1'] for r in runs])}.",
        "",
        "| top k sent for review | precision@k | share of flips caught | macro-F1 after review |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for k in args.k:
        at = [r["at"][str(k)] for r in runs]
        lines.append(
            f"| {k} | {mean([a['precision'] for a in at])} | {mean([a['caught'] for a in at])} | "
            f"{mean([a['reviewed_f1'] for a in at])} |"
        )
    at20 = [r["at"]["20"]["precision"] for r in runs if "20" in r["at"] and r["at"]["20"]["precision"] is not None]
    if at20:
        value = statistics.fmean(at20)
        lines += [
            "",
            f"Precision@20 {value:.2f}: target ≥ {TARGET_PRECISION_AT_20} {'met' if value >= TARGET_PRECISION_AT_20 else 'NOT met'}.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--flip", type=float, default=0.10, help="share of pool labels flipped")
    parser.add_argument("--k", type=int, nargs="+", default=[20, 50], help="records sent for review")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for label_errors.{md,json} (default: docs/benchmarks/label-errors/<name>-<label>)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="120 texts, one seed, results in test-artifacts/bench-smoke"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.seeds, args.pool_size, args.k = 1, 120, [10]
        args.out = args.out or ROOT / "test-artifacts" / "bench-smoke"
    try:
        corpus = load_corpus(args.pool, args.test, args.text, args.label, args.name).subsample(args.pool_size, None)
    except (OSError, ValueError) as error:
        print(f"cannot read the corpus: {error}", file=sys.stderr)
        return 2
    runs = []
    for seed in range(args.seeds):
        runs.append(one_seed(corpus, args.flip, args.k, seed))
        print(
            f"seed {seed + 1}/{args.seeds}: {runs[-1]['flagged']} flagged, precision@{args.k[0]} "
            f"{runs[-1]['at'][str(args.k[0])]['precision']}",
            file=sys.stderr,
            flush=True,
        )
    text = report(corpus, args, runs)
    print(text)
    out = args.out or RESULTS / f"{corpus.name}-{args.label}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "label_errors.md").write_text(text + "\n", encoding="utf-8")
    (out / "label_errors.json").write_text(
        json.dumps(
            {"settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "runs": runs},
            indent=1,
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
