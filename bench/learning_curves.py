"""Learning curves and the numbers read off them: labels to reach a target, area under the curve.

A curve is macro-F1 on the frozen test set after each round, against the number of labels the
model was trained on. Every run of one method (strategy × learner) starts from the same seed
set and grows by the same batch, so curves of different methods share their x values.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


@dataclass
class Curve:
    method: str
    seed: int
    labels: list[int] = field(default_factory=list)
    macro_f1: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # per round: fit + score + select

    def add(self, labels: int, macro_f1: float, seconds: float) -> None:
        self.labels.append(labels)
        self.macro_f1.append(macro_f1)
        self.seconds.append(seconds)


def stays_from(labels: list[int], values: list[float], target: float) -> int | None:
    """The label count from which the curve stays at or above ``target`` to its end (a curve that
    touches the target and drops again has not arrived); None if it ends below."""
    start = None
    for n, value in zip(labels, values):
        start = (start or n) if value >= target else None
    return start


def labels_to_reach(curve: Curve, target: float) -> int | None:
    """The fewest labels from which the curve stays at or above ``target``; None if it ends below."""
    return stays_from(curve.labels, curve.macro_f1, target)


def area_under_curve(curve: Curve) -> float:
    """Normalised area under the learning curve (trapezoids over the labelled range, divided by
    its width): the mean macro-F1 an annotator sees along the way, in [0, 1]."""
    if len(curve.labels) < 2:
        return curve.macro_f1[0] if curve.macro_f1 else float("nan")
    area = sum(
        (x1 - x0) * (y0 + y1) / 2
        for x0, x1, y0, y1 in zip(curve.labels, curve.labels[1:], curve.macro_f1, curve.macro_f1[1:])
    )
    return area / (curve.labels[-1] - curve.labels[0])


@dataclass(frozen=True)
class Summary:
    """One method over its seeds."""

    method: str
    seeds: int
    full_f1: float  # the same learner trained on every pool label (mean over seeds)
    final_f1: float
    final_f1_sd: float
    aulc: float
    aulc_sd: float
    to_target: float | None  # mean labels to reach 95% of full_f1; None unless every seed reached it
    reached: int  # how many seeds reached it within the label budget
    seconds_per_round: float


def mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(curves: list[Curve], full_f1: float, fraction: float = 0.95) -> Summary:
    target = fraction * full_f1
    reach = [labels_to_reach(c, target) for c in curves]
    reached = [n for n in reach if n is not None]
    final, final_sd = mean_sd([c.macro_f1[-1] for c in curves])
    aulc, aulc_sd = mean_sd([area_under_curve(c) for c in curves])
    return Summary(
        curves[0].method,
        len(curves),
        full_f1,
        final,
        final_sd,
        aulc,
        aulc_sd,
        statistics.fmean(reached) if len(reached) == len(curves) else None,
        len(reached),
        statistics.fmean(s for c in curves for s in c.seconds),
    )


def mean_curve(curves: list[Curve]) -> tuple[list[int], list[float], list[float]]:
    """Label counts shared by every seed's curve, with the mean and standard deviation there."""
    shared = sorted(set.intersection(*(set(c.labels) for c in curves)))
    rows = [[dict(zip(c.labels, c.macro_f1))[n] for c in curves] for n in shared]
    means, sds = zip(*(mean_sd(row) for row in rows)) if rows else ((), ())
    return shared, list(means), list(sds)


def label_ratio(method: Summary, baseline: Summary) -> float | None:
    """Labels a method needs to reach its target as a fraction of what the baseline needs (None
    unless both reached it with every seed)."""
    if method.to_target is None or baseline.to_target is None:
        return None
    return method.to_target / baseline.to_target


def labels_to_reach_at_least(curves: list[Curve], target: float) -> float:
    """A lower bound on the mean labels to reach ``target``: a seed that never got there within its
    curve counts as its last label count (it needs more)."""
    return statistics.fmean(labels_to_reach(c, target) or c.labels[-1] for c in curves)


def match_ratio(method: list[Curve], baseline: list[Curve]) -> float | None:
    """Labels a method needs to reach the baseline's final macro-F1, as a fraction of the labels
    the baseline itself needed to get there (both on mean curves): the saving at equal quality,
    measurable where the 95%-of-full target lies beyond the budget. None if the method never
    reaches it."""
    base_labels, base_means, _ = mean_curve(baseline)
    labels, means, _ = mean_curve(method)
    target = base_means[-1]
    mine = next((n for n, f1 in zip(labels, means) if f1 >= target), None)
    theirs = next(n for n, f1 in zip(base_labels, base_means) if f1 >= target)
    return None if mine is None else mine / theirs


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"
