"""An end user types a Spanish text in the demo, in headless Chromium, and reads the prediction."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bucle.loop.context import registry
from tests.helpers import DEMO_TEXT as TEXT

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_visitor_types_a_text_clicks_and_reads_the_prediction(browser, running, demo_project, artifacts):  # noqa: F811
    url, _ = running
    page = browser.new_page()
    page.goto(url)
    page.locator("#texto textarea").fill(TEXT)
    page.locator("#clasificar").click()
    champion = registry(demo_project).champion()
    expect(page.locator("#version")).to_contain_text(champion, timeout=30_000)
    shown = page.locator("#resultado").inner_text()
    assert all(label in shown for label in demo_project.labels), shown
    page.screenshot(path=str(artifacts / "demo-prediction.png"), full_page=True)
    page.close()
