"""Near-duplicate detection with MinHash signatures and locality-sensitive hashing.

Texts are compared as sets of word 3-grams (after folding case and accents) over their first
``MAX_CHARS`` characters. Signatures use stable hashes (CRC32 of each word, fixed multipliers
and permutation seeds), so they can be stored in the pool and compared with texts ingested on a
later day. All arithmetic is vectorised uint64 with wrap-around. LSH with 32 bands of 4 rows finds pairs above a Jaccard
similarity of about 0.5 with high probability; each candidate is then confirmed against the
configured threshold with the signature's Jaccard estimate.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
import numpy as np

PERMUTATIONS = 128
BANDS = 32
ROWS = PERMUTATIONS // BANDS
MAX_CHARS = 5000
_rng = np.random.default_rng(20240611)
_A = _rng.integers(1, 1 << 63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)
_B = _rng.integers(0, 1 << 63, PERMUTATIONS, dtype=np.uint64)
_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_SHIFT = np.uint64(32)
_WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()


def signature(text: str) -> np.ndarray:
    words = _WORD.findall(_fold(text[:MAX_CHARS])) or [""]
    hashes = np.fromiter((zlib.crc32(word.encode()) for word in words), dtype=np.uint64, count=len(words))
    if len(hashes) >= 3:
        hashes = hashes[:-2] * _K1 + hashes[1:-1] * _K2 + hashes[2:]  # one hash per word 3-gram
    grams = np.unique(hashes)
    with np.errstate(over="ignore"):
        permuted = (grams[:, None] * _A[None, :] + _B[None, :]) >> _SHIFT
    return permuted.min(axis=0).astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


def _band_keys(sig: np.ndarray) -> list[int]:
    """One 64-bit integer per band, mixing its ``ROWS`` values (an int key costs far less memory
    than a bytes key at 100k records × 32 bands; a rare collision only adds a candidate that
    the similarity check then turns down)."""
    bands = sig.astype(np.uint64).reshape(BANDS, ROWS)
    keys = np.zeros(BANDS, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(ROWS):
            keys = keys * _K1 + bands[:, column]
    return keys.tolist()


class NearDuplicateIndex:
    """Signatures seen so far, by id; ``match`` finds one above the threshold.

    A bucket holds one id, or a list of ids once two records share it (most never do)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.signatures: dict[str, np.ndarray] = {}
        self.buckets: list[dict[int, str | list[str]]] = [{} for _ in range(BANDS)]

    def add(self, record_id: str, sig: np.ndarray) -> None:
        self.signatures[record_id] = sig
        for bucket, key in zip(self.buckets, _band_keys(sig)):
            held = bucket.get(key)
            if held is None:
                bucket[key] = record_id
            elif isinstance(held, list):
                held.append(record_id)
            else:
                bucket[key] = [held, record_id]

    def match(self, sig: np.ndarray) -> tuple[str, float] | None:
        best: tuple[str, float] | None = None
        seen: set[str] = set()
        for bucket, key in zip(self.buckets, _band_keys(sig)):
            held = bucket.get(key)
            if held is None:
                continue
            for candidate in [held] if isinstance(held, str) else held:
                if candidate in seen:
                    continue
                seen.add(candidate)
                score = similarity(sig, self.signatures[candidate])
                if score >= self.threshold and (best is None or score > best[1]):
                    best = (candidate, score)
        return best
