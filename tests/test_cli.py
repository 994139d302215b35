"""The command line, run as a user runs it: a real `sightgag` process, a real gallery, real PNGs."""

import json
import os
import signal
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
    made = sightgag("make", MITTENS, "--writer", "offline", "--artist", f"flux:{tiny_flux_dir}", "--size", "80x64", "--seed", "3", "--json", home=tmp_path)
    assert made.returncode == 0, made.stderr
    gag = json.loads(made.stdout)

    assert gag["seed"] == 3 and gag["writer"] == "offline" and gag["artist"] == f"flux:{tiny_flux_dir}"
    assert gag["concept"]["cast"][0]["name"] == "Mittens"
    assert set(gag["timings"]) >= {"writer", "artist", "letterer", "total"}
    image = Image.open(gag["images"][0])
    assert image.format == "PNG"
    assert read_png_record(Path(gag["images"][0]))["id"] == gag["id"]
    assert Image.open(gag["renders"][0]).size == (80, 64)
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
    # The built-ins, then any installed plugin (the test environment has the example ones).
    assert [row["name"] for row in report["artists"]][:5] == ["flux", "kontext", "bfl", "xai", "sketch"]
    animators = {row["name"]: row for row in report["animators"]}
    assert list(animators)[:4] == ["sketch", "xai", "wan", "ltx"]
    assert animators["sketch"]["ready"] and not animators["wan"]["ready"]  # no CUDA GPU here
    assert "CUDA" in animators["wan"]["why"] and "XAI_API_KEY" in animators["xai"]["why"]


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


# -- hardening (issue 11) -----------------------------------------------------------------------


def made_gag(home: Path, request: str = MITTENS) -> dict:
    made = sightgag("make", request, "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--json", home=home)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)


def flat(text: str) -> str:
    """Printed text with line breaks and table padding taken out."""
    return " ".join(text.split())


def test_markup_in_requests_captions_and_names_prints_as_typed_everywhere(tmp_path):
    gag = made_gag(tmp_path, "my cat [/bold] as a [red]pirate")
    relettered = sightgag("gallery", "reletter", gag["id"], "--caption", "oops [/bold] closing", home=tmp_path)
    assert relettered.returncode == 0, relettered.stderr
    photo = tmp_path / "cat.png"
    Image.new("RGB", (64, 64), (235, 140, 40)).save(photo)
    added = sightgag("subjects", "add", "x[/bold]", str(photo), "--kind", "[red]cat", home=tmp_path)
    assert added.returncode == 0, added.stderr

    listed = sightgag("gallery", "list", home=tmp_path)
    shown = sightgag("gallery", "show", gag["id"], home=tmp_path)
    subjects = sightgag("subjects", "list", home=tmp_path)
    subject = sightgag("subjects", "show", "x[/bold]", home=tmp_path)

    for result in (listed, shown, subjects, subject):
        assert result.returncode == 0, result.stderr
    assert "oops [/bold] closing" in flat(listed.stdout)
    assert "my cat [/bold] as a [red]pirate" in shown.stdout and "oops [/bold] closing" in shown.stdout
    assert "x[/bold]  ([red]cat)" in subjects.stdout and "x[/bold]" in subject.stdout


def test_gallery_delete_removes_a_gag_and_its_pictures(tmp_path):
    gag = made_gag(tmp_path)

    deleted = sightgag("gallery", "delete", gag["id"], "--json", home=tmp_path)

    assert deleted.returncode == 0, deleted.stderr
    assert json.loads(deleted.stdout) == {"deleted": gag["id"]}
    assert gag_rows(tmp_path) == 0 and not Path(gag["images"][0]).exists()
    again = sightgag("gallery", "delete", gag["id"], home=tmp_path)
    assert again.returncode == 2 and "no gag" in again.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["make", MITTENS, "--n", "abc"], "--n"),
        (["make", MITTENS, "--seed", "abc"], "--seed"),
        (["make", MITTENS, "--bogus"], "--bogus"),
        (["make"], "missing argument"),
        (["paint-me-a-picture"], "no such command"),
        (["serve", "--port", "abc"], "--port"),
        (["gallery", "frobnicate"], "no such command"),
    ],
)
def test_usage_errors_of_the_installed_command_line_parser_exit_2_in_one_line(tmp_path, args, message):
    result = sightgag(*args, home=tmp_path)

    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr.lower()
    assert "Error" not in result.stderr.split(":", 1)[1]  # no exception class name such as BadParameter


@pytest.mark.parametrize("args", [[], ["gallery"], ["subjects"]])
def test_a_command_group_alone_prints_its_help_and_no_error(tmp_path, args):
    result = sightgag(*args, home=tmp_path)

    assert result.returncode == 2
    assert "Usage" in result.stdout + result.stderr
    assert "error" not in result.stderr.lower()


def test_ctrl_c_exits_130_quietly(tmp_path):
    # The real entry point and the installed typer, with one more command that waits to be interrupted.
    script = (
        "import time\n"
        "from sightgag.cli import app, main\n"
        "@app.command()\n"
        "def wait():\n"
        "    print('waiting', flush=True)\n"
        "    time.sleep(60)\n"
        "import sys; sys.argv = ['sightgag', 'wait']\n"
        "main()\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "SIGHTGAG_HOME": str(tmp_path)},
    )  # fmt: skip
    assert process.stdout.readline().strip() == "waiting"

    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130
    assert stderr == ""


@pytest.mark.parametrize(
    "out, message",
    [("/etc/hostname", "not a folder"), ("/proc/1/nope", "cannot use --out"), ("/proc/self", "cannot use --out")],
)
def test_an_unusable_out_folder_is_refused_before_anything_is_made(tmp_path, out, message):
    result = sightgag("make", MITTENS, "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--out", out, home=tmp_path)

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert gag_rows(tmp_path) == 0


def test_out_makes_a_missing_folder_and_copies_the_pictures_into_it(tmp_path):
    folder = tmp_path / "new" / "pictures"
    result = sightgag("make", MITTENS, "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--out", str(folder), "--json", home=tmp_path / "home")

    assert result.returncode == 0, result.stderr
    copied = json.loads(result.stdout)["images"]
    assert [Path(path).parent for path in copied] == [folder]
    assert Image.open(copied[0]).format == "PNG"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "-1"], "seed"),
        (["--seed", str(2**70)], "seed"),
        (["--size", "99984x99984"], "2048"),
        (["--size", "²x²"], "--size"),
        (["--size", "32x32"], "64"),
    ],
)
def test_seed_and_size_out_of_bounds_are_refused_before_the_writer_runs(tmp_path, args, message):
    # The writer would fail to connect: reaching it would be exit status 1, not 2.
    result = sightgag("make", MITTENS, "--writer", "openai-compat:http://127.0.0.1:9/v1", "--artist", "sketch", *args, home=tmp_path)

    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
