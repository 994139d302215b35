"""The user's request, checked and tidied before any writer sees it."""

from __future__ import annotations

import unicodedata

from sightgag.errors import UsageError

MAX_REQUEST_CHARS = 2000

# Line breaks and tabs are ordinary typing; any other control character is junk or an attempt to smuggle
# something past the prompt (ANSI escapes, NULs).
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def clean_request(text: str) -> str:
    """Return the request stripped, with runs of whitespace collapsed to one space.

    Raises UsageError for an empty request, one over MAX_REQUEST_CHARS characters, or one containing
    control characters other than newlines and tabs.
    """
    if not isinstance(text, str):
        raise UsageError("the request must be text, e.g. sightgag make \"my cat as a superhero\"")
    for position, char in enumerate(text):
        if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS:
            raise UsageError(
                f"the request contains a control character (U+{ord(char):04X} at position {position}): "
                "type it as plain text"
            )
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UsageError('the request is empty: say what the picture is about, e.g. "my cat as a superhero"')
    if len(cleaned) > MAX_REQUEST_CHARS:
        raise UsageError(
            f"the request is {len(cleaned):,} characters; keep it under {MAX_REQUEST_CHARS:,} "
            "(describe one picture, not a story)"
        )
    return cleaned
