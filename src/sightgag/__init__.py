"""sightgag: personalized funny pictures.

    from sightgag import Studio
    gag = Studio().make("my cat Mittens as a superhero fighting a giant ball of yarn")
    print(gag.images[0], gag.concept.caption.text)
"""

from sightgag.concept import Concept
from sightgag.gag import Gag
from sightgag.strip import Strip
from sightgag.subjects import Subject

__all__ = ["Concept", "Gag", "Strip", "Studio", "Subject"]


def __getattr__(name: str):
    # Studio pulls in the backends; import it lazily so `import sightgag` stays fast.
    if name == "Studio":
        from sightgag.studio import Studio

        return Studio
    raise AttributeError(name)
