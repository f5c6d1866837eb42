"""One round of the loop: pull answers → export the labelled dataset → train if enough are new
(train, evaluate, register) → gate → score the stop set → select → push → refresh the
suggestions of records still waiting for annotators when the champion changed.

Each step's result goes to the round's manifest before the next step starts (``loop.manifest``),
so a round killed anywhere is resumed by running it again; a lock keeps two rounds of a project
from running at once (``loop.lock``). Selection never offers the frozen test set, a record
already labelled, or one already sent to annotators.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator

import numpy as np

from annotation.agreement import agreement_report, majority_vote
from annotation.datasets import ensure_dataset, ensure_vector_field
from annotation.errors import BucleError
from annotation.records import OutgoingRecord, progress, pull, push
from loop import strategies
from loop.candidates import stop_set, window
from loop.config import ProjectConfig
from loop.lock import RoundLock
from loop.manifest import RoundManifest
from loop.pool import Pool, PoolRecord
from loop.pool_backups import backup_pool
from loop.adapters import dataset_spec, owner_client
from loop.labelled import export_labelled
from loop.train import (Trained, apply_gate, champion_model, embedding_cache, next_round, registry, served_model,
                        train_candidates)  # fmt: skip
from training.models.base import TextClassifier
from training.models.setfit_model import SetFitClassifier


@dataclass(frozen=True)
class RoundReport:
    round: int
    new_labels: int
    trained: bool
    champion: str | None
    sent: list[str]



def sent_ids(config: ProjectConfig) -> set[str]:
    """Every record a finished push step of any round sent to annotators."""
    sent: set[str] = set()
    for manifest in RoundManifest.all(config.state.rounds):
        if manifest.done("push"):
            sent.update(manifest.result("select")["ids"])
    return sent


VECTOR = "embedding"  # the dataset's vector field: the configured body's embeddings


@contextmanager
def base_body(config: ProjectConfig) -> Iterator[SetFitClassifier]:
    """The configured (not fine-tuned) body with the embedding cache: one embedding space for
    the strategies and the dataset's vectors, whatever model is champion."""
    cache = embedding_cache(config)
    try:
        yield SetFitClassifier(list(config.labels), body=config.model.body,
                               max_seq_length=config.model.max_seq_length, cache=cache)  # fmt: skip
    finally:
        cache.close()


def suggested_by(config: ProjectConfig) -> dict[str, str | None]:
    """For every record sent to annotators, the model version whose suggestion it carries."""
    models: dict[str, str | None] = {}
    for manifest in RoundManifest.all(config.state.rounds):
        if manifest.done("push"):
            models.update(dict.fromkeys(manifest.result("select")["ids"], manifest.result("select")["model"]))
        if manifest.done("refresh"):
            models.update(dict.fromkeys(manifest.result("refresh")["ids"], manifest.result("refresh")["model"]))
    return models


def _pull(config: ProjectConfig, client, dataset) -> dict[str, Any]:
    before = progress(client, dataset)  # read first: answers after it trigger the next round
    pulled = pull(client, dataset)
    votes = majority_vote(pulled.answers)
    decisions = [d for d in votes if d.label is not None and d.votes >= config.annotation.overlap]
    with Pool(config.state.pool) as pool:
        known = {r.id: r for r in pool.records(split="pool")}
        new = {d.record_id: d.label for d in decisions if d.record_id in known and known[d.record_id].label != d.label}
        pool.set_labels(new, "annotators")
    return {"answers": len(pulled.answers), "new_labels": len(new), "received": sorted(new),
            "ties": sum(d.tie for d in votes), "discarded": sorted({record for record, _ in pulled.discarded}),
            "completed": before.completed, "discards": before.discarded,
            "agreement": asdict(agreement_report(pulled.answers, list(config.labels)))}  # fmt: skip


def _export(config: ProjectConfig, agreement: dict[str, Any]) -> dict[str, Any]:
    result = export_labelled(config, agreement=agreement)
    return {"folder": str(result.folder), "train": result.train, "test": result.test}


def _labels_at_last_training(config: ProjectConfig) -> int:
    reg = registry(config)
    return reg.metrics(reg.names()[-1]).get("labels", 0) if reg.names() else 0


def _train(config: ProjectConfig, manifest: RoundManifest, notice) -> dict[str, Any]:
    """Train when enough labels arrived since the last training (counted from the pool and the
    registry, not from this round's pull, so that a resumed round decides the same way)."""
    if "registry_round" not in manifest.data:  # not a training that was interrupted
        with Pool(config.state.pool) as pool:
            labelled = len(pool.records(split="pool", labelled=True))
        if not labelled:
            return {"trained": False, "reason": "no labels yet: cold start"}
        new = labelled - _labels_at_last_training(config)
        if registry(config).champion() is not None and new < config.loop.schedule.min_new_labels:
            return {"trained": False, "reason": f"{new} new labels, fewer than {config.loop.schedule.min_new_labels}"}
    number = manifest.remember("registry_round", lambda: next_round(registry(config)))
    # the body is fine-tuned beside the rounds (loop.scheduler), never inside one: annotators wait on rounds
    trained = train_candidates(config, fine_tune=False, notice=notice, round_number=number)
    reg = registry(config)
    emissions = {version: reg.metrics(version)["carbon"]["grams_co2eq"] for version in trained.versions}
    return {"trained": True, **asdict(trained), "grams_co2eq": emissions}


def _gate(config: ProjectConfig, trained: dict[str, Any]) -> dict[str, Any]:
    if not trained["trained"]:
        return {"champion": registry(config).champion(), "promoted": False}
    outcome = Trained(**{key: value for key, value in trained.items() if key not in ("trained", "grams_co2eq")})
    return {"champion": apply_gate(config, outcome), "promoted": outcome.promote, "reason": outcome.reason}


def _score_stop_set(config: ProjectConfig) -> dict[str, Any]:
    served = champion_model(config)
    if served is None:
        return {"model": None, "predictions": []}
    ids = stop_set(config)
    with Pool(config.state.pool) as pool:
        texts = {r.id: r.text for r in pool.records(split="pool")}
    present = [i for i in ids if i in texts]
    return {"model": served[0], "predictions": served[1].predict([texts[i] for i in present])}


def _choose(config: ProjectConfig, candidates: list[PoolRecord], labelled: list[PoolRecord],
            served: tuple[str, TextClassifier] | None, strategy_name: str, batch_size: int, seed: int) -> dict[str, Any]:  # fmt: skip
    """The selection itself: a pure function of its inputs (models and embeddings are immutable),
    which is what makes a recorded round replayable."""
    candidates = window(candidates, config.loop.candidates, config.data.split_seed)
    if not candidates:
        return {"ids": [], "labels": [], "scores": [], "model": None, "strategy": strategy_name}
    strategy = strategies.get(strategy_name)
    texts = [r.text for r in candidates]
    probs = served[1].predict_proba(texts) if served is not None else None
    embeddings = labelled_embeddings = None
    if strategy.needs_embeddings:
        with base_body(config) as body:
            embeddings = body.embed(texts)
            labelled_embeddings = body.embed([r.text for r in labelled]) if labelled else None
    classes = list(config.labels)
    counts = dict(Counter(classes.index(r.label) for r in labelled))
    chosen = strategy.select(strategies.Candidates(probs, embeddings, labelled_embeddings, counts), batch_size, seed)
    return {
        "ids": [candidates[i].id for i in chosen],
        "labels": [classes[int(np.argmax(probs[i]))] for i in chosen] if probs is not None else [None] * len(chosen),
        "scores": [float(np.max(probs[i])) for i in chosen] if probs is not None else [None] * len(chosen),
        "model": served[0] if served is not None else None,
        "strategy": strategy_name,
    }


def _select(config: ProjectConfig, excluded: set[str], seed: int) -> dict[str, Any]:
    with Pool(config.state.pool) as pool:
        candidates = [r for r in pool.records(split="pool", labelled=False) if r.id not in excluded]
        labelled = pool.records(split="pool", labelled=True)
    served = champion_model(config)
    name = config.loop.strategy if served is not None else "cold-start"
    return _choose(config, candidates, labelled, served, name, config.loop.batch_size, seed)


@dataclass(frozen=True)
class Replay:
    round: int
    recorded: list[str]
    replayed: list[str]

    @property
    def identical(self) -> bool:
        return self.recorded == self.replayed


def replay_selection(config: ProjectConfig, number: int) -> Replay:
    """Run round ``number``'s selection again from its manifest: the pool as it was then (the
    labels received up to that round, the records sent before it, its discards), the model
    version, strategy, batch size and seed it recorded. Used to audit a round."""
    manifests = RoundManifest.all(config.state.rounds)
    target = next((m for m in manifests if m.number == number), None)
    if target is None or not target.done("select"):
        raise BucleError(f"round {number} has no recorded selection (rounds: {', '.join(str(m.number) for m in manifests) or 'none'})")
    pulls = [m.result("pull") for m in manifests if m.number <= number and m.done("pull")]
    if any("received" not in pulled for pulled in pulls):
        raise BucleError(f"round {number} was recorded before manifests kept the ids they received; it cannot be replayed")
    received = {record for pulled in pulls for record in pulled["received"]}
    excluded = {i for m in manifests if m.number < number and m.done("push") for i in m.result("select")["ids"]}
    excluded |= set(target.result("pull")["discarded"])
    with Pool(config.state.pool) as pool:
        records = pool.records(split="pool")
    labelled = [r for r in records if r.label is not None and (r.label_source != "annotators" or r.id in received)]
    known = {r.id for r in labelled} | excluded
    recorded = target.result("select")
    served = served_model(config, recorded["model"]) if recorded["model"] else None
    again = _choose(config, [r for r in records if r.id not in known], labelled, served,
                    recorded.get("strategy", target.data["strategy"]), target.data["batch_size"],
                    target.data["seed"] + number)  # fmt: skip
    return Replay(number, recorded["ids"], again["ids"])


def _outgoing(config: ProjectConfig, ids: list[str], labels: list, scores: list) -> list[OutgoingRecord]:
    """Records as annotators see them: text, metadata, suggestion and the body's embedding."""
    if not ids:
        return []
    with Pool(config.state.pool) as pool:
        by_id = {r.id: r for r in pool.records(split="pool")}
    texts = [by_id[i].text for i in ids]
    with base_body(config) as body:
        vectors = body.embed(texts)
    return [OutgoingRecord(i, text, by_id[i].metadata, label, score, {VECTOR: vector.tolist()})
            for i, text, label, score, vector in zip(ids, texts, labels, scores, vectors)]  # fmt: skip


def _send(client, dataset, outgoing: list[OutgoingRecord], agent: str) -> int:
    if not outgoing:
        return 0
    dataset = ensure_vector_field(client, dataset, VECTOR, len(outgoing[0].vectors[VECTOR]))
    return push(client, dataset, outgoing, agent=agent)


def _push(config: ProjectConfig, client, dataset, selection: dict[str, Any]) -> dict[str, Any]:
    outgoing = _outgoing(config, selection["ids"], selection["labels"], selection["scores"])
    return {"pushed": _send(client, dataset, outgoing, selection["model"] or "sin-modelo")}


def _refresh(config: ProjectConfig, client, dataset, discarded: list[str]) -> dict[str, Any]:
    """Give records that still wait for annotators the current champion's suggestion."""
    name = registry(config).champion()
    if name is None:
        return {"ids": [], "model": None}
    with Pool(config.state.pool) as pool:
        records = pool.records(split="pool")
    labelled = {r.id for r in records if r.label is not None}
    stale = sorted(i for i, by in suggested_by(config).items() if by != name and i not in labelled and i not in discarded)
    if not stale:
        return {"ids": [], "model": name}
    texts = {r.id: r.text for r in records}
    _, model = served_model(config, name)  # loaded only when some suggestion is stale
    probs = model.predict_proba([texts[i] for i in stale])
    labels = [model.classes[int(np.argmax(row))] for row in probs]
    _send(client, dataset, _outgoing(config, stale, labels, [float(np.max(row)) for row in probs]), name)
    return {"ids": stale, "model": name}


def run_round(config: ProjectConfig, seed: int = 0, notice: Callable[[str], None] = print) -> RoundReport:
    with RoundLock(config.state.round_lock):
        folder = config.state.rounds
        unfinished = RoundManifest.unfinished(folder)
        if unfinished is not None:
            notice(f"round {unfinished.number} was interrupted; resuming after {', '.join(unfinished.data['steps']) or 'its start'}")
        manifest = unfinished or RoundManifest.open(
            folder, len(RoundManifest.all(folder)) + 1, strategy=config.loop.strategy, seed=seed,
            batch_size=config.loop.batch_size,
        )  # fmt: skip
        client = owner_client(config)
        dataset = ensure_dataset(client, dataset_spec(config))

        def step(name: str, action: Callable[[], Any]) -> Any:
            resumed = manifest.done(name)
            result = manifest.run(name, action)
            if not resumed:
                notice(f"round {manifest.number} · {name} ({manifest.data['steps'][name]['seconds']:.1f} s)")
            return result

        pulled = step("pull", lambda: _pull(config, client, dataset))
        step("export", lambda: _export(config, pulled["agreement"]))
        trained = step("train", lambda: _train(config, manifest, notice))
        step("gate", lambda: _gate(config, trained))
        step("score", lambda: _score_stop_set(config))
        excluded = sent_ids(config) | set(pulled["discarded"])
        selection = step("select", lambda: _select(config, excluded, seed + manifest.number))
        step("push", lambda: _push(config, client, dataset, selection))
        step("refresh", lambda: _refresh(config, client, dataset, pulled["discarded"]))
        backup_pool(config, manifest.number)  # what restores the labels should the pool be damaged
        manifest.finish()
    return RoundReport(manifest.number, pulled["new_labels"], trained["trained"], registry(config).champion(),
                       selection["ids"])  # fmt: skip
