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


@pytest.mark.parametrize("name", ["../../etc/passwd", "Zoë", "José the 3rd", "猫ちゃん", "CON", ".hidden", "a/b\\c"])
def test_any_unicode_name_is_safe_on_disk(tmp_path, name):
    library = SubjectLibrary(tmp_path / "home")
    subject, _ = library.add(name, [orange_cat_photo(tmp_path / "a.jpg")])
    assert subject.name == name
    folder = subject.photos[0].parent
    assert folder.parent == library.folder
    assert folder.name == folder_name(name) and "/" not in folder.name and not folder.name.startswith(".")


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
