"""The subject library: the user's cats, friends and selves, kept in the sightgag home.

A row per subject in SQLite (the same database as the gallery) and a folder of normalised photos per
subject. Display names are any Unicode text; folders are named by a safe slug plus a short hash of the
name, so "../../etc" or "Zoë" can never become a path trick or collide.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import threading
import unicodedata
from pathlib import Path

from sightgag.errors import UsageError
from sightgag.hygiene import clean_text
from sightgag.subjects.photos import load_photo, save_photo
from sightgag.subjects.subject import Subject

MAX_NAME_CHARS = 60
MAX_PHOTOS = 40
MAX_KIND_CHARS = 40
MAX_TRAIT_CHARS = 200
MAX_TRAITS = 20
MAX_ALIASES = 10

SCHEMA = """
CREATE TABLE IF NOT EXISTS subjects (
    key TEXT PRIMARY KEY,         -- the casefolded name: "Mittens" and "mittens" are one subject
    folder TEXT NOT NULL,
    record TEXT NOT NULL          -- the Subject as JSON
);
"""


def clean_name(name: str, *, what: str = "a subject name") -> str:
    """A subject's display name (or an alias), tidied; UsageError if it cannot be one."""
    name = clean_text(
        name, what=what, max_chars=MAX_NAME_CHARS, empty_hint="give a name, e.g. sightgag subjects add Mittens cat.jpg"
    )
    # Names are matched as words in requests: a zero-width joiner inside one would never match as typed.
    if any(unicodedata.category(char) == "Cf" for char in name):
        raise UsageError(f"{what} cannot contain invisible characters")
    if not any(char.isalnum() for char in name):
        raise UsageError(f"{name!r} is not a name: use at least one letter or digit")
    return name


def clean_kind(kind: str) -> str:
    """What a subject is ("cat", "person"), lower-cased; "" for none."""
    if isinstance(kind, str) and not kind.strip():
        return ""
    return clean_text(kind, what="the kind", max_chars=MAX_KIND_CHARS).lower()


def clean_traits(traits: list[str]) -> list[str]:
    """Traits tidied, each checked, duplicates dropped; UsageError for a bad one or too many."""
    cleaned: list[str] = []
    for trait in traits:
        text = clean_text(trait, what="a trait", max_chars=MAX_TRAIT_CHARS, empty_hint="describe something you can see")
        if text.casefold() not in (known.casefold() for known in cleaned):
            cleaned.append(text)
    if len(cleaned) > MAX_TRAITS:
        raise UsageError(
            f"{len(cleaned)} traits given: keep a subject to {MAX_TRAITS}, the ones that make it recognisable"
        )
    return cleaned


def clean_aliases(aliases: list[str]) -> list[str]:
    cleaned: list[str] = []
    for alias in aliases:
        name = clean_name(alias, what="an alias")
        if name.casefold() not in (known.casefold() for known in cleaned):
            cleaned.append(name)
    if len(cleaned) > MAX_ALIASES:
        raise UsageError(f"{len(cleaned)} aliases given: a subject has at most {MAX_ALIASES}")
    return cleaned


def folder_name(name: str) -> str:
    """A safe, unique folder name for a display name: ASCII slug + hash of the casefolded name."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:32] or "subject"
    digest = hashlib.sha256(name.casefold().encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


class SubjectLibrary:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.folder = self.home / "subjects"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.database = self.home / "sightgag.db"
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)
        for leftover in self.folder.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened once (`with self._db() as db:` commits without closing it)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.database, timeout=30)
        return db

    # -- reading ------------------------------------------------------------------------------

    def list(self) -> list[Subject]:
        with self._db() as db:
            rows = db.execute("SELECT record FROM subjects ORDER BY key").fetchall()
        return [Subject.model_validate_json(row[0]) for row in rows]

    def find(self, name: str) -> Subject | None:
        """A subject by its name or one of its aliases, case-insensitively."""
        wanted = " ".join(str(name).split()).casefold()
        for subject in self.list():
            if wanted == subject.name.casefold() or wanted in (alias.casefold() for alias in subject.aliases):
                return subject
        return None

    def get(self, name: str) -> Subject:
        subject = self.find(name)
        if subject is None:
            raise UsageError(f"no subject named {name!r}: add one with `sightgag subjects add {name} PHOTO...`")
        return subject

    def named_in(self, request: str) -> list[Subject]:
        """The subjects a request names, by name or alias as whole words ("my cat Mittens", "Mitty")."""
        found = []
        for subject in self.list():
            for name in (subject.name, *subject.aliases):
                if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", request, flags=re.IGNORECASE):
                    found.append(subject)
                    break
        return found

    # -- writing ------------------------------------------------------------------------------

    def add(self, name: str, photos: list[Path], kind: str = "", traits: list[str] | None = None) -> tuple[Subject, int]:
        """Add a subject with its photos, or more photos to an existing one.

        Every photo is checked before anything is written: one bad photo and nothing is added.
        Returns the subject and how many photos were duplicates (skipped).
        """
        name = clean_name(name)
        kind = clean_kind(kind)
        traits = clean_traits(traits or [])
        loaded = [load_photo(Path(path)) for path in photos]
        existing = self.find(name)
        if existing is not None and existing.name.casefold() != name.casefold():
            raise UsageError(f"{name!r} is already an alias of {existing.name!r}")
        subject = existing or Subject(name=name, kind=kind, traits=traits)
        if existing is None and not loaded:
            raise UsageError(f"give at least one photo of {name}: sightgag subjects add {name} PHOTO...")

        folder = self.folder / folder_name(subject.name)
        known = {path.stem for path in subject.photos}
        fresh = []
        for photo in loaded:
            if photo.digest[:16] not in known:
                known.add(photo.digest[:16])
                fresh.append(photo)
        skipped = len(loaded) - len(fresh)
        if len(subject.photos) + len(fresh) > MAX_PHOTOS:
            raise UsageError(f"a subject keeps at most {MAX_PHOTOS} photos")

        # Photos go to a staging folder first, and move in only once all are written.
        staging = self.folder / f".staging-{folder.name}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            saved = [save_photo(photo, staging) for photo in fresh]
            folder.mkdir(exist_ok=True)
            for path in saved:
                os.replace(path, folder / path.name)
            subject = subject.model_copy(update={"photos": [*subject.photos, *(folder / path.name for path in saved)]})
            if kind and existing is not None:
                subject.kind = kind
            self._store(subject, folder)
        except BaseException:
            for photo in fresh:
                (folder / f"{photo.digest[:16]}.jpg").unlink(missing_ok=True)
            if existing is None:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return subject, skipped

    def update(self, subject: Subject) -> Subject:
        """Store an edited subject (traits, kind, aliases, LoRA), its text checked as at `add`."""
        current = self.get(subject.name)
        # Only what changed is checked: a trait stored before these rules must not block saving a LoRA.
        # The caller's object is updated too, so it shows what was stored.
        kind = subject.kind if subject.kind == current.kind else clean_kind(subject.kind)
        traits = subject.traits if subject.traits == current.traits else clean_traits(subject.traits)
        aliases = subject.aliases if subject.aliases == current.aliases else clean_aliases(subject.aliases)
        subject.kind, subject.traits, subject.aliases = kind, traits, aliases
        for alias in subject.aliases:
            owner = self.find(alias)
            if owner is not None and owner.name != current.name:
                raise UsageError(f"{alias!r} already names {owner.name!r}")
        self._store(subject, self.folder / folder_name(current.name))
        return subject

    def remove(self, name: str) -> Subject:
        subject = self.get(name)
        with self._db() as db:
            db.execute("DELETE FROM subjects WHERE key = ?", (subject.name.casefold(),))
        shutil.rmtree(self.folder / folder_name(subject.name), ignore_errors=True)
        return subject

    def folder_of(self, subject: Subject) -> Path:
        return self.folder / folder_name(subject.name)

    def _store(self, subject: Subject, folder: Path) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO subjects (key, folder, record) VALUES (?, ?, ?)",
                (subject.name.casefold(), folder.name, subject.model_dump_json()),
            )

