"""The command line, run as a user runs it: a real `sightgag` process, a real gallery, real PNGs."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from sightgag.gallery import read_png_record

SIGHTGAG = str(Path(sys.executable).parent / "sightgag")
MITTENS = "my cat Mittens as a superhero fighting a giant ball of yarn"


def sightgag(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    environment.update(SIGHTGAG_HOME=str(home), **env)
    return subprocess.run([SIGHTGAG, *args], capture_output=True, text=True, env=environment, timeout=300)


def gag_rows(home: Path) -> int:
    database = home / "sightgag.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM gags").fetchone()[0]


def test_make_paints_with_flux_files_the_gag_and_rerenders_it_bit_identically(tiny_flux_dir, tmp_path):
    made = sightgag("make", MITTENS, "--writer", "offline", "--artist", f"flux:{tiny_flux_dir}", "--size", "64x48", "--seed", "3", "--json", home=tmp_path)
    assert made.returncode == 0, made.stderr
    gag = json.loads(made.stdout)

    assert gag["seed"] == 3 and gag["writer"] == "offline" and gag["artist"] == f"flux:{tiny_flux_dir}"
    assert gag["concept"]["cast"][0]["name"] == "Mittens"
    assert set(gag["timings"]) >= {"writer", "artist", "letterer", "total"}
    image = Image.open(gag["images"][0])
    assert image.format == "PNG"
    assert read_png_record(Path(gag["images"][0]))["id"] == gag["id"]
    assert Image.open(gag["renders"][0]).size == (64, 48)
    assert gag_rows(tmp_path) == 1

    shown = json.loads(sightgag("gallery", "show", gag["id"], "--json", home=tmp_path).stdout)
    assert shown["concept"] == gag["concept"]

    again = sightgag("gallery", "rerender", gag["id"], "--json", home=tmp_path)
    assert again.returncode == 0, again.stderr
    rerendered = json.loads(again.stdout)
    assert rerendered["id"] != gag["id"] and rerendered["parent"] == gag["id"]
    assert Image.open(rerendered["renders"][0]).tobytes() == Image.open(gag["renders"][0]).tobytes()
    assert gag_rows(tmp_path) == 2


def test_make_prints_where_the_picture_is_and_the_caption(tmp_path):
    made = sightgag("make", "my dog Biscuit giving a TED talk about squirrels", "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--seed", "1", home=tmp_path)
    assert made.returncode == 0, made.stderr
    png = next(line.strip() for line in made.stdout.splitlines() if line.strip().endswith(".png"))
    assert Image.open(png).format == "PNG"
    gag = json.loads(sightgag("gallery", "list", "--json", home=tmp_path).stdout)[0]
    assert gag["concept"]["caption"]["text"] in " ".join(made.stdout.split())


@pytest.mark.parametrize(
    "args, message",
    [
        (["make", ""], "empty"),
        (["make", "   \n\t "], "empty"),
        (["make", "x" * 50_000], "characters"),
        (["make", "my cat\x07 as a superhero"], "control"),
        (["make", MITTENS, "--artist", "crayons"], "unknown artist"),
        (["make", MITTENS, "--writer", "shakespeare"], "unknown writer"),
        (["make", MITTENS, "--writer", "grok"], "XAI_API_KEY"),
        (["make", MITTENS, "--artist", "bfl:flux-pro-1.1", "--writer", "offline"], "BFL_API_KEY"),
        (["make", MITTENS, "--size", "huge"], "--size"),
        (["make", MITTENS, "--n", "0"], "--n"),
        (["make", MITTENS, "--lettering", "graffiti"], "lettering"),
        (["gallery", "show", "nope"], "no gag"),
    ],
)
def test_bad_input_gets_one_line_exit_status_2_and_writes_nothing(tmp_path, args, message):
    result = sightgag(*args, "--json", home=tmp_path) if args[0] == "make" else sightgag(*args, home=tmp_path)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message.lower() in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert gag_rows(tmp_path) == 0


def test_an_unreachable_writer_is_a_runtime_error_and_debug_shows_the_traceback(tmp_path):
    # Nothing listens on port 9 of loopback: connection refused at once.
    args = ["make", MITTENS, "--writer", "openai-compat:http://127.0.0.1:9/v1", "--artist", "sketch"]
    result = sightgag(*args, home=tmp_path, SIGHTGAG_WRITER_RETRIES="0")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert gag_rows(tmp_path) == 0

    debugged = sightgag("--debug", *args, home=tmp_path, SIGHTGAG_WRITER_RETRIES="0")
    assert "Traceback" in debugged.stderr


def test_doctor_explains_the_auto_choices(tmp_path):
    result = sightgag("doctor", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["auto"]["writer"].startswith("offline")  # no keys, no Ollama in the tests
    assert report["auto"]["artist"].startswith("sketch")  # no GPU on CI
    assert {row["name"] for row in report["artists"]} == {"flux", "kontext", "bfl", "sketch"}


def test_subjects_round_trip_on_the_command_line(tmp_path):
    photo = tmp_path / "mittens.png"
    Image.new("RGB", (64, 64), (235, 140, 40)).save(photo)

    added = sightgag("subjects", "add", "Mittens", str(photo), "--kind", "cat", "--json", home=tmp_path / "home")
    assert added.returncode == 0, added.stderr
    subject = json.loads(added.stdout)
    assert subject["kind"] == "cat" and subject["traits"]  # read off the photo, offline

    edited = sightgag("subjects", "edit", "mittens", "--trait", "one white paw", "--alias", "Mitty", "--json", home=tmp_path / "home")
    assert json.loads(edited.stdout)["traits"] == ["one white paw"]
    shown = json.loads(sightgag("subjects", "show", "Mitty", "--json", home=tmp_path / "home").stdout)
    assert shown["name"] == "Mittens"

    made = sightgag("make", "Mitty versus the vacuum cleaner", "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--json", home=tmp_path / "home")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["subjects"] == ["Mittens"]

    removed = sightgag("subjects", "remove", "Mittens", home=tmp_path / "home")
    assert removed.returncode == 0
    assert json.loads(sightgag("subjects", "list", "--json", home=tmp_path / "home").stdout) == []


def test_a_bad_photo_is_one_line_and_adds_nothing(tmp_path):
    fake = tmp_path / "cat.jpg"
    fake.write_text("not really a cat")
    result = sightgag("subjects", "add", "Mittens", str(fake), home=tmp_path / "home")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "not an image" in result.stderr
    assert json.loads(sightgag("subjects", "list", "--json", home=tmp_path / "home").stdout) == []


def test_reletter_changes_the_lettering_without_painting_again(tmp_path):
    made = json.loads(sightgag("make", MITTENS, "--writer", "offline", "--artist", "sketch", "--size", "512x512", "--seed", "2", "--json", home=tmp_path).stdout)
    first_lettering = Image.open(made["images"][0]).tobytes()

    again = sightgag("gallery", "reletter", made["id"], "--lettering", "meme", "--caption", "Knit happens.", "--json", home=tmp_path)
    assert again.returncode == 0, again.stderr
    relettered = json.loads(again.stdout)
    assert relettered["lettering"] == "meme" and relettered["concept"]["caption"]["text"] == "Knit happens."
    assert relettered["renders"] == made["renders"]  # the same clean render: nothing was painted
    assert Image.open(relettered["images"][0]).size == (512, 512)  # meme text sits on the picture
    assert Image.open(relettered["images"][0]).tobytes() != first_lettering

    too_long = sightgag("gallery", "reletter", made["id"], "--caption", " ".join(["word"] * 25), home=tmp_path)
    assert too_long.returncode == 2 and "20" in too_long.stderr
