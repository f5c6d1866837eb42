"""Cold start: which first 16 and 32 labels teach the most, before any model exists.

From no label at all, each method picks 16 texts of the pool, then 16 more (the gold labels
answer); the TF-IDF baseline is trained on them and scored on the frozen test set. Methods:
random sampling; representatives (``loop.strategies.representative``, TypiClust) in the LSA space
(``loop.text_space``, what the loop uses with the offline English body) and in the body's
embedding space; and zero-shot (``loop.strategies.cold_start``, the loop's cold start): the texts closest to each label's
Spanish description, label by label, with the body's embeddings. Reported per method: macro-F1
and the number of labels covered at 16 and 32 labels, mean ± sd over seeds.

    python bench/cold_start.py                                    # fakenews-es, label and topic
    python bench/cold_start.py --label topic --descriptions bench/descriptions/fakenews-es-topic.yaml
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.active_learning import embed, quiet  # noqa: E402
from bench.corpus import Corpus, add_arguments, add_body_argument, body_path, load_corpus  # noqa: E402
from bucle.loop import strategies  # noqa: E402
from bucle.loop.strategies.cold_start import zero_shot_probs  # noqa: E402
from bucle.loop.text_space import lsa_vectors  # noqa: E402
from bucle.training.embedding_cache import EmbeddingCache  # noqa: E402
from bucle.training.models.setfit_model import SetFitClassifier  # noqa: E402
from bucle.training.models.tfidf import TfidfClassifier  # noqa: E402
from bench.bucle_runs import macro_f1  # noqa: E402

RESULTS = ROOT / "docs" / "benchmarks" / "cold-start"
DESCRIPTIONS = ROOT / "bench" / "descriptions"
STEPS = (16, 32)
METHODS = ("random", "representative · LSA", "representative · body", "zero-shot · body")


def f1_with(corpus: Corpus, chosen: list[int], seed: int) -> float:
    labels = [corpus.pool_labels[i] for i in chosen]
    if len(set(labels)) < 2:  # one label only: every prediction is that label
        only = [labels[0]] * len(corpus.test_labels)
        from sklearn.metrics import f1_score

        return float(f1_score(corpus.test_labels, only, labels=corpus.classes, average="macro", zero_division=0))
    return macro_f1(
        TfidfClassifier(corpus.classes, seed=seed).fit([corpus.pool_texts[i] for i in chosen], labels), corpus
    )


def picks(method: str, spaces: dict[str, np.ndarray], zero_shot: np.ndarray, corpus: Corpus, seed: int) -> list[int]:
    """The first 16 and the next 16 pool positions the method asks about."""
    chosen: list[int] = []
    for step, size in enumerate(np.diff((0, *STEPS))):
        rest = np.array([i for i in range(len(corpus.pool_texts)) if i not in set(chosen)])
        counts = dict(Counter(corpus.classes.index(corpus.pool_labels[i]) for i in chosen))
        if method == "random":
            candidates, name = strategies.Candidates(None, spaces["LSA"][rest]), "random"
        elif method.startswith("representative"):
            space = spaces[method.split("·")[1].strip()]
            candidates, name = (
                strategies.Candidates(None, space[rest], space[chosen] if chosen else None),
                "representative",
            )
        else:
            candidates, name = strategies.Candidates(zero_shot[rest], labelled_counts=counts), "cold-start"
        chosen += rest[strategies.get(name).select(candidates, int(size), seed * 100 + step)].tolist()
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument(
        "--descriptions",
        type=Path,
        default=None,
        help="YAML: label -> Spanish description (default: bench/descriptions/<corpus>-<label>.yaml)",
    )
    parser.add_argument("--seeds", type=int, default=5)
    add_body_argument(parser)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "bucle" / "bench-embeddings.sqlite")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    quiet()
    corpus = load_corpus(args.pool, args.test, args.text, args.label, args.name)
    described = args.descriptions or DESCRIPTIONS / f"{corpus.name}-{args.label}.yaml"
    descriptions = yaml.safe_load(described.read_text(encoding="utf-8"))
    missing = sorted(set(corpus.classes) - set(descriptions))
    if missing:
        print(f"{described}: no description for {missing}", file=sys.stderr)
        return 2
    body = body_path(args.body)
    embeddings, _ = embed(corpus, body, args.max_seq_length, args.cache)
    cache = EmbeddingCache(args.cache)
    try:
        encoder = SetFitClassifier(corpus.classes, body=body, max_seq_length=args.max_seq_length, cache=cache)
        described_vectors = encoder.embed([descriptions[c] for c in corpus.classes], prompt="query")
        passages = encoder.embed(corpus.pool_texts, prompt="passage")  # as the rounds' cold start asks
    finally:
        cache.close()
    spaces = {"LSA": lsa_vectors(corpus.pool_texts), "body": embeddings}
    zero_shot = zero_shot_probs(passages, described_vectors)
    zero_shot_accuracy = float(
        np.mean([corpus.classes[int(k)] == gold for k, gold in zip(zero_shot.argmax(axis=1), corpus.pool_labels)])
    )
    runs: dict[str, list[dict]] = {}
    for method in METHODS:
        for seed in range(args.seeds):
            chosen = picks(method, spaces, zero_shot, corpus, seed)
            runs.setdefault(method, []).append(
                {
                    str(n): {
                        "macro_f1": f1_with(corpus, chosen[:n], seed),
                        "labels_covered": len({corpus.pool_labels[i] for i in chosen[:n]}),
                    }
                    for n in STEPS
                }
            )
        print(
            f"{method}: "
            + ", ".join(
                f"{n} labels {statistics.fmean(r[str(n)]['macro_f1'] for r in runs[method]):.3f}" for n in STEPS
            ),
            file=sys.stderr,
            flush=True,
        )

    def cell(method: str, n: int, key: str, digits: int) -> str:
        values = [r[str(n)][key] for r in runs[method]]
        return (
            f"{statistics.fmean(values):.{digits}f} ± {statistics.stdev(values) if len(values) > 1 else 0:.{digits}f}"
        )

    lines = [
        f"Corpus `{corpus.name}` ({args.label}): pool {len(corpus.pool_texts)}, test {len(corpus.test_texts)}, "
        f"{len(corpus.classes)} labels; {args.seeds} seeds; TF-IDF trained on the picks; body `{Path(body).name}`; "
        f"zero-shot accuracy of the descriptions on the pool {zero_shot_accuracy:.3f}.",
        "",
        "| first query | macro-F1 at 16 | labels covered at 16 | macro-F1 at 32 | labels covered at 32 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for method in METHODS:
        lines.append(
            f"| {method} | {cell(method, 16, 'macro_f1', 3)} | {cell(method, 16, 'labels_covered', 1)} | "
            f"{cell(method, 32, 'macro_f1', 3)} | {cell(method, 32, 'labels_covered', 1)} |"
        )
    report = "\n".join(lines)
    print(report)
    out = args.out or RESULTS / f"{corpus.name}-{args.label}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "cold_start.md").write_text(report + "\n", encoding="utf-8")
    (out / "cold_start.json").write_text(
        json.dumps({"zero_shot_accuracy": zero_shot_accuracy, "runs": runs}, indent=1), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
