"""One round of the loop: pull answers → export the labelled dataset → train if enough are new
(train, evaluate, register) → gate → select → push (what annotators wait for ends here) → embed
the next candidates ahead of the next push → score the stop set → refresh the suggestions of
records still waiting for annotators when the champion changed → send suspect labels to review
→ publish.

Each step's result goes to the round's manifest before the next step starts (``loop.manifest``),
so a round killed anywhere is resumed by running it again; a lock keeps two rounds of a project
from running at once (``loop.lock``). The manifest's header records the batch's settings when
the round opens (``header_for``): a resumed round and ``bucle replay`` follow it, not bucle.yaml as it
is now. Selection never offers the frozen test set, a record already labelled, or one already
sent to annotators.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable

import httpx
import numpy as np

from bucle.annotation.agreement import agreement_report, agreement_with, majority_vote
from bucle.annotation.datasets import ensure_dataset, ensure_vector_field
from bucle.annotation.errors import ArgillaError
from bucle.common.errors import BucleError
from bucle.annotation.model_metadata import CONFIRM, DECIDE, KIND, PREDICTION, PROBABILITY
from bucle.annotation.records import OutgoingRecord, progress, pull, push
from bucle.loop import strategies
from bucle.loop.adapters import dataset_spec, owner_client
from bucle.loop.candidates import affordable, ranked, stop_set, target_texts, window
from bucle.loop.config import ProjectConfig
from bucle.loop.context import RoundContext, Served, round_context
from bucle.loop.label_review import SOURCE as REVIEWED, review
from bucle.loop.labelled import export_labelled
from bucle.loop.lock import RoundLock
from bucle.loop.manifest import RoundManifest
from bucle.loop.pool import Pool, PoolRecord
from bucle.loop.pool_backups import backup_pool
from bucle.loop.prefill import least_for
from bucle.loop.queue_rules import batch_to_push, round_reason, since_pull
from bucle.loop.strategies.cold_start import zero_shot_probs
from bucle.loop.strategies.confident_share import mix
from bucle.loop.text_space import is_lexical, lsa_vectors
from bucle.loop.step_results import (
    Exported,
    Gated,
    PublishStep,
    Pulled,
    Pushed,
    Refreshed,
    Scored,
    Selection,
    Training,
    Warmed,
    from_json,
    result,
    to_json,
)
from bucle.loop.train import apply_gate, train_versions
from bucle.publishing.local_git import PublishError
from bucle.training.registry import Registry
from bucle.training.models.tfidf import analyse_ahead

log = logging.getLogger("bucle.loop")
VECTOR = "embedding"  # the dataset's vector field: the configured body's embeddings
WARM_CHUNK = 256  # texts the warm step embeds between two looks at the annotators' queue (e5, 2 cores: ~20 s)


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
            sent.update(result(manifest, "select").ids)
    return sent


@dataclass(frozen=True)
class Shown:
    """What annotators were shown, replayed from the round manifests in one pass."""

    model_of: dict[str, str | None]  # record -> the model version whose suggestion it carries
    confirm: set[str]  # records a push sent as part of a confident share


def shown(config: ProjectConfig) -> Shown:
    model_of: dict[str, str | None] = {}
    confirm: set[str] = set()
    for manifest in RoundManifest.all(config.state.rounds):
        if manifest.done("push"):
            selection = result(manifest, "select")
            model_of.update(dict.fromkeys(selection.ids, selection.model))
            confirm.update(selection.confirm)
        if manifest.done("refresh"):
            refreshed = result(manifest, "refresh")
            model_of.update(dict.fromkeys(refreshed.ids, refreshed.model))
    return Shown(model_of, confirm)


def _pull(ctx: RoundContext) -> Pulled:
    config = ctx.config
    before = progress(ctx.client, ctx.dataset)  # read first: answers after it trigger the next round
    pulled = pull(ctx.client, ctx.dataset)
    votes = majority_vote(pulled.answers)
    decisions = [d for d in votes if d.label is not None and d.votes >= config.annotation.overlap]
    known = {r.id: r for r in ctx.pool.records(split="pool")}
    new = {
        d.record_id: d.label
        for d in decisions  # a reviewer's label stands (loop.label_review)
        if d.record_id in known and known[d.record_id].label != d.label and known[d.record_id].label_source != REVIEWED
    }
    ctx.pool.set_labels(new, "annotators")
    final = {i: new.get(i, record.label) for i, record in known.items()}  # the labels after this pull
    return Pulled(
        answers=len(pulled.answers),
        new_labels=len(new),
        received=sorted(new),
        ties=sum(d.tie for d in votes),
        discarded=sorted({record for record, _ in pulled.discarded}),
        completed=before.completed,
        discards=before.discarded,
        agreement=asdict(agreement_report(pulled.answers, list(config.labels))),
        annotators=agreement_with(pulled.answers, final),
    )


def _export(ctx: RoundContext, agreement: dict[str, Any]) -> Exported:
    exported = export_labelled(ctx.config, agreement=agreement, pool=ctx.pool)
    return Exported(str(exported.folder), exported.train, exported.test)


def _train(ctx: RoundContext, manifest: RoundManifest) -> Training:
    """Train when enough labels arrived since the last training (counted from the pool and the
    registry, not from this round's pull, so that a resumed round decides the same way)."""
    config, reg = ctx.config, ctx.registry
    if "registry_round" not in manifest.data:  # not a training that was interrupted
        labelled = ctx.pool.count(split="pool", labelled=True)
        if not labelled:
            return Training(False, "no labels yet: cold start")
        history = reg.history()
        new = labelled - (history[-1].labels if history else 0)
        if reg.champion() is not None and new < config.loop.schedule.min_new_labels:
            return Training(False, f"{new} new labels, fewer than {config.loop.schedule.min_new_labels}")
    number = manifest.remember("registry_round", reg.next_training)
    # the body is fine-tuned beside the rounds (loop.scheduler), never inside one: annotators wait on rounds
    trained = train_versions(ctx, fine_tune=False, training=number)
    return Training.of(
        trained, {version: reg.metrics(version)["carbon"]["grams_co2eq"] for version in trained.versions}
    )


def _gate(ctx: RoundContext, training: Training) -> Gated:
    if not training.trained:
        return Gated(ctx.registry.champion(), False)
    outcome = training.outcome()
    return Gated(apply_gate(ctx.registry, outcome), outcome.promote, outcome.reason)


def _score_stop_set(ctx: RoundContext) -> Scored:
    served = ctx.champion()
    if served is None:
        return Scored(None, [])
    texts = {r.id: r.text for r in ctx.pool.records(split="pool")}
    present = [i for i in stop_set(ctx.config, ctx.pool) if i in texts]
    return Scored(served.version, served.model.predict([texts[i] for i in present]))


def committee_versions(registry: Registry) -> list[str]:
    """The committee strategy's members: the champion and the latest intact version of each other
    family, oldest family first."""
    champion = registry.champion()
    if champion is None:
        return []
    own = registry.evaluated(champion)
    members = {own.family if own else "?": champion}
    for row in reversed(registry.history()):  # newest first; checksums read only until one per family is found
        if row.family not in members and registry.intact(row.name):
            members[row.family] = row.name
    return sorted(members.values(), key=lambda name: (name != champion, name))


def header_for(config: ProjectConfig, seed: int) -> dict[str, Any]:
    """What a round's manifest header records when the round opens: the batch's settings as
    bucle.yaml says then. From then on the header, not bucle.yaml, is what the round's selection,
    pre-fill and push follow, when resumed after an edit of bucle.yaml and when replayed."""
    suggestions = config.annotation.suggestions
    return {
        "strategy": config.loop.strategy,
        "seed": seed,
        "batch_size": config.loop.batch_size,
        "confirm_share": suggestions.confirm_share,
        "min_probability": suggestions.min_probability,
        "min_precision": suggestions.min_precision,
    }


@dataclass(frozen=True)
class Batch:
    """What a round's selection asks for, read from its manifest header (``header_for``)."""

    strategy: str
    size: int
    seed: int
    confirm_share: float
    least: float | None  # the served version's pre-fill threshold (loop.prefill); None: none

    @classmethod
    def recorded(cls, registry: Registry, data: dict[str, Any], served: str | None, strategy: str) -> "Batch":
        """``data``: the round manifest's; ``strategy``: the header's, or the one the round used
        instead (cold start without a model)."""
        return cls(
            strategy,
            data["batch_size"],
            data["seed"] + data["round"],
            data.get("confirm_share", 0.0),  # manifests older than the confident share had none
            least_for(registry, served, data),
        )


def _space(
    ctx: RoundContext, lexical: bool, texts: list[str], labelled: list[str], aim: list[str], seed: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The candidates', the labelled texts' and the target's (``aim``) vectors in the space
    strategies compare them in (``loop.text_space``): LSA where the champion is ``lexical``
    (fitted on all three, so that they share one space), the configured body's otherwise."""
    if not lexical:
        body = ctx.base_body()
        return body.embed(texts), body.embed(labelled) if labelled else None, body.embed(aim) if aim else None
    vectors = lsa_vectors(texts + labelled + aim, seed)
    ends = np.cumsum([len(texts), len(labelled)])
    return vectors[: ends[0]], vectors[ends[0] : ends[1]] if labelled else None, vectors[ends[1] :] if aim else None


def evidence_for(config: ProjectConfig, pool: Pool) -> strategies.Evidence:
    """Every random share pushed so far whose records are labelled now: the confidence of the
    prediction each was shown with, and whether the label annotators gave agrees."""
    labels = {r.id: r.label for r in pool.records(split="pool", labelled=True)}
    confidence: list[float] = []
    correct: list[bool] = []
    for manifest in RoundManifest.all(config.state.rounds):
        if not manifest.done("push"):
            continue
        selection = result(manifest, "select")
        shown = {i: (label, score) for i, label, score in zip(selection.ids, selection.labels, selection.scores)}
        for record in selection.explored:
            label, score = shown[record]
            if record in labels and label is not None and score is not None:
                confidence.append(float(score))
                correct.append(label == labels[record])
    return strategies.Evidence(tuple(confidence), tuple(correct))


def _choose(
    ctx: RoundContext,
    candidates: list[PoolRecord],
    labelled: list[PoolRecord],
    served: Served | None,
    batch: Batch,
    committee: list[str] | None = None,
    evidence: strategies.Evidence | None = None,
    aim: list[str] | None = None,
    variant: str | None = None,
    size: int | None = None,
) -> Selection:
    """The selection itself: a pure function of its inputs (models and embeddings are immutable),
    which is what makes a recorded round replayable. ``committee``: the versions a committee
    strategy asks (default: ``committee_versions`` now); ``evidence``: what a hedged strategy
    weighs (``evidence_for`` now; a replay passes the recorded one); ``aim``: the texts a strategy
    that weighs typicality measures it among (default: ``candidates.target_texts`` now); ``variant``: how
    a strategy whose ranking depends on the candidates ranks (default: as it decides now); ``size``:
    how many candidates it chooses among (default: ``_window_size`` now)."""
    strategy_name, batch_size, seed = batch.strategy, batch.size, batch.seed
    config = ctx.config
    strategy = strategies.get(strategy_name)
    lexical = is_lexical(served.model.family if served is not None else None)
    if size is None:  # scoring or comparing the window embeds it with the body, unless all is lexical
        embeds = not lexical or strategy.needs_committee
        zero_shot = served is None and strategy.zero_shot
        size = _window_size(ctx, candidates, batch_size, zero_shot) if embeds else config.loop.candidates
    candidates = window(candidates, size, config.data.split_seed)
    if not candidates:
        return Selection([], [], [], None, strategy_name)
    texts = [r.text for r in candidates]
    probs = served.model.predict_proba(texts) if served is not None else None
    if probs is None and strategy.zero_shot:
        body = ctx.base_body()
        # e5 was trained to match queries to passages: the descriptions ask, the texts answer
        probs = zero_shot_probs(
            body.embed(texts, prompt="passage"), body.embed(list(config.labels.values()), prompt="query")
        )
    embeddings = labelled_embeddings = target_vectors = members = None
    if aim is None:
        aim = target_texts(ctx.pool, config.data.split_seed) if strategy.weighs_typicality else []
    if strategy.needs_embeddings:
        embeddings, labelled_embeddings, target_vectors = _space(
            ctx, lexical, texts, [r.text for r in labelled], aim, seed
        )
    if strategy.needs_committee:
        committee = committee_versions(ctx.registry) if committee is None else committee
        members = tuple(
            probs if served is not None and name == served.version else ctx.model(name).predict_proba(texts)
            for name in committee
        )
    classes = list(config.labels)
    counts = dict(Counter(classes.index(r.label) for r in labelled))
    offered = strategies.Candidates(
        probs,
        embeddings,
        labelled_embeddings,
        counts,
        members,
        evidence,
        target_vectors,
        lexical=lexical,
        variant=variant,
    )
    chosen = strategy.select(offered, batch_size, seed)
    explored = chosen[: strategy.explored(offered, batch_size)]
    confident_probs = probs if served is not None and batch.least is not None else None  # none is pre-filled: no share
    chosen, confident = mix(
        chosen, confident_probs, batch.confirm_share, batch.least if batch.least is not None else 1.0, seed
    )
    return Selection(
        ids=[candidates[i].id for i in chosen],
        labels=[classes[int(np.argmax(probs[i]))] for i in chosen] if probs is not None else [None] * len(chosen),
        scores=[float(np.max(probs[i])) for i in chosen] if probs is not None else [None] * len(chosen),
        model=served.version if served is not None else None,
        strategy=strategy_name,
        committee=committee if strategy.needs_committee else None,
        confirm=[candidates[i].id for i in confident],
        explored=[candidates[i].id for i in explored if i in chosen],
        evidence=evidence.to_json() if evidence is not None else None,
        target=len(aim) if target_vectors is not None else None,
        variant=strategy.variant(offered),
        window=len(candidates),
    )


def _window_size(ctx: RoundContext, candidates: list[PoolRecord], batch_size: int, zero_shot: bool) -> int:
    """How many candidates a round that embeds them with the configured body chooses among:
    ``loop.candidates``, fewer while that would embed more than ``loop.embed_before_push`` (never
    less than a batch) before the push. ``zero_shot``: no champion, the window is embedded as
    passages (``zero_shot_probs``)."""
    config = ctx.config
    body = ctx.base_body()
    prompt = "passage" if zero_shot else None
    allowance = max(config.loop.embed_before_push, batch_size)
    unembedded = lambda texts: body.unembedded(texts, prompt)  # noqa: E731
    return affordable(candidates, config.loop.candidates, config.data.split_seed, unembedded, allowance)


def waiting_ids(config: ProjectConfig, pool: Pool, discarded: Iterable[str]) -> set[str]:
    """The annotators' queue as bucle knows it: records sent that are neither labelled (by as
    many annotators as ``overlap`` asks) nor discarded."""
    return sent_ids(config) - {r.id for r in pool.records(split="pool", labelled=True)} - set(discarded)


def _select(ctx: RoundContext, excluded: set[str], discarded: list[str], data: dict[str, Any]) -> Selection:
    """The next batch as the round manifest's header (``data``) asks, unless a full one is still
    waiting (``queue_rules``)."""
    served = ctx.champion()
    version = served.version if served is not None else None
    batch = Batch.recorded(ctx.registry, data, version, data["strategy"] if served is not None else "cold-start")
    queued = len(waiting_ids(ctx.config, ctx.pool, discarded))
    if not batch_to_push(queued, batch.size):
        held = f"{queued} records still waiting for annotators, a full batch or more"
        return Selection([], [], [], version, batch.strategy, held=held)
    candidates = [r for r in ctx.pool.records(split="pool", labelled=False) if r.id not in excluded]
    labelled = ctx.pool.records(split="pool", labelled=True)
    evidence = evidence_for(ctx.config, ctx.pool) if strategies.get(batch.strategy).weighs_evidence else None
    return _choose(ctx, candidates, labelled, served, batch, evidence=evidence)


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
        raise BucleError(
            f"round {number} has no recorded selection (rounds: {', '.join(str(m.number) for m in manifests) or 'none'})"
        )
    pulls = [result(m, "pull") for m in manifests if m.number <= number and m.done("pull")]
    if any(pulled.received is None for pulled in pulls):
        raise BucleError(
            f"round {number} was recorded before manifests kept the ids they received; it cannot be replayed"
        )
    received = {record for pulled in pulls for record in pulled.received}
    excluded = {i for m in manifests if m.number < number and m.done("push") for i in result(m, "select").ids}
    excluded |= set(result(target, "pull").discarded)
    recorded = from_json(Selection, {"strategy": target.data["strategy"], **target.result("select")})
    if recorded.held:  # nothing was chosen: a full batch was waiting, as Argilla said then
        return Replay(number, [], [])
    strategy = strategies.get(recorded.strategy)
    variant = recorded.variant or strategy.unrecorded_variant
    if variant is not None and variant not in strategy.variants:
        raise BucleError(
            f"round {number} ranked by {recorded.strategy}'s {variant!r}, which this bucle does not know "
            f"(it knows {', '.join(strategy.variants) or 'one way only'}), so the round cannot be replayed"
        )
    with round_context(config) as ctx:
        aim = target_texts(ctx.pool, config.data.split_seed) if recorded.target is not None else []
        if recorded.target is not None and len(aim) != recorded.target:
            raise BucleError(
                f"round {number} measured typicality among {recorded.target} test texts and the frozen test set "
                f"now gives {len(aim)}: it changed since, so the round cannot be replayed"
            )
        records = ctx.pool.records(split="pool")
        labelled = [r for r in records if r.label is not None and (r.label_source != "annotators" or r.id in received)]
        known = {r.id for r in labelled} | excluded
        served = ctx.served(recorded.model) if recorded.model else None  # loaded once the round is known replayable
        asked = Batch.recorded(ctx.registry, target.data, recorded.model, recorded.strategy)
        evidence = strategies.Evidence.from_json(recorded.evidence) if recorded.evidence is not None else None
        again = _choose(
            ctx,
            [r for r in records if r.id not in known],
            labelled,
            served,
            asked,
            recorded.committee,
            evidence,
            aim,
            variant,
            recorded.window if recorded.window is not None else config.loop.candidates,
        )
    return Replay(number, recorded.ids, again.ids)


def _outgoing(
    ctx: RoundContext, ids: list[str], labels: list, scores: list, confirm: set[str], least: float | None
) -> list[OutgoingRecord]:
    """Records as annotators see them: text, metadata, the body's embedding, and the model's
    prediction as metadata, pre-filled as a suggestion only from ``least``, the version's own
    threshold (``loop.prefill``: an unsure suggestion accepted with Enter is a coin flip), and
    never without one (the cold start's zero-shot probabilities are not calibrated)."""
    if not ids:
        return []
    by_id = {r.id: r for r in ctx.pool.records(split="pool")}
    texts = [by_id[i].text for i in ids]
    vectors = ctx.base_body().embed(texts)
    outgoing = []
    for i, text, label, score, vector in zip(ids, texts, labels, scores, vectors):
        sure = least is not None and label is not None and score >= least
        model = (
            {}
            if label is None
            else {PREDICTION: label, PROBABILITY: round(score, 4), KIND: CONFIRM if sure and i in confirm else DECIDE}
        )
        outgoing.append(
            OutgoingRecord(
                i,
                text,
                {**by_id[i].metadata, **model},
                label if sure else None,
                score if sure else None,
                {VECTOR: vector.tolist()},
            )
        )
    return outgoing


def _send(ctx: RoundContext, outgoing: list[OutgoingRecord], agent: str) -> int:
    if not outgoing:
        return 0
    ctx.dataset = ensure_vector_field(ctx.client, ctx.dataset, VECTOR, len(outgoing[0].vectors[VECTOR]))
    return push(ctx.client, ctx.dataset, outgoing, agent=agent)


def _push(ctx: RoundContext, selection: Selection, header: dict) -> Pushed:
    least = least_for(ctx.registry, selection.model, header)
    outgoing = _outgoing(ctx, selection.ids, selection.labels, selection.scores, set(selection.confirm), least)
    return Pushed(_send(ctx, outgoing, selection.model or "sin-modelo"))


def _warm(ctx: RoundContext, excluded: set[str], pulled: Pulled, number: int) -> Warmed:
    """Embed the next candidates with the configured body after the push, so that the next round
    finds the window's vectors cached: a push embeds only what it sends, a round at most
    ``loop.embed_before_push`` of the window, and with a TF-IDF champion (the strategies then work
    in LSA space) nothing else would have embedded them. Their n-grams too, into the process's
    cache, for a TF-IDF champion's next scoring of the window (in ``bucle up``, one process, a
    window of 4,096 texts is analysed once, not in the round where TF-IDF first becomes champion).

    Annotators wait on the push, not on this, unless they answer faster than it embeds (a first
    round on a large pool with the e5 body: minutes) while the next round waits for this one's
    lock. So between chunks it looks at their queue and stops as soon as the next round is due;
    what it left, later rounds embed (windows nest). The vectors are the same whenever computed."""
    config = ctx.config
    if not config.loop.warm_ahead:
        return Warmed(0)
    candidates = [r for r in ctx.pool.records(split="pool", labelled=False) if r.id not in excluded]
    texts = [r.text for r in ranked(candidates, config.data.split_seed)[: config.loop.candidates]]  # as windows grow
    body = ctx.base_body()
    ahead = body.unembedded(texts)[: config.loop.warm_ahead]
    for start in range(0, len(ahead), WARM_CHUNK):
        if start and (due := _next_round_due(ctx, pulled, number)):
            log.info("round %d · warm: stopped after %d texts: the next round is due (%s)", number, start, due)
            return Warmed(start, due)
        body.embed(ahead[start : start + WARM_CHUNK])
    analyse_ahead(texts)
    return Warmed(len(ahead))


def _next_round_due(ctx: RoundContext, pulled: Pulled, number: int) -> str | None:
    """Why the next round is due already (annotators answered while this one ran), as the
    scheduler would say; None while it is not, or while Argilla does not answer (warming goes on)."""
    config = ctx.config
    try:
        now = progress(ctx.client, ctx.dataset)
    except (ArgillaError, httpx.HTTPError):  # a look at the queue never fails the round
        return None
    queue = since_pull(
        now.pending, now.completed, now.discarded, pulled.completed, pulled.discards, config.annotation.overlap
    )
    schedule = config.loop.schedule
    return round_reason(queue, "watch", config.loop.low_water, schedule.min_new_labels, schedule.every_minutes, number)


def _refresh(ctx: RoundContext, discarded: list[str], header: dict) -> Refreshed:
    """Give records that still wait for annotators the current champion's prediction (and its
    suggestion if it is sure enough, else none)."""
    name = ctx.registry.champion()
    if name is None:
        return Refreshed([], None)
    records = ctx.pool.records(split="pool")
    labelled = {r.id for r in records if r.label is not None}
    before = shown(ctx.config)
    stale = sorted(i for i, by in before.model_of.items() if by != name and i not in labelled and i not in discarded)
    if not stale:
        return Refreshed([], name)
    texts = {r.id: r.text for r in records}
    model = ctx.model(name)  # loaded only when some suggestion is stale
    probs = model.predict_proba([texts[i] for i in stale])
    labels = [model.classes[int(np.argmax(row))] for row in probs]
    scores = [float(np.max(row)) for row in probs]
    _send(ctx, _outgoing(ctx, stale, labels, scores, before.confirm, least_for(ctx.registry, name, header)), name)
    return Refreshed(stale, name, labels, scores)


def _publish(ctx: RoundContext) -> PublishStep:
    """Publish when ``publish.when`` says so; a target that fails (the Hub down) is recorded and
    retried by the next round, never a round that cannot finish."""
    from bucle.loop import publish

    reason = publish.due(ctx.config)
    if reason is None:
        return PublishStep()
    try:
        done = publish.publish(ctx.config, ctx.pool)
    except PublishError as error:
        log.warning("publishing failed (the next round tries again): %s", error)
        return PublishStep(reason, error=str(error))
    return PublishStep(reason, done.version, {kind: p.commit for kind, p in done.repositories.items()})


def run_round(config: ProjectConfig, seed: int = 0) -> RoundReport:
    with RoundLock(config.state.round_lock):
        folder = config.state.rounds
        unfinished = RoundManifest.unfinished(folder)
        if unfinished is not None:
            log.info(
                "round %d was interrupted; resuming after %s",
                unfinished.number,
                ", ".join(unfinished.data["steps"]) or "its start",
            )
        manifest = unfinished or RoundManifest.open(
            folder, len(RoundManifest.all(folder)) + 1, **header_for(config, seed)
        )
        client = owner_client(config)
        with round_context(config, client, ensure_dataset(client, dataset_spec(config))) as ctx:

            def step(name: str, action: Callable[[], Any]) -> Any:
                resumed = manifest.done(name)
                manifest.run(name, lambda: to_json(action()))
                if not resumed:
                    log.info("round %d · %s (%.1f s)", manifest.number, name, manifest.data["steps"][name]["seconds"])
                return result(manifest, name)

            pulled = step("pull", lambda: _pull(ctx))
            step("export", lambda: _export(ctx, pulled.agreement))
            trained = step("train", lambda: _train(ctx, manifest))
            step("gate", lambda: _gate(ctx, trained))
            excluded = sent_ids(config) | set(pulled.discarded)
            selection = step("select", lambda: _select(ctx, excluded, pulled.discarded, manifest.data))
            step("push", lambda: _push(ctx, selection, manifest.data))
            step("warm", lambda: _warm(ctx, excluded | set(selection.ids), pulled, manifest.number))  # after the push
            step("score", lambda: _score_stop_set(ctx))  # after the push: annotators do not wait on it
            step("refresh", lambda: _refresh(ctx, pulled.discarded, manifest.data))
            step("review", lambda: review(ctx, manifest.number))
            step("publish", lambda: _publish(ctx))
            backup_pool(config, manifest.number, ctx.pool)  # what restores the labels should the pool be damaged
            manifest.finish()
            champion = ctx.registry.champion()
    return RoundReport(manifest.number, pulled.new_labels, trained.trained, champion, selection.ids)
