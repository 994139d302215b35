"""Hostile text at every entrance: each kind of bad text, fed to each text field that reaches a terminal,
a file name, SQLite or the letterer, is refused (exit status 2, one line) or kept as typed and printed
literally afterwards, by the command line, the HTTP API and the Python API alike.

The kinds: rich markup, C0 and C1 controls, terminal escape sequences, bidi overrides and isolates,
text with nothing visible, over-long text and bytes that are not UTF-8 (as argv carries them, surrogate-escaped).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from examples import mittens_concept
from fastapi.testclient import TestClient
from PIL import Image

from sightgag.concept import Concept
from sightgag.errors import UsageError
from sightgag.gallery import Gallery
from sightgag.settings import Settings
from sightgag.studio import Studio
from sightgag.subjects.library import SubjectLibrary

SIGHTGAG = str(Path(sys.executable).parent / "sightgag")

MARKUP = "oops [/bold] [red]pirate"
HOSTILE: dict[str, str | bytes] = {
    "rich markup": MARKUP,
    "a bell (C0)": "boom \x07 bell",
    "terminal escapes": "boom \x1b]0;pwned\x07 \x1b[31mRED",
    "a C1 control": "x \x9b31m red",
    "DEL": "rub out\x7f",
    "a bidi override": "abc \u202edcba",
    "a bidi isolate": "abc \u2066x\u2069 y",
    "zero-width only": "\u200b\u200b\u2060",
    "a Hangul filler only": "\u3164",
    "over-long": "w" * 20_000,
    "non-UTF-8 bytes": b"caf\xe9 cat",
}
KEPT_AS_TYPED = {"rich markup"}
# Bytes a terminal obeys: none of them may reach stdout or stderr raw.
OBEYED = ["\x1b", "\x07", "\x9b", "\x7f", "\u202e", "\u2066"]


def sightgag(*args: str | bytes, home: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    environment.update(SIGHTGAG_HOME=str(home), PYTHONIOENCODING="utf-8")
    # Bytes in, and bytes out decoded leniently: the test must see whatever was printed.
    result = subprocess.run([SIGHTGAG, *args], capture_output=True, env=environment, timeout=300, check=False)
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


def orange_photo(folder: Path) -> Path:
    path = folder / "cat.png"
    Image.new("RGB", (96, 96), (235, 140, 40)).save(path)
    return path


def file_a_gag(home: Path) -> str:
    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=home))
    return studio.make("my cat Mittens as a superhero", size=(256, 256), seed=1).id


def add_mittens(home: Path) -> None:
    SubjectLibrary(home).add("Mittens", [orange_photo(home)], kind="cat", traits=["orange tabby"])


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """One prepared home per field, made on first use: the cases of a field share it."""
    made: dict[str, Path] = {}

    def home_for(field: str) -> Path:
        if field not in made:
            home = made[field] = tmp_path_factory.mktemp(field.replace(" ", "-"))
            if field in ("request", "caption"):
                file_a_gag(home)
            else:
                add_mittens(home)
        return made[field]

    return home_for


def newest_gag_id(home: Path) -> str:
    return Gallery(home).list(1)[0].id


# Each field, and the command that takes it.
FIELDS = {
    "request": lambda home, text: ["make", text, "--writer", "offline", "--artist", "sketch", "--size", "256x256"],
    "caption": lambda home, text: ["gallery", "reletter", newest_gag_id(home), "--caption", text],
    "subject name": lambda home, text: ["subjects", "add", text, str(orange_photo(home))],
    "alias": lambda home, text: ["subjects", "edit", "Mittens", "--alias", text],
    "trait": lambda home, text: ["subjects", "edit", "Mittens", "--add-trait", text],
    "kind": lambda home, text: ["subjects", "edit", "Mittens", "--kind", text],
}


def stored_state(field: str, home: Path) -> list:
    if field in ("request", "caption"):
        return Gallery(home).list()
    return SubjectLibrary(home).list()


def printouts(field: str, home: Path) -> list[tuple[subprocess.CompletedProcess, bool]]:
    """Every command that prints what the field stored, in text (not JSON), and whether it shows the field."""
    if field in ("request", "caption"):
        listed = sightgag("gallery", "list", home=home)  # captions only
        return [(listed, field == "caption"), (sightgag("gallery", "show", newest_gag_id(home), home=home), True)]
    shown = MARKUP if field == "subject name" else "Mittens"
    return [(sightgag("subjects", "list", home=home), True), (sightgag("subjects", "show", shown, home=home), True)]


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("field", FIELDS)
def test_hostile_text_on_the_command_line_is_refused_in_one_line_or_printed_as_typed(homes, field, kind):
    home = homes(field)
    text = HOSTILE[kind]
    before = stored_state(field, home)

    result = sightgag(*FIELDS[field](home, text), home=home)

    for obeyed in OBEYED:
        assert obeyed not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if kind not in KEPT_AS_TYPED:
        assert result.returncode == 2, result.stdout + result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("error: ")
        assert stored_state(field, home) == before  # refused whole: nothing stored, nothing changed
        return
    assert result.returncode == 0, result.stderr
    expected = text.lower() if field == "kind" else text
    for printed, shows_the_field in printouts(field, home):
        assert printed.returncode == 0, printed.stderr
        assert expected in printed.stdout or not shows_the_field, printed.stdout


@pytest.mark.parametrize(
    "kind", [kind for kind in HOSTILE if kind not in KEPT_AS_TYPED and isinstance(HOSTILE[kind], str)] + ["NUL"]
)
def test_the_python_api_refuses_the_same_text_at_the_same_layers(tmp_path, kind):
    text = HOSTILE.get(kind, "nul\x00byte")
    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path))
    gag = studio.make("my cat Mittens as a superhero", size=(256, 256), seed=1)
    add_mittens(tmp_path)
    library = studio.subjects
    subject = library.get("Mittens")

    attempts = {
        "request": lambda: studio.make(text, size=(256, 256)),
        "caption": lambda: studio.reletter(gag.id, caption=text),
        "subject name": lambda: library.add(text, [orange_photo(tmp_path)]),
        "alias": lambda: library.update(subject.model_copy(update={"aliases": [text]})),
        "trait": lambda: library.update(subject.model_copy(update={"traits": [text]})),
        "kind": lambda: library.update(subject.model_copy(update={"kind": text})),
    }
    for field, attempt in attempts.items():
        with pytest.raises(UsageError) as refused:
            attempt()
        assert "\n" not in str(refused.value), field

    assert studio.gallery.get(gag.id) == gag
    assert library.list() == [subject]


def test_the_http_api_refuses_the_same_text(tmp_path, monkeypatch):
    from sightgag.server import create_app
    from sightgag.server.settings import ServerSettings

    monkeypatch.setenv("SIGHTGAG_HOME", str(tmp_path))
    gag_id = file_a_gag(tmp_path)
    add_mittens(tmp_path)
    client = TestClient(create_app(ServerSettings()), base_url="http://127.0.0.1")  # no lifespan: no worker

    refusals = [
        client.post(f"/api/gallery/{gag_id}/reletter", json={"caption": "\u001b]0;pwned\u0007 boom"}),
        client.post(f"/api/gallery/{gag_id}/reletter", json={"caption": "\u200b"}),
        client.post(f"/api/gallery/{gag_id}/reletter", json={"caption": "abc \u202edcba"}),
        client.patch("/api/subjects/Mittens", json={"traits": ["evil\u001b]0;x\u0007"]}),
        client.patch("/api/subjects/Mittens", json={"traits": ["x" * 5000]}),
        client.patch("/api/subjects/Mittens", json={"kind": "cat\u009b"}),
        client.post("/api/jobs", json={"request": "\u200b\u200b"}),
        client.post("/api/concepts", json={"request": "my cat \u202e as a pirate"}),
    ]

    assert [response.status_code for response in refusals] == [400] * len(refusals), [r.text for r in refusals]
    kept = client.post(f"/api/gallery/{gag_id}/reletter", json={"caption": MARKUP})
    assert kept.status_code == 200 and kept.json()["concept"]["caption"]["text"] == MARKUP
    assert client.get("/api/subjects/Mittens").json()["traits"] == ["orange tabby"]


class HostileWriter:
    """A writer whose model answers with escapes, bidi overrides and markup in its title and caption."""

    spec = "hostile"

    def write(self, request, subjects, n=1, seed=None):
        data = mittens_concept().model_dump(mode="json")
        data["title"] = "Captain \x1b]0;pwned\x07[/bold] Whiskers"
        data["caption"]["text"] = "Nine lives.\u202e One \x9b31mnemesis. [red]"
        data["premise"] = "\x1b[2J" + data["premise"]
        return [Concept.model_validate(data)]  # as every writer does: its answer is validated into a Concept


def test_a_models_title_and_caption_lose_escapes_and_print_as_typed(tmp_path):
    studio = Studio(writer=HostileWriter(), artist="sketch", settings=Settings(home=tmp_path))

    gag = studio.make("my cat Mittens as a superhero", size=(256, 256))

    assert gag.concept.title == "Captain [/bold] Whiskers"
    assert gag.concept.caption.text == "Nine lives. One nemesis. [red]"
    listed = sightgag("gallery", "list", home=tmp_path)
    shown = sightgag("gallery", "show", gag.id, home=tmp_path)
    for printed in (listed, shown):
        assert printed.returncode == 0, printed.stderr
        assert not any(obeyed in printed.stdout for obeyed in OBEYED)
    assert "Captain [/bold] Whiskers" in shown.stdout and "Nine lives. One nemesis. [red]" in shown.stdout


def test_make_with_an_llm_whose_title_is_markup_prints_it_as_typed(tmp_path):
    from test_openai_writer import GOOD, ScriptedChatServer

    answer = json.loads(GOOD)
    answer["concepts"][0]["title"] = "Captain [/bold] Whiskers"
    with ScriptedChatServer(("answer", json.dumps(answer))) as server:
        made = sightgag(
            "make",
            "my cat as a pirate",
            "--writer",
            f"openai-compat:{server.url}",
            "--artist",
            "sketch",
            "--editor",
            "none",  # the scripted model answers one concept: no candidates to rank
            "--size",
            "256x256",
            home=tmp_path,
        )

    assert made.returncode == 0, made.stderr
    assert "Captain [/bold] Whiskers" in made.stdout


def test_text_stored_before_these_rules_prints_its_controls_as_visible_escapes(tmp_path):
    # Written straight into the database, as an older sightgag (or another program) could have.
    gag_id = file_a_gag(tmp_path)
    add_mittens(tmp_path)
    with sqlite3.connect(tmp_path / "sightgag.db") as db:
        record = json.loads(db.execute("SELECT record FROM gags WHERE id = ?", (gag_id,)).fetchone()[0])
        record["request"] = "my cat \x1b]0;pwned\x07 as a \u202epirate"
        # Nothing would be left once cleaned: it must still be read back.
        record["concepts"][0]["title"] = record["concepts"][0]["caption"]["text"] = "\x1b[5m"
        db.execute("UPDATE gags SET record = ? WHERE id = ?", (json.dumps(record), gag_id))
        subject = json.loads(db.execute("SELECT record FROM subjects").fetchone()[0])
        subject["traits"] = ["evil\x1b[31m red", "[/bold]"]
        db.execute("UPDATE subjects SET record = ?", (json.dumps(subject),))

    shown = sightgag("gallery", "show", gag_id, home=tmp_path)
    subjects = sightgag("subjects", "list", home=tmp_path)

    assert shown.returncode == 0 and subjects.returncode == 0, shown.stderr + subjects.stderr
    assert "my cat \\x1b]0;pwned\\x07 as a \\u202epirate" in shown.stdout
    assert "\\x1b[5m" in shown.stdout and "\\x1b[5m" in sightgag("gallery", "list", home=tmp_path).stdout
    assert "evil\\x1b[31m red; [/bold]" in subjects.stdout
    assert not any(obeyed in shown.stdout + subjects.stdout for obeyed in OBEYED)
    assert Gallery(tmp_path).get(gag_id).request.startswith("my cat \x1b")  # shown escaped, never rewritten


def test_a_job_whose_concept_has_a_caption_with_nothing_visible_is_refused_before_it_is_queued():
    from pydantic import ValidationError

    from sightgag.server.jobs import JobRequest

    concept = mittens_concept().model_dump(mode="json")
    concept["caption"]["text"] = "\u200b\u2060"  # once a ZeroDivisionError in the letterer, after painting
    with pytest.raises(ValidationError, match="caption.text"):
        JobRequest(request="my cat Mittens as a superhero", concepts=[concept])


@pytest.mark.parametrize("name", [b"pictures-\xe9", "pictures-\x1b[31m", "pictures-\u202e"])
def test_an_out_folder_whose_name_is_not_text_is_refused_before_anything_is_made(tmp_path, name):
    folder = os.fsencode(tmp_path) + b"/" + (name if isinstance(name, bytes) else name.encode())
    args = ["make", "my cat as a pirate", "--writer", "offline", "--artist", "sketch", "--size", "256x256"]

    result = sightgag(*args, "--out", folder, "--json", home=tmp_path / "home")

    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "--out" in result.stderr
    assert not any(obeyed in result.stderr for obeyed in OBEYED)
    assert Gallery(tmp_path / "home").count() == 0
