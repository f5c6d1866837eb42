"""Rounds survive what happens to real deployments: a process killed at any step, two rounds
started at once, Argilla going away mid-push, a new champion while records wait."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from bucle.annotation.embedded.ports import free_port
from bucle.annotation.errors import ArgillaError
from bucle.annotation.records import pull
from bucle.loop.candidates import MIN_TARGET, TARGET_SIZE
from bucle.loop.ingest.pipeline import ingest
from bucle.annotation.model_metadata import PREDICTION
from bucle.loop.manifest import STEPS, RoundManifest
from bucle.loop.pool import Pool
from bucle.loop.prefill import least_for
from bucle.loop.adapters import owner_client
from bucle.loop import rounds
from bucle.loop.rounds import VECTOR, replay_selection, run_round, shown
from bucle.loop.step_results import Warmed, result
from bucle.loop.simulate import annotator_clients
from bucle.loop.context import registry, round_context
from tests.helpers import answer_all, answer_waiting, bucle, dataset_of

pytestmark = pytest.mark.integration

KILL_AFTER_EACH_STEP = """
import os, signal, sys
from pathlib import Path
from bucle.loop.config import load_config
from bucle.loop.manifest import RoundManifest
from bucle.loop.rounds import run_round

original = RoundManifest.run

def killing_after(target):
    def run(self, step, action):
        if step == target and not self.done(step):
            action()  # the step's effects happen, then the process dies before the manifest records them
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, step, action)
    return run

# the imports are paid once: every round below runs in a fresh fork of this process
for target in sys.argv[2:]:
    child = os.fork()
    if child == 0:
        os.dup2(2, 1)  # stdout is how the parent talks to the test
        RoundManifest.run = killing_after(target)
        run_round(load_config(Path(sys.argv[1])))
        os._exit(0)
    _, status = os.waitpid(child, 0)
    print(target, os.WTERMSIG(status) if os.WIFSIGNALED(status) else -os.WEXITSTATUS(status), flush=True)
    sys.stdin.readline()  # the test has looked at the manifest
"""


@pytest.fixture(scope="module")
def resilient(sibling_project):
    config = sibling_project("resistente")
    ingest(config)
    return config


def test_a_round_killed_after_each_step_resumes_with_nothing_lost_or_duplicated(resilient, tmp_path):
    config = resilient
    first = run_round(config)
    answer_all(config, first.sent)
    log = tmp_path / "killed-rounds.log"  # a file, not a pipe: eleven rounds' output would fill a pipe nobody reads
    with log.open("w") as errors:
        killer = subprocess.Popen(
            [sys.executable, "-c", KILL_AFTER_EACH_STEP, str(config.root / "bucle.yaml"), *STEPS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    try:
        for step in STEPS:
            said = killer.stdout.readline().split()
            assert said == [step, str(int(signal.SIGKILL))], (said, log.read_text()[-3000:])
            interrupted = RoundManifest.unfinished(config.state.rounds)
            assert interrupted is not None and interrupted.number == 2
            assert step not in interrupted.data["steps"], f"{step} was killed before it was recorded"
            killer.stdin.write("next\n")
            killer.stdin.flush()
        assert killer.wait(timeout=60) == 0, log.read_text()[-3000:]
    finally:
        killer.kill()
    second = run_round(config)
    assert second.round == 2

    manifests = RoundManifest.all(config.state.rounds)
    assert [m.number for m in manifests] == [1, 2] and all(m.finished for m in manifests)
    assert list(manifests[1].data["steps"]) == list(STEPS)
    assert manifests[1].result("train")["trained"], "the labels pulled before the kill still trigger training"
    with Pool(config.state.pool) as pool:
        labelled = pool.records(split="pool", labelled=True)
    assert len(labelled) == 16 + 8
    assert {r.id for r in labelled if r.label_source == "annotators"} == set(first.sent)
    versions = registry(config).names()
    assert versions == ["0001-setfit", "0001-tfidf", "0002-setfit", "0002-tfidf"], "no training registered twice"
    records = list(dataset_of(config).records())
    assert len(records) == 16 and len({r.id for r in records}) == 16, "no record pushed twice"
    assert not set(second.sent) & set(first.sent)
    assert Counter(a.record_id for a in pull(owner_client(config), dataset_of(config)).answers) == Counter(first.sent)
    assert (config.state_dir / "export" / "README.md").exists(), "the labelled dataset is exported every round"


def test_two_rounds_at_once_the_second_refuses(resilient):
    config = resilient
    path = str(config.root / "bucle.yaml")
    lock = config.state_dir / "round.lock"
    holder = subprocess.Popen(
        [sys.executable, "-m", "bucle.loop.cli", "-p", path, "round"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not lock.exists() and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        holder.send_signal(signal.SIGSTOP)  # hold the lock, alive, while the second round starts
        assert lock.exists()
        second = bucle(config.root / "bucle.yaml", "round")
        assert second.returncode == 1
        assert "another round is running" in second.stderr and "Traceback" not in second.stderr
    finally:
        holder.send_signal(signal.SIGCONT)
    out, err = holder.communicate(timeout=300)
    assert holder.returncode == 0, err
    assert all(m.finished for m in RoundManifest.all(config.state.rounds))


def test_argilla_gone_mid_push_fails_clearly_and_the_next_round_completes_the_push(resilient, monkeypatch):
    from bucle.loop import rounds

    config = resilient
    answer_waiting(config)  # the queue empties: the next round pushes
    real_push = rounds.push

    def push_after_the_server_went_away(client, *args, **kwargs):
        # the fault: from the push on, the round's requests reach a port nothing listens on, as
        # after the server stopped (the session's server itself keeps running for the resume)
        client.http_client.base_url = f"http://127.0.0.1:{free_port()}"
        return real_push(client, *args, **kwargs)

    monkeypatch.setattr(rounds, "push", push_after_the_server_went_away)
    started = time.monotonic()
    with pytest.raises(ArgillaError, match="Cannot reach Argilla"):
        run_round(config)
    assert time.monotonic() - started > 3, "the push was retried with backoff before giving up"
    interrupted = RoundManifest.unfinished(config.state.rounds)
    assert interrupted is not None and interrupted.done("select") and not interrupted.done("push")

    monkeypatch.setattr(rounds, "push", real_push)
    resumed = run_round(config)
    assert resumed.round == interrupted.number
    present = {r.id for r in dataset_of(config).records()}
    assert set(interrupted.result("select")["ids"]) <= present


def test_a_round_resumed_after_an_edit_of_bucle_yaml_selects_as_its_header_recorded(resilient, monkeypatch):
    from bucle.loop import rounds

    config = resilient
    answer_waiting(config)  # the queue empties: the next round selects a batch

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the selection")

    monkeypatch.setattr(rounds, "_select", killed)
    with pytest.raises(RuntimeError, match="killed"):
        run_round(config)
    monkeypatch.undo()
    header = RoundManifest.unfinished(config.state.rounds).data
    edited = config.model_copy(
        update={"loop": config.loop.model_copy(update={"batch_size": header["batch_size"] * 2, "strategy": "margin"})}
    )

    resumed = run_round(edited)
    selection = result(RoundManifest.all(config.state.rounds)[-1], "select")
    assert resumed.round == header["round"]
    assert selection.strategy == header["strategy"] != "margin"
    assert len(selection.ids) == header["batch_size"]
    assert replay_selection(edited, resumed.round).identical


def test_the_scheduler_starts_a_round_only_when_enough_is_new(resilient):
    from bucle.loop.scheduler import due

    config = resilient
    waiting = RoundManifest.all(config.state.rounds)[-1].result("select")["ids"]
    assert len(waiting) == 8
    assert due(config, "watch") is None and due(config, "interval") is None, "an idle project piles up nothing"
    answer_all(config, waiting[:2])
    assert due(config, "watch") is None, "2 labels are fewer than min_new_labels (4)"
    assert "2 records labelled" in due(config, "interval"), "the timer picks up stragglers"
    answer_all(config, waiting[2:])
    assert "8 records labelled" in due(config, "watch")

    nxt = run_round(config)
    assert due(config, "watch") is None
    annotator = annotator_clients(config, ["anotadora-1"])[0]
    server_ids = {r.id: r._server_id for r in dataset_of(config).records()}
    with Pool(config.state.pool) as pool:
        waiting = set(server_ids) - {r.id for r in pool.records(labelled=True)}
    assert set(nxt.sent) <= waiting
    for record_id in waiting:  # the annotator discards everything left in the queue
        reply = annotator.http_client.post(
            f"/api/v1/records/{server_ids[record_id]}/responses", json={"status": "discarded", "values": None}
        )
        assert reply.status_code == 201, reply.text
    assert "queue is down to 0 records" in due(config, "watch"), "a queue emptied by discards gets the next batch"
    after = run_round(config)
    assert len(after.sent) == 8 and not set(after.sent) & waiting, "discarded records are not sent again"


def test_a_new_champion_refreshes_the_suggestions_of_waiting_records(sibling_project):
    config = sibling_project("refresco")
    ingest(config)
    first = run_round(config)
    reg = registry(config)
    other = next(name for name in reg.names() if name != first.champion)
    reg.set_champion(other, "manual", "a test swaps the champion")

    second = run_round(config)
    assert not second.trained
    manifest = RoundManifest.all(config.state.rounds)[-1]
    assert sorted(manifest.result("refresh")["ids"]) == sorted(first.sent)
    records = {r.id: r for r in dataset_of(config).records(with_suggestions=True, with_vectors=True)}
    assert set(records) == set(first.sent) | set(second.sent)
    refreshed = manifest.result("refresh")
    scores = dict(zip(refreshed["ids"], refreshed["scores"]))
    least = least_for(reg, other, manifest.data)
    for record in records.values():  # the new champion's prediction everywhere, pre-filled only where it is sure
        agents = [suggestion.agent for suggestion in record.suggestions]
        assert agents in ([], [other])
        if record.id in scores:
            assert record.metadata["probabilidad"] == round(scores[record.id], 4)
            assert agents == ([other] if least is not None and scores[record.id] >= least else [])
    assert set(shown(config).model_of.values()) == {other}
    assert all(len(r.vectors[VECTOR]) == 384 for r in records.values()), "annotators can search similar records"
    settings = dataset_of(config).settings
    assert [v.name for v in settings.vectors] == [VECTOR]


def test_a_project_without_labels_starts_cold_and_learns_from_its_first_answers(sibling_project, monkeypatch):
    config = sibling_project("en-frio")
    data = config.data.model_copy(update={"seed_size": 0})
    loop = config.loop.model_copy(update={"embed_before_push": 64})
    config = config.model_copy(update={"data": data, "loop": loop})
    ingest(config)
    first = run_round(config)
    assert not first.trained and first.champion is None
    manifest = RoundManifest.all(config.state.rounds)[-1]
    assert manifest.result("select")["strategy"] == "cold-start" and len(first.sent) == 8
    # nothing embedded yet: the zero-shot window is what a round may embed before its push, no more
    assert manifest.result("select")["window"] == 64
    with round_context(config) as ctx:
        waiting = {r.text for r in ctx.pool.records(split="pool", labelled=False) if r.id not in first.sent}
        assert len(waiting) - len(ctx.base_body().unembedded(list(waiting), "passage")) == 64 - 8
    assert replay_selection(config, 1).identical, "the replay chooses among the window the round recorded"
    records = list(dataset_of(config).records(with_suggestions=True))
    assert len(records) == 8 and all(not r.suggestions for r in records), "no model, no suggestion"
    assert {r.metadata[PREDICTION] for r in records} == set(config.labels), (
        "the zero-shot cold start asks about every label's description in turn, shown as the prediction"
    )

    # the warm step looks at the annotators' queue between chunks: it goes on while nothing is due
    # and stops once the next round is (annotators answered faster than it embeds)
    pulled, sent = result(manifest, "pull"), set(first.sent)
    warm = config.model_copy(update={"loop": config.loop.model_copy(update={"warm_ahead": 8})})
    monkeypatch.setattr(rounds, "WARM_CHUNK", 4)
    with round_context(warm, owner_client(config), dataset_of(config)) as ctx:
        assert rounds._warm(ctx, sent, pulled, 1) == Warmed(8)
        answer_all(config, first.sent)
        stopped = rounds._warm(ctx, sent, pulled, 1)
    assert stopped.embedded == 4 and "8 records labelled since round 1" in stopped.stopped, stopped

    second = run_round(config)
    assert second.trained and second.champion is not None
    assert RoundManifest.all(config.state.rounds)[-1].result("select")["strategy"] == config.loop.strategy


def test_bucle_simulate_rounds_end_to_end(sibling_project):
    # the default strategy, hedged; a first round may embed 20 candidates before its push
    loop = {"batch_size": 8, "schedule": {"min_new_labels": 4}, "warm_ahead": 64, "embed_before_push": 20}
    config = sibling_project("simulada", loop=loop)
    ingest(config)
    with Pool(config.state.pool) as pool:
        candidates = pool.count(split="pool", labelled=False)
    result = bucle(config.root / "bucle.yaml", "simulate", "--rounds", "2")
    assert result.returncode == 0, result.stderr
    manifests = RoundManifest.all(config.state.rounds)
    assert [m.number for m in manifests] == [1, 2] and all(m.finished for m in manifests)
    labels = [m.result("export")["train"] for m in manifests]
    assert labels == [16, 24], "every round learns from the previous round's answers"
    trained = [m.result("train") for m in manifests]
    assert all(t["trained"] for t in trained)
    assert trained[0]["rule"] == "first-model" and {t["rule"] for t in trained[1:]} <= {"more-labels"}, (
        "the gate names its rule"
    )
    assert "gate rule" in result.stdout and "its labels" in result.stdout and "Suggestions:" in result.stdout
    for outcome in trained:
        assert set(outcome["versions"]) == {f"{outcome['round']:04d}-setfit", f"{outcome['round']:04d}-tfidf"}
        assert all(0.0 <= f1 <= 1.0 for f1 in outcome["versions"].values())
    assert all(m.result("pull")["agreement"]["records"] == n for m, n in zip(manifests, [0, 8])), (
        "agreement over every answer so far"
    )
    status = bucle(config.root / "bucle.yaml", "status")
    assert status.returncode == 0 and "Stopping:" in status.stdout
    lines = status.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), "bucle status fits an 80-column terminal"
    assert any(all(name in line for name in ("round", "labels", "best F1", "champion", "sent")) for line in lines)
    flat = " ".join(status.stdout.split())  # lines are wrapped at 80 columns
    assert "Gate, latest first:" in flat and ("promoted:" in flat or "refused:" in flat)
    assert "answers waiting since the last round" in flat and "annotators' queue" in flat
    selections = [m.result("select") for m in manifests]
    assert selections[0]["evidence"] == {"confidence": [], "correct": []}, "no evidence: the first batch is random"
    assert len(selections[0]["explored"]) >= 6, "all of it but the confident share"
    assert len(selections[1]["evidence"]["correct"]) == len(selections[0]["explored"])
    assert "drawn at random" in flat and "labelled random picks" in flat, "status shows the hedge and its evidence"
    with Pool(config.state.pool) as pool:
        tests = len(pool.records(split="test"))
    assert tests >= MIN_TARGET and all(s["target"] == min(tests, TARGET_SIZE) for s in selections), (
        "the exploited part weighed typicality among the frozen test set's texts"
    )
    assert f"typical of {selections[1]['target']} test texts" in flat
    assert [s["variant"] for s in selections] == [
        "density-margin" if (s["model"] or "").endswith("-tfidf") else "typicality-ratio" for s in selections
    ], "the rest ranked as the champion's space asks, and recorded for replay"
    assert f"the rest by {selections[1]['variant']}" in flat
    assert selections[0]["window"] == (candidates if selections[0]["model"].endswith("-tfidf") else 20), (
        "a SetFit champion's first window is what the round may embed; TF-IDF embeds none of it"
    )
    assert f"by hedged among {selections[1]['window']:,} candidates" in flat
    # round 2 weighed the evidence of round 1: replay reuses what it recorded; no number: every round
    replayed = bucle(config.root / "bucle.yaml", "replay")
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    reproduced = [line.split(":")[0] for line in replayed.stdout.splitlines() if "reproduced exactly" in line]
    assert reproduced == ["Round 1", "Round 2"]
    manifest = config.state.rounds / "0002" / "manifest.json"
    kept = manifest.read_text(encoding="utf-8")
    edited = json.loads(kept)
    edited["steps"]["select"]["result"]["variant"] = "a-later-way"
    manifest.write_text(json.dumps(edited), encoding="utf-8")
    unknown = bucle(config.root / "bucle.yaml", "replay", "2")  # refused before the round's model is loaded
    assert unknown.returncode == 1 and "'a-later-way', which this bucle does not know" in " ".join(
        unknown.stderr.split()
    ), "a variant recorded by another bucle: one clear line, no traceback"
    manifest.write_text(kept, encoding="utf-8")
    with Pool(config.state.pool) as pool:  # a test text moved out: the test set the rounds read is gone
        pool.set_split([pool.records(split="test")[0].id], "pool")
    changed = bucle(config.root / "bucle.yaml", "replay", "2")
    assert changed.returncode != 0 and "frozen test set now gives" in " ".join(
        (changed.stdout + changed.stderr).split()
    )
