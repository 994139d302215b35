"""Clips filed with their gag: each gag's folder holds its clips and a record of how each was made.

    home/gallery/<gag id>/clips/<clip id>.mp4
    home/gallery/<gag id>/clips/clips.json   one record per clip, oldest first

A clip's record names its file relative to the home (as gag records do), the animator and model,
the seed, length, frame rate, size and bytes per second. Deleting the gag deletes its folder, clips
and all. The file is written before the record, and the record by rename, so a crash leaves at
worst an unlisted file, never a listed clip without one.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path

from sightgag.errors import SightgagError
from sightgag.home import located, portable

RECORDS = "clips.json"
# A server animates in worker threads: two clips of one gag filed at once must not drop each other's record.
_FILING = threading.Lock()


def new_clip_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class ClipShelf:
    """The clips of the gags in one sightgag home."""

    def __init__(self, home: Path):
        self.home = Path(home).absolute()

    def folder(self, gag_id: str) -> Path:
        return self.home / "gallery" / gag_id / "clips"

    def add(self, gag_id: str, data: bytes, fmt: str, record: dict) -> dict:
        """File a clip's bytes with its gag; the record returned names the file (absolute) and the clip's id."""
        gag_folder = self.home / "gallery" / gag_id
        if not gag_folder.is_dir():
            raise SightgagError(f"gag {gag_id} has no folder in the gallery: it was deleted while animating")
        folder = self.folder(gag_id)
        folder.mkdir(exist_ok=True)
        with _FILING:
            clip_id = new_clip_id()
            while (folder / f"{clip_id}.{fmt}").exists():
                clip_id = new_clip_id()
            path = folder / f"{clip_id}.{fmt}"
            path.write_bytes(data)
            record = {"id": clip_id, "gag": gag_id, "file": str(path), "format": fmt, "bytes": len(data), **record}
            records = [*self.list(gag_id), record]
            staged = folder / f".{RECORDS}.{clip_id}"
            staged.write_text(json.dumps([portable(item, self.home) for item in records], ensure_ascii=False, indent=1))
            os.replace(staged, folder / RECORDS)
        return record

    def list(self, gag_id: str) -> list[dict]:
        """A gag's clips, oldest first, with their files' paths on this machine."""
        path = self.folder(gag_id) / RECORDS
        if not path.exists():
            return []
        records = json.loads(path.read_text(encoding="utf-8"))
        return [{**record, "file": str(located(record["file"], self.home))} for record in records]
