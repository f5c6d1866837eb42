"""Publishing to the local target: real git repositories that load without bucle once cloned,
one commit per change, tags never moved, a killed publish completed by the next, and the Hub's
commit operations built offline (with a token that never reaches a message or a log)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bucle.loop.config import load_config
from bucle.loop.ingest.pipeline import ingest
from bucle.loop.pool import Pool
from bucle.loop.publish import publish
from bucle.loop.context import registry
from bucle.loop.train import train_round
from bucle.publishing.local_git import LocalRepository, PublishError
from bucle.training.models.base import TextClassifier
from tests.helpers import DEMO_TEXT, bucle, captured_logs, serving_space

pytestmark = pytest.mark.integration

LOAD = {
    "setfit": "from setfit import SetFitModel\nmodel = SetFitModel.from_pretrained(sys.argv[1])",
    "tfidf": "import skops.io\nmodel = skops.io.load(sys.argv[1] + '/pipeline.skops')",
}
PREDICT = "import json, sys\n{load}\nprint(json.dumps(model.predict_proba(json.loads(sys.argv[2])).tolist()))"


@pytest.fixture(scope="module")
def owner_project(sibling_project):
    config = sibling_project(
        "publicacion",
        publish={"model_repo": "somosnlp/noticias-modelo", "code_url": "https://github.com/somosnlp/bucle/blob/main"},
    )
    ingest(config)
    train_round(config, fine_tune=False)
    return config


def _clone(config, kind: str, into: Path, tag: str | None = None) -> Path:
    target = into / kind
    subprocess.run(["git", "clone", "-q", str(config.state.publish / f"{kind}.git"), str(target)], check=True)
    if tag:
        subprocess.run(["git", "-C", str(target), "checkout", "-q", tag], check=True)
    return target


def test_published_repositories_load_without_bucle_once_cloned(owner_project, tmp_path):
    import datasets

    done = publish(owner_project)
    assert all(p.changed and p.tag == "round-0" for p in done.repositories.values())
    reg = registry(owner_project)
    family = reg.evaluated(done.version).family
    with Pool(owner_project.state.pool) as pool:
        test = [r.text for r in pool.records(split="test")][:16]

    model = _clone(owner_project, "model", tmp_path)
    assert {"README.md", "metrics.json", "reliability.png", "manifest.json", ".gitattributes", "meta.json"} <= {
        p.name for p in model.iterdir()
    }
    card = (model / "README.md").read_text(encoding="utf-8")
    assert "https://github.com/somosnlp/bucle/blob/main/training/run.py" in card, "the card links the code"
    assert "somosnlp/noticias-modelo" in card and ("SetFitModel.from_pretrained" in card or "skops.io.load" in card)
    dataset_card = (_clone(owner_project, "dataset", tmp_path) / "README.md").read_text(encoding="utf-8")
    assert "blob/main/loop/ingest/pipeline.py" in dataset_card
    fresh = subprocess.run(
        [sys.executable, "-c", PREDICT.format(load=LOAD[family]), str(model), json.dumps(test)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    served = TextClassifier.load(reg.model_folder(done.version)).predict_proba(test)
    assert np.allclose(json.loads(fresh.stdout.splitlines()[-1]), served, atol=1e-5)

    dataset = datasets.load_dataset(str(tmp_path / "dataset"), cache_dir=str(tmp_path / "cache"))
    with Pool(owner_project.state.pool) as pool:
        assert dataset["train"].num_rows == pool.count(split="pool", labelled=True)
        assert dataset["test"].num_rows == pool.count(split="test")

    space = _clone(owner_project, "space", tmp_path, tag="round-0")
    assert json.loads((space / "space.json").read_text())["model_revision"] == done.repositories["model"].commit
    with serving_space(space, model) as client:
        label = client.predict(DEMO_TEXT, api_name="/predict")
    assert {c["label"] for c in label["confidences"]} == set(owner_project.labels.values())


def test_publishing_twice_commits_nothing_and_a_rollback_is_a_new_commit(owner_project):
    first = publish(owner_project)
    again = publish(owner_project)
    assert not any(p.changed for p in again.repositories.values())
    assert {k: p.commit for k, p in again.repositories.items()} == {k: p.commit for k, p in first.repositories.items()}

    reg = registry(owner_project)
    other = next(name for name in reg.names() if name != reg.champion())
    reg.set_champion(other, "manual", "test")
    promoted = publish(owner_project)
    model = LocalRepository(owner_project.state.publish / "model.git")
    assert promoted.repositories["model"].changed and promoted.repositories["model"].tag == "round-0.2"
    assert model.tags()["round-0"] == first.repositories["model"].commit, "an old tag is never moved"

    rolled = bucle(owner_project.root / "bucle.yaml", "models", "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert "model model.git: commit" in rolled.stdout, "the rollback republishes"
    head = model.head()
    assert head not in (first.repositories["model"].commit, promoted.repositories["model"].commit), "a new commit"
    tree = subprocess.run(
        [
            "git",
            f"--git-dir={model.path}",
            "rev-parse",
            f"{head}^{{tree}}",
            f"{first.repositories['model'].commit}^{{tree}}",
        ],
        capture_output=True,
        text=True,
    )
    assert len(set(tree.stdout.split())) == 1, "the rolled-back champion's files again"


def test_a_publish_killed_midway_is_completed_by_the_next(owner_project, monkeypatch):
    reg = registry(owner_project)
    other = next(name for name in reg.names() if name != reg.champion())
    reg.set_champion(other, "manual", "test")
    real = LocalRepository._git

    def dies_on_the_space(self, *args, **kwargs):  # the model is committed by then
        if args[0] == "update-ref" and self.path.name == "space.git":
            raise PublishError("killed (injected)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(LocalRepository, "_git", dies_on_the_space)
    space = LocalRepository(owner_project.state.publish / "space.git")
    before = space.head()
    with pytest.raises(PublishError):
        publish(owner_project)
    assert space.head() == before, "main never points at a half-made commit"
    monkeypatch.setattr(LocalRepository, "_git", real)
    done = publish(owner_project)
    assert done.version == other and done.repositories["space"].changed and not done.repositories["model"].changed
    pinned = subprocess.run(
        ["git", f"--git-dir={space.path}", "show", "main:space.json"], capture_output=True, text=True
    )
    assert json.loads(pinned.stdout)["model_revision"] == LocalRepository(space.path.parent / "model.git").head()

    # a real SIGKILL in the middle of a publish, then a publish that completes it
    reg.set_champion(next(name for name in reg.names() if name != other), "manual", "test")
    space_before = space.head()
    child = subprocess.Popen(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(owner_project.root / "bucle.yaml"), "publish"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in child.stdout:  # killed once the model is committed, while the dataset's is being made
        if "publishing the dataset" in line:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert space.head() == space_before, "the Space never points at a model commit before it exists"
    again = bucle(owner_project.root / "bucle.yaml", "publish")
    assert again.returncode == 0, again.stderr
    for kind in ("model", "dataset", "space"):
        repo = owner_project.state.publish / f"{kind}.git"
        fsck = subprocess.run(["git", f"--git-dir={repo}", "fsck", "--no-dangling"], capture_output=True, text=True)
        assert fsck.returncode == 0, fsck.stderr
    assert json.loads(owner_project.state.published.read_text())["version"] == reg.champion()


def test_the_hub_commit_lists_exactly_the_local_files_and_the_token_stays_secret(owner_project, monkeypatch, tmp_path):
    from bucle.publishing import hub
    from bucle.publishing.content import listing, model_files

    reg = registry(owner_project)
    publish(owner_project)
    folder = model_files(reg.path(reg.champion()), tmp_path / "model")
    ops = hub.operations(folder, existing=["README.md", "obsolete.bin"])
    added = sorted(op.path_in_repo for op in ops if type(op).__name__ == "CommitOperationAdd")
    tracked = subprocess.run(
        ["git", f"--git-dir={owner_project.state.publish / 'model.git'}", "ls-tree", "-r", "--name-only", "main"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert added == sorted(listing(folder)) == sorted(tracked), (
        "the Hub commit holds exactly the local repository's files"
    )
    assert ".gitattributes" in added
    assert [op.path_in_repo for op in ops if type(op).__name__ == "CommitOperationDelete"] == ["obsolete.bin"]

    secret = "hf_" + "s3cr3t" * 6
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: a connection error
    monkeypatch.setattr(hub, "ATTEMPTS", 2)
    monkeypatch.setattr(time, "sleep", lambda _s: None)  # the backoff, ours and the Hub client's
    config = load_config(owner_project.root / "bucle.yaml").model_copy(deep=True)
    publish_settings = config.publish.model_copy(
        update={"target": "hub", "model_repo": "somosnlp/m", "dataset_repo": "somosnlp/d", "space_repo": "somosnlp/s"}
    )
    config = config.model_copy(update={"publish": publish_settings})
    with captured_logs("bucle") as lines, pytest.raises(PublishError) as error:
        publish(config)
    assert "cannot reach the Hub" in str(error.value)
    assert secret not in str(error.value) and not any(secret in line for line in lines)


def test_publish_when_decides_the_round_step(owner_project):
    from bucle.loop.publish import due

    def when(value: str):
        return owner_project.model_copy(update={"publish": owner_project.publish.model_copy(update={"when": value})})

    publish(owner_project)
    assert due(when("champion")) is None, "the champion is published already"
    assert due(when("every-round")) == "every round"
    assert due(when("manual")) is None
    to_hub = owner_project.model_copy(update={"publish": owner_project.publish.model_copy(update={"target": "hub"})})
    assert due(to_hub) == "publish.target is now hub"
    reg = registry(owner_project)
    reg.set_champion(next(name for name in reg.names() if name != reg.champion()), "manual", "test")
    assert due(when("champion")).startswith("the champion is ")
