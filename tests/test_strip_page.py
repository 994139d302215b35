"""A strip made from the studio's web page (Chromium against a real server, offline writer, sketch artist)."""

from __future__ import annotations

import pytest
from test_page import BACKENDS, PHONE, RENDER_TIMEOUT, browser, open_page, snap  # noqa: F401  (fixtures)

from playwright.sync_api import expect
from server_fixture import running_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("home"), env=BACKENDS) as base_url:
        yield base_url


def test_a_strip_is_made_on_a_phone_and_shown_by_its_title(server, open_page):
    page, script_errors = open_page(server, PHONE)
    page.get_by_test_id("example").first.click()
    page.get_by_test_id("options").click()
    page.get_by_test_id("panels").select_option("3")
    page.get_by_test_id("layout").select_option("column")
    page.get_by_test_id("size").select_option("512x512")
    page.get_by_test_id("write").click()  # a strip has no concepts to pick: it is painted straight away

    expect(page.get_by_test_id("result-image")).to_be_visible(timeout=RENDER_TIMEOUT)
    [strip] = page.request.get("/api/gallery").json()
    assert len(strip["strip"]["panels"]) == 3 and strip["layout"] == "column"
    expect(page.get_by_test_id("result-caption")).to_contain_text(strip["strip"]["title"])
    expect(page.get_by_test_id("lettering-meme")).to_be_hidden()
    expect(page.get_by_test_id("gallery-item")).to_have_count(1)
    expect(page.get_by_test_id("gallery-item").first).to_contain_text(strip["strip"]["title"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    snap(page, "phone-strip")
    assert script_errors == []
