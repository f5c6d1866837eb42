"""The space in which query strategies measure how alike two texts are.

Diversity, clusters and representatives are only as good as the space they are computed in. The
offline default body is English, and its embeddings of Spanish news put unrelated texts side by
side; a TF-IDF champion, moreover, sees the texts through words, not through that body. So a
strategy works in the champion's own space: the body's embeddings for a SetFit champion, and for
a TF-IDF champion (or no champion and no configured body) latent semantic analysis of the texts
(Deerwester et al., 1990): word TF-IDF reduced by truncated SVD to ``DIMENSIONS`` unit vectors.
The LSA space is fitted on the texts a round considers (its candidate window and the labelled
records), so it is deterministic for a replay and costs a few seconds per round.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

DIMENSIONS = 100


def is_lexical(family: str | None) -> bool:
    """Whether strategies compare texts by LSA of their words for a champion of this model family
    (None: no champion yet): every family but SetFit, whose body's embeddings are its own space."""
    return family is not None and family != "setfit"


def lsa_vectors(texts: Sequence[str], seed: int = 0, dimensions: int = DIMENSIONS) -> np.ndarray:
    """Unit vectors (len(texts), ≤ dimensions): accent- and case-folded word TF-IDF, truncated SVD."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    if not texts:
        return np.zeros((0, dimensions), dtype=np.float32)
    vectorizer = TfidfVectorizer(
        sublinear_tf=True,
        strip_accents="unicode",
        min_df=2 if len(texts) >= 50 else 1,
        max_df=0.9,
        token_pattern=r"(?u)\b\w{2,40}\b",
    )
    try:
        tfidf = vectorizer.fit_transform(list(texts))
    except ValueError:  # no term left (a handful of texts that share nothing): every text is its own point
        return np.eye(len(texts), dimensions, dtype=np.float32)
    components = min(dimensions, tfidf.shape[1] - 1, len(texts) - 1)
    if components < 2:
        return normalize(tfidf.toarray()).astype(np.float32)
    reduced = TruncatedSVD(components, algorithm="randomized", n_iter=5, random_state=seed).fit_transform(tfidf)
    return normalize(reduced).astype(np.float32)
