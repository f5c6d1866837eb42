"""The window of candidates a round scores: capped, stable across rounds, fair to the pool, and
no larger than a round can embed before its push; and the target, the test texts typicality is
measured among."""

from dataclasses import dataclass

from bucle.loop.candidates import MIN_TARGET, TARGET_SIZE, affordable, ranked, target_texts, window


@dataclass(frozen=True)
class Record:
    id: str


POOL = [Record(f"r{i}") for i in range(10_000)]


def test_a_small_pool_is_scored_whole_and_in_order():
    assert window(POOL[:50], 100, seed=13) == POOL[:50]


def test_a_large_pool_is_capped_keeping_the_original_order():
    kept = window(POOL, 500, seed=13)
    assert len(kept) == 500
    positions = [int(r.id[1:]) for r in kept]
    assert positions == sorted(positions)
    assert window(list(reversed(POOL)), 500, seed=13) == list(reversed(kept))  # membership ignores the order
    assert kept != window(POOL, 500, seed=14)  # another project's seed, another window


def test_consecutive_rounds_see_nearly_the_same_texts():
    first = window(POOL, 500, seed=13)
    taken = set(first[:16])  # a batch is sent and labelled
    second = window([r for r in POOL if r not in taken], 500, seed=13)
    assert len(set(second) - set(first)) == 16  # only as many enter as left: the rest is already embedded


def test_the_window_is_spread_over_the_pool():
    positions = [int(r.id[1:]) for r in window(POOL, 1_000, seed=13)]
    quarters = [sum(q * 2_500 <= p < (q + 1) * 2_500 for p in positions) for q in range(4)]
    assert all(200 <= n <= 300 for n in quarters), quarters


@dataclass(frozen=True)
class Text:
    id: str
    text: str


class TestSet:
    """What ``target_texts`` reads of a pool: its test split."""

    def __init__(self, size: int) -> None:
        self.rows = [Text(f"t{i}", f"texto {i}") for i in range(size)]

    def records(self, split: str) -> list[Text]:
        return self.rows if split == "test" else []


def test_the_target_is_the_test_sets_texts_capped_and_none_when_too_few_to_measure_typicality():
    assert target_texts(TestSet(MIN_TARGET - 1), seed=13) == [], "too few: typical of the candidates instead"
    assert target_texts(TestSet(MIN_TARGET), seed=13) == [f"texto {i}" for i in range(MIN_TARGET)]
    large = target_texts(TestSet(TARGET_SIZE + 500), seed=13)
    assert len(large) == TARGET_SIZE and large == target_texts(TestSet(TARGET_SIZE + 500), seed=13), "a fixed sample"


TEXTS = [Text(f"r{i}", f"noticia {i}") for i in range(10_000)]


def unembedded_but(cached: set[str]):
    """What ``SetFitClassifier.unembedded`` answers with ``cached`` in the embedding cache."""
    return lambda texts: [t for t in dict.fromkeys(texts) if t not in cached]


def test_a_pool_not_embedded_yet_gets_a_window_of_what_a_round_may_embed_and_it_grows_with_the_cache():
    first = window(TEXTS, affordable(TEXTS, 4096, 13, unembedded_but(set()), 512), seed=13)
    assert len(first) == 512
    cached = {r.text for r in first}
    sent = set(first[:16])  # the batch leaves the candidates; the warm step embeds the next 1,000
    rest = [r for r in TEXTS if r not in sent]
    cached |= set([r.text for r in ranked(rest, 13)[:4096] if r.text not in cached][:1_000])
    second = window(rest, affordable(rest, 4096, 13, unembedded_but(cached), 512), seed=13)
    assert len(second) == 496 + 1_000 + 512, "what is cached, and as much again as a round may embed"
    assert set(first) - sent <= set(second), "windows nest: what was embedded stays in"
    everything = {r.text for r in TEXTS}
    assert affordable(rest, 4096, 13, unembedded_but(everything), 512) == 4096, "all cached: the configured window"
    assert affordable(TEXTS[:100], 4096, 13, unembedded_but(set()), 512) == 100, "a small pool: all of it"


def test_a_text_twice_in_the_pool_counts_once_against_what_a_round_may_embed():
    copies = [Text(f"a{i}", f"texto {i % 10}") for i in range(100)]  # ten texts, ten times each
    kept = window(copies, affordable(copies, 4096, 13, unembedded_but(set()), 5), seed=13)
    assert len({r.text for r in kept}) == 5 and len(kept) > 5
