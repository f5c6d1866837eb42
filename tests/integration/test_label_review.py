"""Labels sent back for a second look: ranked by confident learning, answered in Argilla, applied."""

from __future__ import annotations

import pytest

from bucle.annotation.records import pull
from bucle.loop.adapters import owner_client
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.label_review import GIVEN, SOURCE, WHY, ReviewLog, review_spec
from bucle.loop.manifest import RoundManifest
from bucle.loop.pool import Pool
from bucle.loop.rounds import run_round
from bucle.loop.simulate import annotator_clients, answer
from bucle.loop.status import status
from bucle.loop.step_results import result
from tests.helpers import answer_all, dataset_of

pytestmark = pytest.mark.integration


def test_doubtful_labels_go_back_to_a_reviewer_whose_answer_becomes_the_label(sibling_project):
    config = sibling_project(  # a pool of 300: 160 labelled below, and batches left to answer
        "revision", rows=300, annotation={"annotators": ["anotadora-1"], "review": {"per_round": 4, "min_labels": 64}}
    )
    ingest(config)
    with Pool(config.state.pool) as pool:  # 160 more labels, one in ten wrong, as from a tired annotator
        unlabelled = sorted(pool.records(split="pool", labelled=False), key=lambda r: r.id)[:160]
        pool.set_labels(
            {
                r.id: r.gold if i % 10 else next(label for label in config.labels if label != r.gold)
                for i, r in enumerate(unlabelled)
            },
            "gold",
        )
    first = run_round(config)
    reviewed = result(RoundManifest.all(config.state.rounds)[-1], "review")
    assert reviewed.flagged is not None and 0 < len(reviewed.sent) <= 4, reviewed
    owner = owner_client(config)
    dataset = owner.datasets(name=review_spec(config).name, workspace=config.workspace)
    records = {r.id: r for r in dataset.records()}
    assert set(records) == set(reviewed.sent)
    log = ReviewLog.load(config)
    with Pool(config.state.pool) as pool:
        labels = {r.id: r.label for r in pool.records(split="pool", labelled=True)}
    for record_id, record in records.items():
        assert record.metadata[GIVEN] == labels[record_id] == log.sent[record_id]["given"]
        assert "Etiqueta dada" in record.fields[WHY] and "propone" in record.fields[WHY]
    assert not [s for r in dataset.records(with_suggestions=True) for s in r.suggestions], "no answer pre-filled"

    # the reviewer changes the first label and confirms the rest; the batch is answered meanwhile
    first_id, *others = sorted(records)
    other_label = next(label for label in config.labels if label != labels[first_id])
    answer(
        owner,
        annotator_clients(config, ["anotadora-1"]),
        dataset,
        {first_id: other_label, **{i: labels[i] for i in others}},
    )
    answer_all(config, first.sent)
    run_round(config)
    again = result(RoundManifest.all(config.state.rounds)[-1], "review")
    assert (again.answered, again.changed) == (len(records), 1)
    with Pool(config.state.pool) as pool:
        after = {r.id: r for r in pool.records(split="pool", labelled=True)}
    assert after[first_id].label == other_label and after[first_id].label_source == SOURCE
    assert all(after[i].label == labels[i] and after[i].label_source == SOURCE for i in others)
    assert not set(again.sent) & set(records), "a record is reviewed once"
    log = ReviewLog.load(config)
    assert log.answered[first_id] == {
        "given": labels[first_id],
        "label": other_label,
        "reviewers": ["anotadora-1"],
        "round": 2,
    }

    run_round(config)  # a later pull of the main dataset never puts the reviewed label back
    with Pool(config.state.pool) as pool:
        assert {r.id: r.label for r in pool.records(split="pool")}[first_id] == other_label
    line = status(config).review
    assert f"{len(log.sent)} labels sent back, {len(records)} answered (1 changed)" in line
    assert "agreement with the final labels: anotadora-1 100% (8 of 8)" in line
    assert len(pull(owner, dataset_of(config)).answers) == 8
