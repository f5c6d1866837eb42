"""The two rules that keep the annotators' queue right: a round starts while some records are
still waiting (the low-water mark), so that the next batch is in Argilla before the last record
of the current one is answered; and a round never pushes while a full batch is still waiting,
so that the queue never piles up. Pure functions of counts: the scheduler gives Argilla's progress
(``waiting``), the rounds bucle's own record of what was sent and answered (``loop.rounds.waiting_ids``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Queue:
    """Argilla's progress seen from the annotators' side, against the last round's pull."""

    waiting: int  # records still to answer (Argilla keeps a discarded record pending: not counted)
    new_labels: int  # records completed since the last round's pull
    new_answers: int  # labels and discards since the last round's pull


def waiting(pending: int, discarded: int, overlap: int) -> int:
    """Records annotators still have to answer: pending ones, less those discarded by as many
    annotators as each record needs."""
    return max(pending - discarded // max(overlap, 1), 0)


def since_pull(
    pending: int,
    completed: int,
    discarded: int,
    pulled_completed: int | None,
    pulled_discards: int | None,
    overlap: int,
) -> Queue:
    """Argilla's counts now against those a round's pull recorded before it pulled (None, in
    manifests older than them: nothing is new)."""
    new = completed - (completed if pulled_completed is None else pulled_completed)
    news = new + discarded - (discarded if pulled_discards is None else pulled_discards)
    return Queue(waiting(pending, discarded, overlap), new, news)


def round_reason(
    queue: Queue, trigger: str, low_water: int, min_new_labels: int, every_minutes: float, last_round: int
) -> str | None:
    """Why a round should start now (None: it should not). ``trigger``: interval, watch or webhook."""
    if queue.new_labels >= min_new_labels:
        return f"{queue.new_labels} records labelled since round {last_round}"
    if queue.new_answers > 0 and queue.waiting <= low_water:
        return (
            f"the annotators' queue is down to {queue.waiting} records (low water {low_water}; "
            f"{queue.new_labels} new labels)"
        )
    if queue.new_answers > 0 and trigger == "interval":
        return f"{queue.new_labels} records labelled since round {last_round} ({every_minutes:g} min)"
    return None


def batch_to_push(waiting_now: int, batch_size: int) -> int:
    """A full batch when less than one is waiting, else nothing (never pile up the queue)."""
    return batch_size if waiting_now < batch_size else 0
