"""Comic strips made offline: the strip writer over the offline writer, the sketch artist, the page letterer.

Every length and layout is made through the Studio as a user makes one, and the page is checked as a
reader would: the hero in every panel looking the same, every balloon's tail pointing at whoever says
it, nothing over a face or over another balloon, balloons read in order, and every word read back by OCR.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from sightgag.artist.sketch import SketchArtist
from sightgag.editor.paintings import Checks
from sightgag.editor.record import VisionVerdict
from sightgag.editor.safety import LocalNSFWDetector
from sightgag.errors import UsageError
from sightgag.letterer.shapes import Rect
from sightgag.settings import Settings
from sightgag.strip import LAYOUTS, Strip, strip_schema
from sightgag.strip_studio import lettered_page
from sightgag.studio import Studio
from sightgag.writer.offline import OfflineWriter
from sightgag.writer.strips import plan_strip, write_strip

REQUESTS = (
    "my cat Mittens as a superhero fighting a giant ball of yarn",
    "my dog Rex at a job interview",
    "a goose running the city council",
)


def offline_strip(request: str, panels: int, seed: int = 1) -> Strip:
    return write_strip(OfflineWriter(None, Settings()), request, [], panels, seed)


@pytest.mark.parametrize("panels", (3, 4))
@pytest.mark.parametrize("request_text", REQUESTS)
def test_the_offline_writer_plans_every_beat_with_one_cast(request_text, panels):
    strip = offline_strip(request_text, panels)

    assert len(strip.panels) == panels
    assert strip.panels[0].beat == "setup" and strip.panels[-1].beat == "punchline"
    names = [member.name for member in strip.cast]
    for panel in strip.panels:
        assert strip.hero.name in [staged.name for staged in panel.cast]
        assert all(line.speaker in names for line in panel.balloons)
    assert any(len(panel.balloons) > 1 for panel in strip.panels)  # a panel with an exchange
    assert strip.panels[-1].caption or strip.panels[-1].balloons  # the punchline is said
    # The painter reads each character's description word for word in every panel.
    for character in strip.cast:
        described = {
            (member.appearance, tuple(member.props))
            for concept in strip.panel_concepts()
            for member in concept.cast
            if member.name == character.name
        }
        assert described == {(character.appearance, tuple(character.props))}
    assert offline_strip(request_text, panels) == strip  # the same seed writes the same strip


def test_a_balloon_said_by_someone_outside_the_cast_is_refused():
    data = offline_strip(REQUESTS[0], 3).model_dump()
    data["panels"][1]["balloons"][0]["speaker"] = "the narrator"
    with pytest.raises(ValidationError, match="not in the cast"):
        Strip.model_validate(data)
    data["panels"][1]["balloons"][0]["speaker"] = data["cast"][0]["name"]
    data["panels"] = data["panels"][:2]
    with pytest.raises(ValidationError, match="at least 3"):
        Strip.model_validate(data)


def test_the_schema_is_generated_from_the_contract():
    schema = strip_schema()
    panel = schema["$defs"]["Panel"]
    assert set(panel["required"]) >= {"beat", "moment", "setting", "cast"}
    assert schema["properties"]["panels"]["minItems"] == 3 and schema["properties"]["panels"]["maxItems"] == 4
    assert schema["$defs"]["Line"]["properties"]["speaker"]


def test_a_strip_can_be_planned_from_any_writers_concept():
    concept = OfflineWriter(None, Settings()).write(REQUESTS[1], [], seed=5)[0]
    strip = plan_strip([concept], 4, seed=5)
    assert strip.panels[-1].moment == concept.moment and strip.title == concept.title


def pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def ellipse_covers(ellipse: Rect, rect: Rect, samples: int = 24) -> bool:
    """Whether any of a grid of points over `rect` lies inside the ellipse inscribed in `ellipse`."""
    cx, cy = ellipse.center
    rx, ry = ellipse.width / 2, ellipse.height / 2
    xs = np.linspace(rect.left, rect.right, samples)[:, None]
    ys = np.linspace(rect.top, rect.bottom, samples)[None, :]
    return bool((((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2 < 1).any())


def reads_after(later: Rect, earlier: Rect) -> bool:
    return later.center[0] > earlier.center[0] or later.top > earlier.bottom


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("panels", (3, 4))
def test_every_layout_letters_a_page_a_reader_can_follow(panels, layout):
    studio = Studio(writer="offline", artist="sketch")
    gag = studio.strip(REQUESTS[0], panels=panels, layout=layout, seed=11)
    page = lettered_page(gag)

    # Filed as one gag: the clean panels, one page, the whole strip; relettered, the page is the same.
    assert len(gag.renders) == panels and len(gag.images) == 1 and gag.strip is not None
    filed = studio.gallery.get(gag.id)
    assert filed.strip == gag.strip and filed.layout == layout
    assert np.array_equal(pixels(gag.images[0]), np.asarray(page.page))

    # The layout: a row shares a top, a column a left edge, a grid two columns.
    tops, lefts = {rect.top for rect in page.panels}, {rect.left for rect in page.panels}
    if layout == "row":
        assert len(tops) == 1 and len(lefts) == panels
    elif layout == "column":
        assert len(lefts) == 1 and len(tops) == panels
    else:
        assert len(tops) == 2
    for first, second in itertools.combinations(page.panels, 2):
        assert first.overlap(second) == 0  # gutters between panels
    assert page.title is not None and page.title.box[3] <= min(tops)

    # The hero is in every panel, drawn the same way every time.
    hero = gag.strip.hero.name
    looks = set()
    for panel in gag.artist_details["panels"]:
        drawn = {member["name"]: member for member in panel["cast"]}
        assert hero in drawn
        looks.add((drawn[hero]["glyph"], drawn[hero]["build"]))
    assert len(looks) == 1

    assert [len(panel.balloons) for panel in gag.strip.panels] == [
        len([b for b in page.balloons if b.panel == index]) for index in range(panels)
    ]
    for balloon in page.balloons:
        frame = page.panels[balloon.panel]
        assert Rect(*balloon.text.box).inside(frame.right, frame.bottom) and balloon.ellipse.left >= frame.left
        # The tail points into its speaker's box, stopping just short of the face.
        assert balloon.tail_tip is not None
        cx, cy = balloon.ellipse.center
        tx, ty = balloon.tail_tip
        length = math.hypot(tx - cx, ty - cy)
        reach = 0.04 * gag.width
        x, y = tx + (tx - cx) / length * reach, ty + (ty - cy) / length * reach
        box = balloon.speaker_box
        assert box.left <= x <= box.right and box.top <= y <= box.bottom, (balloon.text.text, balloon.tail_tip, box)
        # Never over a face.
        assert not any(ellipse_covers(balloon.ellipse, face) for face in page.faces[balloon.panel]), balloon.text.text
    for index in range(panels):
        placed = [b for b in page.balloons if b.panel == index]
        boxes = [c.box for c in page.captions if c.panel == index]
        for earlier, later in zip(placed, placed[1:]):
            assert reads_after(later.ellipse, earlier.ellipse)
        for one, other in itertools.combinations(placed, 2):
            assert not ellipse_covers(one.ellipse, other.ellipse.grow(-0.2 * other.ellipse.height))
            assert one.ellipse.overlap(other.ellipse) < 0.05 * one.ellipse.area
        for balloon, box in itertools.product(placed, boxes):
            assert not ellipse_covers(balloon.ellipse, box)


def test_every_word_on_the_page_reads_back():
    ocr = pytest.importorskip("test_lettering_ocr", reason="the project's OCR harness needs RapidOCR")
    studio = Studio(writer="offline", artist="sketch")
    crops, expected = [], []
    for request, layout in zip(REQUESTS, ("row", "grid", "column")):
        gag = studio.strip(request, panels=4, layout=layout, seed=3)
        page = lettered_page(gag)
        texts = [page.title, *(b.text for b in page.balloons), *(c.text for c in page.captions)]
        image = page.page
        for drawn in texts:
            room_x, room_y = round(0.12 * drawn.size), round(0.04 * drawn.size)
            lines = [
                np.asarray(image.crop((left - room_x, top - room_y, right + room_x, bottom + room_y)))[:, :, ::-1]
                for left, top, right, bottom in drawn.line_boxes
            ]
            expected.append((drawn.text, len(lines)))
            crops += lines
    readings = iter(ocr.read_lines(crops))
    misread = []
    for text, count in expected:
        reading = " ".join(next(readings) for _ in range(count))
        if ocr.normalise(reading) != ocr.normalise(text):
            misread.append((text, reading))
    assert len(misread) <= 0.05 * len(expected), misread


def test_a_strip_is_rerendered_bit_identically_and_relettered():
    studio = Studio(writer="offline", artist="sketch")
    gag = studio.strip(REQUESTS[1], panels=3, layout="row", seed=2)
    page = pixels(gag.images[0])
    again = studio.rerender(gag.id)
    assert again.parent == gag.id and again.strip == gag.strip
    assert np.array_equal(pixels(again.images[0]), page)

    reworded = studio.reletter_strip(gag.id, balloon="1.1", text="Mondays, am I right?")
    assert reworded.strip.panels[0].balloons[0].text == "Mondays, am I right?"
    assert "MONDAYS, AM I RIGHT?" in [b.text.text for b in lettered_page(reworded).balloons]
    assert not np.array_equal(pixels(reworded.images[0]), page)
    assert studio.gallery.get(gag.id).strip.panels[0].balloons[0].text == "Mondays, am I right?"
    column = studio.reletter_strip(gag.id, layout="column")
    assert column.layout == "column" and Image.open(column.images[0]).height > Image.open(column.images[0]).width

    with pytest.raises(UsageError, match="no balloon"):
        studio.reletter_strip(gag.id, balloon="9.1", text="Hi.")
    with pytest.raises(UsageError, match="3 or 4"):
        studio.strip(REQUESTS[1], panels=5)
    with pytest.raises(UsageError, match="layout"):
        studio.strip(REQUESTS[1], layout="diagonal")


def test_the_command_line_makes_shows_and_refuses_strips(tmp_path):
    from test_cli import sightgag

    made = sightgag(
        "strip", REQUESTS[2], "--panels", "3", "--layout", "grid", "--writer", "offline", "--artist", "sketch",
        "--size", "320x320", "--seed", "9", "--retries", "0", "--json", home=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert len(summary["strip"]["panels"]) == 3 and summary["layout"] == "grid" and summary["size"] == "320x320"
    assert [len(picture["attempts"]) for picture in summary["editor"]["pictures"]] == [1, 1, 1]
    with Image.open(summary["images"][0]) as page:
        assert page.width > 2 * 320 and page.height > 2 * 320  # two rows of up to two panels

    shown = sightgag("gallery", "show", summary["id"], home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    first = summary["strip"]["panels"][0]["balloons"][0]
    assert f"1.1 {first['speaker']}: {first['text']}" in shown.stdout
    assert summary["strip"]["title"] in shown.stdout
    assert "picture 3: seed 11" in shown.stdout  # each panel's checks, as a gag's pictures'

    refusals = ((("--panels", "5"), "3 or 4"), (("--layout", "diagonal"), "layout"), (("--retries", "9"), "--retries"))
    for args, message in refusals:
        refused = sightgag("strip", REQUESTS[2], *args, "--writer", "offline", "--artist", "sketch", home=tmp_path)
        assert refused.returncode == 2 and message in refused.stderr and len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("lettering", ("balloon", "caption"))
def test_a_long_punchline_lands_in_the_last_panel_whatever_its_length(lettering):
    concept = OfflineWriter(None, Settings()).write(REQUESTS[0], [], seed=1)[0]
    longest = " ".join(["meow"] * 19) + " purrfect."  # 20 words, as long as a gag's caption may be
    concept.caption = concept.caption.model_copy(update={"text": longest, "lettering": lettering})
    strip = plan_strip([concept], 3, seed=1)
    last = strip.panels[-1]
    assert last.caption == longest and not last.balloons  # too long for a balloon: the caption box holds it
    gag = Studio(writer="offline", artist="sketch").strip(REQUESTS[0], strip=strip, panels=3, seed=1)
    assert [c.text.text for c in lettered_page(gag).captions][-1] == longest


def test_words_a_balloon_cannot_hold_are_refused_and_the_page_is_kept():
    studio = Studio(writer="offline", artist="sketch")
    gag = studio.strip(REQUESTS[2], panels=3, seed=6)
    page = pixels(gag.images[0])
    with pytest.raises(UsageError, match="at most 16"):
        studio.reletter_strip(gag.id, balloon="1.1", text=" ".join(["honk"] * 17))
    with pytest.raises(UsageError, match="control"):
        studio.reletter_strip(gag.id, balloon="1.1", text="honk\x1b[31m")
    kept = studio.gallery.get(gag.id)
    assert kept.strip == gag.strip and np.array_equal(pixels(kept.images[0]), page)
    punchline = "Seventeen words in a caption box are fine: " + " ".join(["honk"] * 10)
    assert studio.reletter(gag.id, caption=punchline).strip.panels[-1].caption == punchline


def test_panels_too_small_for_their_words_say_to_paint_them_larger():
    from sightgag.letterer.page import letter_strip

    strip = offline_strip(REQUESTS[0], 3)
    tiny = [Image.new("RGB", (96, 96), "white")] * 3  # as small as an artist may paint: 64 px and up
    with pytest.raises(UsageError, match="use a larger --size"):
        letter_strip(tiny, strip, "row")


def test_a_strip_whose_panel_the_safety_check_blocks_is_never_written(tmp_path):
    from sightgag.editor.safety import PicturesBlocked

    # A threshold of 0 makes the real detector flag every picture.
    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path, safety_threshold=0))

    with pytest.raises(PicturesBlocked, match="nothing was saved"):
        studio.strip("my cat Mittens vs the vacuum cleaner", panels=3, seed=1, size=(256, 256))

    assert studio.gallery.list() == []
    assert not any(path.suffix == ".png" for path in tmp_path.rglob("*"))


def test_the_editor_picks_the_punchline_from_the_writers_candidates(tmp_path):
    request = "a tiny hamster guarding a bank vault"
    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path))

    gag = studio.strip(request, panels=3, seed=2, size=(256, 256), editor="offline", candidates=4)

    record = gag.editor
    assert record is not None and record.editor == "offline" and record.candidates == 4
    [kept] = [judgement for judgement in record.ranking if judgement.kept]
    drafts = OfflineWriter(None, Settings()).write(request, [], n=4, seed=2)
    assert gag.strip.panels[-1].moment == drafts[kept.candidate].moment  # the punchline is the kept gag
    assert studio.gallery.get(gag.id).editor == record


def test_with_no_editor_the_writers_first_gag_is_the_punchline(tmp_path):
    request = "a tiny hamster guarding a bank vault"
    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path))

    gag = studio.strip(request, panels=3, seed=2, size=(256, 256), editor="none")

    [only] = gag.editor.ranking
    assert gag.editor.editor == "none" and gag.editor.candidates == 1 and "not judged" in only.reason
    first = OfflineWriter(None, Settings()).write(request, [], n=1, seed=2)[0]
    assert gag.strip.panels[-1].moment == first.moment
    assert len(gag.editor.pictures) == 3  # the panels are checked all the same


# -- each panel checked like a gag's picture ---------------------------------------------------

HAMSTER = "a tiny hamster guarding a bank vault"
SIGN = "BANK VAULT"


class SketchThatMisspellsOnce(SketchArtist):
    """The sketch artist, except that with one seed it paints the sign misspelt, as Flux does."""

    spec = "sketch-that-misspells-once"

    def __init__(self, misspelt_seed: int):
        super().__init__()
        self.misspelt_seed = misspelt_seed
        self.calls: list[list[int]] = []

    def paint(self, concepts, *, seeds, **options):
        self.calls.append(list(seeds))
        concepts = [
            misspelt(concept) if seed == self.misspelt_seed and concept.sign_text else concept
            for concept, seed in zip(concepts, seeds)
        ]
        return super().paint(concepts, seeds=seeds, **options)


def misspelt(concept):
    return concept.model_copy(update={"sign_text": "BNAK VUALT"})


def strip_with_a_sign() -> Strip:
    """The offline writer's strip with a sign in its first panel, where the hero stands alone."""
    data = offline_strip(HAMSTER, 3, seed=2).model_dump()
    data["panels"][0]["sign_text"] = SIGN
    return Strip.model_validate(data)


def test_a_panel_whose_sign_reads_wrong_is_repainted_and_the_page_letters_around_the_kept_one(tmp_path):
    seed = 30
    artist = SketchThatMisspellsOnce(misspelt_seed=seed)  # panel 1's first try
    studio = Studio(writer="offline", artist=artist, settings=Settings(home=tmp_path))

    gag = studio.strip(HAMSTER, strip=strip_with_a_sign(), panels=3, seed=seed, retries=2)

    assert artist.calls == [[seed, seed + 1, seed + 2], [seed + 1]]  # one panel repainted, once, with the next seed
    signed, *others = gag.editor.pictures
    assert [len(picture.attempts) for picture in others] == [1, 1] and others[0].attempts[0].sign is None
    wrong, right = signed.attempts
    assert (wrong.seed, right.seed, signed.kept) == (seed, seed + 1, 1)
    assert not wrong.sign.ok and wrong.sign.read.replace(" ", "").upper() == "BNAKVUALT"
    assert right.sign.ok and right.sign.boxes
    assert gag.artist_details["kept_seeds"] == [seed + 1, seed + 1, seed + 2]
    assert studio.gallery.get(gag.id).editor == gag.editor  # filed with the strip

    # The panel kept is the repaint, and what the page is lettered around is what the repaint drew.
    concept = gag.strip.panel_concept(0)
    repaint = SketchArtist().paint([concept], seeds=[seed + 1], width=gag.width, height=gag.height)
    assert np.array_equal(pixels(gag.renders[0]), np.asarray(repaint.images[0]))
    assert gag.artist_details["panels"][0] == repaint.details["panels"][0]
    assert gag.keep_clear[0] == repaint.keep_clear[0] != []
    page = lettered_page(gag)
    frame = page.panels[0]
    lettered = [b for b in page.balloons if b.panel == 0]
    boxes = [c for c in page.captions if c.panel == 0]
    assert lettered and boxes  # there is lettering to keep off the sign
    for box in gag.keep_clear[0]:
        sign = Rect(
            frame.left + box.x * frame.width, frame.top + box.y * frame.height,
            frame.left + (box.x + box.w) * frame.width, frame.top + (box.y + box.h) * frame.height,
        )  # fmt: skip
        for balloon in lettered:
            assert not ellipse_covers(balloon.ellipse, sign), balloon.text.text
        for caption in boxes:
            assert caption.box.overlap(sign) == 0, caption.text.text


def test_a_strip_with_a_repainted_panel_rerenders_bit_identically(tmp_path):
    seed = 30
    studio = Studio(writer="offline", artist=SketchThatMisspellsOnce(seed), settings=Settings(home=tmp_path))
    gag = studio.strip(HAMSTER, strip=strip_with_a_sign(), panels=3, seed=seed)

    again = studio.rerender(gag.id)

    # The same repaint, and the same try kept.
    assert again.parent == gag.id and again.editor.pictures == gag.editor.pictures
    assert len(again.editor.pictures[0].attempts) == 2
    for before, after in zip([*gag.renders, *gag.images], [*again.renders, *again.images], strict=True):
        assert np.array_equal(pixels(before), pixels(after))


def test_a_strip_rerenders_with_as_many_repaints_as_it_was_made_with(tmp_path):
    seed = 30
    studio = Studio(writer="offline", artist=SketchThatMisspellsOnce(seed), settings=Settings(home=tmp_path))
    assert studio.settings.retries == 2
    gag = studio.strip(HAMSTER, strip=strip_with_a_sign(), panels=3, seed=seed, retries=0)  # the misspelt sign kept

    again = studio.rerender(gag.id)

    assert gag.editor.retries == again.editor.retries == 0
    assert len(again.editor.pictures[0].attempts) == 1 and not again.editor.pictures[0].attempts[0].sign.ok
    for before, after in zip([*gag.renders, *gag.images], [*again.renders, *again.images], strict=True):
        assert np.array_equal(pixels(before), pixels(after))


class LooksAtEveryPanel:
    """A vision judge that keeps what it was shown, and finds six fingers in the first picture only."""

    name = "stub vision"

    def __init__(self):
        self.shown: list[str] = []

    def judge(self, image, concept, reference=None) -> VisionVerdict:
        self.shown.append(concept.moment)
        if len(self.shown) == 1:
            return VisionVerdict(passed=False, problems=["six fingers"], model=self.name)
        return VisionVerdict(passed=True, model=self.name)


def test_the_vision_judge_looks_at_every_panel_and_a_failed_one_is_repainted(tmp_path):
    judge = LooksAtEveryPanel()
    checks = Checks(safety=LocalNSFWDetector(0.5), retries=2, vision=judge)
    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path), checks=checks)

    gag = studio.strip(HAMSTER, panels=4, seed=8, size=(256, 256))

    moments = [panel.moment for panel in gag.strip.panels]
    assert judge.shown == [*moments, moments[0]]  # every panel once, then panel 1's repaint
    first, *others = gag.editor.pictures
    assert [attempt.vision.passed for attempt in first.attempts] == [False, True] and first.kept == 1
    assert all(len(picture.attempts) == 1 and picture.attempts[0].vision.passed for picture in others)
    assert gag.editor.vision == "stub vision" and gag.editor.safety.startswith("open_nsfw")


def test_a_strip_rerender_keeps_the_panels_the_vision_judge_chose_without_asking_it_again(tmp_path):
    judge = LooksAtEveryPanel()
    checks = Checks(safety=LocalNSFWDetector(0.5), retries=2, vision=judge)
    gag = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path), checks=checks).strip(
        HAMSTER, panels=3, seed=8, size=(256, 256)
    )

    again = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path)).rerender(gag.id)

    assert len(judge.shown) == 4  # three panels and panel 1's repaint, all while the strip was made
    assert again.editor.pictures == gag.editor.pictures and again.editor.pictures[0].kept == 1
    for before, after in zip([*gag.renders, *gag.images], [*again.renders, *again.images], strict=True):
        assert np.array_equal(pixels(before), pixels(after))


def test_the_offline_editor_keeps_the_strip_whose_last_words_play_on_the_request():
    from sightgag.editor.desk import edit_strips
    from sightgag.editor.offline import OfflineEditor

    def ending_with(words: str) -> Strip:
        data = offline_strip(HAMSTER, 3, seed=2).model_dump()
        data["panels"][-1].update(caption=words, balloons=[])
        return Strip.model_validate(data)

    loose, tied = ending_with("Some days are just like that."), ending_with("No hamster has ever lost a vault.")

    kept, record = edit_strips(OfflineEditor(), HAMSTER, [], [loose, tied])

    assert kept == tied and record.candidates == 2
    best, other = record.ranking
    assert (best.candidate, best.kept, best.caption) == (1, True, "No hamster has ever lost a vault.")
    assert best.score > other.score and "not tied" in other.reason
    story = tied.as_concept().moment
    for number, panel in enumerate(tied.panels[:-1], 1):  # the editor reads the story, beat by beat
        assert f"{number}. " in story and panel.balloons[0].text[:8] in story
