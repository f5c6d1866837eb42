"""One round of the loop: pull answers → train if enough are new → score the stop set →
select → push.

Each step's result goes to the round's manifest before the next step starts (``loop.manifest``),
so a round killed anywhere is resumed by running it again; a lock keeps two rounds of a project
from running at once (``loop.lock``). Selection never offers the frozen test set, a record
already labelled, or one already sent to annotators.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from annotation.agreement import majority_vote
from annotation.datasets import ensure_dataset
from annotation.records import OutgoingRecord, pull, push
from loop import strategies
from loop.config import ProjectConfig
from loop.ingest.pipeline import pool_path
from loop.lock import RoundLock
from loop.manifest import RoundManifest
from loop.pool import Pool
from loop.project import dataset_spec, owner_client
from loop.train import champion_model, embedding_cache, registry, train_round
from training.models.setfit_model import SetFitClassifier


@dataclass(frozen=True)
class RoundReport:
    round: int
    new_labels: int
    trained: bool
    champion: str | None
    sent: list[str]


def rounds_dir(config: ProjectConfig):
    return config.state_dir / "rounds"


def sent_ids(config: ProjectConfig) -> set[str]:
    """Every record a finished push step of any round sent to annotators."""
    sent: set[str] = set()
    for manifest in RoundManifest.all(rounds_dir(config)):
        if manifest.done("push"):
            sent.update(manifest.result("select")["ids"])
    return sent


def _pull(config: ProjectConfig, client, dataset) -> dict[str, Any]:
    pulled = pull(client, dataset)
    votes = majority_vote(pulled.answers)
    decisions = [d for d in votes if d.label is not None and d.votes >= config.annotation.overlap]
    with Pool(pool_path(config)) as pool:
        known = {r.id: r for r in pool.records(split="pool")}
        new = {d.record_id: d.label for d in decisions if d.record_id in known and known[d.record_id].label != d.label}
        pool.set_labels(new, "annotators")
    return {"answers": len(pulled.answers), "new_labels": len(new), "ties": sum(d.tie for d in votes),
            "discarded": sorted({record for record, _ in pulled.discarded})}  # fmt: skip


def _train(config: ProjectConfig, new_labels: int, notice) -> dict[str, Any]:
    reg = registry(config)
    if reg.champion() is not None and new_labels < config.loop.schedule.min_new_labels:
        return {"trained": False, "reason": f"{new_labels} new labels, fewer than {config.loop.schedule.min_new_labels}"}
    with Pool(pool_path(config)) as pool:
        if not pool.records(split="pool", labelled=True):
            return {"trained": False, "reason": "no labels yet: cold start"}
    result = train_round(config, notice=notice)
    return {"trained": True, "champion": result.champion, "versions": result.versions}


STOP_SET_SIZE = 500


def stop_set(config: ProjectConfig) -> list[str]:
    """A fixed sample of pool records on which successive champions' predictions are compared
    (the stabilising-predictions stopping signal); drawn once and stored."""
    path = rounds_dir(config) / "stop_set.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    with Pool(pool_path(config)) as pool:
        ids = sorted(r.id for r in pool.records(split="pool"))
    chosen = sorted(random.Random(config.data.split_seed).sample(ids, min(STOP_SET_SIZE, len(ids))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(chosen), encoding="utf-8")
    return chosen


def _score_stop_set(config: ProjectConfig) -> dict[str, Any]:
    served = champion_model(config)
    if served is None:
        return {"model": None, "predictions": []}
    ids = stop_set(config)
    with Pool(pool_path(config)) as pool:
        texts = {r.id: r.text for r in pool.records(split="pool")}
    present = [i for i in ids if i in texts]
    return {"model": served[0], "predictions": served[1].predict([texts[i] for i in present])}


def _select(config: ProjectConfig, excluded: set[str], seed: int) -> dict[str, Any]:
    with Pool(pool_path(config)) as pool:
        candidates = [r for r in pool.records(split="pool", labelled=False) if r.id not in excluded]
        labelled = pool.records(split="pool", labelled=True)
    if not candidates:
        return {"ids": [], "labels": [], "scores": [], "model": None}
    served = champion_model(config)
    name = config.loop.strategy if served is not None else "cold-start"
    strategy = strategies.get(name)
    texts = [r.text for r in candidates]
    probs = served[1].predict_proba(texts) if served is not None else None
    embeddings = labelled_embeddings = None
    if strategy.needs_embeddings:
        cache = embedding_cache(config)
        try:
            body = SetFitClassifier(list(config.labels), body=config.model.body,
                                    max_seq_length=config.model.max_seq_length, cache=cache)  # fmt: skip
            embeddings = body.embed(texts)
            labelled_embeddings = body.embed([r.text for r in labelled]) if labelled else None
        finally:
            cache.close()
    classes = list(config.labels)
    counts = dict(Counter(classes.index(r.label) for r in labelled))
    chosen = strategy.select(
        strategies.Candidates(probs, embeddings, labelled_embeddings, counts), config.loop.batch_size, seed
    )
    return {
        "ids": [candidates[i].id for i in chosen],
        "labels": [classes[int(np.argmax(probs[i]))] for i in chosen] if probs is not None else [None] * len(chosen),
        "scores": [float(np.max(probs[i])) for i in chosen] if probs is not None else [None] * len(chosen),
        "model": served[0] if served is not None else None,
        "strategy": name,
    }


def _push(config: ProjectConfig, client, dataset, selection: dict[str, Any]) -> dict[str, Any]:
    with Pool(pool_path(config)) as pool:
        by_id = {r.id: r for r in pool.records(split="pool")}
    outgoing = [
        OutgoingRecord(record_id, by_id[record_id].text, by_id[record_id].metadata, label, score)
        for record_id, label, score in zip(selection["ids"], selection["labels"], selection["scores"])
    ]
    return {"pushed": push(client, dataset, outgoing, agent=selection["model"] or "sin-modelo")}


def run_round(config: ProjectConfig, seed: int = 0, notice: Callable[[str], None] = print) -> RoundReport:
    with RoundLock(config.state_dir / "round.lock"):
        folder = rounds_dir(config)
        manifest = RoundManifest.unfinished(folder) or RoundManifest.open(
            folder, len(RoundManifest.all(folder)) + 1, strategy=config.loop.strategy, seed=seed,
            batch_size=config.loop.batch_size,
        )  # fmt: skip
        client = owner_client(config)
        dataset = ensure_dataset(client, dataset_spec(config))
        pulled = manifest.run("pull", lambda: _pull(config, client, dataset))
        trained = manifest.run("train", lambda: _train(config, pulled["new_labels"], notice))
        manifest.run("score", lambda: _score_stop_set(config))
        excluded = sent_ids(config) | set(pulled["discarded"])
        selection = manifest.run("select", lambda: _select(config, excluded, seed + manifest.number))
        manifest.run("push", lambda: _push(config, client, dataset, selection))
        manifest.finish()
    return RoundReport(manifest.number, pulled["new_labels"], trained["trained"], registry(config).champion(),
                       selection["ids"])  # fmt: skip
