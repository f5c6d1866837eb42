"""Real training on the example corpus with small settings: models, cache, calibration,
registry, gate, rollback, crash safety, cards, bias and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from bucle.loop.config import load_config
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.pool import Pool
from bucle.loop.context import embedding_cache, registry, round_context
from bucle.loop.train import train_round
from bucle.training import bias
from bucle.training.bodies import minilm
from bucle.training.embedding_cache import EmbeddingCache
from bucle.training.errors import TrainingError
from bucle.training.model_card import validate_offline as validate_model_card
from bucle.training.models.base import TextClassifier
from bucle.training.models.setfit_model import SetFitClassifier
from bucle.training.settings import FineTuneSettings
from bucle.training.models.tfidf import TfidfClassifier
from bucle.training.registry import RegistryError
from tests.helpers import copy_example_data

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "noticias-falsas"
CLASSES = ["falsa", "verdadera"]
SMALL = {
    "body": minilm(),
    "max_seq_length": 64,
    "bootstrap_samples": 200,
    "fine_tune_pairs_per_label": 1,
    "fine_tune_max_steps": 3,
    "fine_tune_batch_size": 8,
}


def small_project(folder: Path, seed_size: int = 24) -> Path:
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".bucle"))
    copy_example_data(folder / "data", rows=300)  # what a training does, at under half the corpus
    config = yaml.safe_load((folder / "bucle.yaml").read_text(encoding="utf-8"))
    config["model"] = SMALL
    config["data"]["seed_size"] = seed_size
    (folder / "bucle.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return folder / "bucle.yaml"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    config = load_config(small_project(tmp_path_factory.mktemp("train") / "noticias-falsas"))
    ingest(config)
    return config


@pytest.fixture(scope="module")
def data(project):
    with Pool(project.state.pool) as pool:
        train = pool.records(split="pool", labelled=True)
        test = pool.records(split="test")[:80]
    return [r.text for r in train], [r.label for r in train], [r.text for r in test], [r.gold for r in test]


def test_tfidf_fits_saves_and_reloads_identically(tmp_path, data):
    texts, labels, test_texts, _ = data
    model = TfidfClassifier(CLASSES).fit(texts, labels)
    model.save(tmp_path / "m")
    again = TextClassifier.load(tmp_path / "m")
    assert np.allclose(model.predict_proba(test_texts), again.predict_proba(test_texts))
    assert again.temperature == pytest.approx(model.temperature)
    assert np.allclose(model.predict_proba(test_texts).sum(axis=1), 1.0)


def test_setfit_head_only_refit_reads_the_cache_and_a_fine_tune_round_trips(tmp_path, data):
    texts, labels, test_texts, _ = data
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    model = SetFitClassifier(CLASSES, body=minilm(), max_seq_length=64, cache=cache).fit(texts, labels)
    first = model.predict_proba(test_texts)
    assert cache.misses == len(set(texts)) + len(set(test_texts))
    misses = cache.misses
    model.fit(texts, labels)
    assert np.allclose(model.predict_proba(test_texts), first)
    assert cache.misses == misses, "a head-only refit embeds nothing again"

    assert model.fine_tune(texts, labels, FineTuneSettings(pairs_per_label=1, batch_size=8, max_steps=2)) == 2
    assert model.fine_tuned and model.body_id.startswith("fine-tuned:")
    model.fit(texts, labels)
    model.save(tmp_path / "ft")
    assert {"model_head.pkl", "config_setfit.json", "modules.json"} <= {p.name for p in (tmp_path / "ft").iterdir()}
    again = TextClassifier.load(tmp_path / "ft")
    assert np.allclose(model.predict_proba(test_texts[:10]), again.predict_proba(test_texts[:10]), atol=1e-5)


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["uno dos tres", "cuatro cinco seis"], ["falsa", "falsa"], "only one class"),
        (["uno dos tres", "cuatro cinco seis"], ["falsa", "dudosa"], "unknown labels"),
        (["uno dos tres", "  "], ["falsa", "verdadera"], "empty texts"),
    ],
)
def test_bad_training_data_gives_clear_errors(texts, labels, message):
    with pytest.raises(TrainingError, match=message):
        TfidfClassifier(CLASSES).fit(texts, labels)


def test_a_missing_body_is_a_clear_error(tmp_path):
    model = SetFitClassifier(CLASSES, body=str(tmp_path / "no-such-body"))
    with pytest.raises(TrainingError, match="cannot load the model body"):
        model.fit(["uno dos tres", "cuatro cinco seis"], ["falsa", "verdadera"])


def test_counterfactual_swaps_hand_made_sentences():
    assert bias.swap_gender("El presidente habló con su hijo Juan y con ella.") == (
        "La presidenta habló con su hija Juana y con él."
    )
    assert (
        bias.swap_gender("La ministra visitó al alcalde del pueblo.") == "El ministro visitó a la alcaldesa del pueblo."
    )
    assert bias.swap_gender("EL REY y los ciudadanos") == "LA REINA y las ciudadanas"
    assert bias.swap_gender("Sin palabras con género.") == "Sin palabras con género."


class _GenderedToy(TextClassifier):
    """Predicts "falsa" when a text says "ella": a maximally gender-biased model, for the test."""

    family = "toy"

    def fit(self, texts, labels):
        return self

    def raw_proba(self, texts):
        return np.array([[0.9, 0.1] if "ella" in t.lower().split() else [0.2, 0.8] for t in texts])

    def save_model(self, folder):
        raise NotImplementedError

    @classmethod
    def load_model(cls, folder, meta):
        raise NotImplementedError


def test_counterfactual_measures_flips_on_a_biased_model():
    result = bias.counterfactual(_GenderedToy(CLASSES), ["Ella ganó.", "Él ganó.", "Nadie ganó hoy."])
    assert result.tested == 2 and result.flipped == 2 and result.flipped_share == 1.0
    assert result.mean_abs_change == pytest.approx(0.7)
    assert {w["before"] for w in result.worst} == {"falsa", "verdadera"}


def test_rounds_register_versions_gate_and_cards(project):
    first = train_round(project)
    reg = registry(project)
    assert first.promoted and first.champion in first.versions
    assert set(first.versions) == {"0001-setfit", "0001-tfidf"}
    for name in first.versions:
        folder = reg.path(name)
        assert reg.intact(name)
        assert {"model", "metrics.json", "README.md", "reliability.png", "manifest.json", "checksums.json"} <= {
            p.name for p in folder.iterdir()
        }
        card = validate_model_card(__import__("huggingface_hub").ModelCard.load(folder / "README.md"))
        assert card.co2_eq_emissions["source"] == "codecarbon"
        if name.endswith("setfit"):  # the tests' small body, named by its Hub id
            assert card.base_model == "sentence-transformers/all-MiniLM-L6-v2"
        text = (folder / "README.md").read_text(encoding="utf-8")
        assert "TF-IDF + LR (línea base / baseline)" in text or name.endswith("tfidf")
        for heading in ("Contrafactual de género", "Huella de carbono", "Curva de aprendizaje", "Limitaciones"):
            assert heading in text
        metrics = reg.metrics(name)
        assert (
            0
            <= metrics["evaluation"]["macro_f1_low"]
            <= metrics["evaluation"]["macro_f1"]
            <= metrics["evaluation"]["macro_f1_high"]
        )
        assert set(metrics["slices"]) == {"topic", "source"}
        assert metrics["carbon"]["grams_co2eq"] >= 0
    with round_context(project) as ctx:
        assert ctx.champion().version == first.champion

    # the gate refuses a worse model: train the next round on flipped labels
    with Pool(project.state.pool) as pool:
        seed = {r.id: r.label for r in pool.records(split="pool", labelled=True)}
        pool.set_labels({rid: "falsa" if label == "verdadera" else "verdadera" for rid, label in seed.items()}, "seed")
    try:
        second = train_round(project, fine_tune=False)
    finally:
        with Pool(project.state.pool) as pool:
            pool.set_labels(seed, "seed")
    assert not second.promoted and second.champion == first.champion
    assert reg.decisions()[-1]["kind"] == "refused"

    # by hand, then roll back
    reg.set_champion("0002-setfit", "manual", "test")
    with round_context(project) as ctx:
        assert ctx.champion().version == "0002-setfit"
    result = subprocess.run(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(project.root / "bucle.yaml"), "models", "rollback"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert reg.champion() == first.champion


def test_a_crash_while_saving_leaves_the_champion_and_no_half_version(project, monkeypatch):
    reg = registry(project)
    if reg.champion() is None:
        train_round(project, fine_tune=False)
    before, names = reg.champion(), reg.names()

    def crash(*_args, **_kwargs):
        raise OSError("disk full (injected)")

    monkeypatch.setattr("bucle.training.run.reliability_diagram", crash)
    with pytest.raises(OSError, match="injected"):
        train_round(project, fine_tune=False)
    assert reg.champion() == before
    assert reg.names() == names
    assert not [p for p in reg.versions_dir.iterdir() if p.name.startswith(".")]


def test_a_full_disk_registers_neither_version_of_a_training_and_is_one_line(project, monkeypatch, capsys):
    import errno

    from typer.testing import CliRunner

    from bucle.loop.cli import app
    from bucle.training.models.tfidf import TfidfClassifier

    reg = registry(project)
    names = reg.names()

    def full(self, folder, *_args, **_kwargs):  # the second version's save: the first is staged by then
        raise OSError(errno.ENOSPC, "No space left on device", str(folder / "pipeline.skops"))

    monkeypatch.setattr(TfidfClassifier, "save", full)
    result = CliRunner().invoke(app, ["-p", str(project.root / "bucle.yaml"), "train", "--head-only"])
    assert result.exit_code == 1, result.output
    output = result.output + capsys.readouterr().err  # rich may hold the stderr it started with
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "No space left on the disk of" in lines[0] and "Traceback" not in output
    assert "training " in output and "round " not in output, "a training is numbered as a training, not a round"
    assert reg.names() == names, "all or none: no setfit version without its tfidf"
    assert not [p for p in reg.versions_dir.iterdir() if p.name.startswith(".")]


def test_a_training_by_hand_waits_for_the_rounds_lock(project):
    from bucle.loop.lock import RoundLock, RoundLocked

    with RoundLock(project.state_dir / "round.lock"):
        with pytest.raises(RoundLocked, match="another round or training is running"):
            train_round(project, fine_tune=False)


def test_a_damaged_version_is_detected_and_never_served(project):
    reg = registry(project)
    if not reg.names():
        train_round(project, fine_tune=False)
    victim = reg.names()[0]
    head = next((reg.path(victim) / "model").iterdir())
    head.write_bytes(head.read_bytes() + b"tampered")
    assert not reg.intact(victim)
    with pytest.raises(RegistryError, match="damaged"):
        reg.model_folder(victim)
    with pytest.raises(RegistryError, match="damaged"):
        reg.set_champion(victim, "manual", "test")
    listing = subprocess.run(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(project.root / "bucle.yaml"), "models", "list"],
        capture_output=True,
        text=True,
    )
    assert listing.returncode == 0 and "DAMAGED" in listing.stdout
    # versions share their body's files (hard links): a damaged stored body is set aside and saved again
    for stored in reg.bodies_dir.glob("base-*"):
        weights = stored / "model.safetensors"
        weights.chmod(0o644)
        weights.write_bytes(weights.read_bytes()[:-8] + b"tampered")
    after = train_round(project, fine_tune=False)
    assert all(reg.intact(name) for name in after.versions)


def test_fine_tune_schedule(project):
    from bucle.loop.train import should_fine_tune

    reg = registry(project)
    assert not should_fine_tune(project, reg, 1, labels=10), "too few labels"
    (reg.root / "bodies.json").unlink(missing_ok=True)
    assert should_fine_tune(project, reg, 1, labels=100), "first fine-tune once there are enough labels"

    def save(folder: Path) -> None:
        folder.mkdir()
        (folder / "weights").write_text("a stand-in for a body")

    reg.make_latest(reg.add_body(save, lambda name: f"fine-tuned:{name}@64", training=3, labels=100))
    assert not should_fine_tune(project, reg, 4, labels=120)
    assert should_fine_tune(project, reg, 8, labels=120), "every N rounds"
    assert should_fine_tune(project, reg, 4, labels=150), "after the labelled set grew by half"
    (reg.root / "bodies.json").unlink()


def test_a_body_fine_tuned_beside_the_rounds_serves_later_head_only_rounds(project):
    done = subprocess.run(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(project.root / "bucle.yaml"), "fine-tune"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    body = registry(project).latest_body()
    assert body.folder.is_dir() and body.body_id.startswith("fine-tuned:body-")
    assert "/" not in (registry(project).root / "bodies.json").read_text(), "named, never by absolute path"

    def must_not_encode(texts):
        raise AssertionError(f"{len(texts)} texts were not embedded ahead by the fine-tune")

    with Pool(project.state.pool) as pool:
        texts = [r.text for r in pool.records()]
    cache = embedding_cache(project)
    try:
        cache.embed(body.body_id, texts, must_not_encode)
    finally:
        cache.close()

    result = train_round(project, fine_tune=False)
    setfit = next(name for name in result.versions if name.endswith("setfit"))
    reg = registry(project)
    assert reg.metrics(setfit)["body_id"] == body.body_id
    served = TextClassifier.load(reg.model_folder(setfit))
    assert served.predict_proba(texts[:3]).shape == (3, 2)


def test_int8_onnx_body_scores_like_the_fp32_body_and_round_trips(tmp_path, data):
    from bucle.training.onnx_body import OnnxEncoder, export_int8

    texts, labels, test_texts, _ = data
    model = SetFitClassifier(CLASSES, body=minilm(), max_seq_length=64).fit(texts, labels)
    export_int8(model.encoder, tmp_path / "onnx")
    fp32 = model.encoder.encode(test_texts[:20])
    int8 = OnnxEncoder(tmp_path / "onnx").encode(test_texts[:20])
    cosine = (fp32 * int8).sum(axis=1) / np.linalg.norm(fp32, axis=1) / np.linalg.norm(int8, axis=1)
    assert cosine.min() > 0.85

    twin = model.with_int8_body(tmp_path / "onnx")
    twin.save(tmp_path / "saved")
    loaded = TextClassifier.load(tmp_path / "saved")
    assert loaded.hyperparameters()["scoring"] == "onnx-int8"
    assert np.allclose(loaded.predict_proba(test_texts[:10]), twin.predict_proba(test_texts[:10]), atol=1e-5)


def test_a_round_with_int8_scoring_records_the_comparison(project):
    config = project.model_copy(update={"model": project.model.model_copy(update={"onnx_int8": True})})
    result = train_round(config, fine_tune=False)
    reg = registry(config)
    setfit = next(name for name in result.versions if name.endswith("setfit"))
    metrics = reg.metrics(setfit)
    comparison = metrics["onnx_int8"]
    assert abs(comparison["delta"]) < 0.2
    scoring = json.loads((reg.path(setfit) / "model" / "meta.json").read_text())["hyperparameters"]["scoring"]
    assert scoring == ("onnx-int8" if comparison["used"] else "fp32")
    assert (reg.path(setfit) / "model" / "onnx-int8").is_dir() == comparison["used"]
    assert not list((config.state_dir / "cache").glob("onnx-*")), "the export's scratch folder is removed"


FRESH_SETFIT = """
import json, sys
from setfit import SetFitModel
model = SetFitModel.from_pretrained(sys.argv[1])
texts = json.loads(sys.argv[2])
print(json.dumps({"probs": model.predict_proba(texts).tolist(), "labels": list(model.predict(texts))}))
"""
FRESH_SKOPS = """
import json, sys
import skops.io
pipeline = skops.io.load(sys.argv[1])
print(json.dumps({"probs": pipeline.predict_proba(json.loads(sys.argv[2])).tolist()}))
"""


def _fresh(script: str, path: Path, texts: list[str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), json.dumps(texts)], capture_output=True, text=True, cwd=path.anchor
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_versions_load_with_their_own_libraries_in_a_fresh_process(project, data):
    """A version needs nothing of bucle: SetFit's own call and skops reproduce the registry's
    calibrated probabilities; the body is inside the version (hard links), under its checksums."""
    reg = registry(project)
    training = train_round(project, fine_tune=False).round  # fp32 (an int8 version serves int8 probabilities)
    _, _, test_texts, _ = data
    texts = test_texts[:12]

    setfit = reg.path(f"{training:04d}-setfit")
    served = TextClassifier.load(reg.model_folder(setfit.name))
    fresh = _fresh(FRESH_SETFIT, setfit / "model", texts)
    assert np.allclose(fresh["probs"], served.predict_proba(texts), atol=1e-5)
    assert fresh["labels"] == served.predict(texts)
    checksums = json.loads((setfit / "checksums.json").read_text())
    assert "model/model.safetensors" in checksums and "model/model_head.pkl" in checksums
    weights = (setfit / "model" / "model.safetensors").stat()
    stored = [p.stat() for p in reg.bodies_dir.glob("*/model.safetensors")]
    assert any(s.st_ino == weights.st_ino for s in stored), "the body is a hard link to the stored body, not a copy"

    tfidf = reg.path(f"{training:04d}-tfidf")
    served = TextClassifier.load(reg.model_folder(tfidf.name))
    fresh = _fresh(FRESH_SKOPS, tfidf / "model" / "pipeline.skops", texts)
    assert np.array_equal(np.array(fresh["probs"]), served.predict_proba(texts))


def test_a_skops_file_with_foreign_types_is_refused(tmp_path, data):
    import skops.io
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    texts, labels, _, _ = data
    model = TfidfClassifier(CLASSES).fit(texts, labels)
    model.save(tmp_path / "m")
    # the classifier only: skops writes a fitted vocabulary_ entry by entry (most of a minute)
    hostile = Pipeline([("run", FunctionTransformer(subprocess.getoutput)), model.pipeline.steps[-1]])
    skops.io.dump(hostile, tmp_path / "m" / "pipeline.skops")
    with pytest.raises(TrainingError, match="types a TF-IDF pipeline never has"):
        TextClassifier.load(tmp_path / "m")


def test_versions_written_before_the_library_layouts_still_load(tmp_path, data):
    """Format 1 (a joblib head or pipeline, the temperature applied on loading): what older
    registries hold, and what replays of their rounds load."""
    import joblib

    from bucle.training.calibration import Calibrator

    texts, labels, test_texts, _ = data
    tfidf = TfidfClassifier(CLASSES).fit(texts, labels)
    raw = tfidf.pipeline.predict_proba(test_texts[:5])  # the folded pipeline, as a format-1 one with T=1.7
    folder = tmp_path / "tfidf"
    folder.mkdir()
    joblib.dump(tfidf.pipeline, folder / "pipeline.joblib")
    meta = {"family": "tfidf", "classes": CLASSES, "temperature": 1.7, "hyperparameters": tfidf.hyperparameters()}
    (folder / "meta.json").write_text(json.dumps(meta))
    old = TextClassifier.load(folder)
    assert np.allclose(old.predict_proba(test_texts[:5]), Calibrator(1.7).apply(raw))

    setfit = SetFitClassifier(CLASSES, body=minilm(), max_seq_length=64).fit(texts, labels)
    folder = tmp_path / "setfit"
    folder.mkdir()
    joblib.dump(setfit.head, folder / "head.joblib")
    hyper = {**setfit.hyperparameters(), "base_body": setfit.body, "body": setfit.body}
    (folder / "meta.json").write_text(
        json.dumps({"family": "setfit", "classes": CLASSES, "temperature": 1.0, "hyperparameters": hyper})
    )
    assert np.allclose(
        TextClassifier.load(folder).predict_proba(test_texts[:5]), setfit.predict_proba(test_texts[:5]), atol=1e-5
    )


def test_a_fine_tune_stops_at_its_time_budget_whatever_its_step_cap(data, caplog):
    texts, labels, _, _ = data
    model = SetFitClassifier(CLASSES, body=minilm(), max_seq_length=32)
    with caplog.at_level("INFO", logger="bucle.training"):
        steps = model.fine_tune(
            texts, labels, FineTuneSettings(pairs_per_label=2, batch_size=8, max_steps=50, max_seconds=0.01)
        )
    assert steps == 1 and model.fine_tuned, "stopped after its first step, not after 50"
    assert "stopped at its time budget" in caplog.text
