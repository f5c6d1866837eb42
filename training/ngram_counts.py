"""N-gram counts of texts, analysed once per process and looked up by every TF-IDF model.

Splitting long news into character n-grams is most of what a TF-IDF model costs to score (a
second per 300 texts of 2,500 characters), and a round scores the same texts again and again:
the frozen test set (the new versions, their counterfactual twins, the champion the gate
rescores), the candidates' window and the stop set, round after round. The analysis does not
depend on the model, only its vocabulary does: each text is analysed once into its n-grams'
hashes and counts, and a model's vocabulary is looked up in them by hash.

Fitting reads the same cache: a round's training texts are the last round's and one batch, so a
vectorizer is fitted from their cached counts (``fit_counts``), each text's terms kept once, in a
lexicon of hash -> term, for the vocabulary's names and order; only the new batch is analysed.

Hashes are Python's own: stable within a process, which is all a per-process cache needs (64
bits: a collision among the few million n-grams of a project is a one-in-a-million chance).
The counts are bounded by ``max_entries`` (the least recently used texts go first), the lexicon
by ``max_terms`` and one fit's (emptied before a fit when full: its texts are analysed again).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from typing import Callable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

MAX_ENTRIES = 24_000_000  # n-gram entries kept (12 bytes each: about 290 MB; 3,400 news texts)
MAX_TERMS = 3_000_000  # distinct terms of fitted texts kept (about 100 bytes each: 300 MB)


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

    def __init__(self, max_entries: int = MAX_ENTRIES, max_terms: int = MAX_TERMS) -> None:
        self.max_entries, self.max_terms = max_entries, max_terms
        self._rows: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._entries = 0
        self._lexicon: dict[str, dict[int, str]] = {}  # per analyser: hash -> term, of the texts fitted
        self._in_lexicon: set[tuple[str, str]] = set()  # (analyser, text) of the texts whose terms it holds

    def _row(
        self, name: str, analyse: Callable[[str], list[str]], text: str, with_terms: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """The text's n-grams' hashes and counts; ``with_terms``: its terms in the lexicon too."""
        key = (name, text)
        row = self._rows.pop(key, None)
        if row is None or (with_terms and key not in self._in_lexicon):
            counts = Counter(analyse(text))
            hashes = np.fromiter((hash(term) for term in counts), np.int64, len(counts))
            if with_terms:
                self._remember_terms(name, key, hashes, counts)
            if row is None:
                row = (hashes, np.fromiter(counts.values(), np.int64, len(counts)))
                self._entries += len(row[0])
        self._rows[key] = row
        while self._entries > self.max_entries and len(self._rows) > 1:
            _, (hashes, _) = self._rows.popitem(last=False)
            self._entries -= len(hashes)
        return row

    def _remember_terms(self, name: str, key: tuple[str, str], hashes: np.ndarray, counts: Counter) -> None:
        self._lexicon.setdefault(name, {}).update(zip(hashes.tolist(), counts))
        self._in_lexicon.add(key)

    def fit_counts(self, name: str, vectorizer: CountVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
        """``vectorizer.fit_transform(texts)`` from the cache: the same vocabulary and count
        matrix, built in scikit-learn's steps (columns numbered by first appearance, rows sorted
        by them, renumbered in the terms' order, then cut to the ``max_features`` most frequent)
        so that every array is the same. For a vectorizer as ``BRANCHES`` in ``models.tfidf``
        makes them (no df bounds, no fixed vocabulary, counts not binary)."""
        if sum(map(len, self._lexicon.values())) > self.max_terms:  # full: begin again with these texts
            self._lexicon.clear()
            self._in_lexicon.clear()
        analyse = vectorizer.build_analyzer()
        rows = [self._row(name, analyse, text, with_terms=True) for text in texts]
        hashes = np.concatenate([row[0] for row in rows]) if rows else np.zeros(0, np.int64)
        if not len(hashes):
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        unique, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
        met = np.argsort(first)  # scikit-learn numbers terms in the order it meets them
        appearance = np.empty(len(unique), np.int32)
        appearance[met] = np.arange(len(unique), dtype=np.int32)
        lexicon = self._lexicon[name]
        terms = [lexicon[h] for h in unique.tolist()]
        indptr = np.cumsum([0] + [len(row[0]) for row in rows]).astype(np.int32)
        matrix = sp.csr_matrix(
            (np.concatenate([row[1] for row in rows]), appearance[inverse], indptr),
            shape=(len(rows), len(unique)),
            dtype=vectorizer.dtype,
        )
        matrix.sort_indices()
        position = np.empty(len(unique), np.int64)  # each term's column in the terms' order
        position[sorted(range(len(terms)), key=terms.__getitem__)] = np.arange(len(unique))
        columns = position[met]  # the terms as met: their columns in the terms' order
        matrix.indices = columns.astype(matrix.indices.dtype).take(matrix.indices, mode="clip")
        kept = np.ones(len(unique), bool)
        if vectorizer.max_features is not None and len(unique) > vectorizer.max_features:
            frequency = np.asarray(matrix.sum(axis=0)).ravel()
            kept[:] = False
            kept[(-frequency).argsort()[: vectorizer.max_features]] = True
        known = kept[columns]  # the terms as met that survive the cut
        vocabulary = dict(zip([terms[u] for u in met[known].tolist()], (np.cumsum(kept) - 1)[columns[known]]))
        matrix = matrix[:, np.flatnonzero(kept)]
        vectorizer.vocabulary_, vectorizer.fixed_vocabulary_ = vocabulary, False
        return matrix

    def analyse(self, name: str, analyse: Callable[[str], list[str]], texts: Sequence[str]) -> None:
        """Analyse those of ``texts`` not cached yet, so that a later ``matrix`` of them only looks up."""
        for text in texts:
            self._row(name, analyse, text)

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
