"""The studio server: a web page, a JSON API and an OpenAI-compatible Images endpoint (`sightgag serve`)."""

from sightgag.server.app import create_app, serve

__all__ = ["create_app", "serve"]
