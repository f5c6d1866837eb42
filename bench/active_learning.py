"""Label efficiency: how many labels each query strategy needs, against random sampling and small-text.

Annotators are simulated by the gold labels of a labelled corpus (default: fakenews-es, train as
the pool, dev as the frozen test set; any corpus by path). For every seed, one stratified seed
set is drawn and every method starts from it and adds ``--batch`` labels per round up to
``--budget``: bucle's strategies (with the learner its rounds refit), small-text's breaking ties
and random sampling (its SetFit integration, and a head on the same embeddings). Reported per
method: macro-F1 on the test set against labels (table + PNG with mean and spread over seeds),
the same learner's macro-F1 with every pool label, the labels needed to reach 95% of it, the
area under the learning curve, and seconds per round. As the loop reads its frozen test set's
texts to measure typicality (never their labels), every other test text steers the strategies
and every curve is scored on the other half only (``--target test-half``, the default; ``none``:
no target, every test text scores); ``NAME@pool`` runs such a strategy with the candidates'
own typicality beside it.

    python bench/active_learning.py                          # everything (≈ 1 h on 2 cores)
    python bench/active_learning.py --pool path/train.csv --test path/test.csv --text titular texto --label categoria
    python bench/active_learning.py --resume                 # go on after an interruption
    python bench/active_learning.py --smoke                  # a few minutes: CI runs it
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bucle.common.errors import BucleError  # noqa: E402
from bench import bucle_runs, small_text_runs, strategy_variants  # noqa: E402
from bucle.common.progress import progress  # noqa: E402
from bench.corpus import Corpus, add_arguments, add_body_argument, body_path, is_example, load_corpus  # noqa: E402
from bench.learning_curves import (
    Curve,
    Summary,
    fmt,
    label_ratio,
    labels_to_reach_at_least,
    match_ratio,  # noqa: E402
    mean_curve,
    summarise,
)
from bucle.loop import strategies  # noqa: E402
from bucle.loop.candidates import MIN_TARGET  # noqa: E402
from bucle.loop.splits import stratified_sample  # noqa: E402
from bucle.loop.text_space import lsa_vectors  # noqa: E402
from bucle.training.embedding_cache import EmbeddingCache  # noqa: E402
from bucle.training.models.setfit_model import SetFitClassifier  # noqa: E402
from bucle.training.threads import one_blas_thread  # noqa: E402

RESULTS = (
    ROOT / "docs" / "benchmarks" / "active-learning"
)  # published, one folder per corpus and task: the README shows them
OWN_RESULTS = Path(
    "bench-results"
)  # a user's own corpus: under the current folder, never the repository's docs/ or ~/.cache
EXAMPLE_CACHE = Path.home() / ".cache" / "bucle" / "bench-embeddings.sqlite"
BUCLE_STRATEGIES = ["random", "least-confidence", "margin", "entropy", "hybrid"]
FRACTION = 0.95
TARGET_RATIO = 0.80  # the default must need at most 80% of the labels random sampling needs (issue 18)
GOAL_RATIO = 0.60  # and the goal beyond that


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument(
        "--keep",
        nargs="+",
        default=None,
        metavar="LABEL=FRACTION",
        help="keep only this fraction of "
        "each label's rows in pool and test (an imbalanced setting), e.g. falsa=0.15, or "
        "Sport=0.3 Science=0.3 for rare classes among many",
    )
    parser.add_argument(
        "--drift",
        default=None,
        metavar="COLUMN=VALUE[,VALUE…]",
        help="the pool without the rows whose "
        "COLUMN is one of the values, the test set only those (a drift setting), e.g. topic=Politics",
    )
    parser.add_argument(
        "--one-vs-rest",
        default=None,
        metavar="LABEL",
        help="two classes, LABEL and the rest (otra): rare positives, e.g. --label topic --one-vs-rest Health",
    )
    parser.add_argument(
        "--target",
        choices=["test-half", "none"],
        default="test-half",
        help="what strategies that weigh typicality measure it among: every other test text (the "
        "default: as the loop reads its frozen test set's texts; every curve is then scored on the "
        "other half only), or none (among the candidates; every curve scored on the whole test set)",
    )
    parser.add_argument(
        "--strategies",
        nargs="+",
        default=None,
        help=f"bucle strategies (default: {', '.join(BUCLE_STRATEGIES)} "
        f"and the project default; any of {', '.join(strategies.CHOICES)}); NAME{strategy_variants.POOL_SUFFIX}: one that "
        "weighs typicality, measuring it among the candidates instead of the target (what the loop did before); "
        f"NAME{strategy_variants.REDRAW_SUFFIX}: the same strategy on other random draws (random{strategy_variants.REDRAW_SUFFIX} "
        "against random: how far a method no better than random strays from it by chance)",
    )
    parser.add_argument(
        "--learners",
        nargs="+",
        default=["setfit-head", "tfidf"],
        choices=["setfit-head", "tfidf"],
        help="what bucle's rounds refit: the SetFit head on cached embeddings, the TF-IDF baseline",
    )
    parser.add_argument(
        "--small-text",
        nargs="*",
        default=["head"],
        choices=[*small_text_runs.LEARNERS, "none"],
        help="small-text learners to compare with: head (the default: a logistic-regression head on the "
        "same embeddings), setfit (its SetFit integration: the body fine-tuned every round, by far the "
        "slowest part); 'none' leaves small-text out",
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--seed-size", type=int, default=16, help="labels every method starts from")
    parser.add_argument("--batch", type=int, default=32, help="labels per round")
    parser.add_argument("--budget", type=int, default=336, help="labels at which a run stops")
    add_body_argument(parser)
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--setfit-steps", type=int, default=10, help="small-text SetFit: fine-tuning steps per round")
    parser.add_argument(
        "--setfit-seeds",
        type=int,
        default=None,
        help="small-text SetFit: only the first N seeds (by far the slowest runs; default: every seed)",
    )
    parser.add_argument("--pool-size", type=int, default=None, help="use only this many pool texts")
    parser.add_argument("--test-size", type=int, default=None, help="use only this many test texts")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="embeddings of the corpus (default: ~/.cache/bucle for the "
        f"example corpus, {OWN_RESULTS}/embeddings.sqlite under the current folder for your own)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for active_learning.{md,json,png} (default: "
        "<setting> = <name>-<label>[-keep-…][-drift-…][-…-vs-rest] under docs/benchmarks/active-learning "
        f"for the example corpus, under {OWN_RESULTS}/ in the current folder for your own)",
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the runs already in --out's results and do the rest"
    )
    parser.add_argument("--report-only", action="store_true", help="rebuild the table and figure from --out's results")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="small and fast (what CI runs): 2 seeds, 120 texts of 64 tokens, batch 16 to 48 labels, "
        "results in test-artifacts/bench-smoke",
    )
    args = parser.parse_args(argv)
    args.small_text = [learner for learner in args.small_text if learner != "none"]
    unknown = [name for name in args.strategies or [] if not strategy_variants.known(name)]
    if unknown:
        parser.error(f"unknown strategies {', '.join(unknown)}; choose from {', '.join(strategies.CHOICES)}")
    for option, values in (("--keep", args.keep or []), ("--drift", [args.drift] if args.drift else [])):
        for value in values:
            name, equals, rest = value.partition("=")
            if not (name and equals and rest) or (option == "--keep" and not _fraction(rest)):
                parser.error(
                    f"{option} {value}: expected {'LABEL=FRACTION (0 < FRACTION ≤ 1)' if option == '--keep' else 'COLUMN=VALUE[,VALUE…]'}"
                )
    if args.smoke:
        args.seeds, args.pool_size, args.test_size, args.batch, args.budget, args.setfit_steps = 2, 120, 60, 16, 48, 1
        args.max_seq_length = 64  # the tables, not the texts: a quarter of the attention of 128 tokens
        args.learners, args.body = ["setfit-head"], args.body or "minilm"  # the small body: CI times the tables, not it
        args.small_text = list(small_text_runs.LEARNERS)  # every integration, so that none rots
        args.setfit_seeds = 1  # one seed (and one strategy) shows its SetFit integration still runs: most of the time
        args.strategies = args.strategies or list(dict.fromkeys(["random", strategies.DEFAULT, "hedged"]))
        args.out = args.out or ROOT / "test-artifacts" / "bench-smoke"
    args.strategies = args.strategies or list(dict.fromkeys([*BUCLE_STRATEGIES, strategies.DEFAULT]))
    if args.setfit_seeds is not None and args.setfit_seeds < 1:
        parser.error("--setfit-seeds must be at least 1 (--small-text without setfit leaves it out)")
    if args.seed_size >= args.budget:
        parser.error("--budget must be larger than --seed-size")
    return args


def _fraction(text: str) -> bool:
    try:
        return 0 < float(text) <= 1
    except ValueError:
        return False


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def embed(corpus: Corpus, body: str, max_seq_length: int, cache_path: Path) -> tuple[np.ndarray, ...]:
    """The pool's, the test set's and the target's embeddings."""
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(cache_path)
    try:
        model = SetFitClassifier(corpus.classes, body=body, max_seq_length=max_seq_length, cache=cache)
        return tuple(
            model.embed(texts) if texts else None
            for texts in (corpus.pool_texts, corpus.test_texts, corpus.target_texts)
        )
    finally:
        cache.close()


RESULT_SETTINGS = (
    "pool",
    "test",
    "text",
    "label",
    "keep",
    "drift",
    "one_vs_rest",
    "target",
    "seed_size",
    "batch",
    "budget",
    "body",
    "max_seq_length",
    "setfit_steps",
    "pool_size",
    "test_size",
)  # what changes a curve: --resume needs them equal


class Results:
    """Curves and full-data scores, saved after every run so that a long benchmark stopped
    anywhere is resumed with ``--resume`` (the settings that shape a curve must match)."""

    def __init__(self, path: Path, settings: dict) -> None:
        self.path, self.settings = path, settings
        self.curves: dict[str, list[Curve]] = {}
        self.full: dict[str, dict[str, float]] = {}  # learner -> seed -> macro-F1 on every pool label

    @classmethod
    def resume(cls, path: Path, settings: dict) -> "Results":
        results = cls(path, settings)
        if path.exists():
            saved = json.loads(path.read_text(encoding="utf-8"))
            different = [k for k in RESULT_SETTINGS if saved["settings"].get(k) != settings.get(k)]
            if different:
                raise ValueError(
                    f"{path} was run with other settings ({', '.join(different)}); drop --resume or --out elsewhere"
                )
            results.curves = {m: [Curve(**c) for c in runs] for m, runs in saved["curves"].items()}
            results.full = saved["full_data_by_seed"]
        return results

    def has(self, method: str, seed: int) -> bool:
        return any(c.seed == seed for c in self.curves.get(method, []))

    def full_means(self) -> dict[str, float]:
        return {learner: float(np.mean(list(by_seed.values()))) for learner, by_seed in self.full.items()}

    def save(self, summaries: dict[str, Summary] | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(
                {
                    "settings": self.settings,
                    "small_text": small_text_runs.installed(),
                    "full_data_macro_f1": self.full_means(),
                    "full_data_by_seed": self.full,
                    "summaries": {method: asdict(s) for method, s in (summaries or {}).items()},
                    "curves": {method: [asdict(c) for c in runs] for method, runs in self.curves.items()},
                },
                indent=1,
            ),
            encoding="utf-8",
        )


def simulate(args: argparse.Namespace, corpus: Corpus, results: Results) -> None:
    """Every method for every seed, the cheap ones first (bucle's, then small-text's head, then
    its SetFit, which takes most of the time), and each learner's macro-F1 with every pool label."""
    body = body_path(args.body) if "setfit-head" in args.learners or args.small_text else None
    embeddings = test_embeddings = target_embeddings = None
    if body is not None:  # TF-IDF alone reads no body: nothing to load or embed
        start = time.perf_counter()
        embeddings, test_embeddings, target_embeddings = embed(corpus, body, args.max_seq_length, args.cache)
        texts = len(corpus.pool_texts) + len(corpus.test_texts) + len(corpus.target_texts)
        say(f"embedded {texts} texts in {time.perf_counter() - start:.1f} s")
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(args.cache)
    bucle_learners = bucle_runs.learners(corpus.classes, body, args.max_seq_length, cache)
    lsa = lsa_vectors(corpus.pool_texts + corpus.target_texts)  # one space for both, as the loop fits it
    pool_size = len(corpus.pool_texts)
    spaces = {  # each learner's own (loop.text_space): the pool's vectors and the target's (None without one)
        "setfit-head": (embeddings, target_embeddings),
        "tfidf": (lsa[:pool_size], lsa[pool_size:]),
    }
    if len(corpus.target_texts) < MIN_TARGET:  # as the loop does with a test set this small
        spaces = {learner: (vectors, None) for learner, (vectors, _) in spaces.items()}
    small_text = (
        small_text_runs.SmallText(corpus, embeddings, test_embeddings, body, args.max_seq_length, args.setfit_steps)
        if args.small_text
        else None
    )
    positions = {str(i): label for i, label in enumerate(corpus.pool_labels)}
    seed_sets = [[int(i) for i in stratified_sample(positions, args.seed_size, seed)] for seed in range(args.seeds)]
    groups = [("bucle", learner, args.strategies) for learner in args.learners]
    # the smoke run's SetFit: breaking ties alone shows the integration runs (small-text's random runs with the head)
    setfit_strategies = small_text_runs.STRATEGIES[:1] if args.smoke else small_text_runs.STRATEGIES
    groups += [
        ("small-text", learner, setfit_strategies if learner == "setfit" else small_text_runs.STRATEGIES)
        for learner in args.small_text
    ]
    seeds = {learner: range(args.seeds) for learner in (*args.learners, *args.small_text)}
    seeds["setfit"] = range(min(args.seeds, args.setfit_seeds or args.seeds))
    jobs = [
        (family, learner, name, seed) for family, learner, names in groups for seed in seeds[learner] for name in names
    ]
    todo = sum(not results.has(f"{family} · {name} · {learner}", seed) for family, learner, name, seed in jobs)
    began, done = time.perf_counter(), 0
    try:
        # one BLAS thread, as a round's fit (the SetFit head on e5: 26 s alone against 46 s with
        # two threads, the same curves), so the make targets run two of these processes side by side
        with progress("active-learning runs", len(jobs)) as advance, one_blas_thread():
            for family, learner, name, seed in jobs:
                method = f"{family} · {name} · {learner}"
                if results.has(method, seed):
                    advance(1)
                    continue
                full = results.full.setdefault(f"{family} · {learner}", {})
                if str(seed) not in full:
                    if family == "bucle" and full:
                        # bucle's learners fit one model whatever the seed (deterministic solvers; the
                        # seed only splits the calibration folds, which change no prediction): fitted once
                        full[str(seed)] = next(iter(full.values()))
                    elif family == "bucle":
                        full[str(seed)] = bucle_runs.full_data_f1(corpus, bucle_learners[learner], seed)
                    else:
                        full[str(seed)] = small_text.full_data_f1(learner, seed)
                start = time.perf_counter()
                curve = (
                    bucle_runs.run(
                        corpus,
                        name,
                        learner,
                        bucle_learners[learner],
                        *spaces[learner],
                        seed,
                        seed_sets[seed],
                        args.batch,
                        args.budget,
                    )
                    if family == "bucle"
                    else small_text.run(name, learner, seed, seed_sets[seed], args.batch, args.budget)
                )
                results.curves.setdefault(method, []).append(curve)
                results.save()
                done += 1
                elapsed = time.perf_counter() - began
                say(
                    f"seed {seed + 1}/{args.seeds} · {method}: macro-F1 {curve.macro_f1[0]:.3f} → {curve.macro_f1[-1]:.3f} "
                    f"at {curve.labels[-1]} labels ({time.perf_counter() - start:.0f} s); run {done} of {todo}, "
                    f"{elapsed / 60:.1f} min so far, about {elapsed / done * (todo - done) / 60:.0f} min left"
                )
                advance(1)
    finally:
        cache.close()


def setting_name(corpus: Corpus, args: argparse.Namespace) -> str:
    """The default --out folder: the corpus, its label column and what was made of it, so that no
    setting overwrites another's tables."""
    name = f"{corpus.name}-{args.label}"
    if args.keep:
        name += "-keep-" + "-".join(kept.replace("=", "-") for kept in args.keep)
    if args.drift:
        name += "-drift-" + args.drift.replace("=", "-").replace(",", "-")
    return name + (f"-{args.one_vs_rest}-vs-rest" if args.one_vs_rest else "")


def learner_of(method: str) -> str:
    family, _, learner = (part.strip() for part in method.split("·"))
    return f"{family} · {learner}"


def random_of(method: str) -> str:
    family, _, learner = (part.strip() for part in method.split("·"))
    return f"{family} · random · {learner}"


def table(
    summaries: dict[str, Summary], matched: dict[str, float | None], args: argparse.Namespace, corpus: Corpus
) -> str:
    """``matched``: each method's labels to random's final macro-F1 as a multiple of random's (``match_ratio``)."""
    lines = [
        f"Corpus `{corpus.name}`: pool {len(corpus.pool_texts)}, test {len(corpus.test_texts)}"
        f"{f' (scored; {len(corpus.target_texts)} more test texts steer typicality)' if corpus.target_texts else ''}"
        f", classes {', '.join(corpus.classes)}"
        f"{' (only a fraction of some labels kept: ' + ' '.join(args.keep) + ')' if args.keep else ''}"
        f"{f' (drift: the pool without {args.drift}, the test set only those)' if args.drift else ''}"
        f"{f' ({args.one_vs_rest} against the rest of --label {args.label})' if args.one_vs_rest else ''}; "
        f"{args.seeds} seeds, seed set {args.seed_size}, batch {args.batch}, budget {args.budget} labels, "
        f"max_seq_length {args.max_seq_length}; small-text SetFit: {args.setfit_steps} fine-tuning steps per round.",
        "",
        "| method (family · strategy · learner) | full-data macro-F1 | macro-F1 at budget | AULC | "
        f"labels to {FRACTION:.0%} of full | × random's labels | × random's labels to random's final macro-F1 | s/round |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for method, s in summaries.items():
        baseline = summaries.get(random_of(method))
        match = (
            "—"
            if baseline is None or baseline is s
            else (fmt(matched[method], 2) if matched.get(method) else "not reached")
        )
        method = method if s.seeds == args.seeds else f"{method} ({s.seeds} seed{'s' if s.seeds > 1 else ''})"
        ratio = label_ratio(s, baseline) if baseline is not None and baseline is not s else None
        reach = (
            f"{s.to_target:.0f}"
            if s.to_target is not None
            else f"not within {args.budget} ({s.reached}/{s.seeds} seeds)"
        )
        lines.append(
            f"| {method} | {s.full_f1:.3f} | {s.final_f1:.3f} ± {s.final_f1_sd:.3f} | {s.aulc:.3f} ± {s.aulc_sd:.3f} | "
            f"{reach} | {fmt(ratio, 2)} | {match} | {s.seconds_per_round:.2f} |"
        )
    already = sorted({learner_of(m) for m, s in summaries.items() if s.to_target == args.seed_size})
    if already:
        lines += [
            "",
            f"Labels to {FRACTION:.0%} of full count from where a curve stays there; the seed set alone "
            f"({args.seed_size} labels) is already there for {', '.join(already)}: those ratios say nothing.",
        ]
    return "\n".join(lines)


CHANCE_MARGIN = 0.05  # a learner within this much of chance with every label tells nothing about strategies


def at_chance(full: dict[str, float], classes: int) -> dict[str, float]:
    """Learners whose full-data macro-F1 is within ``CHANCE_MARGIN`` of chance (1/classes: guessing
    with the label distribution, which no constant guess beats), with that macro-F1."""
    return {learner: f1 for learner, f1 in full.items() if f1 < 1 / classes + CHANCE_MARGIN}


def verdicts(
    summaries: dict[str, Summary],
    curves: dict[str, list[Curve]],
    matched: dict[str, float | None],
    args: argparse.Namespace,
    chance: dict[str, float],
    classes: int,
) -> list[str]:
    """The targets, for the default strategy with each learner; "not meaningful" for a learner at
    chance."""
    lines = [
        f"- {learner}: not meaningful: with every pool label its macro-F1 is {f1:.3f}, within {CHANCE_MARGIN} of "
        f"chance ({1 / classes:.3f}); its curves say nothing about the strategies."
        for learner, f1 in chance.items()
    ]
    for learner in args.learners:
        default = summaries.get(f"bucle · {strategies.DEFAULT} · {learner}")
        if default is not None and f"bucle · {learner}" not in chance:
            lines += _verdict(default, summaries, curves, matched.get(default.method))
    return lines


def _verdict(
    default: Summary, summaries: dict[str, Summary], curves: dict[str, list[Curve]], match: float | None
) -> list[str]:
    lines = []
    random = random_of(default.method)
    if random in curves:
        labels, mine, _ = mean_curve(curves[default.method])
        theirs = dict(zip(*mean_curve(curves[random])[:2]))
        below = [f"{n} ({f1:.3f} vs {theirs[n]:.3f})" for n, f1 in zip(labels, mine) if n in theirs and f1 < theirs[n]]
        lines.append(
            f"- Default ({default.method}) never below random sampling (mean curves): "
            + ("met." if not below else f"NOT met at {', '.join(below)}.")
        )
        lines.append(
            f"- Default ({default.method}) reaches random sampling's final macro-F1 with "
            + (f"{match:.2f}× random's labels." if match is not None else "— (never within the budget).")
        )
    ratio = label_ratio(default, summaries[random]) if random in summaries else None
    if ratio is None and random in curves and default.to_target is not None:  # random did not get there: a bound
        bound = default.to_target / labels_to_reach_at_least(curves[random], FRACTION * default.full_f1)
        verdict = "met" if bound <= TARGET_RATIO else "not measurable"
        lines.append(
            f"- Default ({default.method}) needs under {bound:.2f}× the labels random sampling needs to reach "
            f"{FRACTION:.0%} of full-data macro-F1 (random did not get there with every seed within the budget): "
            f"target ≤ {TARGET_RATIO:.2f}× {verdict}."
        )
    elif ratio is not None:
        lines.append(
            f"- Default ({default.method}) needs {ratio:.2f}× the labels random sampling needs to reach "
            f"{FRACTION:.0%} of full-data macro-F1: target ≤ {TARGET_RATIO:.2f}× {'met' if ratio <= TARGET_RATIO else 'NOT met'}"
            f" (goal {GOAL_RATIO:.2f}×: {'met' if ratio <= GOAL_RATIO else 'not yet'})."
        )
    else:
        lines.append(
            f"- Default ({default.method}) vs random, labels to {FRACTION:.0%} of full-data macro-F1: not measurable "
            "(one of them did not reach it with every seed within the budget)."
        )
    rivals = [s for name, s in summaries.items() if name.startswith("small-text")]
    if rivals:
        best = max(rivals, key=lambda s: s.aulc)
        verdict = (
            "met"
            if default.aulc >= best.aulc
            else ("within one sd" if default.aulc + default.aulc_sd >= best.aulc else "NOT met")
        )
        lines.append(
            f"- Default ({default.method}) AULC {default.aulc:.3f} vs small-text's best ({best.method}) {best.aulc:.3f}: "
            f"no worse {verdict}; at the budget {default.final_f1:.3f} vs {best.final_f1:.3f}."
        )
    return lines


def plot(
    curves: dict[str, list[Curve]], full: dict[str, float], path: Path, args: argparse.Namespace, title_corpus: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    defaults = {f"bucle · {strategies.DEFAULT} · {learner}" for learner in args.learners}
    panels: dict[str, list[str]] = {}  # one per learner: every strategy that refits it
    for method in curves:
        panels.setdefault(learner_of(method), []).append(method)
    columns = min(2, len(panels))
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 4.5 * rows), sharey=True, squeeze=False)
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis, (title, methods) in zip(axes.flat, panels.items()):
        for method in methods:
            labels, means, sds = mean_curve(curves[method])
            strategy = method.split("·")[1].strip()
            line = axis.plot(labels, means, label=strategy, linewidth=2.2 if method in defaults else 1.2)[0]
            axis.fill_between(labels, np.subtract(means, sds), np.add(means, sds), color=line.get_color(), alpha=0.15)
        axis.axhline(FRACTION * full[title], linestyle="--", linewidth=0.8, color="grey")
        axis.annotate(
            f"{FRACTION:.0%} of full data",
            (args.budget, FRACTION * full[title]),
            fontsize=7,
            ha="right",
            va="bottom",
            color="grey",
        )
        axis.set(title=title, xlabel="labels", ylabel="macro-F1 (test)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="lower right")
    figure.suptitle(f"Label efficiency on {title_corpus}: mean ± sd over {args.seeds} seeds")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def quiet() -> None:
    """SetFit, transformers and datasets print a bar or a notice per fit: hundreds per run."""
    import logging
    import os
    import warnings

    os.environ["TQDM_DISABLE"] = "1"  # the Trainer's own bars
    from datasets.utils.logging import disable_progress_bar
    from setfit import logging as setfit_logging
    from transformers.utils import logging as transformers_logging

    disable_progress_bar()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    setfit_logging.set_verbosity_error()
    logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet()
    if args.small_text and small_text_runs.installed() is None:
        say("small-text is not installed (pip install -e '.[dev]'); leaving it out")
        args.small_text = []
    try:
        column, _, values = (args.drift or "").partition("=")
        corpus = load_corpus(args.pool, args.test, args.text, args.label, args.name, column or None)
        if args.drift:
            corpus = corpus.drift(set(values.split(",")))
        for kept in args.keep or []:
            label, _, fraction = kept.partition("=")
            corpus = corpus.thin(label, float(fraction))
        if args.one_vs_rest:
            corpus = corpus.one_vs_rest(args.one_vs_rest)
        corpus = corpus.subsample(args.pool_size, args.test_size)
        if args.target == "test-half":
            corpus = corpus.steered()
    except (BucleError, OSError, ValueError) as error:
        say(f"cannot read the corpus: {error}")
        return 2
    example = is_example(args.pool)
    args.out = args.out or (RESULTS if example else OWN_RESULTS) / setting_name(corpus, args)
    args.cache = args.cache or (EXAMPLE_CACHE if example else OWN_RESULTS / "embeddings.sqlite")
    if not example:
        say(f"your corpus: results go to {args.out.resolve()}, its embeddings to {args.cache.resolve()}")
    with held(args.out):
        return measure(args, corpus)


@contextmanager
def held(folder: Path) -> Iterator[None]:
    """``folder`` for this process alone until it is done: a run reads the folder's results once
    and saves them whole after every curve, so two runs into one folder at once (as
    ``bench/label_efficiency.py`` could start them) would each write the other's curves away;
    the second waits for the first."""
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another run is writing {folder}: waiting until it is done")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def measure(args: argparse.Namespace, corpus: Corpus) -> int:
    """Runs what ``args`` asks for that the folder lacks, then writes its table, JSON and plot."""
    stem = "active_learning"
    settings = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()}
    try:
        path = args.out / f"{stem}.json"
        results = Results.resume(path, settings) if args.resume or args.report_only else Results(path, settings)
    except ValueError as error:
        say(str(error))
        return 2
    if args.report_only:
        ran = max((len(runs) for runs in results.curves.values()), default=args.seeds)
        if ran != args.seeds:  # the table would say "(3 seeds)" of every method and compare means over different seeds
            say(f"{path} was run with --seeds {ran}, not {args.seeds}: pass the --seeds it was run with")
            return 2
    else:
        simulate(args, corpus, results)
    full = results.full_means()
    summaries = {
        method: summarise(sorted(runs, key=lambda c: c.seed), full[learner_of(method)], FRACTION)
        for method, runs in results.curves.items()
    }
    matched = {
        method: match_ratio(runs, results.curves[random_of(method)])
        for method, runs in results.curves.items()
        if random_of(method) in results.curves
    }
    report = (
        table(summaries, matched, args, corpus)
        + "\n\n"
        + "\n".join(
            verdicts(
                summaries, results.curves, matched, args, at_chance(full, len(corpus.classes)), len(corpus.classes)
            )
        )
    )
    print(report)
    (args.out / f"{stem}.md").write_text(report + "\n", encoding="utf-8")
    results.save(summaries)
    plot(results.curves, full, args.out / f"{stem}.png", args, f"{corpus.name} ({args.label})")
    say(f"wrote {args.out / stem}.md, .json and .png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
