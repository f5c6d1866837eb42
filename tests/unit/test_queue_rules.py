"""The annotators' queue: a round at the low-water mark, never a push while a batch waits."""

from bucle.loop.queue_rules import Queue, batch_to_push, round_reason, since_pull, waiting


def reason(queue: Queue, trigger: str = "watch", low_water: int = 8) -> str | None:
    return round_reason(queue, trigger, low_water, min_new_labels=16, every_minutes=15, last_round=3)


def test_a_round_starts_at_the_low_water_mark_before_the_queue_runs_dry():
    assert reason(Queue(waiting=9, new_labels=7, new_answers=7)) is None, "above the mark: annotators have work"
    assert "down to 8 records (low water 8" in reason(Queue(waiting=8, new_labels=8, new_answers=8))
    assert "down to 0 records" in reason(Queue(waiting=0, new_labels=0, new_answers=3)), "emptied by discards"
    assert reason(Queue(waiting=0, new_labels=0, new_answers=0)) is None, "an idle project piles up nothing"
    assert "16 records labelled since round 3" in reason(Queue(waiting=40, new_labels=16, new_answers=16))
    assert "(15 min)" in reason(Queue(waiting=12, new_labels=1, new_answers=1), trigger="interval")
    assert reason(Queue(waiting=3, new_labels=1, new_answers=1), low_water=0) is None, (
        "low_water 0: only an empty queue"
    )


def test_never_push_while_a_full_batch_is_waiting():
    assert batch_to_push(waiting_now=0, batch_size=16) == 16
    assert batch_to_push(waiting_now=15, batch_size=16) == 16, "less than a batch waits: the next one goes"
    assert batch_to_push(waiting_now=16, batch_size=16) == 0
    assert batch_to_push(waiting_now=28, batch_size=16) == 0, "the 15-minute timer no longer piles up 28 records"


def test_waiting_counts_pending_records_less_the_fully_discarded():
    assert waiting(pending=12, discarded=4, overlap=1) == 8
    assert waiting(pending=12, discarded=4, overlap=2) == 10, "a record needs two discards to leave the queue"
    assert waiting(pending=2, discarded=6, overlap=1) == 0


def test_the_queue_since_a_pull_counts_labels_and_discards_after_it():
    assert since_pull(pending=10, completed=30, discarded=2, pulled_completed=24, pulled_discards=1, overlap=1) == (
        Queue(waiting=8, new_labels=6, new_answers=7)
    )
    assert since_pull(10, 30, 2, None, None, overlap=1) == Queue(8, 0, 0), "a pull without counts: nothing is new"
