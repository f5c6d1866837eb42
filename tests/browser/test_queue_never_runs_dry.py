"""An annotator answers a whole batch in the real Argilla UI while ``bucle up`` runs, and the
next batch is already there when the last record of the first is submitted: the low-water rule
started a round while records were still waiting, so the UI moves on instead of saying the task
is completed. Screenshots go to test-artifacts/."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from playwright.sync_api import expect

from bucle.annotation.credentials import CredentialsFile
from bucle.loop.manifest import RoundManifest
from bucle.loop.pool import Pool
from tests.browser.test_annotation_ui import sign_in
from tests.helpers import interrupt, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PACE_S = 1.5  # seconds an annotator spends on a record: brisk, to leave the round little time
BATCH = 8


def finished(config) -> list[RoundManifest]:
    return [m for m in RoundManifest.all(config.state.rounds) if m.finished]


def test_the_next_batch_is_there_before_the_last_record_is_answered(browser, sibling_project, artifacts):
    # webhooks only: the progress watch and the timer are far away
    schedule = {"min_new_labels": 4, "low_water": 5, "watch_seconds": 3600, "every_minutes": 600, "debounce_seconds": 1}
    config = sibling_project("cola-continua", loop={"batch_size": BATCH, "schedule": schedule})
    service = subprocess.Popen(
        [sys.executable, "-m", "bucle.loop.cli", "-p", str(config.root / "bucle.yaml"), "up"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: len(finished(config)) >= 1 or service.poll() is not None, 300), "the first round"
        assert service.poll() is None, "bucle up stopped"
        time.sleep(2)  # the webhook is registered right after the first round
        with Pool(config.state.pool) as pool:
            texts = {r.id: r.text for r in pool.records(split="pool")}
        annotator = CredentialsFile(config.server_layout.credentials).load()["anotadora-1"]
        page = sign_in_to(browser, config, annotator)
        first_batch = finished(config)[0].result("select")["ids"]
        for n in range(BATCH):
            if n == BATCH - 1:  # one record left: round 2 started while records were still waiting
                # (on an idle machine it has finished long before; on a loaded one the annotator
                # takes longer over the last record: the test may not assume an idle machine)
                assert wait_for(lambda: len(RoundManifest.all(config.state.rounds)) >= 2, 60), "round 2 started"
                assert wait_for(lambda: len(finished(config)) >= 2, 180), "round 2 finished"
            answer_shown(page, texts)
            page.wait_for_timeout(PACE_S * 1000)
            if n == 0:
                page.screenshot(path=artifacts / "queue-1-first-answer.png")
        second = [m for m in finished(config) if m.number == 2]
        next_batch = second[0].result("select")["ids"]
        assert len(next_batch) == BATCH and not set(next_batch) & set(first_batch)
        shown = page.get_by_text(texts[next_batch[0]][:60]).or_(page.get_by_text(texts[next_batch[1]][:60]))
        for record in next_batch[2:]:
            shown = shown.or_(page.get_by_text(texts[record][:60]))
        expect(shown.first).to_be_visible(timeout=15_000)  # the UI's own navigation, no reload
        page.screenshot(path=artifacts / "queue-2-next-batch-without-reload.png")
        expect(page.get_by_text("completed", exact=False)).to_have_count(0)
        page.close()
    finally:
        interrupt(service)


def sign_in_to(browser, config, annotator):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, config.argilla_url, annotator.username, annotator.password)
    page.wait_for_url(f"{config.argilla_url}/")
    expect(page.get_by_text(config.name).first).to_be_visible(timeout=30_000)
    page.get_by_text(config.name).first.click()
    return page


def answer_shown(page, texts: dict[str, str]) -> None:
    """Answer the record on screen: keep a pre-filled suggestion, else pick the first label."""
    expect(page.get_by_role("button", name="Submit")).to_be_visible(timeout=30_000)
    if page.locator("input[type=checkbox]:checked").count() == 0:
        page.locator("label.label-text").first.click()
    page.get_by_role("button", name="Submit").click()
