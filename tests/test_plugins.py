"""Backends as plugins: the built-ins and installed packages found by entry point, broken ones reported.

The example plugin in tests/plugins/hello (a writer and an artist named `hello`) and one that fails to
import (tests/plugins/broken) are installed into the test environment by `scripts/setup.sh test`.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sightgag
from sightgag import plugins
from sightgag.artist import load_artist
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.writer import load_writer

SOURCE = Path(sightgag.__file__).parent
PYPROJECT = SOURCE.parent.parent / "pyproject.toml"
REQUEST = "my cat Mittens as a superhero fighting a giant ball of yarn"


@pytest.fixture(autouse=True)
def fresh_registry():
    """Each test discovers for itself, and leaves no doctored registry behind."""
    plugins.refresh()
    yield
    plugins.registry.cache_clear()


@pytest.fixture
def test_plugins_installed():
    for name in ("sightgag-hello", "sightgag-broken"):
        try:
            importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{name} is not installed: run scripts/setup.sh test (it installs tests/plugins/*)")


def sightgag_cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    environment["SIGHTGAG_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "sightgag.cli", *args], capture_output=True, text=True, env=environment, timeout=300
    )


class FakeDistribution(importlib.metadata.Distribution):
    """An installed package as importlib.metadata sees one, without installing anything."""

    def __init__(self, name: str, entry_points: str):
        self.files_text = {"METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n", "entry_points.txt": entry_points}

    def read_text(self, filename):
        return self.files_text.get(filename)

    def locate_file(self, path):
        return Path(path)


# The built-ins: declared once, in pyproject.toml.


def test_every_builtin_backend_is_declared_as_an_entry_point():
    """A module under artist/ or writer/ with a class that paints or writes must be reachable by a spec."""
    declared = {entry.value.partition(":")[0] for entry in plugins.entry_points_in(PYPROJECT)}
    backends = set()
    for role, method in (("artist", "paint"), ("writer", "write"), ("animator", "animate")):
        for path in (SOURCE / role).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
            if any(isinstance(item, ast.FunctionDef) and item.name == method for cls in classes for item in cls.body):
                # The Protocol itself, and the local video models' shared base (wan and ltx are its backends).
                if path.name not in ("base.py", "diffusion.py"):
                    module = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)
                    backends.add(module.removesuffix(".__init__"))
    assert backends, "found no backend modules: the scan above is broken"
    assert backends <= declared, f"backends without an entry point in pyproject.toml: {sorted(backends - declared)}"


def test_every_declared_builtin_loads_and_takes_a_model_and_settings():
    for entry in plugins.entry_points_in(PYPROJECT):
        factory = entry.load()
        assert callable(factory), entry
    assert isinstance(load_writer("offline", Settings()), object)
    assert load_artist("sketch", Settings()).spec == "sketch"


def test_the_registry_reads_the_builtins_from_this_source_tree():
    registry = plugins.registry()

    assert {"flux", "kontext", "bfl", "xai", "sketch"} <= set(registry.names("artists"))
    assert {"grok", "openai", "ollama", "openai-compat", "local", "offline"} <= set(registry.names("writers"))
    assert ["sketch", "xai", "wan", "ltx"] == registry.names("animators")[:4]
    assert registry.get("artists", "xai").origin == plugins.BUILT_IN
    assert registry.names("editors") == [] or all(
        not provider.built_in for provider in registry.providers["editors"].values()
    )


def test_the_installed_metadata_matches_pyproject_once_sightgag_is_reinstalled():
    installed = [
        (entry.group, entry.name, entry.value)
        for entry in importlib.metadata.distribution("sightgag").entry_points
        if entry.group in plugins.GROUPS.values()
    ]
    if not installed:
        pytest.skip("the installed sightgag's metadata predates its entry points: pip install -e . refreshes it")
    declared = [(entry.group, entry.name, entry.value) for entry in plugins.entry_points_in(PYPROJECT)]
    assert sorted(installed) == sorted(declared)


def test_an_installed_wheel_reads_its_builtins_from_its_metadata_and_does_not_clash_with_itself(monkeypatch):
    """Installed from a wheel there is no pyproject.toml beside the code: the distribution's metadata is read."""
    lines = {}
    for entry in plugins.entry_points_in(PYPROJECT):
        lines.setdefault(entry.group, []).append(f"{entry.name} = {entry.value}")
    text = "".join(f"[{group}]\n" + "\n".join(entries) + "\n\n" for group, entries in lines.items())
    wheel = FakeDistribution("sightgag", text)
    monkeypatch.setattr(plugins, "source_pyproject", lambda: None)
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: wheel)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: wheel.entry_points.select(group=group))

    registry = plugins.refresh()

    assert registry.clashes == []  # its own entry points are not taken for a plugin's
    assert all(provider.built_in for provider in registry.all())
    assert sorted(registry.names("artists")) == sorted(entry.name for entry in plugins.entry_points_in(PYPROJECT) if entry.group == "sightgag.artists")
    assert load_artist("sketch", Settings()).spec == "sketch"


# Installed plugins.


def test_an_installed_plugin_is_found_with_where_it_comes_from(test_plugins_installed):
    registry = plugins.registry()

    hello_writer, hello_artist = registry.get("writers", "hello"), registry.get("artists", "hello")
    assert hello_writer.origin == hello_artist.origin == "sightgag-hello 0.1.0"
    assert hello_artist.target == "sightgag_hello:HelloArtist"
    assert load_artist("hello", Settings()).spec == "hello"
    assert load_writer("hello:shouty", Settings()).spec == "hello:shouty"


def test_a_plugin_that_fails_to_import_breaks_only_itself(test_plugins_installed):
    broken = plugins.registry().get("artists", "broken")

    assert broken.check() is False
    assert broken.error == "ImportError: sightgag_broken needs the 'unobtainium' package, which is not installed"
    with pytest.raises(plugins.PluginError, match=r"the artist 'broken' \(sightgag-broken 0.1.0\) fails to import") as caught:
        load_artist("broken", Settings())
    assert not isinstance(caught.value, UsageError) and "\n" not in str(caught.value)
    # Everything else still works, before and after.
    assert load_artist("hello", Settings()).spec == "hello"
    assert load_artist("sketch", Settings()).spec == "sketch"


def test_an_unknown_provider_lists_the_plugins_too(test_plugins_installed):
    with pytest.raises(UsageError, match=r"unknown artist 'crayons': use one of flux, .*sketch.*hello"):
        load_artist("crayons", Settings())


# Name clashes.


def test_a_plugin_cannot_take_a_builtins_name(caplog, monkeypatch):
    impostor = FakeDistribution("sightgag-impostor", "[sightgag.artists]\nsketch = sightgag_impostor:Sketch\n")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: impostor.entry_points.select(group=group))

    with caplog.at_level(logging.WARNING, logger="sightgag.plugins"):
        registry = plugins.refresh()

    assert registry.get("artists", "sketch").built_in
    (clash,) = registry.clashes
    assert "sightgag-impostor 1.0 registers the artist 'sketch'" in clash and "the built-in is used" in clash
    assert clash in caplog.messages
    assert load_artist("sketch", Settings()).spec == "sketch"  # the impostor is never imported


def test_between_two_plugins_the_first_by_package_name_wins():
    first = FakeDistribution("aaa-painter", "[sightgag.artists]\nposter = aaa:Poster\n")
    second = FakeDistribution("zzz-painter", "[sightgag.artists]\nposter = zzz:Poster\n")

    registry = plugins.build([], [*second.entry_points, *first.entry_points])

    assert registry.get("artists", "poster").target == "aaa:Poster"
    assert registry.clashes == [
        "plugin zzz-painter 1.0 registers the artist 'poster', a name already taken: "
        "the one from aaa-painter 1.0 is used (aaa:Poster), zzz:Poster is ignored"
    ]


def test_nothing_registered_at_all_says_to_reinstall(monkeypatch):
    monkeypatch.setattr(plugins, "builtin_entry_points", lambda: [])
    plugins.refresh()

    with pytest.raises(plugins.SightgagError, match="not registered in this environment: reinstall sightgag"):
        load_artist("sketch", Settings())


# The command line.


@pytest.mark.slow
def test_make_with_the_hello_plugin_and_plugins_lists_it(test_plugins_installed, tmp_path):
    made = sightgag_cli("make", REQUEST, "--writer", "hello", "--artist", "hello", "--json", home=tmp_path)

    assert made.returncode == 0, made.stderr
    gag = json.loads(made.stdout)
    assert gag["writer"] == "hello" and gag["artist"] == "hello"
    assert gag["concept"]["caption"]["text"].startswith("hello, ")
    assert all(Path(path).is_file() for path in gag["images"])

    listed = sightgag_cli("plugins", "--json", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    rows = {(row["role"], row["name"]): row for row in report["providers"]}
    assert rows["writers", "hello"]["origin"] == rows["artists", "hello"]["origin"] == "sightgag-hello 0.1.0"
    assert rows["artists", "hello"]["ready"] is True
    assert rows["artists", "broken"]["ready"] is False and "unobtainium" in rows["artists", "broken"]["error"]
    assert rows["artists", "sketch"] == rows["artists", "sketch"] | {"origin": "built-in", "ready": True, "error": None}
    assert any("'broken' from sightgag-broken 0.1.0 fails to import" in line for line in report["problems"])

    table = sightgag_cli("plugins", home=tmp_path)
    assert table.returncode == 0 and "sightgag-hello" in table.stdout and "broken" in table.stdout


@pytest.mark.slow
def test_doctor_reports_the_broken_plugin_and_the_rest_work(test_plugins_installed, tmp_path):
    doctor = sightgag_cli("doctor", "--json", home=tmp_path)

    assert doctor.returncode == 0, doctor.stderr
    report = json.loads(doctor.stdout)
    assert any("fails to import" in line for line in report["plugin_problems"])
    artists = {row["name"]: row for row in report["artists"]}
    assert artists["hello"]["ready"] and not artists["broken"]["ready"]

    failed = sightgag_cli("make", REQUEST, "--writer", "offline", "--artist", "broken", home=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: the artist 'broken' (sightgag-broken 0.1.0) fails to import")
    assert len(failed.stderr.strip().splitlines()) == 1

    painted = sightgag_cli("make", REQUEST, "--writer", "offline", "--artist", "sketch", "--json", home=tmp_path)
    assert painted.returncode == 0, painted.stderr


def test_the_documented_example_is_the_tested_plugin():
    """docs/plugins.md shows the code of tests/plugins/hello, so the example in the docs is one that runs."""
    docs = (PYPROJECT.parent / "docs" / "plugins.md").read_text(encoding="utf-8")
    plugin = PYPROJECT.parent / "tests" / "plugins" / "hello"
    code = (plugin / "sightgag_hello" / "__init__.py").read_text(encoding="utf-8")
    body = code.split('"""', 2)[2].replace("from __future__ import annotations\n\n", "").strip()
    assert body in docs
    tables = (plugin / "pyproject.toml").read_text(encoding="utf-8").split('[project.entry-points."sightgag.writers"]')[1]
    assert '[project.entry-points."sightgag.writers"]' + tables.split("[tool.setuptools]")[0] in docs
