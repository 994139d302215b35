"""Personal subjects: the user's own cat, friend or self, learned from photos."""

from sightgag.subjects.subject import Subject

__all__ = ["Subject"]
