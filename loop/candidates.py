"""Which pool records a round scores: a window of the unlabelled candidates, and the stop set.

Scoring and embedding every unlabelled text each round makes a round's cost grow with the pool:
on 2 cores a 10k pool takes six minutes to embed at 256 tokens, a 50k pool half an hour. A round
therefore considers at most ``loop.candidates`` of them (random subsampling, as in Ein-Dor et
al. (2020) and small-text's ``SubsamplingQueryStrategy``), made cache-friendly: the window is the
first candidates in a fixed random order of the pool (a hash of ``data.split_seed`` and the id),
so consecutive rounds see the same texts, already embedded, and a record enters the window only
as another leaves it (labelled, sent or discarded). Embedding that window is what a first round
on a large pool waits for (4,096 texts with e5 at 256 tokens: nearly 4 minutes on 2 cores), so a
round that embeds the window to choose embeds at most ``loop.embed_before_push`` of it first
(``affordable``): the window starts that size and grows as the warm step after each push embeds
ahead. The stop set is a fixed sample on which
successive champions' predictions are compared (the stabilising-predictions stopping signal).
The target is where the model will be judged: the frozen test set's texts (never their labels),
among which strategies that weigh typicality measure it (``strategies.density_margin``).
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Callable, Sequence, TypeVar

from bucle.loop.config import ProjectConfig
from bucle.loop.pool import Pool
from bucle.common.files import write_json_atomically

STOP_SET_SIZE = 500
TARGET_SIZE = 1000  # test texts typicality is measured among: a sample beyond this says nothing more
MIN_TARGET = 20  # fewer test texts than this (twice the neighbours it averages): typical of the pool instead
Record = TypeVar("Record")


def _rank(record_id: str, seed: int) -> bytes:
    return hashlib.blake2b(f"{seed}:{record_id}".encode(), digest_size=8).digest()


def ranked(candidates: Sequence[Record], seed: int) -> list[Record]:
    """``candidates`` in the project's fixed random order: every window is a prefix of it."""
    return sorted(candidates, key=lambda c: _rank(c.id, seed))


def window(candidates: Sequence[Record], size: int, seed: int) -> list[Record]:
    """At most ``size`` of ``candidates`` (objects with an ``id``), in their original order."""
    if len(candidates) <= size:
        return list(candidates)
    kept = {c.id for c in ranked(candidates, seed)[:size]}
    return [c for c in candidates if c.id in kept]


def affordable(
    candidates: Sequence[Record], size: int, seed: int, unembedded: Callable[[list[str]], list[str]], allowance: int
) -> int:
    """The largest window size up to ``size`` whose texts (``candidates`` have a ``text``) hold at
    most ``allowance`` that ``unembedded`` names: the window a round can choose among without
    embedding more than that first. Windows of one seed nest (each is the first of one order), so
    the window grows as the cache fills, and the texts already embedded stay in it."""
    prefix = ranked(candidates, seed)[:size]
    new = set(unembedded([c.text for c in prefix]))
    for position, record in enumerate(prefix):
        if record.text in new:
            new.discard(record.text)  # a text twice in the pool is embedded once
            allowance -= 1
            if allowance < 0:
                return position
    return len(prefix)


def stop_set(config: ProjectConfig, pool: Pool | None = None) -> list[str]:
    """The stop set's ids: drawn once from the pool and stored beside the rounds."""
    path = config.state.stop_set
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    with Pool.shared(config.state.pool, pool) as pool:
        ids = sorted(r.id for r in pool.records(split="pool"))
    chosen = sorted(random.Random(config.data.split_seed).sample(ids, min(STOP_SET_SIZE, len(ids))))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomically(path, chosen)
    return chosen


def target_texts(pool: Pool, seed: int) -> list[str]:
    """The texts typicality is measured among: at most ``TARGET_SIZE`` of the frozen test set's,
    in the pool's order; none when it has fewer than ``MIN_TARGET`` (then the candidates' own)."""
    tests = window(pool.records(split="test"), TARGET_SIZE, seed)
    return [r.text for r in tests] if len(tests) >= MIN_TARGET else []
