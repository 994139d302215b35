"""The letterer's one kind of failure."""

from sightgag.errors import UsageError

# The one command that installs every font (and fontconfig) the letterer uses.
INSTALL_FONTS = "scripts/install-fonts.sh"


class LetteringError(UsageError):
    """A caption that cannot be set: a font is not installed, or the text cannot fit at a legible size."""


class CaptionTooLongError(LetteringError):
    """Text that does not fit its space even at the minimum legible size, with its words broken."""
