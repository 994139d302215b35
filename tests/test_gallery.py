"""The gallery keeps every gag with what is needed to make it again, and never half of one."""

import sqlite3

import pytest
from PIL import Image

from examples import mittens_concept
from sightgag.errors import SightgagError, UsageError
from sightgag.gag import Gag
import sightgag.gallery
from sightgag.gallery import Gallery, new_gag_id, now_iso, read_png_record
from sightgag.png import write_png
from sightgag.settings import Settings
from sightgag.studio import Studio


def draft_gag(**changes) -> Gag:
    fields = dict(
        id=new_gag_id(),
        created=now_iso(),
        request="my cat Mittens as a superhero fighting a giant ball of yarn",
        subjects=["Mittens"],
        concepts=[mittens_concept()],
        images=[],
        renders=[],
        writer="offline",
        artist="sketch",
        seed=7,
        width=64,
        height=48,
        timings={"total": 1.5},
    )
    fields.update(changes)
    return Gag(**fields)


def picture(colour: str) -> Image.Image:
    return Image.new("RGB", (64, 48), colour)


def test_a_filed_gag_can_be_read_back_with_its_pictures(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    again = gallery.get(gag.id)
    assert again == gag
    assert again.concept.hero.name == "Mittens"
    assert Image.open(again.renders[0]).getpixel((0, 0)) == (255, 0, 0)
    assert Image.open(again.images[0]).getpixel((0, 0)) == (0, 0, 255)


def test_each_png_carries_the_gags_record(tmp_path):
    gag = Gallery(tmp_path).add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    record = read_png_record(gag.images[0])
    assert record["id"] == gag.id
    assert record["seed"] == 7
    assert record["concept"]["caption"]["text"] == gag.concept.caption.text
    assert read_png_record(gag.renders[0])["artist"] == "sketch"


def test_gags_are_found_by_a_unique_prefix_and_listed_newest_first(tmp_path):
    gallery = Gallery(tmp_path)
    first = gallery.add(draft_gag(id="20260101-000000-aaaaaa"), [picture("red")], [picture("red")])
    second = gallery.add(draft_gag(id="20260102-000000-bbbbbb"), [picture("red")], [picture("red")])

    assert gallery.get("20260101").id == first.id
    assert [gag.id for gag in gallery.list()] == [second.id, first.id]
    with pytest.raises(UsageError, match="several"):
        gallery.get("2026010")
    with pytest.raises(UsageError, match="no gag"):
        gallery.get("1999")
    with pytest.raises(UsageError, match="no gag"):
        gallery.get("%")  # LIKE wildcards are not wildcards here


def test_a_failure_while_filing_leaves_no_row_and_no_file(tmp_path, monkeypatch):
    gallery = Gallery(tmp_path)
    written = []

    def write_until_the_disk_fills(image, path, record):
        if written:  # the second picture fails half-way, as a full disk or a crash would
            path.write_bytes(b"\x89PNG half")
            raise OSError("disk full")
        write_png(image, path, record)
        written.append(path)

    monkeypatch.setattr(sightgag.gallery, "write_png", write_until_the_disk_fills)
    with pytest.raises(OSError, match="disk full"):
        gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    assert written and gallery.count() == 0
    assert list(gallery.folder.iterdir()) == []


def test_staging_left_by_a_crash_is_swept_on_the_next_start(tmp_path):
    leftover = tmp_path / "gallery" / ".staging-20260101-000000-abcdef"
    leftover.mkdir(parents=True)
    (leftover / "0.png").write_bytes(b"\x89PNG half")

    Gallery(tmp_path)
    assert not leftover.exists()


def test_every_llm_exchange_is_logged(tmp_path):
    gallery = Gallery(tmp_path)
    gallery.log_exchanges(
        [{"provider": "grok", "model": "grok-4-fast", "messages": [{"role": "user", "content": "hi"}], "response": "{}", "duration_s": 0.5}],
        gag_id="g1",
    )
    gallery.log_exchanges([{"provider": "grok", "model": "grok-4-fast", "messages": [], "error": "timed out"}])

    logged = gallery.exchanges("g1")
    assert len(logged) == 1 and logged[0]["model"] == "grok-4-fast" and '"hi"' in logged[0]["prompt"]
    assert gallery.exchanges()[0]["error"] == "timed out"
    with sqlite3.connect(gallery.database) as db:
        assert db.execute("SELECT COUNT(*) FROM exchanges").fetchone()[0] == 2


def test_relettered_images_replace_the_lettered_ones_and_keep_the_renders(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    updated = gallery.replace_images(gag, [picture("green")], lettering="meme")
    assert updated.lettering == "meme"
    assert updated.renders == gag.renders
    assert Image.open(gallery.get(gag.id).images[0]).getpixel((0, 0)) == (0, 128, 0)


def test_a_deleted_gag_is_gone_with_its_pictures(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    gallery.delete(gag.id[:12])
    assert gallery.count() == 0
    assert not gag.images[0].parent.exists()
    with pytest.raises(UsageError):
        gallery.get(gag.id)


# -- the LLM log names only gags that were filed --------------------------------------------------


class LoggingWriter:
    """A writer that logs one exchange per call, as the LLM writers do, and fails when told to."""

    spec = "scripted"

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.exchanges: list[dict] = []

    def write(self, request, subjects, n=1, seed=None):
        self.exchanges.append({"provider": "scripted", "model": "m", "messages": [{"role": "user", "content": request}]})
        if self.fail:
            self.exchanges[-1]["error"] = "no usable answer"
            raise SightgagError("scripted gave no usable concepts")
        return [mittens_concept()]


def test_a_failed_writer_run_logs_its_exchange_with_no_gag(tmp_path):
    studio = Studio(writer=LoggingWriter(fail=True), artist="sketch", settings=Settings(home=tmp_path))

    with pytest.raises(SightgagError):
        studio.make("my cat Mittens as a superhero", size=(256, 256))

    logged = studio.gallery.exchanges()
    assert len(logged) == 1 and logged[0]["error"] == "no usable answer"
    assert logged[0]["gag_id"] is None
    assert studio.gallery.count() == 0


def test_a_gag_that_fails_after_writing_leaves_its_exchanges_unlinked(tmp_path):
    # The sketch artist refuses 64x64 (its sides start at 256): the gag is written, never painted or filed.
    studio = Studio(writer=LoggingWriter(), artist="sketch", settings=Settings(home=tmp_path))

    with pytest.raises(UsageError):
        studio.make("my cat Mittens as a superhero", size=(64, 64))

    assert [row["gag_id"] for row in studio.gallery.exchanges()] == [None]


def test_a_filed_gags_exchanges_name_it(tmp_path):
    studio = Studio(writer=LoggingWriter(), artist="sketch", settings=Settings(home=tmp_path))

    gag = studio.make("my cat Mittens as a superhero", size=(256, 256))

    assert [row["gag_id"] for row in studio.gallery.exchanges()] == [gag.id]
    assert len(studio.gallery.exchanges(gag.id)) == 1


# -- re-lettering replaces files, it does not pile them up ----------------------------------------


def test_relettering_deletes_the_lettered_files_it_replaces(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    first = gallery.replace_images(gag, [picture("green")], lettering="meme")
    second = gallery.replace_images(first, [picture("white")], lettering="caption")

    folder = gallery.folder / gag.id
    assert sorted(path.name for path in folder.iterdir()) == sorted(path.name for path in [*second.renders, *second.images])
    assert all(path.exists() for path in [*second.renders, *second.images])


def test_relettering_in_each_concepts_own_style_names_no_style_in_the_file(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    updated = gallery.replace_images(gag, [picture("green")], lettering=None)

    assert updated.lettering is None
    assert "None" not in updated.images[0].name and updated.images[0].exists()
