"""``bucle simulate``: annotators answered from the gold labels of a corpus, so that a whole loop
can be watched and measured without people.

Each round runs as usual; then every record it sent is answered in Argilla, through each
simulated annotator's own account (``loop.annotation.overlap`` of them per record), exactly as
the UI would submit it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from annotation.client import connect
from annotation.credentials import CredentialsFile
from annotation.errors import BucleError
from annotation.users import add_user
from loop.config import ProjectConfig
from loop.ingest.pipeline import pool_path
from loop.pool import Pool
from loop.project import owner_client
from loop.rounds import run_round
from loop.train import registry


@dataclass(frozen=True)
class SimulatedRound:
    round: int
    labels: int
    champion: str | None
    champion_macro_f1: float | None
    answered: int


def simulate(config: ProjectConfig, rounds: int, notice: Callable[[str], None] = print) -> list[SimulatedRound]:
    layout = config.server_layout
    owner = owner_client(config)
    credentials = CredentialsFile(layout.credentials)
    annotators = config.annotation.annotators[: config.annotation.overlap]
    clients = {}
    for name in annotators:
        user = add_user(owner, credentials, name, workspace=config.workspace)
        clients[name] = connect(layout.url, user.api_key, who=name)
    with Pool(pool_path(config)) as pool:
        gold = {r.id: r.gold for r in pool.records(split="pool")}
    if not any(value is not None for value in gold.values()):
        raise BucleError("the pool has no gold labels to answer with: simulate needs a labelled corpus")
    dataset = owner.datasets(name=config.name, workspace=config.workspace)
    results = []
    for _ in range(rounds):
        report = run_round(config, notice=notice)
        dataset = dataset or owner.datasets(name=config.name, workspace=config.workspace)
        server_ids = {record.id: record._server_id for record in dataset.records()}
        answered = 0
        for record_id in report.sent:
            if gold.get(record_id) is None:
                continue
            for client in clients.values():
                reply = client.http_client.post(
                    f"/api/v1/records/{server_ids[record_id]}/responses",
                    json={"status": "submitted", "values": {"label": {"value": gold[record_id]}}},
                )
                if reply.status_code not in (201, 422):  # 422: this annotator already answered it
                    reply.raise_for_status()
            answered += 1
        with Pool(pool_path(config)) as pool:
            labels = len(pool.records(split="pool", labelled=True))
        reg = registry(config)
        champion = reg.champion()
        f1 = reg.metrics(champion).get("evaluation", {}).get("macro_f1") if champion else None
        results.append(SimulatedRound(report.round, labels, champion, f1, answered))
        notice(f"round {report.round}: {labels} labels, champion {champion} (macro-F1 {f1 or 0:.3f}), "
               f"{answered} records answered")  # fmt: skip
    return results
