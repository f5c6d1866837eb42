"""An annotator labels a record in the real Argilla UI, in headless Chromium.

Screenshots of every step are kept in test-artifacts/ (CI keeps them as artifacts).
"""

from __future__ import annotations

import argilla as rg
import pytest
from playwright.sync_api import expect

from bucle.annotation.datasets import DatasetSpec, ensure_dataset
from bucle.annotation.users import add_user

pytestmark = [pytest.mark.integration, pytest.mark.browser]

TEXTS = [
    "El gobierno anunció un nuevo plan de agua potable para las comunidades rurales.",
    "Científicos confirman que beber refresco cura todas las enfermedades.",
    "La escuela pública del pueblo abrió un programa de alfabetización digital.",
]


@pytest.fixture(scope="module")
def ui_dataset(owner, project) -> rg.Dataset:
    spec = DatasetSpec(
        name="ui-prueba",
        workspace=project.workspace,
        labels={"falsa": "Falsa", "verdadera": "Verdadera"},
        guidelines="# Guía\n\nDecide si la noticia es verdadera o falsa.",
    )
    dataset = ensure_dataset(owner, spec)
    dataset.records.log(
        [
            rg.Record(
                id=f"ui-{i}",
                fields={"text": text},
                suggestions=[rg.Suggestion("label", "falsa", score=0.62, agent="modelo-v1")],
            )
            for i, text in enumerate(TEXTS)
        ]
    )
    return dataset


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_wrong_password_keeps_the_annotator_out(browser, server, owner, credentials, project, artifacts):
    add_user(owner, credentials, "anotadora-1", workspace=project.workspace)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, server.url, "anotadora-1", "not-the-password")
    page.wait_for_timeout(1500)
    page.screenshot(path=artifacts / "ui-0-wrong-password.png")
    assert page.url.endswith("/sign-in")
    page.close()


def test_annotator_labels_a_record_and_the_sdk_sees_it(
    browser, server, owner, credentials, project, ui_dataset, artifacts
):
    annotator = add_user(owner, credentials, "anotadora-1", workspace=project.workspace)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, server.url, annotator.username, annotator.password)
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_text("ui-prueba")).to_be_visible(timeout=30_000)
    page.screenshot(path=artifacts / "ui-1-home.png")

    page.get_by_text("ui-prueba").first.click()
    shown = page.get_by_text(TEXTS[0]).or_(page.get_by_text(TEXTS[1])).or_(page.get_by_text(TEXTS[2]))
    expect(shown.first).to_be_visible(timeout=30_000)
    page.screenshot(path=artifacts / "ui-2-record.png")

    page.get_by_text("Verdadera", exact=True).first.click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=artifacts / "ui-3-submitted.png")
    page.close()

    submitted = [
        record
        for record in ui_dataset.records(query=rg.Query(filter=rg.Filter(("response.status", "==", "submitted"))))
    ]
    assert len(submitted) == 1
    responses = submitted[0].responses["label"]
    assert [(r.value, r.status.value) for r in responses] == [("verdadera", "submitted")]
    user_id = owner.users(username="anotadora-1").id
    assert responses[0].user_id == user_id
    assert ui_dataset.progress()["completed"] == 1
