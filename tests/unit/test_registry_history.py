"""One scan of the registry for learning curves, and one definition of the baseline: the TF-IDF
trained in the same training as the version."""

from __future__ import annotations

import json

from bucle.training.registry import METRICS, Registry


def _version(registry: Registry, name: str, family: str, training: int, labels: int, f1: float) -> None:
    metrics = {"family": family, "round": training, "labels": labels, "evaluation": {"macro_f1": f1}}
    registry.add(name, lambda folder: (folder / METRICS).write_text(json.dumps(metrics)))


def test_history_and_the_baseline_of_the_same_training(tmp_path):
    registry = Registry(tmp_path)
    _version(registry, "0001-setfit", "setfit", 1, 16, 0.50)
    _version(registry, "0001-tfidf", "tfidf", 1, 16, 0.60)
    _version(registry, "0002-setfit", "setfit", 2, 32, 0.70)
    _version(registry, "0002-tfidf", "tfidf", 2, 32, 0.65)
    _version(registry, "0003-setfit", "setfit", 3, 48, 0.72)
    assert [(row.name, row.training, row.labels) for row in registry.history()][:2] == [
        ("0001-setfit", 1, 16),
        ("0001-tfidf", 1, 16),
    ]
    assert registry.baseline("0002-setfit") == 0.65 and registry.baseline("0001-setfit") == 0.60
    assert registry.baseline("0003-setfit") is None, "never another training's TF-IDF"


def test_a_file_damaged_after_its_checksum_was_verified_is_caught_in_the_same_process(tmp_path):
    """Digests are remembered by file identity and change times (a round checks the same body
    five times), so a later write, even one that keeps the size and the mtime, is hashed again."""
    import os

    registry = Registry(tmp_path)
    _version(registry, "0001-tfidf", "tfidf", 1, 16, 0.60)
    assert registry.intact("0001-tfidf") and registry.intact("0001-tfidf")
    path = registry.path("0001-tfidf") / METRICS
    before = path.stat()
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"0.6", b"0.9"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not registry.intact("0001-tfidf")
