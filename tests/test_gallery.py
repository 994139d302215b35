"""The gallery keeps every gag with what is needed to make it again, and never half of one."""

import json
import os
import sqlite3
import time

import pytest
from PIL import Image

from examples import mittens_concept
from sightgag.errors import SightgagError, UsageError
from sightgag.gag import Gag
import sightgag.gallery
from sightgag.gallery import Gallery, new_gag_id, now_iso, read_png_record
from sightgag.png import write_png
from sightgag.staging import STALE_SECONDS, new_staging
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
    leftover = tmp_path / "gallery" / ".staging-20260101-000000-abcdef-x1y2"
    leftover.mkdir(parents=True)
    (leftover / "0.png").write_bytes(b"\x89PNG half")
    an_hour_ago = time.time() - STALE_SECONDS - 1
    os.utime(leftover, (an_hour_ago, an_hour_ago))

    Gallery(tmp_path)
    assert not leftover.exists()


def test_a_staging_folder_another_process_is_writing_is_not_swept(tmp_path):
    busy = new_staging(Gallery(tmp_path).folder, "20260101-000000-abcdef")
    (busy / "0-render.png").write_bytes(b"\x89PNG being written")

    Gallery(tmp_path)  # `sightgag gallery list` while the server files a gag
    assert busy.is_dir()


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


# -- crashes while filing or deleting -----------------------------------------------------------

CRASH_BETWEEN_RENAME_AND_COMMIT = """
import os, sys
sys.path.insert(0, {tests!r})
from PIL import Image
import sightgag.gallery
from test_gallery import draft_gag

real_replace = os.replace

def rename_then_die(source, target):
    real_replace(source, target)
    os._exit(137)  # kill -9 right after the folder is in place, before its row is committed

sightgag.gallery.os.replace = rename_then_die
gag = draft_gag(id={gag_id!r})
sightgag.gallery.Gallery({home!r}).add(gag, [Image.new("RGB", (64, 48), "red")], [Image.new("RGB", (64, 48), "blue")], job_id="job-1")
"""


def crash_while_filing(home, gag_id: str) -> None:
    import subprocess
    import sys
    from pathlib import Path

    script = CRASH_BETWEEN_RENAME_AND_COMMIT.format(tests=str(Path(__file__).parent), gag_id=gag_id, home=str(home))
    assert subprocess.run([sys.executable, "-c", script]).returncode == 137


def test_a_gag_whose_filing_was_killed_after_its_folder_moved_in_is_adopted_on_the_next_start(tmp_path):
    gag_id = "20260101-000000-abcdef"
    crash_while_filing(tmp_path, gag_id)
    folder = tmp_path / "gallery" / gag_id
    assert folder.is_dir()
    with sqlite3.connect(tmp_path / "sightgag.db") as db:  # the window: a whole folder, no row
        assert db.execute("SELECT COUNT(*) FROM gags").fetchone()[0] == 0

    gallery = Gallery(tmp_path)
    adopted = gallery.get(gag_id)
    assert Image.open(adopted.images[0]).getpixel((0, 0)) == (0, 0, 255)
    assert read_png_record(adopted.renders[0])["id"] == gag_id
    assert gallery.filed_for_job("job-1").id == gag_id  # adopted with the job that filed it
    assert sorted(path.name for path in folder.iterdir()) == ["0-render.png", "0.png"]


def test_a_half_filed_folder_is_removed_on_the_next_start(tmp_path):
    gag_id = "20260101-000000-abcdef"
    crash_while_filing(tmp_path, gag_id)
    (tmp_path / "gallery" / gag_id / "0.png").unlink()  # not whole: a picture its record names is missing

    gallery = Gallery(tmp_path)
    assert gallery.count() == 0 and not (tmp_path / "gallery" / gag_id).exists()


def test_a_gag_folder_with_no_row_filed_by_an_older_sightgag_is_adopted_from_its_pngs(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])
    with sqlite3.connect(gallery.database) as db:  # as the older filing left it when killed before the commit
        db.execute("DELETE FROM gags")

    adopted = Gallery(tmp_path).get(gag.id)
    assert adopted.concepts == gag.concepts and adopted.seed == gag.seed and adopted.images == gag.images


def test_a_folder_the_gallery_does_not_understand_is_left_alone(tmp_path):
    stranger = tmp_path / "gallery" / "holiday-photos"
    stranger.mkdir(parents=True)
    (stranger / "beach.png").write_bytes(b"\x89PNG not ours")

    assert Gallery(tmp_path).count() == 0
    assert (stranger / "beach.png").exists()


def test_a_delete_killed_before_its_files_are_gone_never_brings_the_gag_back(tmp_path, monkeypatch):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])

    def crash(*args, **kwargs):
        raise SystemExit("killed after the row was deleted")

    monkeypatch.setattr(sightgag.gallery.shutil, "rmtree", crash)
    with pytest.raises(SystemExit):
        gallery.delete(gag.id)
    monkeypatch.undo()

    again = Gallery(tmp_path)
    assert again.count() == 0 and not gag.images[0].parent.exists()


# -- id collisions ------------------------------------------------------------------------------


def test_a_new_gag_with_a_taken_id_gets_another_and_the_existing_gag_is_untouched(tmp_path):
    gallery = Gallery(tmp_path)
    first = gallery.add(draft_gag(id="20260101-000000-abcdef"), [picture("red")], [picture("red")])
    second = gallery.add(draft_gag(id="20260101-000000-abcdef"), [picture("blue")], [picture("blue")])

    assert second.id != first.id and gallery.count() == 2
    assert Image.open(gallery.get(first.id).images[0]).getpixel((0, 0)) == (255, 0, 0)


def test_a_filing_that_fails_after_its_folder_moved_in_removes_only_its_own_folder(tmp_path):
    gallery = Gallery(tmp_path)
    first = gallery.add(draft_gag(), [picture("red")], [picture("red")], job_id="job-1")
    with pytest.raises(sqlite3.IntegrityError):  # one job files one gag
        gallery.add(draft_gag(), [picture("blue")], [picture("blue")], job_id="job-1")

    assert [gag.id for gag in gallery.list()] == [first.id]
    assert sorted(path.name for path in gallery.folder.iterdir()) == [first.id]
    assert Image.open(first.images[0]).getpixel((0, 0)) == (255, 0, 0)


def test_an_id_taken_while_filing_fails_without_deleting_the_other_gag(tmp_path, monkeypatch):
    gallery = Gallery(tmp_path)
    real_staging = sightgag.gallery.new_staging
    others = []

    def staging_while_another_process_files_the_same_id(parent, gag_id):
        if not others:  # between the check for a free id and the lock, another filing takes it
            others.append(draft_gag(id=gag_id))
            Gallery(tmp_path).add(others[0], [picture("red")], [picture("red")])
        return real_staging(parent, gag_id)

    monkeypatch.setattr(sightgag.gallery, "new_staging", staging_while_another_process_files_the_same_id)
    with pytest.raises(SightgagError, match="taken while filing"):
        gallery.add(draft_gag(), [picture("blue")], [picture("blue")])
    other = gallery.get(others[0].id)
    assert Image.open(other.images[0]).getpixel((0, 0)) == (255, 0, 0)
    assert sorted(path.name for path in gallery.folder.iterdir()) == [other.id]


# -- paths: relative in every record, absolute in hand ---------------------------------------


def test_records_name_pictures_relative_to_the_home_and_gags_in_hand_absolute(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(
        draft_gag(artist_details={"references": [str(tmp_path / "subjects" / "mittens-1" / "a.jpg")]}),
        renders=[picture("red")],
        images=[picture("blue")],
    )
    assert gag.images[0].is_absolute() and gag.images[0].is_file()

    embedded = read_png_record(gag.images[0])
    with sqlite3.connect(gallery.database) as db:
        stored = db.execute("SELECT record FROM gags").fetchone()[0]
    for record in (json.dumps(embedded), stored, json.dumps(gallery.record(gag))):
        assert str(tmp_path) not in record
    assert embedded["images"] == [f"gallery/{gag.id}/0.png"]
    assert embedded["artist_details"]["references"] == ["subjects/mittens-1/a.jpg"]
    assert gallery.get(gag.id).images == gag.images


def test_a_moved_home_still_finds_its_pictures(tmp_path):
    gag = Gallery(tmp_path / "old").add(draft_gag(), renders=[picture("red")], images=[picture("blue")])
    (tmp_path / "old").rename(tmp_path / "new")

    moved = Gallery(tmp_path / "new").get(gag.id)
    assert Image.open(moved.images[0]).getpixel((0, 0)) == (0, 0, 255)


def test_records_written_with_absolute_paths_still_load(tmp_path):
    gallery = Gallery(tmp_path)
    gag = gallery.add(draft_gag(), renders=[picture("red")], images=[picture("blue")])
    with sqlite3.connect(gallery.database) as db:  # as sightgag wrote rows before paths were relative
        db.execute("UPDATE gags SET record = ?", (gag.model_dump_json(),))

    again = Gallery(tmp_path).get(gag.id)
    assert again.images == gag.images and again.images[0].is_absolute()
    assert str(tmp_path) not in json.dumps(gallery.record(again))  # and are served relative all the same


def test_shown_records_cut_paths_outside_the_home_and_the_row_keeps_them_for_rerender(tmp_path):
    gallery = Gallery(tmp_path / "home")
    weights = "/srv/models/FLUX.1-schnell"
    lora = {"path": str(tmp_path / "home" / "subjects" / "mittens-1" / "lora.safetensors"), "trained_on": weights}
    gag = gallery.add(
        draft_gag(artist=f"flux:{weights}", artist_details={"model_id": weights, "steps": 4, "loras": [lora]}),
        renders=[picture("red")],
        images=[picture("blue")],
    )

    for record in (read_png_record(gag.images[0]), gallery.record(gag)):
        assert "/srv" not in json.dumps(record) and str(tmp_path) not in json.dumps(record)
        assert record["artist"] == "flux:FLUX.1-schnell" and record["artist_details"]["model_id"] == "FLUX.1-schnell"
        assert record["artist_details"]["loras"] == [{"path": "subjects/mittens-1/lora.safetensors", "trained_on": "FLUX.1-schnell"}]
        assert record["artist_details"]["steps"] == 4
    assert gallery.get(gag.id).artist == f"flux:{weights}"


def test_a_gallery_from_before_job_ids_opens_and_keeps_its_gags(tmp_path):
    gag = draft_gag(images=[tmp_path / "gallery" / "x" / "0.png"], renders=[])
    with sqlite3.connect(tmp_path / "sightgag.db") as db:  # the schema sightgag created before
        db.execute("CREATE TABLE gags (id TEXT PRIMARY KEY, created TEXT NOT NULL, request TEXT NOT NULL, record TEXT NOT NULL)")
        db.execute("INSERT INTO gags VALUES (?, ?, ?, ?)", (gag.id, gag.created, gag.request, gag.model_dump_json()))

    gallery = Gallery(tmp_path)
    assert gallery.get(gag.id).images == gag.images and gallery.filed_for_job("job-1") is None
    filed = gallery.add(draft_gag(), [picture("red")], [picture("red")], job_id="job-1")
    assert gallery.filed_for_job("job-1").id == filed.id


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


def test_the_newest_gag_comes_first_even_within_one_second(tmp_path):
    gallery = Gallery(tmp_path)
    second = now_iso()
    # Same second, and the later gag's random part sorts first: the list still shows it first.
    earlier = gallery.add(draft_gag(id="20261202-120000-ffffff", created=second), [picture("red")], [picture("red")])
    later = gallery.add(draft_gag(id="20261202-120000-000000", created=second), [picture("blue")], [picture("blue")])

    assert [gag.id for gag in gallery.list()] == [later.id, earlier.id]
