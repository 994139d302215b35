"""One rule for every text that enters sightgag: a request, a caption, a trait, a subject name, an LLM's title.

Text is data. It is never markup, never a terminal escape, never a path. At every entrance (the command
line, the HTTP API, the Python API, an LLM's answer) text goes through `clean_text`, which:

- refuses what is not text: non-UTF-8 bytes (they arrive as lone surrogates), private-use characters;
- refuses control characters (C0, DEL and C1: ESC starts terminal escapes, NUL ends C strings) and the
  bidi overrides and isolates (U+202A-U+202E, U+2066-U+2069) that make text display in another order
  than it reads (the "Trojan Source" trick); line breaks and tabs are ordinary typing and become spaces,
  except in multi-line fields;
- refuses text with nothing visible (only spaces, zero-width characters or lone combining marks);
- caps the length;
- returns the text NFC-normalised, stripped, with runs of spaces collapsed.

Text from a model is not the user's fault: `strip_unsafe` removes what `clean_text` would refuse, so a
stray escape in an LLM's title is dropped rather than failing the gag. Markup is not stripped: `[bold]` is
harmless characters here; whatever prints text with rich escapes it there (cli.py), and shows it through
`displayable`, so text stored before these rules (or by another program) still cannot drive the terminal.
"""

from __future__ import annotations

import re
import unicodedata

from sightgag.errors import UsageError

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_CONTROLS = frozenset("\n\r\t")
# Whole terminal escape sequences (CSI such as colours, OSC such as window titles), so that stripping an ESC
# does not leave "[31m" behind.
ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]")


def _refused(character: str) -> bool:
    category = unicodedata.category(character)
    return category in ("Cc", "Cs", "Co") or character in BIDI_CONTROLS


# Letters by their category that every font draws blank: the Hangul fillers and the blank braille pattern.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(character: str) -> bool:
    # Letters, digits, punctuation and symbols (emoji included); not spaces, format or combining marks alone.
    return unicodedata.category(character)[0] in "LNPS" and character not in BLANK_LETTERS


def _describe(character: str) -> str:
    if unicodedata.category(character) == "Cs":
        return "bytes that are not UTF-8 text"
    if character in BIDI_CONTROLS:
        return f"a bidirectional override (U+{ord(character):04X})"
    if unicodedata.category(character) == "Co":
        return f"a private-use character (U+{ord(character):04X})"
    return f"a control character (U+{ord(character):04X})"


def clean_text(value: object, *, what: str, max_chars: int, multiline: bool = False, empty_hint: str = "") -> str:
    """The text, checked and tidied; UsageError with one line that names `what` when it cannot be used.

    `what` names the field for the message ("the request", "the caption", "a trait"); `empty_hint` says
    what to write instead when nothing visible was given.
    """
    if not isinstance(value, str):
        raise UsageError(f"{what} must be text")
    for position, character in enumerate(value):
        if character in LINE_CONTROLS:
            continue
        if _refused(character):
            raise UsageError(f"{what} contains {_describe(character)} at position {position}: type it as plain text")
    text = unicodedata.normalize("NFC", value)
    if multiline:
        lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        text = "\n".join(lines).strip("\n")
    else:
        text = " ".join(text.split())
    if not any(_visible(character) for character in text):
        raise UsageError(f"{what} is empty: {empty_hint or 'it has no visible character'}")
    if len(text) > max_chars:
        raise UsageError(f"{what} is {len(text):,} characters long; keep it to {max_chars:,}")
    return text


def strip_unsafe(value: str, *, multiline: bool = False) -> str:
    """The text with everything `clean_text` refuses removed, and spaces tidied (for text a model wrote).

    Text with nothing visible left becomes "", so that a required field fails its validation (and the
    writer is asked again) instead of carrying invisible characters into a caption.
    """
    value = ESCAPE_SEQUENCE.sub("", value)
    kept = "".join(character for character in value if character in LINE_CONTROLS or not _refused(character))
    text = unicodedata.normalize("NFC", kept)
    if multiline:
        text = "\n".join(" ".join(line.split()) for line in text.splitlines()).strip("\n")
    else:
        text = " ".join(text.split())
    return text if has_visible_text(text) else ""


def displayable(value: str) -> str:
    """The text as it can be shown on a terminal: what `clean_text` refuses appears as a visible escape.

    For printing stored text, which may predate these rules: nothing is lost, nothing is obeyed.
    """
    # A carriage return would let text overwrite what was printed before it on the line.
    return "".join(
        character if character in "\n\t" or not _refused(character) else _escaped(character) for character in value
    )


def _escaped(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def has_visible_text(value: str) -> bool:
    """True when the text shows at least one letter, digit, punctuation mark or symbol."""
    return any(_visible(character) for character in value)
