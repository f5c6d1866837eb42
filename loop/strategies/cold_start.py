"""Cold start: with no label yet, the most typical text of each of the pool's largest clusters.

The representatives strategy (``representative.py``, after Zhu et al. (2008) and Hacohen et al.
(2022)) with nothing covered: k-means with k = batch size, one typical text per cluster.
"""

from __future__ import annotations

from loop.strategies.representative import Representative


class ColdStart(Representative):
    name = "cold-start"
    paper = "Zhu et al. (2008); Hacohen et al. (2022)"
