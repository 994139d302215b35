"""The editor: ranking the writer's candidates offline, and checking paintings before anything is written.

Paintings come from the real artists (the sketch artist, and a tiny random Flux pipeline whose pictures
are noise); signs are read by the real RapidOCR and safety is judged by the real open_nsfw detector.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from request_set import load_requests

from sightgag.concept import Box, Concept
from sightgag.editor import load_editor
from sightgag.editor.offline import OfflineEditor, request_parts, tied_parts
from sightgag.editor.paintings import Checks
from sightgag.editor.record import VisionVerdict
from sightgag.editor.safety import LocalNSFWDetector, OpenAIModeration, PicturesBlocked, load_safety
from sightgag.editor.signs import Line, match_sign
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.studio import Studio
from sightgag.writer.offline import OfflineWriter
from sightgag.writer.planner import plan_request

MITTENS = "my cat Mittens as a superhero fighting a giant ball of yarn"
HAMSTER = "a tiny hamster guarding a bank vault"


def drafts(request: str, count: int, seed: int = 1) -> list[Concept]:
    return OfflineWriter(None, Settings()).write(request, [], n=count, seed=seed)


def with_caption(concept: Concept, text: str) -> Concept:
    data = concept.model_dump()
    data["caption"]["text"] = text
    data["caption"]["setup"] = ""
    return Concept.model_validate(data)


def with_sign(concept: Concept, sign: str) -> Concept:
    return Concept.model_validate({**concept.model_dump(), "sign_text": sign})


def gag_rows(home) -> int:
    database = home / "sightgag.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM gags").fetchone()[0]


# -- ranking, offline -------------------------------------------------------------------------


def test_a_caption_tied_to_the_request_outranks_one_that_is_not():
    concept = drafts(MITTENS, 1)[0]
    loose = with_caption(concept, "Some days are just like that.")
    tied = with_caption(concept, "Mittens has never once lost to yarn.")

    ranking = OfflineEditor().rank(MITTENS, [], [loose, tied], n=1)

    assert ranking.kept == [tied]
    best, other = ranking.judgements
    assert (best.candidate, best.kept, other.kept) == (1, True, False)
    assert best.score > other.score
    assert "hero" in best.reason and "not tied" in other.reason


def test_a_caption_that_names_what_the_picture_lacks_loses_points():
    concept = drafts(MITTENS, 1)[0]
    stray = with_caption(concept, "Mittens blames the vacuum for the yarn.")
    honest = with_caption(concept, "Mittens blames herself for the yarn.")

    ranking = OfflineEditor().rank(MITTENS, [], [stray, honest], n=2)

    scores = {judgement.candidate: judgement for judgement in ranking.judgements}
    assert scores[1].score > scores[0].score
    assert "the vacuum" in scores[0].reason


def test_the_kept_concepts_are_distinct_and_every_candidate_is_judged():
    candidates = drafts(HAMSTER, 6)
    # The same joke twice must not be kept twice.
    candidates.append(candidates[0].model_copy(deep=True))

    ranking = OfflineEditor().rank(HAMSTER, [], candidates, n=3)

    assert len(ranking.kept) == 3
    assert len({concept.premise for concept in ranking.kept}) == 3
    assert len({concept.device for concept in ranking.kept}) == 3
    assert sorted(judgement.candidate for judgement in ranking.judgements) == list(range(7))
    assert [judgement.kept for judgement in ranking.judgements] == [True] * 3 + [False] * 4


def test_on_the_request_set_kept_captions_are_tied_to_the_request_more_often_than_the_writers_first():
    writer, editor = OfflineWriter(None, Settings()), OfflineEditor()
    first_tied = kept_tied = total = 0
    for request in load_requests():
        parts = request_parts(plan_request(request, []))
        for seed in (1, 2):
            candidates = writer.write(request, [], n=4, seed=seed)
            kept = editor.rank(request, [], candidates, n=2).kept
            first_tied += sum(bool(tied_parts(f"{c.caption.setup} {c.caption.text}", parts)) for c in candidates[:2])
            kept_tied += sum(bool(tied_parts(f"{c.caption.setup} {c.caption.text}", parts)) for c in kept)
            total += 2
    print(f"tied to the request: writer's first 2 {first_tied / total:.0%}, editor's 2 {kept_tied / total:.0%}")
    assert kept_tied > first_tied


def test_the_studio_drafts_twice_as_many_and_files_the_ranking(tmp_path):
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path))

    gag = studio.make(MITTENS, n=2, seed=4, size=(256, 256))

    record = gag.editor
    assert record.editor == "offline" and record.candidates == 4
    assert len(record.ranking) == 4 and sum(judgement.kept for judgement in record.ranking) == 2
    kept_captions = [judgement.caption for judgement in record.ranking if judgement.kept]
    assert kept_captions == [concept.caption.text for concept in gag.concepts]
    assert studio.gallery.get(gag.id).editor == record  # filed with the gag
    assert gag.summary()["editor"]["ranking"][0]["reason"]


def test_editor_none_keeps_the_writers_first_n_and_bad_choices_are_refused(tmp_path):
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path))

    concepts, record = studio.edit(HAMSTER, n=2, seed=3, editor="none")

    assert [c.title for c in concepts] == [c.title for c in drafts(HAMSTER, 2, seed=3)]
    assert record.candidates == 2 and studio.concept(HAMSTER, n=2, seed=3, editor="none") == concepts
    with pytest.raises(UsageError, match="--candidates"):
        studio.concept(HAMSTER, n=3, candidates=2)
    with pytest.raises(UsageError, match="unknown editor"):
        load_editor("critic", Settings())
    assert load_editor("auto", Settings(), writer=OfflineWriter(None, Settings())).spec == "offline"


# -- signs ------------------------------------------------------------------------------------


def test_sign_matching_sets_case_spaces_and_punctuation_aside_but_not_spelling():
    box = Box(x=0.1, y=0.1, w=0.5, h=0.1)
    assert match_sign([Line("BANKVAULT", box, 0.98)], "Bank Vault!").ok
    assert match_sign([Line("BANK", box, 0.9), Line("VAULT", Box(x=0.1, y=0.25, w=0.5, h=0.1), 0.9)], "bank vault").ok
    misspelt = match_sign([Line("BNAK VUALT", box, 0.9)], "BANK VAULT")
    assert not misspelt.ok and misspelt.read == "BNAK VUALT"
    assert not match_sign([], "BANK VAULT").ok


def test_the_sketch_artists_sign_is_read_and_passes(tmp_path):
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path))
    request = "an angry goose running for mayor"
    concept = with_sign(drafts(request, 1)[0], "GOOSE FOR MAYOR")

    gag = studio.make(request, concepts=[concept], seed=2, size=(1024, 1024))

    picture = gag.editor.pictures[0]
    assert len(picture.attempts) == 1, picture
    assert picture.attempts[0].sign.ok, picture.attempts[0].sign
    assert picture.attempts[0].sign.boxes  # where it was read


def test_a_sign_ocr_cannot_read_is_repainted_exactly_retries_times_with_the_next_seeds(tiny_flux_dir, tmp_path):
    studio = Studio("offline", f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path))
    concept = with_sign(drafts(HAMSTER, 1)[0], "BANK VAULT")
    calls = []
    paint = studio.artist.paint
    studio.artist.paint = lambda concepts, **options: calls.append(options["seeds"]) or paint(concepts, **options)

    gag = studio.make(HAMSTER, concepts=[concept], seed=11, size=(64, 64), retries=2)

    assert calls == [[11], [12], [13]]  # the first painting, then exactly two repaints
    picture = gag.editor.pictures[0]
    assert [attempt.seed for attempt in picture.attempts] == [11, 12, 13]
    assert not any(attempt.sign.ok for attempt in picture.attempts)  # tiny Flux paints noise
    assert picture.kept is not None and "never came out right in 3 tries" in picture.notes[0]
    assert gag.editor.rerolls() == 2
    assert gag.artist_details["kept_seeds"] == [picture.attempts[picture.kept].seed]


def test_a_gag_rerenders_with_as_many_repaints_as_it_was_made_with(tiny_flux_dir, tmp_path):
    studio = Studio("offline", f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path, retries=2))
    concept = with_sign(drafts(HAMSTER, 1)[0], "BANK VAULT")  # tiny Flux never paints it legibly
    gag = studio.make(HAMSTER, concepts=[concept], seed=11, size=(64, 64), retries=1)

    again = studio.rerender(gag.id)

    assert gag.editor.retries == again.editor.retries == 1
    assert [attempt.seed for attempt in again.editor.pictures[0].attempts] == [11, 12]
    assert again.editor.pictures == gag.editor.pictures
    assert Image.open(again.renders[0]).tobytes() == Image.open(gag.renders[0]).tobytes()


class FailsFirstLook:
    """A vision judge that finds extra fingers on the first picture it sees and nothing after."""

    name = "stub vision"

    def __init__(self):
        self.looked = 0

    def judge(self, image, concept, reference=None) -> VisionVerdict:
        self.looked += 1
        if self.looked == 1:
            return VisionVerdict(passed=False, problems=["six fingers"], model=self.name)
        return VisionVerdict(passed=True, model=self.name)


def test_a_vision_judge_failing_the_first_try_has_it_repainted_once(tiny_flux_dir, tmp_path):
    judge = FailsFirstLook()
    checks = Checks(safety=LocalNSFWDetector(0.5), retries=2, vision=judge)
    studio = Studio("offline", f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path), checks=checks)

    gag = studio.make(MITTENS, seed=5, size=(64, 64), editor="none")

    picture = gag.editor.pictures[0]
    assert judge.looked == 2
    assert [attempt.vision.passed for attempt in picture.attempts] == [False, True]
    assert picture.kept == 1 and picture.attempts[1].seed == 6
    assert gag.editor.vision == "stub vision"


def test_a_rerender_keeps_the_try_the_vision_judge_chose_without_asking_it_again(tiny_flux_dir, tmp_path):
    judge = FailsFirstLook()
    checks = Checks(safety=LocalNSFWDetector(0.5), retries=2, vision=judge)
    maker = Studio("offline", f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path), checks=checks)
    gag = maker.make(MITTENS, seed=5, size=(64, 64), editor="none")

    # Rerendered where no vision model is configured, as from the command line on another day.
    again = Studio("offline", f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path)).rerender(gag.id)

    assert judge.looked == 2  # only while the gag was made
    assert again.editor.pictures == gag.editor.pictures  # seed 5 failed the look, seed 6 kept, as before
    assert again.editor.vision == "stub vision"
    assert Image.open(again.renders[0]).tobytes() == Image.open(gag.renders[0]).tobytes()


class WalksAcross:
    """An artist that, like the sketch artist, reports where it drew the hero: further right with each seed."""

    spec = "walks-across"

    def paint(self, concepts, *, seeds, width, height, subjects=(), progress=None):
        from sightgag.artist.base import Painting

        panels = [
            {"cast": [{"name": concept.hero.name, "role": "hero", "box": [10 * seed, 100, 10 * seed + 60, 200]}]}
            for concept, seed in zip(concepts, seeds)
        ]
        images = [Image.new("RGB", (width, height), (20 * seed % 255, 90, 160)) for seed in seeds]
        return Painting(images=images, details={"seeds": list(seeds), "panels": panels})


def test_what_the_artist_drew_is_recorded_for_the_try_kept_not_the_first(tmp_path):
    checks = Checks(safety=LocalNSFWDetector(0.5), retries=2, vision=FailsFirstLook())
    studio = Studio("offline", WalksAcross(), settings=Settings(home=tmp_path), checks=checks)

    gag = studio.make(MITTENS, seed=5, size=(256, 256), editor="none", lettering="caption")

    picture = gag.editor.pictures[0]
    assert picture.kept == 1 and picture.attempts[1].seed == 6
    assert gag.artist_details["panels"][0]["cast"][0]["box"][0] == 60  # seed 6's drawing, not seed 5's
    assert picture.hero.x == pytest.approx(60 / 256)


def test_without_a_vision_model_the_look_is_skipped_with_a_reason(tmp_path):
    gag = Studio("offline", "sketch", settings=Settings(home=tmp_path)).make(MITTENS, seed=1, size=(256, 256))
    assert gag.editor.vision.startswith("skipped")
    assert all(attempt.vision is None for attempt in gag.editor.pictures[0].attempts)


# -- safety -----------------------------------------------------------------------------------


def test_the_local_detector_passes_real_sketch_and_tiny_flux_pictures(tiny_flux_dir, tmp_path):
    sketch = Studio("offline", "sketch", settings=Settings(home=tmp_path)).make(MITTENS, seed=3, size=(512, 512))
    flux = Studio("offline", f"flux:{tiny_flux_dir}", settings=Settings(home=tmp_path)).make(
        MITTENS, seed=3, size=(64, 64)
    )

    for gag in (sketch, flux):
        assert gag.editor.safety.startswith("open_nsfw") and gag.editor.blocked == 0
    renders = [Image.open(gag.renders[0]) for gag in (sketch, flux)]
    assert LocalNSFWDetector(0.5).check(renders) == [None, None]
    # The same detector, told to block everything, blocks them: it really looked.
    assert all("open_nsfw scored it" in verdict for verdict in LocalNSFWDetector(0.0).check(renders))


def test_a_gag_whose_every_picture_is_blocked_is_never_written(tmp_path):
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path, safety_threshold=0.0, retries=1))

    with pytest.raises(PicturesBlocked, match="blocked every picture of this gag in 2 tries each; nothing was saved"):
        studio.make(MITTENS, seed=1, size=(256, 256))

    assert gag_rows(tmp_path) == 0
    assert [path for path in (tmp_path / "gallery").rglob("*") if path.is_file()] == []


class BlocksTheFirstSeed:
    """A safety check that blocks what WalksAcross paints with seed 5 (its colour tells the seed)."""

    name = "stub safety"

    def check(self, images):
        return ["stub: seed 5" if image.getpixel((0, 0))[0] == 100 else None for image in images]


def test_a_gag_missing_a_blocked_concept_rerenders_the_rest_with_their_own_seeds(tmp_path):
    checks = Checks(safety=BlocksTheFirstSeed(), retries=0)
    studio = Studio("offline", WalksAcross(), settings=Settings(home=tmp_path), checks=checks)
    gag = studio.make(MITTENS, seed=5, n=2, size=(256, 256), editor="none")  # concept 1 blocked, concept 2 kept
    assert len(gag.concepts) == 1 and gag.editor.pictures[1].attempts[0].seed == 6

    again = studio.rerender(gag.id)

    assert [picture.attempts[0].seed for picture in again.editor.pictures] == [6]  # not 5, the blocked one's
    assert Image.open(again.renders[0]).tobytes() == Image.open(gag.renders[0]).tobytes()


def test_safety_off_and_bad_settings():
    assert load_safety(Settings(safety="off")).check([Image.new("RGB", (8, 8))]) == [None]
    assert load_safety(Settings()).name.startswith("open_nsfw")
    with pytest.raises(UsageError, match="SIGHTGAG_SAFETY"):
        load_safety(Settings(safety="maybe"))


class FakeModeration(BaseHTTPRequestHandler):
    """OpenAI's POST /v1/moderations as documented: a model and input parts in, one result per call out."""

    seen: list[dict] = []
    flag = False

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        FakeModeration.seen.append({"path": self.path, "auth": self.headers.get("authorization"), "body": body})
        categories = {"sexual": self.flag, "violence": False, "self-harm": False}
        answer = {
            "id": "modr-1",
            "model": body["model"],
            "results": [
                {
                    "flagged": self.flag,
                    "categories": categories,
                    "category_scores": {name: 0.9 if on else 0.01 for name, on in categories.items()},
                    "category_applied_input_types": {name: ["image"] for name in categories},
                }
            ],
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def moderation_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeModeration)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeModeration.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_with_an_openai_key_pictures_go_to_openai_moderation(moderation_url, monkeypatch):
    settings = Settings(openai_api_key="sk-test", moderation_url=moderation_url)
    check = load_safety(settings)
    assert isinstance(check, OpenAIModeration)
    pictures = [Image.new("RGB", (64, 64), "white"), Image.new("RGB", (64, 64), "red")]

    FakeModeration.flag = False
    assert check.check(pictures) == [None, None]
    FakeModeration.flag = True
    assert check.check(pictures[:1]) == ["OpenAI moderation flagged it (sexual)"]

    sent = FakeModeration.seen[0]
    assert sent["path"] == "/v1/moderations" and sent["auth"] == "Bearer sk-test"
    assert sent["body"]["model"] == "omni-moderation-latest"
    (part,) = sent["body"]["input"]
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert len(FakeModeration.seen) == 3  # one request per picture


# -- lettering never hides the hero -----------------------------------------------------------


@pytest.mark.parametrize("size", [512, 1024])
def test_a_meme_line_over_the_heros_face_moves_off_it(tmp_path, size):
    import numpy as np

    from sightgag.editor.clear_hero import hero_face

    # The README's first request: the scale-mismatch layout puts Mittens low, under the giant yarn.
    concept = next(c for c in drafts(MITTENS, 4) if c.device.value == "scale mismatch")
    data = concept.model_dump()
    data["caption"]["lettering"] = "meme"
    concept = Concept.model_validate(data)
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path))

    gag = studio.make(MITTENS, concepts=[concept], seed=1, size=(size, size))

    render, lettered = Image.open(gag.renders[0]).convert("RGB"), Image.open(gag.images[0]).convert("RGB")
    hero = gag.editor.pictures[0].hero
    assert hero is not None and hero.y > 0.6  # the sketch says where it drew her: low in the picture
    face = hero_face(render, concept, hero)
    area = tuple(round(v) for v in (face.left, face.top, face.right, face.bottom))
    changed = np.any(np.asarray(render.crop(area)) != np.asarray(lettered.crop(area)), axis=2).mean()
    assert changed < 0.02, f"{changed:.0%} of Mittens' face is under the lettering"
    assert lettered.size == render.size  # still a meme: set on top, not a band under the picture


class SignPainter:
    """An artist that paints a plain sign with real type and, like Flux, cannot say where it put it."""

    spec = "sign-painter"

    def paint(self, concepts, *, seeds, width, height, subjects=(), progress=None):
        from PIL import ImageDraw

        from sightgag.artist.base import Painting
        from sightgag.letterer.fonts import DEJAVU_SANS_BOLD, font

        images = []
        for concept in concepts:
            image = Image.new("RGB", (width, height), (70, 110, 150))
            draw = ImageDraw.Draw(image)
            draw.rectangle((width * 0.55, height * 0.1, width * 0.95, height * 0.25), fill="white")
            draw.text(
                (width * 0.58, height * 0.13),
                concept.sign_text,
                fill="black",
                font=font(DEJAVU_SANS_BOLD, height // 20),
            )
            images.append(image)
        return Painting(images=images, details={"seeds": list(seeds)}, keep_clear=[])


def test_where_ocr_reads_the_sign_is_kept_clear_of_the_lettering(tmp_path):
    studio = Studio("offline", SignPainter(), settings=Settings(home=tmp_path))
    concept = with_sign(drafts(HAMSTER, 1)[0], "BANK VAULT")

    gag = studio.make(HAMSTER, concepts=[concept], seed=1, size=(512, 512))

    assert gag.editor.pictures[0].attempts[0].sign.ok
    (box,) = gag.keep_clear[0]
    assert 0.5 < box.x < 0.65 and 0.1 <= box.y < 0.2  # on the sign's line, right of the middle, near the top


class FakeVisionChat(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat server that takes images: it answers the first look 'extra fingers'."""

    requests: list[dict] = []

    def do_GET(self):  # /v1/models: the server names its model
        self._answer({"object": "list", "data": [{"id": "looker", "object": "model"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        FakeVisionChat.requests.append(body)
        keys = list(body["response_format"]["json_schema"]["schema"]["properties"])
        first = len(FakeVisionChat.requests) == 1
        verdict = {key: not (first and key == "no_extra_limbs") for key in keys if key != "problem"}
        verdict["problem"] = "six fingers on the left paw" if first else ""
        self._answer_chat(verdict)

    def _answer_chat(self, verdict: dict):
        message = {"role": "assistant", "content": json.dumps(verdict)}
        self._answer(
            {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "looker",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
        )  # fmt: skip

    def _answer(self, answer: dict):
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def vision_server(handler: type[FakeVisionChat]) -> Iterator[str]:
    """The handler served on a free loopback port while the block runs; the base URL of its API."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def test_a_vision_model_named_in_the_settings_is_shown_the_picture_and_its_failure_repaints(tmp_path):
    FakeVisionChat.requests = []
    with vision_server(FakeVisionChat) as url:
        settings = Settings(home=tmp_path, vision=f"openai-compat:{url}#looker")
        gag = Studio("offline", "sketch", settings=settings).make(MITTENS, seed=2, size=(256, 256), editor="none")

    picture = gag.editor.pictures[0]
    assert [attempt.seed for attempt in picture.attempts] == [2, 3] and picture.kept == 1
    first = picture.attempts[0].vision
    assert not first.passed and "six fingers on the left paw" in first.problems
    assert gag.editor.vision == f"openai-compat:{url}#looker"
    content = FakeVisionChat.requests[0]["messages"][0]["content"]
    assert content[0]["type"] == "text" and "Mittens" in content[0]["text"]
    assert content[1]["type"] == "image_url" and content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    schema = FakeVisionChat.requests[0]["response_format"]["json_schema"]["schema"]
    assert {"hero_present", "foil_present", "moment_readable", "no_extra_limbs"} <= set(schema["properties"])
    logged = Studio("offline", "sketch", settings=settings).gallery.exchanges(gag.id)
    assert len(logged) == 2 and all(row["model"] == "looker" for row in logged)


class SlowVisionChat(FakeVisionChat):
    """A vision server that takes a moment over every look and passes every picture; when each look ran is kept."""

    spans: list[tuple[float, float]] = []

    def do_POST(self):
        started = time.monotonic()
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        time.sleep(0.3)
        keys = [key for key in body["response_format"]["json_schema"]["schema"]["properties"] if key != "problem"]
        self._answer_chat({**dict.fromkeys(keys, True), "problem": ""})
        SlowVisionChat.spans.append((started, time.monotonic()))


def test_the_vision_model_looks_at_a_gags_pictures_at_once_and_each_look_is_logged_in_order(tmp_path):
    SlowVisionChat.spans = []
    with vision_server(SlowVisionChat) as url:
        settings = Settings(home=tmp_path, vision=f"openai-compat:{url}#looker")
        gag = Studio("offline", "sketch", settings=settings).make(MITTENS, n=4, seed=2, size=(256, 256), editor="none")

    starts, ends = zip(*SlowVisionChat.spans, strict=True)
    assert len(starts) == 4 and max(starts) < min(ends)  # all four asked before any was answered
    logged = Studio("offline", "sketch", settings=settings).gallery.exchanges(gag.id)
    assert len(logged) == 4
    for row, concept in zip(logged, gag.concepts, strict=True):  # the pictures' order, as if asked one by one
        assert concept.premise[:40] in row["prompt"]


def test_the_vision_model_compares_a_subject_hero_with_its_photo(tmp_path):
    FakeVisionChat.requests = []
    photo = tmp_path / "mittens.png"
    Image.new("RGB", (96, 96), (230, 140, 60)).save(photo)
    with vision_server(FakeVisionChat) as url:
        studio = Studio("offline", "sketch", settings=Settings(home=tmp_path, vision=f"openai-compat:{url}#looker"))
        studio.subjects.add("Mittens", [photo], kind="cat")
        studio.make(MITTENS, seed=2, size=(256, 256), editor="none", retries=0)

    text, painting, reference = FakeVisionChat.requests[0]["messages"][0]["content"]
    assert "photo of the real Mittens" in text["text"]
    assert painting["type"] == reference["type"] == "image_url"
    assert painting["image_url"]["url"] != reference["image_url"]["url"]


def test_small_lettering_the_quick_read_misses_gets_a_closer_look():
    from PIL import ImageDraw

    from sightgag.editor.signs import check_sign, read_lines
    from sightgag.letterer.fonts import DEJAVU_SANS_BOLD, font

    image = Image.new("RGB", (1024, 1024), (70, 110, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((560, 100, 900, 160), fill="white")
    draw.text((580, 115), "BANK VAULT", fill="black", font=font(DEJAVU_SANS_BOLD, 9))

    assert not match_sign(read_lines(image), "BANK VAULT").ok  # too small for the quick read at 512 px
    reading = check_sign(image, "BANK VAULT")
    assert reading.ok and reading.boxes[0].x > 0.5
