"""The subject library: photos in, a recognisable subject out, and bad photos kept out."""

import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from sightgag.errors import UsageError
from sightgag.subjects.library import SubjectLibrary, folder_name
from sightgag.subjects.traits import photo_traits


def orange_cat_photo(path: Path, *, gps: bool = False, rotated: bool = False, shade: int = 0) -> Path:
    """A photo-like picture: an orange blob (the cat) on a green lawn, with camera EXIF if asked."""
    image = Image.new("RGB", (320, 200), (60, 140, 60))
    for x in range(90, 230):
        for y in range(40, 170):
            if ((x - 160) / 70) ** 2 + ((y - 105) / 65) ** 2 <= 1:
                image.putpixel((x, y), (235, 140 - shade, 40))
    exif = Image.Exif()
    if rotated:
        exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to view": phones do this
    if gps:
        exif[ExifTags.Base.Make] = "PhoneCo"
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    image.save(path, format="JPEG", exif=exif, quality=95)
    return path


def png_bomb(folder: Path, side: int = 30000) -> Path:
    """A tiny file whose header claims side x side pixels."""
    path = folder / "bomb.png"
    Image.new("L", (8, 8)).save(path, format="PNG")
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", side, side) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))
    return path


def test_add_list_edit_and_remove_round_trip(tmp_path):
    library = SubjectLibrary(tmp_path / "home")
    mittens, skipped = library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="Cat")
    assert skipped == 0
    assert mittens.kind == "cat" and len(mittens.photos) == 1 and mittens.photos[0].exists()

    assert [subject.name for subject in library.list()] == ["Mittens"]
    edited = mittens.model_copy(update={"traits": ["one white paw"], "aliases": ["Mitty"]})
    library.update(edited)
    assert library.get("mitty").traits == ["one white paw"]
    assert [subject.name for subject in library.named_in("Mitty versus the vacuum cleaner")] == ["Mittens"]

    library.remove("Mittens")
    assert library.list() == []
    assert not mittens.photos[0].exists()


def test_duplicates_are_skipped_and_more_photos_can_be_added(tmp_path):
    library = SubjectLibrary(tmp_path / "home")
    first = orange_cat_photo(tmp_path / "a.jpg")
    library.add("Mittens", [first], kind="cat")
    subject, skipped = library.add("mittens", [first, orange_cat_photo(tmp_path / "b.jpg", shade=30)])
    assert skipped == 1
    assert len(subject.photos) == 2


def test_stored_photos_are_upright_and_carry_no_exif(tmp_path):
    library = SubjectLibrary(tmp_path / "home")
    original = orange_cat_photo(tmp_path / "phone.jpg", gps=True, rotated=True)
    assert Image.open(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the original has a position

    subject, _ = library.add("Mittens", [original], kind="cat")
    stored = Image.open(subject.photos[0])
    assert stored.size == (200, 320)  # turned upright as the phone meant
    assert not stored.getexif()
    assert b"PhoneCo" not in subject.photos[0].read_bytes()


def text_named_jpg(folder: Path) -> Path:
    (folder / "cat.jpg").write_text("definitely a cat")
    return folder / "cat.jpg"


def zero_bytes(folder: Path) -> Path:
    (folder / "empty.jpg").write_bytes(b"")
    return folder / "empty.jpg"


def svg(folder: Path) -> Path:
    (folder / "cat.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>')
    return folder / "cat.svg"


def truncated_jpeg(folder: Path) -> Path:
    whole = orange_cat_photo(folder / "whole.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    return folder / "cut.jpg"


@pytest.mark.parametrize(
    "make_bad, message",
    [(text_named_jpg, "not an image"), (zero_bytes, "empty"), (png_bomb, "pixels"), (svg, "not an image"), (truncated_jpeg, "truncated")],
)
def test_bad_photos_are_refused_and_nothing_is_half_added(tmp_path, make_bad, message):
    library = SubjectLibrary(tmp_path / "home")
    good = orange_cat_photo(tmp_path / "good.jpg")
    bad = make_bad(tmp_path)

    with pytest.raises(UsageError, match=message) as refused:
        library.add("Mittens", [good, bad], kind="cat")
    assert "\n" not in str(refused.value)
    assert library.list() == []
    assert [path for path in library.folder.iterdir()] == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "Zoë", "Straße", "José the 3rd", "猫ちゃん", "CON", ".hidden", "a/b\\c"])
def test_any_unicode_name_is_safe_on_disk(tmp_path, name):
    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add(name, [orange_cat_photo(tmp_path / "a.jpg")])
    assert subject.name == name
    folder = subject.photos[0].parent
    assert folder.parent == library.folder
    assert folder.name == folder_name(name) and "/" not in folder.name and not folder.name.startswith(".")
    SubjectLibrary(tmp_path / "home")  # the next start's sweep knows the folder is this subject's
    assert subject.photos[0].is_file()


@pytest.mark.parametrize("name, message", [("", "is empty"), ("   ", "is empty"), ("x" * 61, "keep it to 60"), ("bad\x00name", "control"), ("!!!", "not a name")])
def test_names_that_cannot_be_names_are_refused(tmp_path, name, message):
    with pytest.raises(UsageError, match=message):
        SubjectLibrary(tmp_path / "home").add(name, [orange_cat_photo(tmp_path / "a.jpg")])


def test_offline_traits_name_the_dominant_colour(tmp_path):
    photo = Image.open(orange_cat_photo(tmp_path / "a.jpg"))
    traits = photo_traits([photo], kind="cat")
    assert len(traits) == 1 and traits[0].endswith("fur")
    assert "orange" in traits[0] or "ginger" in traits[0]


def test_a_vision_model_is_sent_the_photos_and_its_traits_are_kept(tmp_path):
    from test_openai_writer import ScriptedChatServer

    from sightgag.settings import Settings
    from sightgag.subjects.describe import describe_traits

    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat")
    answer = '{"traits": ["orange tabby coat", "  one white front paw ", "green eyes"]}'
    with ScriptedChatServer(("answer", answer)) as server:
        traits = describe_traits(subject, Settings(home=tmp_path / "home"), vision=f"openai-compat:{server.url}#vlm")

    assert traits == ["orange tabby coat", "one white front paw", "green eyes"]
    request = server.requests[0]
    assert request["model"] == "vlm"
    parts = request["messages"][0]["content"]
    assert "Mittens" in parts[0]["text"]
    assert parts[1]["type"] == "image_url" and parts[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert request["response_format"]["type"] == "json_schema"


def test_a_vision_server_named_without_a_model_is_asked_for_the_one_it_serves(tmp_path):
    from test_openai_writer import ScriptedChatServer

    from sightgag.settings import Settings
    from sightgag.subjects.describe import describe_traits

    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat")
    with ScriptedChatServer(("answer", '{"traits": ["orange tabby coat"]}'), models=["llava-1.6"]) as server:
        traits = describe_traits(subject, Settings(home=tmp_path / "home"), vision=f"openai-compat:{server.url}")

    assert traits == ["orange tabby coat"]
    assert server.requests[0]["model"] == "llava-1.6"


def test_a_vision_model_answering_junk_is_a_one_line_error(tmp_path):
    from test_openai_writer import ScriptedChatServer

    from sightgag.errors import SightgagError
    from sightgag.settings import Settings
    from sightgag.subjects.describe import describe_traits

    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat")
    with ScriptedChatServer(("answer", "a very nice cat")) as server, pytest.raises(SightgagError, match="traits"):
        describe_traits(subject, Settings(home=tmp_path / "home", writer_retries=0), vision=f"openai-compat:{server.url}#vlm")


# -- what a stored photo keeps: its pixels, nothing else -------------------------------------

SECRET = "GPS 48.8584N 2.2945E owner=alice"
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    f'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="{SECRET}"/></rdf:RDF></x:xmpmeta>'
).encode()


def secret_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET
    exif[ExifTags.Base.ImageDescription] = SECRET
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 30.24)
    return exif


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_everything(path: Path) -> Path:
    image = Image.open(orange_cat_photo(path.with_suffix(".plain.jpg")))
    image.save(path, format="JPEG", exif=secret_exif(), comment=SECRET, xmp=XMP, icc_profile=srgb_profile())
    return path


def png_with_everything(path: Path) -> Path:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", SECRET)  # tEXt
    info.add_text("Author", SECRET, zip=True)  # zTXt
    info.add_itxt("Description", SECRET)  # iTXt
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    image = Image.open(orange_cat_photo(path.with_suffix(".plain.jpg")))
    image.save(path, format="PNG", pnginfo=info, exif=secret_exif(), icc_profile=srgb_profile())  # eXIf, iCCP
    return path


def gif_with_a_comment(path: Path) -> Path:
    Image.open(orange_cat_photo(path.with_suffix(".plain.jpg"))).save(path, format="GIF", comment=SECRET)
    return path


def webp_with_everything(path: Path) -> Path:
    image = Image.open(orange_cat_photo(path.with_suffix(".plain.jpg")))
    image.save(path, format="WEBP", exif=secret_exif(), xmp=XMP, icc_profile=srgb_profile())
    return path


def tiff_with_tags(path: Path) -> Path:
    from PIL.TiffImagePlugin import ImageFileDirectory_v2

    tags = ImageFileDirectory_v2()
    tags[270] = SECRET  # ImageDescription
    tags[315] = SECRET  # Artist
    tags[33432] = SECRET  # Copyright
    Image.open(orange_cat_photo(path.with_suffix(".plain.jpg"))).save(path, format="TIFF", tiffinfo=tags)
    return path


@pytest.mark.parametrize(
    "make_photo, file_name",
    [
        (jpeg_with_everything, "phone.jpg"),
        (png_with_everything, "screenshot.png"),
        (gif_with_a_comment, "cat.gif"),
        (webp_with_everything, "cat.webp"),
        (tiff_with_tags, "scan.tif"),
    ],
)
def test_stored_photos_keep_no_metadata_whatever_the_format(tmp_path, make_photo, file_name):
    original = make_photo(tmp_path / file_name)
    assert SECRET.encode() in original.read_bytes()  # the test photo does carry it

    subject, _ = SubjectLibrary(tmp_path / "home").add("Mittens", [original], kind="cat")
    stored_path = subject.photos[0]
    raw = stored_path.read_bytes()
    assert SECRET.encode() not in raw
    assert b"xmpmeta" not in raw and b"ICC_PROFILE" not in raw and b"Exif" not in raw
    with Image.open(stored_path) as stored:
        assert stored.format == "JPEG" and stored.size == (320, 200)
        assert not set(stored.info) & {"comment", "exif", "xmp", "icc_profile", "photoshop", "adobe"}
        assert not stored.getexif()
        # Only the JFIF header Pillow always writes: no APPn segment of any metadata kind, no COM.
        assert [marker for marker, _ in stored.applist] == ["APP0"]


def swapped_primaries_profile() -> bytes:
    """An RGB profile whose red and blue primaries trade places: its pixels mean something else than sRGB's."""
    data = bytearray(srgb_profile())
    tags = {bytes(data[at : at + 4]): at for at in range(132, 132 + 12 * struct.unpack(">I", data[128:132])[0], 12)}
    red, blue = tags[b"rXYZ"], tags[b"bXYZ"]
    data[red + 4 : red + 12], data[blue + 4 : blue + 12] = data[blue + 4 : blue + 12], data[red + 4 : red + 12]
    return bytes(data)


def test_a_photo_in_another_colour_space_is_stored_in_srgb_without_its_profile(tmp_path):
    red, green, blue = Image.open(orange_cat_photo(tmp_path / "plain.jpg")).split()
    # The orange cat in the swapped space is stored as blue numbers; only its profile says they are orange.
    Image.merge("RGB", (blue, green, red)).save(tmp_path / "wide-gamut.jpg", icc_profile=swapped_primaries_profile())

    subject, _ = SubjectLibrary(tmp_path / "home").add("Mittens", [tmp_path / "wide-gamut.jpg"], kind="cat")
    with Image.open(subject.photos[0]) as stored:
        assert "icc_profile" not in stored.info
        r, g, b = stored.getpixel((160, 105))
    assert r > 200 and b < 90  # orange, as the profile meant, not the blue its raw numbers say


# -- degenerate photos ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size, message",
    [((4000, 2), "too small"), ((1, 59_000_000), "too small"), ((1, 1), "too small"), ((63, 400), "too small"),
     ((2000, 200), "long and thin"), ((100, 900), "long and thin")],
)  # fmt: skip
def test_degenerate_photos_are_refused_in_one_line_and_nothing_is_stored(tmp_path, size, message):
    path = tmp_path / "odd.png"
    if size[0] * size[1] > 50_000_000:
        # Too many pixels to build in a test: a small PNG whose header claims the size (the check reads the header).
        Image.new("L", (8, 8)).save(path)
        data = bytearray(path.read_bytes())
        ihdr = struct.pack(">II", *size) + bytes(data[24:29])
        data[16:29] = ihdr
        data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        path.write_bytes(bytes(data))
    else:
        Image.new("RGB", size, (235, 140, 40)).save(path)
    library = SubjectLibrary(tmp_path / "home")

    with pytest.raises(UsageError, match=message) as refused:
        library.add("Twide", [orange_cat_photo(tmp_path / "good.jpg"), path])
    assert "\n" not in str(refused.value) and "odd.png" in str(refused.value)
    assert library.list() == [] and list(library.folder.iterdir()) == []


def test_the_narrowest_photos_allowed_are_stored_and_described(tmp_path):
    from sightgag.settings import Settings
    from sightgag.subjects.describe import trait_reader
    from sightgag.subjects.photos import MAX_ASPECT, MIN_SIDE

    path = tmp_path / "narrow.png"
    Image.new("RGB", (MIN_SIDE * MAX_ASPECT, MIN_SIDE), (235, 140, 40)).save(path)
    subject, _ = SubjectLibrary(tmp_path / "home").add("Slim", [path], kind="cat", describe=trait_reader(Settings()))
    assert subject.traits and len(subject.photos) == 1


def test_traits_that_cannot_be_read_leave_no_half_added_subject(tmp_path):
    library = SubjectLibrary(tmp_path / "home")

    def broken_reader(subject, images):
        raise ZeroDivisionError("the trait reader fell over")

    with pytest.raises(ZeroDivisionError):
        library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat", describe=broken_reader)
    assert library.list() == [] and list(library.folder.iterdir()) == []


def test_subjects_add_on_the_command_line_refuses_a_degenerate_photo_and_stores_nothing(tmp_path):
    import subprocess
    import sys

    Image.new("RGB", (4000, 2), (235, 140, 40)).save(tmp_path / "wide.png")
    result = subprocess.run(
        [sys.executable, "-m", "sightgag.cli", "subjects", "add", "Twide", str(tmp_path / "wide.png")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: wide.png: 4000x2 is too small") and result.stderr.count("\n") == 1
    listed = subprocess.run([sys.executable, "-m", "sightgag.cli", "subjects", "list", "--json"], capture_output=True, text=True)
    assert listed.stdout.strip() == "[]"


# -- concurrent adds --------------------------------------------------------------------------


def add_one_photo(home: str, photo: str) -> int:
    """One add of one photo to Racer, as a separate `sightgag subjects add` or API call would; the photo count after."""
    subject, _ = SubjectLibrary(Path(home)).add("Racer", [Path(photo)], kind="cat")
    return len(subject.photos)


def racing_photos(folder: Path, count: int) -> list[Path]:
    return [orange_cat_photo(folder / f"racer-{index}.jpg", shade=index * 15) for index in range(count)]


def assert_racer_keeps_every_photo(home: Path, photos: list[Path]) -> None:
    library = SubjectLibrary(home)
    racer = library.get("Racer")
    assert len(racer.photos) == len(photos)
    on_disk = sorted(path.name for path in library.folder_of(racer).iterdir())
    assert on_disk == sorted(path.name for path in racer.photos)
    assert not list(library.folder.glob(".staging-*"))


def test_parallel_adds_to_one_subject_from_threads_each_keep_their_photo(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    photos = racing_photos(tmp_path, 6)
    with ThreadPoolExecutor(6) as pool:
        counts = list(pool.map(add_one_photo, [str(tmp_path / "home")] * 6, map(str, photos)))
    assert sorted(counts) == [1, 2, 3, 4, 5, 6]
    assert_racer_keeps_every_photo(tmp_path / "home", photos)


def test_parallel_adds_to_one_subject_from_processes_each_keep_their_photo(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    photos = racing_photos(tmp_path, 6)
    SubjectLibrary(tmp_path / "home")  # the database exists before the race, as it does on a used home
    with ProcessPoolExecutor(6, mp_context=multiprocessing.get_context("spawn")) as pool:
        counts = list(pool.map(add_one_photo, [str(tmp_path / "home")] * 6, map(str, photos)))
    assert sorted(counts) == [1, 2, 3, 4, 5, 6]
    assert_racer_keeps_every_photo(tmp_path / "home", photos)


def test_an_edit_made_during_an_add_keeps_the_added_photo(tmp_path):
    library = SubjectLibrary(tmp_path / "home")
    first, second = racing_photos(tmp_path, 2)
    stale, _ = library.add("Racer", [first])
    library.add("Racer", [second])
    library.update(stale.model_copy(update={"traits": ["fast"]}))  # edited from a copy read before the second add
    racer = library.get("Racer")
    assert racer.traits == ["fast"] and len(racer.photos) == 2


def test_a_staging_folder_in_use_by_another_process_is_not_swept(tmp_path):
    from sightgag.staging import new_staging

    library = SubjectLibrary(tmp_path / "home")
    busy = new_staging(library.folder, "someone-elses")
    SubjectLibrary(tmp_path / "home")  # a second opening of the library, as every command does
    assert busy.is_dir()


CRASH_BETWEEN_MOVE_AND_COMMIT = """
import os, sys
from pathlib import Path
import sightgag.subjects.library as library

real_replace = os.replace

def move_then_die(source, target):
    real_replace(source, target)
    os._exit(137)  # kill -9 with the photo in the subject's folder, before the record is committed

library.os.replace = move_then_die
library.SubjectLibrary(Path({home!r})).add("Racer", [Path({photo!r})])
"""


@pytest.mark.parametrize("known_subject", [True, False])
def test_an_add_killed_before_its_commit_leaves_no_unrecorded_photo(tmp_path, known_subject):
    import subprocess
    import sys

    first, second = racing_photos(tmp_path, 2)
    if known_subject:
        SubjectLibrary(tmp_path / "home").add("Racer", [first])
    script = CRASH_BETWEEN_MOVE_AND_COMMIT.format(home=str(tmp_path / "home"), photo=str(second))
    assert subprocess.run([sys.executable, "-c", script]).returncode == 137

    library = SubjectLibrary(tmp_path / "home")  # the next start
    # (The crashed add's staging folder stays until it is old: it might be a live writer's.)
    folders = [folder for folder in library.folder.iterdir() if not folder.name.startswith(".")]
    if known_subject:
        racer = library.get("Racer")
        assert [path.name for path in racer.photos] == [path.name for path in folders[0].iterdir()]
        assert len(racer.photos) == 1
    else:
        assert library.list() == [] and folders == []


def test_a_subject_as_served_names_no_path_outside_or_inside_the_home(tmp_path):
    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat")
    lora = library.folder_of(subject) / "lora" / "mittens.safetensors"
    trained = library.update(subject.model_copy(update={"lora": lora, "lora_base": "/srv/models/FLUX.1-dev"}))

    served = library.record(trained)
    assert str(tmp_path) not in str(served) and "/srv" not in str(served)
    assert served["photos"] == [f"subjects/{library.folder_of(subject).name}/{subject.photos[0].name}"]
    assert served["lora_base"] == "FLUX.1-dev"
    kept = library.get("Mittens")  # in hand: absolute paths, and the weights folder whole for training
    assert kept.photos == subject.photos and kept.lora == lora and kept.lora_base == "/srv/models/FLUX.1-dev"


# -- every text a subject carries goes through the library's checks (CLI, HTTP API and Python alike) --


@pytest.fixture
def library_with_mittens(tmp_path):
    library = SubjectLibrary(tmp_path / "home")
    library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat", traits=["orange tabby"])
    return library


@pytest.mark.parametrize(
    "change, message",
    [
        ({"traits": ["evil\x1b]0;x\x07"]}, "a trait contains a control character"),
        ({"traits": ["x" * 100_000]}, "keep it to 200"),
        ({"traits": ["\u200b\u200b"]}, "a trait is empty"),
        ({"traits": [f"trait {number}" for number in range(21)]}, "keep a subject to 20"),
        ({"kind": "cat\u202e"}, "bidirectional override"),
        ({"kind": "c" * 41}, "keep it to 40"),
        ({"aliases": ["Mitty\x9b31m"]}, "an alias contains a control character"),
        ({"aliases": ["Mit\u200dty"]}, "invisible"),
    ],
)
def test_edited_traits_kinds_and_aliases_are_checked_and_nothing_is_stored(library_with_mittens, change, message):
    mittens = library_with_mittens.get("Mittens")

    with pytest.raises(UsageError, match=message):
        library_with_mittens.update(mittens.model_copy(update=change))

    assert library_with_mittens.get("Mittens") == mittens


def test_edited_text_is_tidied_and_duplicate_traits_dropped(library_with_mittens):
    mittens = library_with_mittens.get("Mittens")
    edit = mittens.model_copy(update={"kind": "  Big Cat ", "traits": ["one  white paw", "One white paw", "[bold]loud[/bold]"]})

    stored = library_with_mittens.update(edit)

    assert stored.kind == "big cat"
    assert stored.traits == ["one white paw", "[bold]loud[/bold]"]  # markup is only text here
    assert library_with_mittens.get("Mittens").traits == stored.traits


@pytest.mark.parametrize(
    "name, kind, traits, message",
    [
        ("Mittens\x1b[31m", "cat", [], "control character"),
        ("Mittens", "\x07cat", [], "control character"),
        ("Mittens", "cat", ["\u202eyddat"], "bidirectional"),
    ],
)
def test_a_new_subjects_text_is_checked_before_any_photo_is_stored(tmp_path, name, kind, traits, message):
    library = SubjectLibrary(tmp_path / "home")

    with pytest.raises(UsageError, match=message):
        library.add(name, [orange_cat_photo(tmp_path / "a.jpg")], kind=kind, traits=traits)

    assert library.list() == []
    assert [path.name for path in library.folder.iterdir()] == []


def test_a_vision_models_traits_lose_their_escapes_not_their_words(tmp_path):
    from test_openai_writer import ScriptedChatServer

    from sightgag.settings import Settings
    from sightgag.subjects.describe import describe_traits

    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add("Mittens", [orange_cat_photo(tmp_path / "a.jpg")], kind="cat")
    answer = '{"traits": ["orange \\u001b[31mtabby", "\\u200b", "green\\u202e eyes"]}'
    with ScriptedChatServer(("answer", answer)) as server:
        traits = describe_traits(subject, Settings(home=tmp_path / "home"), vision=f"openai-compat:{server.url}#vlm")

    assert traits == ["orange tabby", "green eyes"]
