"""``bucle simulate``: annotators answered from the gold labels of a corpus, so that a whole loop
can be watched and measured without people.

Each round runs as usual; then every record waiting for annotators (the round's batch, and any
sent before and not answered yet) is answered in Argilla, through each
simulated annotator's own account (``loop.annotation.overlap`` of them per record), exactly as
the UI would submit it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bucle.annotation.client import Client, connect
from bucle.annotation.credentials import CredentialsFile
from bucle.annotation.datasets import LABEL_QUESTION, Dataset, find_dataset
from bucle.common.errors import BucleError
from bucle.annotation.http_api import record_server_ids, submit_response
from bucle.annotation.users import add_user
from bucle.loop.config import ProjectConfig
from bucle.loop.label_review import ReviewLog, review_spec
from bucle.loop.pool import Pool
from bucle.loop.adapters import owner_client, space_headers
from bucle.loop.manifest import RoundManifest
from bucle.loop.prefill import least_for
from bucle.loop.rounds import run_round, waiting_ids
from bucle.loop.step_results import result
from bucle.loop.context import registry, round_context
from bucle.loop.train import fine_tune_body, fine_tune_due

log = logging.getLogger("bucle.simulate")


@dataclass(frozen=True)
class SimulatedRound:
    round: int
    labels: int
    champion: str | None
    champion_macro_f1: float | None
    answered: int
    champion_labels: int | None = None  # the labels the champion was trained on
    rule: str = ""  # the gate's rule that decided this round's training (training.promotion); "" untrained
    sent: int = 0
    prefilled: int = 0  # of the records sent, those with a pre-filled suggestion (loop.prefill)


def annotator_clients(config: ProjectConfig, names: list[str]) -> list[Client]:
    """SDK clients logged in as the project's annotators (created if needed)."""
    owner = owner_client(config)
    credentials = CredentialsFile(config.server_layout.credentials)
    users = [add_user(owner, credentials, name, workspace=config.workspace) for name in names]
    return [
        connect(config.argilla_url, user.api_key, who=user.username, headers=space_headers(config)) for user in users
    ]


def answer(owner: Client, clients: list[Client], dataset: Dataset, labels: dict[str, str]) -> int:
    """Submit ``labels`` (record id -> label) as each of ``clients``, as the UI would; answering a
    record twice is harmless (``owner`` finds Argilla's ids: annotators may not list records).
    Returns how many records were answered."""
    server_ids = record_server_ids(owner, dataset) if labels else {}
    for record_id, label in labels.items():
        for client in clients:
            submit_response(client, server_ids[record_id], LABEL_QUESTION, label)
    return len(labels)


def simulate(config: ProjectConfig, rounds: int) -> list[SimulatedRound]:
    owner = owner_client(config)
    clients = annotator_clients(config, config.annotation.annotators[: config.annotation.overlap])
    with Pool(config.state.pool) as pool:
        gold = {r.id: r.gold for r in pool.records(split="pool")}
    if not any(value is not None for value in gold.values()):
        raise BucleError("the pool has no gold labels to answer with: simulate needs a labelled corpus")
    results = []
    for _ in range(rounds):
        report = run_round(config)
        if fine_tune_due(config):  # what `bucle up` runs beside the rounds; simulated annotators wait for it
            with round_context(config) as ctx:
                fine_tune_body(ctx)
        dataset = owner.datasets(name=config.name, workspace=config.workspace)
        with Pool(config.state.pool) as pool:  # diligent annotators answer everything waiting, not only the new batch
            queue = waiting_ids(config, pool, result(RoundManifest.all(config.state.rounds)[-1], "pull").discarded)
        answered = answer(owner, clients, dataset, {i: gold[i] for i in sorted(queue) if gold.get(i) is not None})
        review = find_dataset(owner, review_spec(config))  # labels sent back for a second look, answered from gold too
        if review is not None:
            answer(
                owner,
                clients[:1],
                review,
                {i: gold[i] for i in ReviewLog.load(config).waiting() if gold.get(i) is not None},
            )
        with Pool(config.state.pool) as pool:
            labels = pool.count(split="pool", labelled=True)
        reg = registry(config)
        champion = reg.champion()
        held = reg.evaluated(champion) if champion else None
        f1 = held.macro_f1 if held else None
        manifest = RoundManifest.all(config.state.rounds)[-1]
        trained, selection = result(manifest, "train"), result(manifest, "select")
        least = least_for(reg, selection.model, manifest.data)
        prefilled = sum(score is not None and least is not None and score >= least for score in selection.scores)
        results.append(
            SimulatedRound(
                report.round,
                labels,
                champion,
                f1,
                answered,
                held.labels if held else None,
                trained.rule if trained.trained else "",
                len(selection.ids),
                prefilled,
            )
        )
        log.info(
            "round %d: %d labels, champion %s (macro-F1 %.3f, trained on %s labels), %d records answered",
            report.round,
            labels,
            champion,
            f1 or 0,
            held.labels if held else "-",
            answered,
        )
    return results
