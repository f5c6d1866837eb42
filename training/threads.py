"""Heads are fitted on one BLAS thread.

A round refits a logistic regression on a few hundred to a few thousand rows (the SetFit head on
cached embeddings, the TF-IDF baseline in its rows' coordinates); OpenBLAS splits products that
small across its threads for more than they save (``bench/head_fit.py`` measures it). Torch's and
ONNX Runtime's own thread pools, which embed texts, are not BLAS's and keep theirs.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_blas_thread() -> threadpool_limits:
    return threadpool_limits(limits=1, user_api="blas")
