"""N-gram counts of texts, analysed once per process and looked up by every TF-IDF model.

Splitting long news into character n-grams is most of what a TF-IDF model costs to score (a
second per 300 texts of 2,500 characters), and a round scores the same texts again and again:
the frozen test set (the new versions, their counterfactual twins, the champion the gate
rescores), the candidates' window and the stop set, round after round. The analysis does not
depend on the model, only its vocabulary does: each text is analysed once into its n-grams'
hashes and counts, and a model's vocabulary is looked up in them by hash.

Hashes are Python's own: stable within a process, which is all a per-process cache needs (64
bits: a collision among the few million n-grams of a project is a one-in-a-million chance).
The counts are bounded by ``max_entries`` (the least recently used texts go first).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp

MAX_ENTRIES = 24_000_000  # n-gram entries kept (12 bytes each: about 290 MB; 3,400 news texts)


class VocabularyLookup:
    """A fitted vocabulary (term -> column) as sorted hashes, for vectorised lookups."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        hashes = np.fromiter((hash(term) for term in vocabulary), np.int64, len(vocabulary))
        columns = np.fromiter(vocabulary.values(), np.int64, len(vocabulary))
        order = np.argsort(hashes)
        self.hashes, self.columns, self.width = hashes[order], columns[order], len(vocabulary)

    def find(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The columns of the ``hashes`` in the vocabulary, and which of them are in it."""
        at = np.minimum(np.searchsorted(self.hashes, hashes), max(self.width - 1, 0))
        found = self.hashes[at] == hashes if self.width else np.zeros(len(hashes), bool)
        return self.columns[at[found]], found


class NgramCounts:
    """Per (analyser, text): the n-grams' hashes and counts, least recently used first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._rows: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._entries = 0

    def _row(self, name: str, analyse: Callable[[str], list[str]], text: str) -> tuple[np.ndarray, np.ndarray]:
        row = self._rows.pop((name, text), None)
        if row is None:
            counts = Counter(analyse(text))
            row = (
                np.fromiter((hash(term) for term in counts), np.int64, len(counts)),
                np.fromiter(counts.values(), np.int64, len(counts)),
            )
            self._entries += len(row[0])
        self._rows[(name, text)] = row
        while self._entries > self.max_entries and len(self._rows) > 1:
            _, (hashes, _) = self._rows.popitem(last=False)
            self._entries -= len(hashes)
        return row

    def matrix(
        self, name: str, analyse: Callable[[str], list[str]], texts: Sequence[str], vocabulary: VocabularyLookup
    ) -> sp.csr_matrix:
        """What ``CountVectorizer.transform(texts)`` gives for that vocabulary, ``analyse``
        being its analyser (``name`` tells analysers apart in the cache)."""
        indices, data, indptr = [], [], [0]
        for text in texts:
            hashes, counts = self._row(name, analyse, text)
            columns, found = vocabulary.find(hashes)
            indices.append(columns)
            data.append(counts[found])
            indptr.append(indptr[-1] + len(columns))
        matrix = sp.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0, np.int64),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.array(indptr),
            ),
            shape=(len(texts), vocabulary.width),
        )
        matrix.sort_indices()
        return matrix


COUNTS = NgramCounts()  # the process's: rounds of `bucle up`, the demo, benchmarks
