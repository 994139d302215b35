"""The studio's web page, driven in Debian's Chromium against a real server (offline writer, sketch artist).

Screenshots land in artifacts/page/ (not committed): look at them after a change to the page.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from server_fixture import running_server

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh test installs it)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent.parent / "artifacts" / "page"
# Without the background-networking flags Chromium keeps calling home, which a closed network answers slowly.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Milliseconds. Each step takes well under a second here, and several times that on a loaded CI machine.
STEP_TIMEOUT = 20_000
RENDER_TIMEOUT = 60_000


@pytest.fixture(scope="module")
def browser():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=STEP_TIMEOUT)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# The embedded backends: no network, no model weights, a real storyboard picture in a second.
BACKENDS = {"SIGHTGAG_WRITER": "offline", "SIGHTGAG_ARTIST": "sketch"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the tests that need no key. Tests do not expect it empty."""
    with pytest.MonkeyPatch.context() as patch:
        # A module's fixtures start before the per-test clean environment: clean it here too (no keys).
        for name in list(os.environ):
            if name.startswith("SIGHTGAG_") or name.endswith("_API_KEY"):
                patch.delenv(name)
        with running_server(tmp_path_factory.mktemp("home"), env=BACKENDS) as base_url:
            yield base_url


@pytest.fixture
def open_page(browser):
    """Opens the studio page at a viewport size; returns it with a list that collects its uncaught JavaScript
    errors and anything its Content-Security-Policy refused (the page must work within its own policy).

    Pages are closed before the server stops, so no open connection holds up its shutdown.
    """
    pages = []

    def open_page(base_url: str, viewport: dict, *, loaded: bool = True) -> tuple[Page, list[str]]:
        page = browser.new_page(viewport=viewport, base_url=base_url)
        pages.append(page)
        script_errors: list[str] = []
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        page.on(
            "console",
            lambda message: script_errors.append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.goto("/")
        if loaded:  # the examples come from the API: once they show, the page has talked to the server
            expect(page.get_by_test_id("example").first).to_be_visible()
        return page, script_errors

    yield open_page
    for page in pages:
        page.close()


def snap(page: Page, name: str, *, full_page: bool = True) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=full_page)
    return path


def photo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    image = Image.new("RGB", (320, 240), "#f4e1c1")
    image.paste("#e8892b", (100, 60, 220, 200))
    image.save(path)
    return path


def shown_image_bytes(page: Page, test_id: str) -> bytes:
    source = page.get_by_test_id(test_id).get_attribute("src")
    response = page.request.get(source)
    assert response.ok and response.headers["content-type"] == "image/png"
    return response.body()


def test_a_request_becomes_a_gag_to_reletter_and_find_in_the_gallery(server, open_page, tmp_path):
    page, script_errors = open_page(server, DESKTOP)
    info = page.request.get("/api/info").json()
    assert page.get_by_test_id("example").all_inner_texts() == info["examples"]
    assert info["writer"] in page.get_by_test_id("backends").inner_text()
    snap(page, "desktop-1-empty")

    # A subject, added from a photo right there.
    page.get_by_test_id("subject-add").click()
    page.get_by_test_id("subject-name").fill("Mittens")
    page.get_by_test_id("subject-kind").fill("cat")
    page.get_by_test_id("subject-photos").set_input_files(photo(tmp_path, "mittens.jpg"))
    page.get_by_test_id("subject-submit").click()
    chip = page.get_by_test_id("subject-chip").filter(has_text="Mittens")
    expect(chip).to_be_visible()
    expect(chip.locator("input")).to_be_checked()  # a subject just added is meant to star
    assert [subject["name"] for subject in page.request.get("/api/subjects").json()] == ["Mittens"]

    # The request, from an example, and three concepts to pick from.
    page.get_by_test_id("example").first.click()
    expect(page.get_by_test_id("request")).to_have_value(info["examples"][0])
    page.get_by_test_id("request").fill("my cat Mittens as a superhero fighting a giant ball of yarn")
    page.get_by_test_id("options").click()
    page.get_by_test_id("size").select_option("512x512")
    page.get_by_test_id("write").click()
    cards = page.get_by_test_id("concept-card")
    expect(cards).to_have_count(3)
    expect(page.get_by_test_id("paint")).to_be_disabled()  # nothing picked yet
    # Each card says what the editor thought of it: a score out of 10 and why.
    expect(cards.get_by_test_id("concept-editor")).to_have_count(3)
    for note in cards.get_by_test_id("concept-editor").all_inner_texts():
        assert re.fullmatch(r"\d+\.\d/10 · .+", note), note

    # Pick the second concept and rewrite its caption before painting.
    cards.nth(1).get_by_test_id("concept-pick").click()
    expect(cards.nth(1)).to_have_attribute("aria-current", "true")
    title = cards.nth(1).get_by_test_id("concept-title").inner_text()
    caption = "Nobody warned the yarn about Mittens"
    cards.nth(1).get_by_test_id("concept-caption").fill(caption)
    snap(page, "desktop-2-concepts")

    page.get_by_test_id("paint").click()
    expect(page.get_by_test_id("progress-label")).to_be_visible()
    image = page.get_by_test_id("result-image")
    expect(image).to_be_visible(timeout=RENDER_TIMEOUT)
    # Visible is not loaded: on a busy machine the PNG may still be on its way.
    page.wait_for_function("document.querySelector('[data-testid=result-image]').complete")
    assert page.evaluate("document.querySelector('[data-testid=result-image]').naturalWidth") == 512
    expect(page.get_by_test_id("result-caption")).to_contain_text(caption)
    snap(page, "desktop-3-result")

    # The gag was painted from the edited concept, not one the writer wrote afresh.
    gag = page.request.get("/api/gallery").json()[0]
    assert gag["concept"]["title"] == title and gag["concept"]["caption"]["text"] == caption
    assert gag["subjects"] == ["Mittens"]

    # Lettering styles switch the picture in place.
    started_with = gag["lettering"] or gag["concept"]["caption"]["lettering"]
    expect(page.get_by_test_id(f"lettering-{started_with}")).to_have_attribute("aria-pressed", "true")
    lettered = shown_image_bytes(page, "result-image")
    for style in ("none", "meme"):
        page.get_by_test_id(f"lettering-{style}").click()
        expect(page.get_by_test_id(f"lettering-{style}")).to_have_attribute("aria-pressed", "true")
        relettered = shown_image_bytes(page, "result-image")
        assert relettered != lettered
        lettered = relettered
    assert page.request.get(f"/api/gallery/{gag['id']}").json()["lettering"] == "meme"
    snap(page, "desktop-4-meme")

    # The gallery has it, with its details and a download.
    item = page.locator(f"[data-testid=gallery-item][data-gag-id='{gag['id']}']")
    expect(item).to_be_visible()
    item.click()
    details = page.get_by_test_id("details")
    expect(details).to_be_visible()
    expect(page.get_by_test_id("details-request")).to_have_text(gag["request"])
    expect(page.get_by_test_id("details-caption")).to_have_text(caption)
    expect(page.get_by_test_id("details-writer")).to_have_text(gag["writer"])
    expect(page.get_by_test_id("details-artist")).to_have_text(gag["artist"])
    expect(page.get_by_test_id("details-seed")).to_have_text(str(gag["seed"]))
    snap(page, "desktop-5-details", full_page=False)
    download = page.request.get(page.get_by_test_id("details-download").get_attribute("href"))
    assert download.ok and "attachment" in download.headers["content-disposition"]
    assert download.body() == lettered  # the download is the picture on show, in its current lettering
    page.get_by_test_id("details-close").click()
    expect(details).to_be_hidden()
    assert script_errors == []


def test_on_a_phone_the_page_fits_the_screen_and_paints_straight_away(server, open_page):
    page, script_errors = open_page(server, PHONE)
    gags_before = len(page.request.get("/api/gallery").json())
    snap(page, "phone-1-start")
    page.get_by_test_id("example").nth(1).click()
    page.get_by_test_id("options").click()
    page.get_by_test_id("size").select_option("512x512")
    page.get_by_test_id("paint-now").click()
    expect(page.get_by_test_id("result-image")).to_be_visible(timeout=RENDER_TIMEOUT)
    expect(page.get_by_test_id("gallery-item")).to_have_count(gags_before + 1)

    # Nothing wider than the screen: no sideways scrolling, every lettering button on screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for style in ("meme", "caption", "balloon", "label", "none"):
        box = page.get_by_test_id(f"lettering-{style}").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    snap(page, "phone-2-result")
    page.get_by_test_id("gallery-item").first.click()
    snap(page, "phone-3-details", full_page=False)
    assert script_errors == []


def test_the_writer_and_artist_pickers_list_every_provider_and_paint_with_a_plugin(server, open_page):
    """The pickers show what `sightgag plugins` lists (the example `hello` plugin included); one that cannot run is disabled."""
    page, script_errors = open_page(server, DESKTOP)
    info = page.request.get("/api/info").json()
    page.get_by_test_id("options").click()

    for role in ("writer", "artist"):
        picker = page.get_by_test_id(role)
        offered = picker.locator("option").evaluate_all("options => options.map(option => option.value)")
        assert offered == ["", *(provider["name"] for provider in info[f"{role}s"])]
        expect(picker.locator("option").first).to_have_text("default")
        expect(picker.locator("option").first).to_have_attribute("title", f"the server's default: {info[role]}")
    artists = {provider["name"]: provider for provider in info["artists"]}
    assert {"sketch", "flux", "bfl", "xai"} <= set(artists)
    assert "openai-compat" not in [provider["name"] for provider in info["writers"]]  # the server's settings only
    assert not artists["xai"]["ready"]  # no XAI_API_KEY where this server runs
    expect(page.locator("[data-testid=artist] option[value=xai]")).to_be_disabled()
    if "hello" not in artists:
        pytest.fail("the example plugin is not installed: run scripts/setup.sh test (it installs tests/plugins/*)")
    expect(page.locator("[data-testid=artist] option[value=hello]")).to_contain_text("sightgag-hello")
    expect(page.locator("[data-testid=artist] option[value=broken]")).to_be_disabled()  # fails to import
    snap(page, "desktop-8-pickers", full_page=False)

    page.get_by_test_id("example").first.click()
    page.get_by_test_id("writer").select_option("hello")
    page.get_by_test_id("artist").select_option("hello")
    page.get_by_test_id("size").select_option("512x512")
    page.get_by_test_id("paint-now").click()
    expect(page.get_by_test_id("result-image")).to_be_visible(timeout=RENDER_TIMEOUT)
    gag = page.request.get("/api/gallery").json()[0]
    assert (gag["writer"], gag["artist"]) == ("hello", "hello")
    assert script_errors == []


def test_errors_are_shown_as_one_clear_line(server, open_page, tmp_path):
    page, script_errors = open_page(server, DESKTOP)
    error = page.get_by_test_id("error")
    gags_before = page.request.get("/api/gallery").json()

    page.get_by_test_id("write").click()
    expect(error).to_be_visible()
    expect(error).to_contain_text("Type a request first")

    # The server judges a photo by its content: a text file named .jpg is refused, and the page says why.
    fake = tmp_path / "cat.jpg"
    fake.write_text("not a photo at all")
    page.get_by_test_id("subject-add").click()
    page.get_by_test_id("subject-name").fill("Biscuit")
    page.get_by_test_id("subject-photos").set_input_files(fake)
    page.get_by_test_id("subject-submit").click()
    expect(error).to_contain_text("cat.jpg")
    expect(error).to_contain_text("not an image")
    snap(page, "desktop-6-error", full_page=False)
    page.get_by_test_id("error-close").click()
    expect(error).to_be_hidden()
    assert "Biscuit" not in [subject["name"] for subject in page.request.get("/api/subjects").json()]

    # An edited caption past the Concept's limit is refused before anything is painted, with the limit named.
    page.get_by_test_id("example").first.click()
    page.get_by_test_id("options").click()
    page.get_by_test_id("count").fill("1")
    page.get_by_test_id("write").click()
    page.get_by_test_id("concept-caption").fill(" ".join(["very"] * 24) + " long caption")
    expect(page.get_by_test_id("concept-card")).to_contain_text("26/20 words")
    page.get_by_test_id("paint").click()
    expect(error).to_contain_text("at most 20")
    snap(page, "desktop-7-caption-error", full_page=False)
    expect(page.get_by_test_id("result-panel")).to_be_hidden()
    assert page.request.get("/api/gallery").json() == gags_before
    assert script_errors == []


def test_with_an_api_key_the_page_asks_for_it_once_and_keeps_it(open_page, tmp_path):
    key = "correct-horse-battery-staple"
    with running_server(tmp_path / "home", env={**BACKENDS, "SIGHTGAG_API_KEY": key}) as base_url:
        page, script_errors = open_page(base_url, DESKTOP, loaded=False)
        dialog = page.get_by_test_id("key-dialog")
        expect(dialog).to_be_visible()
        page.get_by_test_id("key-input").fill("a wrong guess")
        page.get_by_test_id("key-save").click()
        expect(dialog).to_contain_text("not accepted")
        snap(page, "desktop-8-key", full_page=False)
        page.get_by_test_id("key-input").fill(key)
        page.get_by_test_id("key-save").click()
        expect(page.get_by_test_id("example").first).to_be_visible()
        assert page.evaluate("localStorage.getItem('sightgag.apiKey')") == key

        # With a key, progress is polled and the picture fetched with the key: both must still work.
        page.get_by_test_id("example").first.click()
        page.get_by_test_id("options").click()
        page.get_by_test_id("size").select_option("512x512")
        page.get_by_test_id("paint-now").click()
        expect(page.get_by_test_id("result-image")).to_be_visible(timeout=RENDER_TIMEOUT)
        assert page.evaluate("document.querySelector('[data-testid=result-image]').naturalWidth") == 512

        # A reload does not ask again.
        page.reload()
        expect(page.get_by_test_id("gallery-item")).to_have_count(1)
        expect(dialog).to_be_hidden()
        assert script_errors == []
        page.close()
