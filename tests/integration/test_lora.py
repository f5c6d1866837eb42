"""The LoRA family on CPU: a tiny decoder with random weights built from its config (tokenizer
trained here), and the shipped MiniLM encoder with its real weights. Trained, evaluated,
registered, gated and carded like the other families; published, and loaded from a clone in a
fresh process with peft's own call; and the committee strategy that asks every family, replayed from its manifest."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from huggingface_hub import ModelCard

from bucle.loop.ingest.pipeline import ingest
from bucle.loop.manifest import RoundManifest
from bucle.loop.publish import publish
from bucle.loop.rounds import replay_selection, run_round
from bucle.loop.status import status
from bucle.loop.context import registry
from bucle.loop.llm_plan import llm_due
from bucle.loop.train import train_llm
from bucle.training.errors import TrainingError
from bucle.training.evaluation import evaluate_model
from bucle.training.model_card import validate_offline
from bucle.training.models.base import TextClassifier
from bucle.training.models.lora import LoraClassifier, LoraParams
from bucle.training.models.random_llm import build
from bucle.training.bodies import minilm
from tests.helpers import EXAMPLE_DATA, SMALL_MODEL, answer_all

pytestmark = pytest.mark.integration
CLASSES = ["falsa", "verdadera"]


def example(name: str) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in (EXAMPLE_DATA / name).read_text(encoding="utf-8").splitlines()]
    return [row["text"] for row in rows], [row["label"] for row in rows]


@pytest.fixture(scope="module")
def tiny_decoder(tmp_path_factory) -> Path:
    """A Qwen2-shaped decoder (2 layers, 64 wide) with random weights, as a local model folder."""
    texts, _ = example("train.jsonl")
    return build("tiny-qwen2", texts, tmp_path_factory.mktemp("llm") / "tiny-qwen2")


@pytest.fixture(scope="module")
def llm_project(sibling_project, tiny_decoder):
    llm = {
        "base_model": str(tiny_decoder),
        "device": "cpu",
        "min_labels": 16,
        "epochs": 3,
        "max_length": 96,
        "batch_size": 8,
        "learning_rate": 1e-3,
    }
    config = sibling_project(
        "llm",
        model={**SMALL_MODEL, "llm": llm},
        loop={"batch_size": 8, "strategy": "committee", "schedule": {"min_new_labels": 4}},
    )
    ingest(config)
    return config


@pytest.fixture(scope="module")
def llm_trained(llm_project):
    """Round 1 (SetFit and TF-IDF on the seed labels; the committee asks both), then the LLM's
    training beside it."""
    first = run_round(llm_project)
    due = llm_due(llm_project)
    return first, due, train_llm(llm_project)


def test_a_lora_challenger_beside_the_rounds_is_registered_gated_carded_and_asked_by_the_committee(
    llm_project, llm_trained
):
    config = llm_project
    first, due, result = llm_trained
    assert first.trained and len(first.sent) == 8
    assert due, "16 labels, a configured LLM and device: cpu"
    reg = registry(config)
    lora, baseline = f"{result.round:04d}-lora", f"{result.round:04d}-tfidf"
    assert set(result.versions) == {lora, baseline} and result.round == 2
    metrics = reg.metrics(lora)
    losses = metrics["losses"]
    assert np.mean(losses[-len(losses) // 3 :]) < np.mean(losses[: len(losses) // 3]), "training moves the loss down"
    assert {"slices", "counterfactual", "carbon"} <= set(metrics) and 0 <= metrics["evaluation"]["macro_f1"] <= 1
    assert reg.intact(lora) and not llm_due(config), "trained again only once the labels grew"
    said = status(config).llm
    assert said.startswith(f"{lora} macro-F1") and "the next from 20 labels" in said, said
    card = (reg.path(lora) / "README.md").read_text(encoding="utf-8")
    data = validate_offline(ModelCard(card))
    assert data.library_name == "peft" and "AutoPeftModelForSequenceClassification" in card
    decisions = [d for d in reg.decisions() if d["version"] in result.versions]
    assert decisions or reg.champion() in result.versions, "the gate decided on the LLM's training"

    answer_all(config, first.sent)
    second = run_round(config)
    selection = RoundManifest.all(config.state.rounds)[-1].result("select")
    assert selection["strategy"] == "committee" and lora in selection["committee"]
    assert len(selection["committee"]) == 3, "one version per family: SetFit, TF-IDF and the LLM"
    replay = replay_selection(config, second.round)
    assert replay.identical and len(replay.recorded) == 8


def test_a_published_lora_champion_loads_with_peft_alone_from_a_clone(llm_project, llm_trained, tmp_path):
    reg = registry(llm_project)
    name = f"{llm_trained[2].round:04d}-lora"
    reg.set_champion(name, "promote", "the test publishes the LLM")
    texts, _ = example("dev.jsonl")
    texts = texts[:6]
    expected = TextClassifier.load(reg.model_folder(name)).predict_proba(texts)
    pad = json.loads((reg.model_folder(name) / "meta.json").read_text(encoding="utf-8"))["hyperparameters"][
        "pad_token_id"
    ]
    assert publish(llm_project).version == name
    clone = tmp_path / "model"
    subprocess.run(["git", "clone", "-q", str(llm_project.state.publish / "model.git"), str(clone)], check=True)
    card = (clone / "README.md").read_text(encoding="utf-8")
    assert "library_name: peft" in card and "adapter_model.safetensors" in {p.name for p in clone.iterdir()}
    script = (
        "import json, sys\nfrom peft import AutoPeftModelForSequenceClassification\n"
        "from transformers import AutoTokenizer\n"
        f"model = AutoPeftModelForSequenceClassification.from_pretrained(sys.argv[1], num_labels=2, pad_token_id={pad})\n"
        "tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])\n"
        "inputs = tokenizer(json.loads(sys.argv[2]), return_tensors='pt', padding=True, truncation=True, max_length=96)\n"
        "print(json.dumps(model.eval()(**inputs).logits.softmax(-1).tolist()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(clone), json.dumps(texts)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert np.allclose(json.loads(out.stdout.splitlines()[-1]), expected, atol=1e-5), "the calibration is in the head"


def test_the_scheduler_trains_the_llm_beside_the_rounds_once_the_labels_grew(llm_project, llm_trained):
    from bucle.loop.scheduler import scheduled_beside

    assert llm_due(llm_project), "24 labels after round 2, 16 at the last LLM training: grown by more than 25%"
    before = {name for name in registry(llm_project).names() if name.endswith("-lora")}
    scheduled_beside(str(llm_project.root / "bucle.yaml"), "train-llm")
    added = {name for name in registry(llm_project).names() if name.endswith("-lora")} - before
    assert len(added) == 1 and not llm_due(llm_project)
    assert not llm_project.state.job_failed("train-llm").exists()
    assert "Champion:" in llm_project.state.job_log("train-llm").read_text(encoding="utf-8")


def test_lora_on_the_shipped_minilm_encoder_is_evaluated_on_the_test_set(tmp_path):
    texts, labels = example("train.jsonl")
    test_texts, test_labels = example("dev.jsonl")
    params = LoraParams(minilm(), epochs=2, max_length=64, batch_size=16, learning_rate=2e-3, device="cpu")
    model = LoraClassifier(CLASSES, params).fit(texts[:96], labels[:96])
    assert model.losses and model.temperature > 0
    evaluation, probs = evaluate_model(model, test_texts, test_labels, 200, 0, tmp_path / "evaluate")
    assert len(probs) == len(test_texts) == 295 and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert 0.0 <= evaluation.macro_f1 <= 1.0
    model.save(tmp_path / "model")
    again = TextClassifier.load(tmp_path / "model")
    assert np.allclose(again.predict_proba(test_texts[:8]), probs[:8], atol=1e-5)


def test_an_llm_without_a_gpu_or_a_loadable_base_is_a_clear_error(llm_project, tmp_path):
    import torch

    llm = llm_project.model.llm
    if not torch.cuda.is_available():
        auto = llm_project.model_copy(
            update={"model": llm_project.model.model_copy(update={"llm": llm.model_copy(update={"device": "auto"})})}
        )
        assert not llm_due(auto)
        with pytest.raises(TrainingError, match="no CUDA device is visible"):
            train_llm(auto)
    with pytest.raises(TrainingError, match="cannot load the LLM"):
        LoraClassifier(CLASSES, LoraParams(str(tmp_path / "no-such-model"), device="cpu")).fit(
            ["uno dos tres", "cuatro cinco seis"] * 4, ["falsa", "verdadera"] * 4
        )


def test_train_llm_runs_unchanged_on_two_data_parallel_processes(llm_project):
    """What ``accelerate launch`` starts on several GPUs (torchrun's processes, gloo on the CPU):
    both train, only the main process registers."""
    before = set(registry(llm_project).names())
    torchrun = Path(sys.executable).parent / "torchrun"
    result = subprocess.run(
        [
            str(torchrun),
            "--nproc_per_node",
            "2",
            "-m",
            "bucle.loop.cli",
            "-p",
            str(llm_project.root / "bucle.yaml"),
            "train-llm",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    added = set(registry(llm_project).names()) - before
    assert len(added) == 2 and {name.split("-")[1] for name in added} == {"lora", "tfidf"}, added
    assert result.stdout.count("Champion:") == 1, "one process registers and reports"
    assert "Could not locate the best model" not in result.stderr, "every process reads the same checkpoints"
