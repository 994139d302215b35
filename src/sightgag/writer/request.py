"""The user's request, checked and tidied before any writer sees it."""

from __future__ import annotations

from sightgag.hygiene import clean_text

MAX_REQUEST_CHARS = 2000


def clean_request(text: str) -> str:
    """Return the request stripped, with runs of whitespace collapsed to one space.

    Raises UsageError for an empty request (nothing visible), one over MAX_REQUEST_CHARS characters, or one
    containing control characters other than newlines and tabs, or bidi overrides (sightgag.hygiene).
    """
    return clean_text(
        text,
        what="the request",
        max_chars=MAX_REQUEST_CHARS,
        empty_hint='say what the picture is about, e.g. "my cat as a superhero"',
    )
