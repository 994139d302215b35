"""The letterer: sets captions, meme text, speech balloons and labels in real type on a picture.

    from sightgag.letterer import letter
    lettered = letter(picture, concept)                  # the concept's own style and caption
    meme = letter(picture, concept, style="meme", caption="ONE DOES NOT | SIMPLY KNIT")

Styles: meme, caption (a white band under the picture: the result is taller), balloon, label, none.
Fonts are installed by scripts/install-fonts.sh; docs/fonts.md lists them and their licences.
"""

from sightgag.letterer.errors import LetteringError
from sightgag.letterer.lettering import STYLES, letter, letter_with_boxes
from sightgag.letterer.text import DrawnText, Lettered

__all__ = ["STYLES", "DrawnText", "Lettered", "LetteringError", "letter", "letter_with_boxes"]
