"""Rounds of the loop against the real server: select, push, annotators answer, pull, retrain."""

from __future__ import annotations

import pytest

from bucle.annotation.model_metadata import CONFIRM, DECIDE, KIND, PREDICTION, PROBABILITY
from bucle.annotation.records import pull
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.pool import Pool
from bucle.loop.prefill import least_for
from bucle.loop.adapters import dataset_spec
from bucle.loop.context import registry, round_context
from bucle.loop.rounds import run_round
from bucle.loop.manifest import RoundManifest
from bucle.loop.step_results import result
from bucle.publishing.local_git import LocalRepository
from tests.helpers import answer_all, answer_waiting

pytestmark = pytest.mark.integration


def test_rounds_push_uncertain_records_and_learn_from_the_answers(server, owner, project):
    # the whole pool is embedded ahead after the first push: every later push finds its vectors cached
    project = project.model_copy(update={"loop": project.loop.model_copy(update={"warm_ahead": 1_000})})
    ingest(project)
    first = run_round(project)
    assert first.trained and first.champion is not None, "the seed labels train the first model"
    assert len(first.sent) == 8
    dataset = owner.datasets(name=project.name, workspace=project.workspace)
    records = {r.id: r for r in dataset.records(with_suggestions=True)}
    assert set(records) == set(first.sent)
    manifest = RoundManifest.all(project.state.rounds)[-1]
    selection = result(manifest, "select")
    scores = dict(zip(selection.ids, selection.scores))
    least = least_for(registry(project), first.champion, manifest.data)  # the version's own threshold (loop.prefill)
    for record in records.values():  # the prediction is always shown; pre-filled only when the model is sure
        assert record.metadata[PREDICTION] in project.labels
        assert record.metadata[PROBABILITY] == round(scores[record.id], 4)
        sure = least is not None and scores[record.id] >= least
        assert [s.agent for s in record.suggestions] == ([first.champion] if sure else [])
        assert record.metadata[KIND] == (CONFIRM if record.id in selection.confirm else DECIDE)
    published = result(RoundManifest.all(project.state.rounds)[-1], "publish")
    assert published.version == first.champion and set(published.commits) == {"model", "dataset", "space"}
    assert LocalRepository(project.state.publish / "model.git").head() == published.commits["model"]

    # after the push, the next candidates are embedded: the next push embeds nothing. With a TF-IDF
    # champion (strategies in LSA space) the warm step embedded them; with a SetFit champion the
    # selection did, in the body's space (the seed labels' two champions are within a point here)
    with round_context(project) as ctx:
        waiting = [r.text for r in ctx.pool.records(split="pool", labelled=False) if r.id not in first.sent]
        lexical = ctx.registry.metrics(first.champion)["family"] != "setfit"
        assert (result(manifest, "warm").embedded > 0) == lexical
        assert ctx.cache.missing(ctx.base_body().cache_key, waiting) == []

    # annotators answer from the gold labels, as `bucle simulate` does
    answer_all(project, list(records))

    second = run_round(project)
    assert second.new_labels == 8 and second.trained
    assert not set(second.sent) & set(first.sent), "nothing is sent twice"
    with Pool(project.state.pool) as pool:
        labelled = pool.records(split="pool", labelled=True)
    assert len(labelled) == 16 + 8
    assert {r.id for r in labelled if r.label_source == "annotators"} == set(first.sent)
    assert len(list(dataset.records())) == 16
    assert len(pull(owner, dataset).answers) == 8
    assert registry(project).names()[-1].startswith("0002-")
    assert dataset_spec(project).min_submitted == 1


def test_simulate_answers_from_gold_and_status_reports_the_rounds(server, project):
    from bucle.loop.simulate import simulate
    from bucle.loop.status import status

    before = status(project)
    results = simulate(project, rounds=1)
    assert len(results) == 1 and results[0].answered >= 8, "the round's batch and anything still waiting"
    after = status(project)
    assert len(after.rounds) == len(before.rounds) + 1 and all(row.finished for row in after.rounds)
    assert after.champion is not None and after.baseline_macro_f1 is not None
    assert "pull" in after.rounds[-1].seconds and "push" in after.rounds[-1].seconds
    assert after.signals.advice
    assert len(after.signals.kappas) >= 1 and all(-1.0 <= k <= 1.0 for k in after.signals.kappas), (
        "successive champions' predictions on the stop set are compared"
    )
    # the answers of the simulated round are pulled by the next one
    from bucle.loop.rounds import run_round

    nxt = run_round(project)
    assert nxt.new_labels == results[0].answered

    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(project.root / "bucle.yaml"), "status"],
        capture_output=True,
        text=True,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Stopping:" in shown.stdout and "champion" in shown.stdout
    assert "Published: " in shown.stdout and " to the local target at " in shown.stdout


def test_a_round_opens_the_pool_and_the_embedding_cache_once(server, project, monkeypatch):
    """A round's steps share one pool, one registry, one cache and one Argilla client."""
    from bucle.training.embedding_cache import EmbeddingCache

    assert answer_waiting(project) >= 4, "enough new answers that it trains"
    opened: list[str] = []
    for kind in (Pool, EmbeddingCache):
        real = kind.__init__

        def counting(self, *args, _real=real, _name=kind.__name__, **kwargs):
            opened.append(_name)
            _real(self, *args, **kwargs)

        monkeypatch.setattr(kind, "__init__", counting)
    report = run_round(project)
    assert report.trained and report.sent
    assert sorted(opened) == ["EmbeddingCache", "Pool"]


def test_a_confident_share_is_marked_and_its_precision_reaches_status_and_the_card(sibling_project):
    """Each batch mixes in confident predictions marked ``confirmar``; how often annotators
    confirmed them is the model's precision on what it pre-fills."""
    from bucle.loop.confirmations import confirmations
    from bucle.loop.simulate import simulate
    from bucle.loop.status import status
    from tests.helpers import dataset_of, gold_labels

    config = sibling_project(
        "confirmaciones", annotation={"suggestions": {"min_precision": 0.5, "confirm_share": 0.25}}
    )
    ingest(config)
    simulate(config, rounds=3)
    manifests = RoundManifest.all(config.state.rounds)
    pushed = [result(m, "select") for m in manifests if m.done("push") and result(m, "select").model]
    assert pushed and all(len(s.confirm) == 2 and set(s.confirm) <= set(s.ids) for s in pushed), "2 of each batch of 8"
    marked = {r.id: r.metadata[KIND] for r in dataset_of(config).records()}
    assert {i for i, kind in marked.items() if kind == CONFIRM} == {i for s in pushed for i in s.confirm}

    with Pool(config.state.pool) as pool:
        found = confirmations(config, pool)
    gold = gold_labels(config)
    answered = [(i, label) for s in pushed[:-1] for i, label in zip(s.ids, s.labels) if i in s.confirm]
    assert found.answered == len(answered) >= 4, "the last batch's are not answered yet"
    assert found.right == sum(gold[i] == label for i, label in answered)
    assert f"{found.right} of {found.answered} confident ones confirmed" in status(config).suggestions
    card = (config.state.registry / "versions" / registry(config).names()[-1] / "README.md").read_text()
    assert "Sugerencias confirmadas" in card
