"""One table over every label-efficiency setting, and a verdict per strategy from its worst one.

A default that wins on average can still lose badly on the kind of corpus a project brings; so
each strategy is judged on the setting where it does worst against random sampling (the same
learner, seeds and batches): the largest shortfall of its mean curve below random's at any
budget, its AULC against random's, and the labels it needs to reach 95% of full-data macro-F1
(counted from the budget where the mean curve gets there and stays) as a multiple of random's.
The shortfall carries the standard error of its per-seed differences (every method starts from
the same seed set for a seed, so the differences are paired): with a few seeds a shortfall of
0.01 is within the noise, and the verdict says how many standard errors separate it from the
tolerance. A ``random@redraw`` row (random sampling on other draws, against random) is chance's
own yardstick: the shortfall a method exactly as good as random shows at these seeds. The label
ratio carries its range over resamples of the seeds (``ratio_range``): near 95% of full the
curves are flat, so a small shift of a mean curve moves the budget where it arrives by a batch
or more, and the range says whether more seeds could change a verdict on it.

    python bench/worst_setting.py docs/benchmarks/active-learning/target   # the folders make bench-label-efficiency fills
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this folder has a file named like the `training` package: import the package

from bench.strategy_variants import REDRAW_SUFFIX, split  # noqa: E402
from bench.learning_curves import Curve, area_under_curve, mean_curve, stays_from  # noqa: E402

TOLERANCE = 0.01  # "never below random" allows this much macro-F1 on a mean curve
TARGET_RATIO = 0.80
FRACTION = 0.95
RESAMPLES = 2000  # of the seeds, for the label ratio's range
RANGE = (5, 95)  # its percentiles: a 90% range


@dataclass(frozen=True)
class Row:
    setting: str
    method: str
    worst_gap: float  # the most negative (method − random) over shared budgets after the seed set
    worst_at: int
    worst_se: float | None  # standard error of the paired per-seed differences there (None with one seed)
    aulc: float
    random_aulc: float
    aulc_se: float | None  # standard error of the paired per-seed AULC differences
    to_target: int | None  # labels from which the mean curve stays at or above 95% of full
    random_to_target: int | None
    ratio_range: tuple[float, float] | None = None  # the label ratio's 90% range over resampled seeds

    @property
    def ratio(self) -> str:
        if self.to_target is None:
            return "not within the budget"
        if self.random_to_target is None:
            return "random not within the budget"
        return f"{self.to_target / self.random_to_target:.2f}×" + (f"; {self.spread}" if self.ratio_range else "")

    @property
    def spread(self) -> str:
        low, high = (f"{x:.2f}" if math.isfinite(x) else "∞" for x in self.ratio_range or ())
        return f"90% {low}–{high}"

    @property
    def area(self) -> str:
        return (
            f"{self.aulc:.3f} ({self.random_aulc:.3f}"
            + (f"; ± {self.aulc_se:.3f}" if self.aulc_se is not None else "")
            + ")"
        )

    @property
    def gap(self) -> str:
        return f"{self.worst_gap:+.3f}" + (f" ± {self.worst_se:.3f}" if self.worst_se is not None else "")


def _shortfall_verdict(row: Row) -> str:
    """Met or not against the tolerance, and how far in standard errors: a miss within two of
    them is one more seeds may undo (or confirm)."""
    met = row.worst_gap >= -TOLERANCE
    if row.worst_se is None or row.worst_se == 0:
        return "met" if met else "NOT met"
    errors = abs(row.worst_gap + TOLERANCE) / row.worst_se
    return f"{'met' if met else 'NOT met'}, {errors:.1f} standard errors {'inside' if met else 'beyond'} it"


def ratio_range(runs: list[Curve], random: list[Curve], target: float) -> tuple[float, float] | None:
    """The label ratio's 90% range over ``RESAMPLES`` resamples of the seeds, each taking a
    seed's curves of both methods (they share its seed set); a resample where random's mean curve
    does not get to ``target`` within the budget while the method's does counts 0, the other way
    round ∞. None with one seed, curves over different budgets, or where a tenth of the resamples
    get there with neither."""
    theirs = {c.seed: c for c in random}
    pairs = [(c, theirs[c.seed]) for c in runs if c.seed in theirs]
    labels = pairs[0][0].labels if pairs else []
    if len(pairs) < 2 or any(mine.labels != labels or base.labels != labels for mine, base in pairs):
        return None
    draws = np.random.default_rng(0).integers(0, len(pairs), (RESAMPLES, len(pairs)))
    means = [np.array([c.macro_f1 for c in side])[draws].mean(axis=1) for side in zip(*pairs)]
    ratios = []
    for mine, base in zip(*means):
        arrived = stays_from(labels, mine.tolist(), target), stays_from(labels, base.tolist(), target)
        if arrived != (None, None):
            ratios.append(math.inf if arrived[0] is None else 0.0 if arrived[1] is None else arrived[0] / arrived[1])
    if len(ratios) < 0.9 * RESAMPLES:
        return None
    low, high = np.percentile(ratios, RANGE, method="inverted_cdf")  # ratios that occurred: ∞ never enters arithmetic
    return float(low), float(high)


def rows_of(setting: Path) -> list[Row]:
    saved = json.loads((setting / "active_learning.json").read_text(encoding="utf-8"))
    curves = {method: [Curve(**c) for c in runs] for method, runs in saved["curves"].items()}
    rows = []
    for method, runs in curves.items():
        family, strategy, learner = (part.strip() for part in method.split("·"))
        seeds = {c.seed for c in runs}
        random = [c for c in curves.get(f"{family} · random · {learner}", []) if c.seed in seeds]
        if strategy == "random" or not random:
            continue  # a method is set against random on the seeds both ran: the pairs share seed sets
        full = saved["full_data_macro_f1"][f"{family} · {learner}"]
        labels, mine, _ = mean_curve(runs)
        base_labels, base_means, _ = mean_curve(random)
        theirs = dict(zip(base_labels, base_means))
        gaps = [(f1 - theirs[n], n) for n, f1 in zip(labels[1:], mine[1:]) if n in theirs]  # the seed set is shared
        gap, at = min(gaps)
        by_seed = {c.seed: dict(zip(c.labels, c.macro_f1)) for c in random}
        paired = [
            dict(zip(c.labels, c.macro_f1))[at] - by_seed[c.seed][at] for c in runs if at in by_seed.get(c.seed, {})
        ]
        se = statistics.stdev(paired) / len(paired) ** 0.5 if len(paired) > 1 else None
        randoms = {c.seed: area_under_curve(c) for c in random}
        areas = [area_under_curve(c) - randoms[c.seed] for c in runs if c.seed in randoms]
        aulc_se = statistics.stdev(areas) / len(areas) ** 0.5 if len(areas) > 1 else None
        rows.append(
            Row(
                setting.name,
                method,
                gap,
                at,
                se,
                statistics.fmean(area_under_curve(c) for c in runs),
                statistics.fmean(area_under_curve(c) for c in random),
                aulc_se,
                stays_from(labels, mine, FRACTION * full),
                stays_from(base_labels, base_means, FRACTION * full),
                ratio_range(runs, random, FRACTION * full),
            )
        )
    return rows


def _is_chance(method: str) -> bool:
    return split(method.split("·")[1].strip()) == ("random", REDRAW_SUFFIX)


def _worst(rows: list[Row]) -> tuple[Row, Row, tuple[float, Row] | None]:
    """The rows with the largest shortfall and the lowest AULC against random, and the highest
    label ratio with its row (None where no setting has both reaching 95% of full)."""
    ratios = [(r.to_target / r.random_to_target, r) for r in rows if r.to_target and r.random_to_target]
    return (
        min(rows, key=lambda r: r.worst_gap),
        min(rows, key=lambda r: r.aulc - r.random_aulc),
        max(ratios, key=lambda ratio: ratio[0]) if ratios else None,
    )


def _against_chance(mine: list[Row], rows: list[Row]) -> str:
    """The method's three worsts beside chance's (``random@redraw`` with the same learner, on the
    same settings): a worst no lower than chance's is within what the seeds can tell apart."""
    family, strategy, learner = (part.strip() for part in mine[0].method.split("·"))
    chance_method = f"{family} · random{REDRAW_SUFFIX} · {learner}"
    settings = {r.setting for r in mine}
    chance = [r for r in rows if r.method == chance_method and r.setting in settings]
    if not chance or _is_chance(mine[0].method):
        return ""
    (gap, aulc, ratio), (own_gap, own_aulc, own_ratio) = _worst(chance), _worst(mine)
    within = [
        own_gap.worst_gap >= gap.worst_gap,
        own_aulc.aulc - own_aulc.random_aulc >= aulc.aulc - aulc.random_aulc,
        own_ratio is None or (ratio is not None and own_ratio[0] <= ratio[0]),
    ]
    return (
        f" Chance (random{REDRAW_SUFFIX}, {len(chance)} of these settings): worst shortfall {gap.worst_gap:+.3f}, "
        f"AULC {aulc.aulc - aulc.random_aulc:+.3f}, label ratio {f'{ratio[0]:.2f}×' if ratio else '—'}; "
        f"this method's worst is no worse than chance's on {sum(within)} of the 3."
    )


def report(folder: Path) -> str:
    settings = sorted(p.parent for p in folder.glob("*/active_learning.json"))
    if not settings:
        raise SystemExit(f"no active_learning.json under {folder}: run make bench-label-efficiency first")
    rows = [row for setting in settings for row in rows_of(setting)]
    lines = [
        f"| setting | method | worst (method − random) ± s.e., at labels | AULC (random's; ± s.e. of the difference) | labels to {FRACTION:.0%} of full, "
        "kept (× random) |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r.setting} | {r.method} | {r.gap} at {r.worst_at} | {r.area} | "
        f"{r.to_target if r.to_target is not None else '—'} ({r.ratio}) |"
        for r in rows
    ]
    lines.append("")
    for method in dict.fromkeys(r.method for r in rows):
        mine = [r for r in rows if r.method == method]
        worst, aulc, ratio = _worst(mine)
        lines.append(
            f"- {method}: worst shortfall {worst.gap} ({worst.setting}, {worst.worst_at} labels; "
            f"target ≥ −{TOLERANCE}: {_shortfall_verdict(worst)}); "
            f"worst AULC against random {aulc.aulc - aulc.random_aulc:+.3f} ({aulc.setting}; target ≥ 0: "
            f"{'met' if aulc.aulc >= aulc.random_aulc else 'NOT met'}); "
            + (
                f"worst label ratio {ratio[0]:.2f}× ({ratio[1].setting}"
                + (f", {ratio[1].spread} over resampled seeds" if ratio[1].ratio_range else "")
                + f"; target ≤ {TARGET_RATIO:.2f}×: {'met' if ratio[0] <= TARGET_RATIO else 'NOT met'})"
                if ratio
                else "no setting where both reach 95% of full"
            )
            + f"; {len(mine)} settings."
            + _against_chance(mine, rows)
        )
    if any(_is_chance(r.method) for r in rows):
        lines.append(
            f"- random{REDRAW_SUFFIX} is random sampling on other draws: what chance alone costs a method no better "
            "than random at these seeds (its shortfall is noise, not a loss)."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a folder of setting folders, each with its active_learning.json")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here (Markdown)")
    args = parser.parse_args(argv)
    text = report(args.folder)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
