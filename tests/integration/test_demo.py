"""The demo against a real champion, through gradio_client: predictions, input rules, batch CSV,
hot reload of a new champion, feedback that reaches Argilla (after waiting on disk while Argilla
is unreachable), and the exported Space running offline."""

from __future__ import annotations

import csv
import subprocess
import sys
import time

import pytest
from gradio_client import Client, handle_file

from bucle.demo.app import build_app, parts
from bucle.demo.feedback import AGENT, FeedbackQueue, feedback_spec
from bucle.loop.adapters import owner_client
from bucle.loop.context import registry
from bucle.annotation.embedded.ports import free_port
from tests.helpers import DEMO_TEXT as TEXT
from tests.helpers import assert_one_line_error, bucle, serving_space

pytestmark = pytest.mark.integration


def test_a_prediction_gives_every_label_a_calibrated_probability_and_the_version(running, demo_project):
    url, _ = running
    label, version = Client(url, verbose=False).predict(TEXT, api_name="/predict")
    probabilities = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(probabilities) == set(demo_project.labels)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    assert registry(demo_project).champion() in version


def test_bad_input_gets_a_clear_message(running):
    url, _ = running
    client = Client(url, verbose=False)
    for text, message in (("   ", "vacío"), ("x" * 6000, "el máximo es 5,000")):
        with pytest.raises(Exception, match=message):
            client.predict(text, api_name="/predict")


def test_a_text_in_another_language_is_predicted_with_a_warning(running):
    url, _ = running
    english = (
        "The city council approved the municipal budget yesterday, with more money for public schools "
        "and transport, the mayor told reporters at a press conference on Tuesday afternoon."
    )
    _, version = Client(url, verbose=False).predict(english, api_name="/predict")
    assert "no parece estar en español (detectado: en" in version
    _, spanish = Client(url, verbose=False).predict(TEXT, api_name="/predict")
    assert "no parece" not in spanish


def test_the_rate_limit_answers_in_spanish_per_client(demo_project):
    strict = demo_project.model_copy(update={"demo": demo_project.demo.model_copy(update={"rate_limit_per_minute": 2})})
    port = free_port()
    app = build_app(strict, parts(strict))
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict(TEXT, api_name="/predict")
        client.predict(TEXT, api_name="/predict")
        with pytest.raises(Exception, match="Demasiadas peticiones seguidas"):
            client.predict(TEXT, api_name="/predict")
    finally:
        app.close()


def test_feedback_is_delivered_in_the_background(demo_project):
    queue = FeedbackQueue(demo_project, retry_s=0.2).start()
    try:
        item = queue.submit(TEXT + " (segundo plano)", "verdadera", "falsa", "0001-tfidf")
        deadline = time.monotonic() + 30
        while queue.pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert queue.pending() == []
    finally:
        queue.stop()
    spec = feedback_spec(demo_project)
    dataset = owner_client(demo_project).datasets(name=spec.name, workspace=spec.workspace)
    assert item.id in {r.id for r in dataset.records()}


def test_a_csv_is_classified_row_by_row_with_errors_for_bad_rows(running, demo_project, tmp_path):
    url, _ = running
    upload = tmp_path / "lote.csv"
    with open(upload, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [
                ["id", "text"],
                [1, TEXT],
                [2, "  "],
                [3, TEXT[:80]],
                [4, "Hola a todos"],
                [5, "The city council approved the new budget for public schools yesterday."],
            ]
        )
    result, table = Client(url, verbose=False).predict(handle_file(str(upload)), api_name="/predict_csv")
    with open(result, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [bool(r["error"]) for r in rows] == [False, True, False, False, False]
    assert rows[0]["label"] in demo_project.labels and rows[0]["model"] == registry(demo_project).champion()
    assert "vacío" in rows[1]["error"]
    assert [r["warning"] for r in rows][:3] == ["", "", ""] and "muy corto" in rows[3]["warning"]
    assert "no parece español" in rows[4]["warning"] and rows[4]["label"], "warned, still classified"
    assert table["headers"][:3] == ["texto", "error", "aviso"] and len(table["data"]) == 5, (
        "the table shows the rows too"
    )


def test_a_new_champion_is_served_without_a_restart(running, demo_project):
    url, _ = running
    client = Client(url, verbose=False)
    reg = registry(demo_project)
    before = reg.champion()
    other = next(name for name in reg.names() if name != before)
    reg.set_champion(other, "manual", "the demo test swaps the champion")
    try:
        _, version = client.predict(TEXT, api_name="/predict")
        assert other in version
        summary, curve, _ = client.predict(api_name="/about")
        assert other in summary and "Macro-F1" in summary
        ticks = [row[0] for row in curve["value"]["data"]]
        assert ticks and all(isinstance(t, str) and t.isdigit() for t in ticks), "whole labels, never 0.5 ticks"
    finally:
        reg.set_champion(before, "manual", "restored")


def test_feedback_waits_on_disk_while_argilla_is_unreachable_then_arrives_for_review(running, demo_project):
    url, pieces = running
    dead = demo_project.model_copy(update={"server": demo_project.server.model_copy(update={"port": free_port()})})
    offline = FeedbackQueue(dead)
    item = offline.submit(TEXT, "falsa", "verdadera", "0001-tfidf")
    assert offline.flush() == 0 and [i.id for i in offline.pending()] == [item.id], "kept, not lost"
    assert oct(offline.path.stat().st_mode & 0o777) == "0o600"

    client = Client(url, verbose=False)
    predicted = client.predict(TEXT, api_name="/predict")[0]["label"]
    for refused, why in ((None, "Elige la etiqueta correcta"), (predicted, "Esa es la etiqueta que predijo el modelo")):
        with pytest.raises(Exception, match=why):  # a "correction" must correct something
            client.predict(TEXT, refused, api_name="/feedback")
    correction = next(label for label in demo_project.labels if label != predicted)
    thanks = client.predict(TEXT, correction, api_name="/feedback")
    assert "revisión" in thanks
    assert len(pieces.feedback.pending()) == 2, "the click queued its item on disk"
    assert FeedbackQueue(demo_project).flush() == 2, "both items delivered once Argilla is reachable"

    owner = owner_client(demo_project)
    spec = feedback_spec(demo_project)
    dataset = owner.datasets(name=spec.name, workspace=spec.workspace)
    records = {r.id: r for r in dataset.records(with_suggestions=True)}
    assert item.id in records, "the item queued while Argilla was down was delivered"
    assert {r.suggestions["label"].agent for r in records.values()} == {AGENT}
    assert records[item.id].suggestions["label"].value == "falsa"
    assert spec.name != demo_project.name, "feedback never lands in the dataset the loop trains from"
    assert FeedbackQueue(demo_project).pending() == []


def test_the_exported_space_serves_the_model_offline(demo_project, tmp_path):
    folder = tmp_path / "space"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bucle.loop.cli",
            "-p",
            str(demo_project.root / "bucle.yaml"),
            "demo",
            "export",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("---\n") and "sdk: gradio" in readme and "somosnlp/prueba-bucle" in readme
    assert "gradio==" in (folder / "requirements.txt").read_text()
    reg = registry(demo_project)
    with serving_space(folder, reg.model_folder(reg.champion())) as client:
        label = client.predict(TEXT, api_name="/predict")
    assert {c["label"] for c in label["confidences"]} == set(demo_project.labels.values())


def test_an_export_never_overwrites_a_folder_it_was_not_given_and_a_file_is_one_line(demo_project, tmp_path):
    from bucle.publishing.space import export_space

    path = demo_project.root / "bucle.yaml"
    taken = tmp_path / "etc"
    taken.mkdir()
    (taken / "passwd").write_text("root:x:0:0\n")
    assert_one_line_error(bucle(path, "demo", "export", str(taken)), "is not empty", "--force")
    assert (taken / "passwd").read_text() == "root:x:0:0\n" and not (taken / "app.py").exists()
    assert_one_line_error(bucle(path, "demo", "export", str(taken / "passwd")), "is a file, not a folder")
    export_space(demo_project, taken, force=True)
    assert (taken / "app.py").exists() and (taken / "passwd").exists()


def test_the_default_examples_are_complete_pool_texts_of_typical_length(demo_project):
    from bucle.publishing.facts import EXAMPLE_CHARS, default_examples

    examples = default_examples(demo_project)
    assert len(examples) == 3
    for text in examples:
        assert 80 <= len(text) <= EXAMPLE_CHARS and "@" not in text and "http" not in text
        assert text.rstrip()[-1] in '.!?»"”)', "a complete text, not one cut mid-sentence"
