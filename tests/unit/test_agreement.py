"""Agreement checked against published, hand-computed examples."""

import pytest

from bucle.annotation.agreement import Answer, agreement_report, fleiss_kappa, krippendorff_alpha, majority_vote


def test_krippendorff_alpha_matches_krippendorffs_own_example():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 coders, 12 units,
    # nominal data with missing values -> alpha = 0.743
    coders = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    units = [[v for v in unit if v is not None] for unit in zip(*coders)]
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_fleiss_kappa_matches_fleiss_worked_example():
    # Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories -> 0.210
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    units = [[category for category, n in enumerate(row) for _ in range(n)] for row in table]
    assert fleiss_kappa(units) == pytest.approx(0.210, abs=5e-4)


def test_perfect_agreement_and_undefined_cases():
    assert krippendorff_alpha([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert fleiss_kappa([["a", "a"], ["b", "b"]]) == pytest.approx(1.0)
    assert krippendorff_alpha([["a"], ["b"]]) is None  # nothing pairable
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None  # no variation


def test_majority_vote_flags_ties():
    answers = [
        Answer("r1", "ana", "falsa"),
        Answer("r1", "luis", "falsa"),
        Answer("r1", "eva", "verdadera"),
        Answer("r2", "ana", "falsa"),
        Answer("r2", "luis", "verdadera"),
        Answer("r3", "ana", "verdadera"),
    ]
    decisions = {d.record_id: d for d in majority_vote(answers)}
    assert decisions["r1"].label == "falsa" and decisions["r1"].agreement == pytest.approx(2 / 3)
    assert decisions["r2"].label is None and decisions["r2"].tie
    assert decisions["r3"].label == "verdadera" and decisions["r3"].agreement == 1.0
    report = agreement_report(answers, ["falsa", "verdadera"])
    assert report.records == 3 and report.overlapping_records == 2 and report.ties == 1
    assert report.per_annotator == {"ana": 3, "eva": 1, "luis": 2}
    assert set(report.per_label_alpha) == {"falsa", "verdadera"}


def test_multi_label_majority_per_label():
    answers = [
        Answer("r1", "ana", ("agua", "salud")),
        Answer("r1", "luis", ("agua",)),
        Answer("r1", "eva", ("agua", "salud")),
        Answer("r2", "ana", ("agua",)),
        Answer("r2", "luis", ("salud",)),
    ]
    decisions = {d.record_id: d for d in majority_vote(answers)}
    assert decisions["r1"].label == ("agua", "salud")
    assert decisions["r2"].tie
    report = agreement_report(answers, ["agua", "salud"])
    assert report.alpha is not None
