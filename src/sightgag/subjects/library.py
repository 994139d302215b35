"""The subject library: the user's cats, friends and selves, kept in the sightgag home.

A row per subject in SQLite (the same database as the gallery) and a folder of normalised photos per
subject. Display names are any Unicode text; folders are named by a safe slug plus a short hash of the
name, so "../../etc" or "Zoë" can never become a path trick or collide.

Every change of a subject reads its row and writes it back inside one `BEGIN IMMEDIATE` transaction,
SQLite's write lock, so adds to one subject from several threads or processes (the server and the
command line) each keep their photos; the slow part, saving photos, happens before, in a staging folder
of the caller's own. Records keep photo paths relative to the home (see sightgag.home); the subjects
handed out have them absolute, ready to open.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from sightgag.errors import UsageError
from sightgag.home import located, portable, shown
from sightgag.staging import new_staging, sweep_staging
from sightgag.hygiene import clean_text
from sightgag.subjects.photos import load_photo, save_photo
from sightgag.subjects.subject import Subject

# Reads a new subject's traits off its photos (offline, or by asking a vision model).
Describe = Callable[[Subject, list[Image.Image]], list[str]]

# What `update` may change; photos change only through `add`, so an edit never drops a photo added meanwhile.
EDITABLE = ("kind", "traits", "aliases", "lora", "lora_base", "trigger")

PHOTO_NAME = re.compile(r"[0-9a-f]{16}\.jpg")  # as save_photo names them
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
        self.home = Path(home).absolute()
        self.folder = self.home / "subjects"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.database = self.home / "sightgag.db"
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)
        with self._changing() as db:
            self._sweep_unrecorded_photos(db)
        sweep_staging(self.folder)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened once (`with self._db() as db:` commits without closing it)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.database, timeout=30)
        return db

    @contextmanager
    def _changing(self) -> Iterator[sqlite3.Connection]:
        """The write lock on the library, held while a subject is read, changed and written back."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _sweep_unrecorded_photos(self, db: sqlite3.Connection) -> None:
        """Remove the photos an add killed before its commit moved in: the record says which are kept.

        Only files named as photos are touched (a digest and .jpg); a LoRA and its training files stay.
        """
        folders = {folder_name(subject.name): {path.name for path in subject.photos} for subject in self._all(db)}
        for folder in self.folder.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            kept = folders.get(folder.name, set())
            for photo in folder.iterdir():
                if PHOTO_NAME.fullmatch(photo.name) and photo.name not in kept:
                    photo.unlink(missing_ok=True)
            if folder.name not in folders and not any(folder.iterdir()):
                folder.rmdir()

    # -- reading ------------------------------------------------------------------------------

    def list(self) -> list[Subject]:
        with self._db() as db:
            return self._all(db)

    def _all(self, db: sqlite3.Connection) -> list[Subject]:
        rows = db.execute("SELECT record FROM subjects ORDER BY key").fetchall()
        return [self._from_record(row[0]) for row in rows]

    def find(self, name: str) -> Subject | None:
        """A subject by its name or one of its aliases, case-insensitively."""
        with self._db() as db:
            return self._find(db, name)

    def _find(self, db: sqlite3.Connection, name: str) -> Subject | None:
        wanted = " ".join(str(name).split()).casefold()
        for subject in self._all(db):
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

    def record(self, subject: Subject) -> dict:
        """A subject as served: JSON with its paths relative to the home, and none outside it."""
        record = self._stored(subject)
        record["lora_base"] = shown(record["lora_base"])
        return record

    def _stored(self, subject: Subject) -> dict:
        return portable(subject.model_dump(mode="json"), self.home)

    # -- writing ------------------------------------------------------------------------------

    def add(
        self,
        name: str,
        photos: list[Path],
        kind: str = "",
        traits: list[str] | None = None,
        describe: Describe | None = None,
    ) -> tuple[Subject, int]:
        """Add a subject with its photos, or more photos to an existing one.

        Every photo is checked, and a new subject's traits found (`describe`, when it has none),
        before anything is written: one bad photo, or traits that cannot be read, and nothing is added.
        Returns the subject and how many photos were duplicates (skipped).
        """
        name = clean_name(name)
        kind = clean_kind(kind)
        traits = clean_traits(traits or [])
        loaded = [load_photo(Path(path)) for path in photos]
        existing = self.find(name)
        _check_not_alias(existing, name)
        if existing is None and not loaded:
            raise UsageError(f"give at least one photo of {name}: sightgag subjects add {name} PHOTO...")
        if describe is not None and not traits and not (existing and existing.traits) and loaded:
            draft = Subject(name=name, kind=kind or (existing.kind if existing else ""))
            traits = describe(draft, [photo.image for photo in loaded])

        staging = new_staging(self.folder, folder_name(name))
        try:
            pictures = {photo.digest[:16]: photo for photo in reversed(loaded)}  # each picture once
            staged = {key: save_photo(photo, staging) for key, photo in pictures.items()}
            with self._changing() as db:
                # Read again under the lock: another add may have filed this subject since.
                existing = self._find(db, name)
                _check_not_alias(existing, name)
                subject = existing or Subject(name=name, kind=kind, traits=traits or [])
                if existing is not None and kind:
                    subject.kind = kind
                if traits and not subject.traits:
                    subject.traits = list(traits)
                known = {path.stem for path in subject.photos}
                fresh = [key for key in staged if key not in known]
                if len(subject.photos) + len(fresh) > MAX_PHOTOS:
                    raise UsageError(f"a subject keeps at most {MAX_PHOTOS} photos")
                folder = self.folder / folder_name(subject.name)
                folder.mkdir(exist_ok=True)
                moved: list[Path] = []
                try:
                    for key in fresh:
                        target = folder / staged[key].name
                        os.replace(staged[key], target)
                        moved.append(target)
                    subject = subject.model_copy(update={"photos": [*subject.photos, *moved]})
                    self._write(db, subject, folder)
                    db.commit()  # before the lock is let go, so the clean-up below never meets another add's files
                except BaseException:
                    for path in moved:
                        path.unlink(missing_ok=True)
                    if existing is None:
                        shutil.rmtree(folder, ignore_errors=True)
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return subject, len(loaded) - len(fresh)

    def update(self, subject: Subject) -> Subject:
        """Store an edited subject's traits, kind, aliases and LoRA (its photos are the library's), its
        text checked as at `add`. The caller's object is updated too, so it shows what was stored."""
        with self._changing() as db:
            current = self._find(db, subject.name)
            if current is None:
                raise UsageError(f"no subject named {subject.name!r}: add one with `sightgag subjects add`")
            # Only what changed is checked: a trait stored before these rules must not block saving a LoRA.
            if subject.kind != current.kind:
                subject.kind = clean_kind(subject.kind)
            if subject.traits != current.traits:
                subject.traits = clean_traits(subject.traits)
            if subject.aliases != current.aliases:
                subject.aliases = clean_aliases(subject.aliases)
            for alias in subject.aliases:
                owner = self._find(db, alias)
                if owner is not None and owner.name != current.name:
                    raise UsageError(f"{alias!r} already names {owner.name!r}")
            updated = current.model_copy(update={field: getattr(subject, field) for field in EDITABLE})
            self._write(db, updated, self.folder / folder_name(current.name))
        return updated

    def remove(self, name: str) -> Subject:
        with self._changing() as db:
            subject = self._find(db, name)
            if subject is None:
                raise UsageError(f"no subject named {name!r}")
            db.execute("DELETE FROM subjects WHERE key = ?", (subject.name.casefold(),))
            folder = self.folder / folder_name(subject.name)
            # Moved aside under the lock, so an add of the same name right after starts a clean folder.
            doomed = new_staging(self.folder, "removed")
            if folder.exists():
                os.replace(folder, doomed / folder.name)
            try:
                db.commit()
            except BaseException:
                if (doomed / folder.name).exists():
                    os.replace(doomed / folder.name, folder)
                raise
        shutil.rmtree(doomed, ignore_errors=True)
        return subject

    def folder_of(self, subject: Subject) -> Path:
        return self.folder / folder_name(subject.name)

    def _write(self, db: sqlite3.Connection, subject: Subject, folder: Path) -> None:
        db.execute(
            "INSERT OR REPLACE INTO subjects (key, folder, record) VALUES (?, ?, ?)",
            (subject.name.casefold(), folder.name, json.dumps(self._stored(subject), ensure_ascii=False)),
        )

    def _from_record(self, text: str) -> Subject:
        subject = Subject.model_validate_json(text)
        subject.photos = [located(path, self.home) for path in subject.photos]
        if subject.lora is not None:
            subject.lora = located(subject.lora, self.home)
        return subject


def _check_not_alias(existing: Subject | None, name: str) -> None:
    if existing is not None and existing.name.casefold() != name.casefold():
        raise UsageError(f"{name!r} is already an alias of {existing.name!r}")
