"""The page's Animate button: the gag on show is animated by the server and its clip plays in Chromium to the end."""

from __future__ import annotations

import io
import time

import av
import pytest

pytest.importorskip("playwright")
from test_page import DESKTOP, RENDER_TIMEOUT, browser, open_page, server, snap  # noqa: E402,F401  (fixtures)

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.slow


def test_the_animate_button_plays_the_clip_to_its_end(server, open_page):
    page, script_errors = open_page(server, DESKTOP)
    page.get_by_test_id("request").fill("my dog Rex as a judge at a baking show")
    page.get_by_test_id("options").click()
    page.get_by_test_id("size").select_option("512x512")
    page.get_by_test_id("paint-now").click()
    expect(page.get_by_test_id("result-image")).to_be_visible(timeout=RENDER_TIMEOUT)

    page.get_by_test_id("result-animate").click()
    video = page.get_by_test_id("result-video")
    expect(video).to_be_visible(timeout=RENDER_TIMEOUT)
    expect(page.get_by_test_id("result-image")).to_be_hidden()
    # Polled from here: the page's Content-Security-Policy refuses the eval that wait_for_function polls with.
    deadline = time.monotonic() + RENDER_TIMEOUT / 1000
    while not page.evaluate("document.querySelector('[data-testid=result-video]').ended"):
        assert time.monotonic() < deadline, "the clip never reached its end"
        time.sleep(0.1)
    played = page.evaluate(
        "(() => { const v = document.querySelector('[data-testid=result-video]');"
        " return {duration: v.duration, width: v.videoWidth, error: v.error && v.error.code}; })()"
    )
    assert played["error"] is None and played["duration"] == pytest.approx(3.0, abs=0.1) and played["width"] == 512
    snap(page, "desktop-6-clip")

    gag = page.request.get("/api/gallery").json()[0]
    clips = page.request.get(f"/api/gallery/{gag['id']}/clips").json()
    assert [clip["format"] for clip in clips] == ["mp4"] and clips[0]["animator"] == "sketch"
    served = page.request.get(clips[0]["url"])
    assert served.ok and served.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(served.body())) as container:
        assert sum(1 for _ in container.decode(video=0)) == 72
    assert page.request.get(f"/api/gags/{gag['id']}/clips/20990101-000000-abcd").status == 404
    refused = page.request.post(f"/api/gallery/{gag['id']}/clips", data={"fps": 500})
    assert refused.status == 422
    assert script_errors == []
