"""Fitting text into a box: wrap it into 1 to 3 lines and take the largest size that fits, as memegen does.

Widths come from the fonts themselves (Pillow's getlength/getbbox), never from character counts.
Words are measured once at a reference size and scale with the size; the chosen size is then
checked with a real measurement. Text that does not fit at the style's minimum legible size has its
longest words broken across lines; if even that does not fit, a LetteringError says what to do.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from sightgag.hygiene import has_visible_text
from sightgag.letterer.errors import CaptionTooLongError, LetteringError
from sightgag.letterer.fonts import font
from sightgag.letterer.text import Block, Setting, advance_width, all_caps, ink_box

REFERENCE_SIZE = 100
MAX_LINES = 3
# One more line must buy this much more size to be worth it: short captions stay on one line.
EXTRA_LINE_GAIN = 1.1
PHRASE_ENDS = set(".,;:!?…—)»”\"'。、！？")
MID_PHRASE_COST = 0.08


@dataclass(frozen=True)
class Token:
    """An unbreakable piece of text: a word, or one CJK character (CJK breaks between any two)."""

    text: str
    space_before: bool


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for word in text.split():
        pieces: list[str] = []
        for character in word:
            # CJK breaks between any two ideographs or kana, but never before closing punctuation.
            starts_piece = _is_wide_letter(character) or (
                bool(pieces) and _is_wide_letter(pieces[-1][-1]) and not unicodedata.category(character).startswith("P")
            )
            if pieces and not starts_piece:
                pieces[-1] += character
            else:
                pieces.append(character)
        tokens += [Token(piece, space_before=(i == 0 and bool(tokens))) for i, piece in enumerate(pieces)]
    return tokens


def _is_wide_letter(character: str) -> bool:
    return unicodedata.east_asian_width(character) in ("W", "F") and character.isalpha()


def join(tokens: list[Token] | tuple[Token, ...]) -> str:
    return "".join((" " if token.space_before and i else "") + token.text for i, token in enumerate(tokens))


def fit(
    text: str,
    setting: Setting,
    box_width: float,
    box_height: float,
    *,
    max_size: int,
    min_size: int,
    max_lines: int = MAX_LINES,
) -> Block:
    """The largest block of `text` (1 to max_lines lines) whose ink fits in box_width x box_height."""
    if setting.upper:
        text = all_caps(text)
    _check_visible(text)
    max_size = max(max_size, min_size)

    lines, size = _largest_wrap(text, setting, box_width, box_height, max_size, max_lines)
    if size >= min_size:
        block = _shrink_until_it_fits(Block(lines, setting, size), box_width, box_height, min_size)
        if block is not None:
            return block
    return _break_words(tokenize(text), setting, box_width, box_height, (min_size, max_size), max_lines)


def _check_visible(text: str) -> None:
    # Zero-width characters are not whitespace to split(), yet have no ink to measure a size from.
    if not has_visible_text(text):
        raise LetteringError("there is no caption text to letter: give a caption or use --lettering none")


@dataclass(frozen=True)
class Wrap:
    """Text broken into lines, and its size at the reference size: it scales with the font size."""

    lines: tuple[str, ...]
    width: float
    height: float


def _largest_wrap(
    text: str, setting: Setting, box_width: float, box_height: float, max_size: int, max_lines: int
) -> tuple[tuple[str, ...], int]:
    """The wrap into 1..max_lines lines that allows the largest size, estimated from reference sizes."""
    best_lines: tuple[str, ...] = ()
    best_size = -1
    for wrap in _wraps(text, setting, max_lines):
        if wrap.width <= 0 or wrap.height <= 0:
            # Letters the font draws with no ink (a Hangul filler): nothing to size the text by.
            raise LetteringError("the caption has nothing the font can draw: give a caption in words")
        scale = min(box_width / wrap.width, box_height / wrap.height)
        size = min(max_size, math.floor(REFERENCE_SIZE * scale))
        if best_size < 0 or size > best_size * EXTRA_LINE_GAIN:
            best_lines, best_size = wrap.lines, size
    return best_lines, best_size


@lru_cache(maxsize=1024)
def _wraps(text: str, setting: Setting, max_lines: int) -> tuple[Wrap, ...]:
    """The best wrap into each number of lines from 1 to max_lines (cached: styles try many sizes)."""
    ref = REFERENCE_SIZE
    tokens = tokenize(text)
    outline = setting.outline_width(ref)
    widths = [advance_width(token.text, setting, ref) - 2 * outline for token in tokens]
    space = font(setting.primary, ref).getlength(" ")
    inks = [ink_box(token.text, setting, ref) for token in tokens]
    line_height = max(box[3] for box in inks) - min(box[1] for box in inks)
    wraps = []
    for n in range(1, min(max_lines, len(tokens)) + 1):
        lines, widest = _balanced_wrap(tokens, widths, space, n)
        wraps.append(
            Wrap(
                tuple(join(line) for line in lines), widest + 2 * outline, (n - 1) * setting.leading * ref + line_height
            )
        )
    return tuple(wraps)


def _balanced_wrap(tokens: list[Token], widths: list[float], space: float, n: int) -> tuple[list[list[Token]], float]:
    """Split tokens into n lines so that the widest line is as narrow as can be.

    A line that breaks mid-phrase counts a little wider, so breaks fall after punctuation when
    that costs little. Solved exactly by dynamic programming over where each line ends.
    """
    # Prefix sums make each line's width O(1): a long CJK caption has a token per character.
    ends = list(
        itertools.accumulate(
            (width + (space if token.space_before else 0.0) for token, width in zip(tokens, widths)), initial=0.0
        )
    )

    def line_width(start: int, end: int) -> float:
        return ends[end] - ends[start] - (space if tokens[start].space_before else 0.0)

    def line_score(start: int, end: int) -> float:
        mid_phrase = end < len(tokens) and tokens[end - 1].text[-1] not in PHRASE_ENDS
        return line_width(start, end) * (1 + MID_PHRASE_COST * mid_phrase)

    count = len(tokens)
    # best[k][j]: the least worst-line score setting tokens[:j] in k lines, and where its last line starts.
    best = [[(math.inf, 0)] * (count + 1) for _ in range(n + 1)]
    best[0][0] = (0.0, 0)
    for k in range(1, n + 1):
        for end in range(k, count - (n - k) + 1):
            best[k][end] = min(
                (max(best[k - 1][start][0], line_score(start, end)), start) for start in range(k - 1, end)
            )
    bounds = [count]
    for k in range(n, 0, -1):
        bounds.append(best[k][bounds[-1]][1])
    bounds.reverse()
    lines = [tokens[a:b] for a, b in itertools.pairwise(bounds)]
    return lines, max(line_width(a, b) for a, b in itertools.pairwise(bounds))


def _shrink_until_it_fits(block: Block, box_width: float, box_height: float, min_size: int) -> Block | None:
    # The estimate scales reference widths; hinting and rounding can make a size a pixel too big.
    while block.width > box_width or block.height > box_height:
        if block.size <= min_size:
            return None
        smaller = min(block.size - 1, math.floor(block.size * min(box_width / block.width, box_height / block.height)))
        block = Block(block.lines, block.setting, max(smaller, min_size))
    return block


def _break_words(
    tokens: list[Token], setting: Setting, box_width: float, box_height: float, sizes: tuple[int, int], max_lines: int
) -> Block:
    """The graceful fallback: fill lines, breaking words too long for one, at the largest size that fits.

    sizes is (smallest, largest); the size is found by bisection, since a bigger size never fits better.
    """

    def fits(block: Block) -> bool:
        return len(block.lines) <= max_lines and block.height <= box_height and block.width <= box_width

    smallest, largest = sizes
    best = _fill(tokens, setting, box_width, smallest)
    if not fits(best):
        raise CaptionTooLongError(
            f"the caption is too long to letter legibly in a {int(box_width)}x{int(box_height)} px space: "
            "shorten it, use a bigger image, or use --lettering caption"
        )
    low, high = smallest + 1, largest
    while low <= high:
        middle = (low + high) // 2
        block = _fill(tokens, setting, box_width, middle)
        if fits(block):
            best, low = block, middle + 1
        else:
            high = middle - 1
    return best


def fill(text: str, setting: Setting, box_width: float, size: int) -> Block:
    """Text at one size in as many lines as it takes, words too long for a line broken across lines."""
    _check_visible(text)
    return _fill(tokenize(all_caps(text) if setting.upper else text), setting, box_width, size)


def _fill(tokens: list[Token], setting: Setting, box_width: float, size: int) -> Block:
    lines: list[list[Token]] = [[]]
    for token in tokens:
        for piece in _pieces_that_fit(token, setting, box_width, size):
            if lines[-1] and advance_width(join([*lines[-1], piece]), setting, size) > box_width:
                lines.append([Token(piece.text, space_before=False)])
            else:
                lines[-1].append(piece)
    return Block(tuple(join(line) for line in lines), setting, size)


def _pieces_that_fit(token: Token, setting: Setting, box_width: float, size: int) -> list[Token]:
    """A token, or the chunks of a word too wide for a line, each as long as fits."""
    pieces: list[Token] = []
    rest = token.text
    while advance_width(rest, setting, size) > box_width and len(rest) > 1:
        cut = 1
        while cut < len(rest) and advance_width(rest[: cut + 1], setting, size) <= box_width:
            cut += 1
        pieces.append(Token(rest[:cut], space_before=token.space_before and not pieces))
        rest = rest[cut:]
    pieces.append(Token(rest, space_before=token.space_before and not pieces))
    return pieces
