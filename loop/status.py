"""``bucle status``: the rounds so far and whether it is time to stop."""

from __future__ import annotations

from dataclasses import dataclass

from bucle.loop.config import ProjectConfig
from bucle.loop.context import registry
from bucle.loop.confirmations import confirmations
from bucle.loop.label_review import ReviewLog, review_spec
from bucle.loop.manifest import RoundManifest
from bucle.loop.pool import Pool
from bucle.loop.step_results import result
from bucle.loop.stopping import StoppingSignals, signals
from bucle.loop.llm_plan import llm_plan


@dataclass(frozen=True)
class RoundRow:
    round: int
    finished: bool
    labels: int | None  # labelled records after the round's pull
    new_labels: int | None
    alpha: float | None  # Krippendorff's alpha over every answer so far (None without overlap)
    trained: bool | None
    macro_f1: dict[str, float]  # the round's versions (SetFit, TF-IDF) -> test macro-F1
    champion: str | None
    sent: int | None
    seconds: dict[str, float]


@dataclass(frozen=True)
class Status:
    rounds: list[RoundRow]
    labels: int
    champion: str | None
    champion_macro_f1: float | None
    baseline_macro_f1: float | None
    signals: StoppingSignals
    published: str  # the last publish, and a failure of the latest round's publish step if any
    llm: str  # the LoRA challenger: off, waiting, its last version, when it trains next
    gate: list[str]  # the gate's latest decisions with their reasons, newest first
    argilla: str  # answers waiting in Argilla since the last round's pull, and the annotators' queue
    suggestions: str  # from which probability they are pre-filled, and how often confident ones were right
    selection: str  # the last batch's strategy, its random share and the evidence it weighed
    review: str  # labels sent back for a second look, and each annotator's agreement with the final labels


def status(config: ProjectConfig) -> Status:
    rows = []
    stop_set_predictions = []
    manifests = RoundManifest.all(config.state.rounds)
    for manifest in manifests:
        pulled, exported, trained = result(manifest, "pull"), result(manifest, "export"), result(manifest, "train")
        gated, scored, selection = result(manifest, "gate"), result(manifest, "score"), result(manifest, "select")
        rows.append(
            RoundRow(
                round=manifest.number,
                finished=manifest.finished,
                labels=exported and exported.train,
                new_labels=pulled and pulled.new_labels,
                alpha=pulled.agreement.get("alpha") if pulled else None,
                trained=trained and trained.trained,
                macro_f1=trained.versions if trained else {},
                champion=gated and gated.champion,
                sent=len(selection.ids) if selection else None,
                seconds={step: entry["seconds"] for step, entry in manifest.data["steps"].items()},
            )
        )
        if scored and scored.predictions:
            stop_set_predictions.append(scored.predictions)
    with Pool(config.state.pool) as pool:
        labels = pool.count(split="pool", labelled=True)
        suggestions = confirmations(config, pool).line()
    reg = registry(config)
    champion = reg.champion()
    f1_by_round: dict[int, float] = {}  # the best version of each training
    for row in reg.history():
        f1_by_round[row.training] = max(f1_by_round.get(row.training, 0.0), row.macro_f1)
    baseline = reg.baseline(champion) if champion else None
    held = reg.evaluated(champion) if champion else None
    champion_f1 = held.macro_f1 if held else None
    stopping = config.loop.stopping
    advice = signals(
        stop_set_predictions,
        labels,
        config.loop.label_budget,
        [f1_by_round[k] for k in sorted(f1_by_round)],
        stopping.kappa,
        stopping.window,
        stopping.min_gain,
    )
    llm = llm_plan(config)[1]
    if config.state.job_failed("train-llm").exists():
        llm += f"; the last LLM training failed (log: {config.state.job_log('train-llm')})"
    return Status(
        rows,
        labels,
        champion,
        champion_f1,
        baseline,
        advice,
        _published(config, manifests),
        llm,
        _gate(reg.decisions()),
        _argilla(config, manifests),
        suggestions,
        _selection(manifests),
        _review(config, manifests),
    )


GATE_LINES = 5


def _selection(manifests: list[RoundManifest]) -> str:
    from bucle.loop.strategies import Evidence
    from bucle.loop.strategies.hedged import describe

    picked = next((s for s in (result(m, "select") for m in reversed(manifests)) if s and s.ids), None)
    if picked is None:
        return "no batch yet"
    line = f"the last batch ({len(picked.ids)}) by {picked.strategy}"
    if picked.window is not None:
        line += f" among {picked.window:,} candidates"
    if picked.evidence is not None:
        line += f", {len(picked.explored)} of them drawn at random ({describe(Evidence.from_json(picked.evidence))})"
    if picked.variant is not None:
        line += f", the rest by {picked.variant}"
    if picked.target is not None:
        line += f"; typical of {picked.target} test texts"
    return line


def _review(config: ProjectConfig, manifests: list[RoundManifest]) -> str:
    log = ReviewLog.load(config)
    if config.annotation.review.per_round == 0:
        line = "off (annotation.review.per_round: 0)"
    elif not log.sent:
        line = f"nothing sent yet (from {config.annotation.review.min_labels} labels on)"
    else:
        line = (
            f"{len(log.sent)} labels sent back, {len(log.answered)} answered ({log.changed()} changed), "
            f"{len(log.waiting())} waiting in {review_spec(config).name}"
        )
    pulled = next((p for p in (result(m, "pull") for m in reversed(manifests)) if p and p.annotators), None)
    if pulled:
        line += "; agreement with the final labels: " + ", ".join(
            f"{name} {agreed / answered:.0%} ({agreed} of {answered})"
            for name, (agreed, answered) in pulled.annotators.items()
        )
    return line


def _gate(decisions: list[dict]) -> list[str]:
    """What the gate decided lately and why: a refusal (a new model worse than the champion)
    must be visible where the owner looks, not only in a log."""
    said = {
        "promote": "promoted",
        "refused": "refused",
        "manual": "made champion by hand",
        "rollback": "rolled back to",
    }
    return [
        f"{d['version']} {said.get(d.get('kind', ''), d.get('kind', '?'))}: {d.get('reason', '')}"
        f"{' (rule ' + d['rule'] + ')' if d.get('rule') else ''}"
        for d in reversed(decisions[-GATE_LINES:])
    ]


def _argilla(config: ProjectConfig, manifests: list[RoundManifest]) -> str:
    """Answers that arrived since the last round's pull and what waits in the queue; the server
    may be down, which status says instead of failing."""
    from bucle.annotation.datasets import ensure_dataset
    from bucle.common.errors import BucleError
    from bucle.annotation.records import progress
    from bucle.loop.adapters import dataset_spec, owner_client
    from bucle.loop.queue_rules import waiting

    try:
        client = owner_client(config)
        now = progress(client, ensure_dataset(client, dataset_spec(config)))
    except BucleError as error:
        return f"not reachable ({error})"
    pulled = result(manifests[-1], "pull") if manifests else None
    since = now.completed - (pulled.completed or 0) if pulled else now.completed
    queued = waiting(now.pending, now.discarded, config.annotation.overlap)
    return (
        f"{since} answers waiting since the last round; {queued} records in the annotators' queue "
        f"(the next round starts at {config.loop.low_water})"
    )


def _published(config: ProjectConfig, manifests: list[RoundManifest]) -> str:
    from bucle.loop.publish import last_published

    last = last_published(config)
    said = (
        "nothing yet"
        if last is None
        else (
            f"{last['version']} as {last['tag']} to the {last.get('target', 'local')} target at {last['at']} ("
            + ", ".join(f"{kind} {done['commit'][:12]}" for kind, done in last["repositories"].items())
            + ")"
        )
    )
    failed = result(manifests[-1], "publish") if manifests else None
    return said + (
        f"; the last round's publish failed (the next round tries again): {failed.error}"
        if failed and failed.error
        else ""
    )
