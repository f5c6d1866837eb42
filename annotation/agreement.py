"""From annotators' answers to one label per record, and how far annotators agree.

Pure functions over ``Answer`` tuples (no Argilla here), so the loop, the card and the tests
share them. Single-label: majority vote, a tie is flagged for review and left unlabelled.
Multi-label: each label is kept if more than half the record's annotators chose it, and a
label chosen by exactly half is a tie. Agreement: Krippendorff's alpha (nominal) and Fleiss'
kappa (generalised to a varying number of annotators per record) over records with two or more
answers, per label (the label against the rest) and overall.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence


@dataclass(frozen=True)
class Answer:
    record_id: str
    annotator: str
    value: str | tuple[str, ...]  # a tuple for multi-label answers


@dataclass(frozen=True)
class Decision:
    record_id: str
    label: str | tuple[str, ...] | None  # None: a tie, to be reviewed
    votes: int
    agreement: float  # share of annotators who gave the decided answer (1.0 when alone)
    tie: bool


@dataclass
class AgreementReport:
    records: int
    overlapping_records: int
    alpha: float | None
    kappa: float | None
    per_label_alpha: dict[str, float | None] = field(default_factory=dict)
    per_annotator: dict[str, int] = field(default_factory=dict)
    ties: int = 0


def _by_record(answers: Iterable[Answer]) -> dict[str, list[Answer]]:
    grouped: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        grouped[answer.record_id].append(answer)
    return grouped


def majority_vote(answers: Iterable[Answer]) -> list[Decision]:
    decisions = []
    for record_id, group in sorted(_by_record(answers).items()):
        n = len(group)
        if isinstance(group[0].value, tuple):
            counts = Counter(label for a in group for label in a.value)
            tie = any(2 * c == n for c in counts.values()) and n > 1
            chosen = tuple(sorted(label for label, c in counts.items() if 2 * c > n))
            same = sum(1 for a in group if tuple(sorted(a.value)) == chosen)
            decisions.append(Decision(record_id, None if tie else chosen, n, same / n, tie))
            continue
        counts = Counter(a.value for a in group)
        (top, top_count), *rest = counts.most_common()
        tie = bool(rest) and rest[0][1] == top_count
        decisions.append(Decision(record_id, None if tie else top, n, top_count / n, tie))
    return decisions


def krippendorff_alpha(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Nominal alpha; ``units`` holds each record's values (one per annotator). Units with a
    single value are not pairable and are left out; None when nothing is pairable or every
    value is the same (alpha is undefined)."""
    coincidences: Counter = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                coincidences[(c, k)] += pairs / (m - 1)
    totals: Counter = Counter()
    for (c, _k), value in coincidences.items():
        totals[c] += value
    n = sum(totals.values())
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    if n <= 1 or expected == 0:
        return None
    observed = sum(value for (c, k), value in coincidences.items() if c != k)
    return 1.0 - (n - 1) * observed / expected


def fleiss_kappa(units: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa over units with two or more values (each unit may have its own count)."""
    rated = [Counter(values) for values in units if len(values) >= 2]
    if not rated:
        return None
    agreement = [
        (sum(c * c for c in counts.values()) - sum(counts.values()))
        / (sum(counts.values()) * (sum(counts.values()) - 1))
        for counts in rated
    ]
    totals: Counter = Counter()
    for counts in rated:
        totals.update(counts)
    grand = sum(totals.values())
    chance = sum((count / grand) ** 2 for count in totals.values())
    if chance == 1.0:
        return None
    return (sum(agreement) / len(agreement) - chance) / (1.0 - chance)


def agreement_report(answers: Sequence[Answer], labels: Sequence[str]) -> AgreementReport:
    grouped = _by_record(answers)
    multi = any(isinstance(a.value, tuple) for a in answers)
    per_label = {}
    for label in labels:
        binary = [[label in a.value if multi else a.value == label for a in group] for group in grouped.values()]
        per_label[label] = krippendorff_alpha(binary)
    if multi:
        defined = [v for v in per_label.values() if v is not None]
        alpha = sum(defined) / len(defined) if defined else None
        units = [[tuple(sorted(a.value)) for a in group] for group in grouped.values()]
        kappa = fleiss_kappa(units)
    else:
        units = [[a.value for a in group] for group in grouped.values()]
        alpha, kappa = krippendorff_alpha(units), fleiss_kappa(units)
    return AgreementReport(
        records=len(grouped),
        overlapping_records=sum(1 for group in grouped.values() if len(group) >= 2),
        alpha=alpha,
        kappa=kappa,
        per_label_alpha=per_label,
        per_annotator=dict(sorted(Counter(a.annotator for a in answers).items())),
        ties=sum(1 for d in majority_vote(answers) if d.tie),
    )


def agreement_with(answers: Iterable[Answer], final: dict[str, object]) -> dict[str, list[int]]:
    """Per annotator, ``[agreed, answered]``: how many of their answers equal the record's final
    label (the consensus, or a reviewer's answer), over records that have one."""
    counts: dict[str, list[int]] = {}
    for answer in answers:
        if final.get(answer.record_id) is None:
            continue
        row = counts.setdefault(answer.annotator, [0, 0])
        value = tuple(sorted(answer.value)) if isinstance(answer.value, tuple) else answer.value
        wanted = final[answer.record_id]
        row[0] += value == (tuple(sorted(wanted)) if isinstance(wanted, (list, tuple)) else wanted)
        row[1] += 1
    return dict(sorted(counts.items()))
