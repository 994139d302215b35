"""Where FLUX.1 weights are (a Hugging Face repo or a folder saved by diffusers) and the preset they run with.

    source = ModelSource.parse("dev")          # or "org/name", or "/path/to/folder"
    source.preset.steps                          # 28: dev's sampling
    weights_are_local(source)                    # True, or False if the Hub will be asked, or an error

The preset (steps, guidance, T5 length) follows what the weights are, not what they are called: the
transformer's config says `guidance_embeds: true` for FLUX.1 dev and its fine-tunes (guidance-distilled)
and false for schnell. Only when that file is not on disk yet (a repo not downloaded) is the name the
guide, and the flux artist checks again once the weights are loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HfApi, constants, try_to_load_from_cache
from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

from sightgag.errors import SightgagError, UsageError, first_line


@dataclass(frozen=True)
class FluxPreset:
    name: str
    repo: str
    steps: int
    guidance: float
    max_sequence_length: int  # T5 tokens the model was trained with


PRESETS = {
    preset.name: preset
    for preset in [
        FluxPreset("schnell", "black-forest-labs/FLUX.1-schnell", steps=4, guidance=0.0, max_sequence_length=256),
        FluxPreset("dev", "black-forest-labs/FLUX.1-dev", steps=28, guidance=3.5, max_sequence_length=512),
    ]
}
DEFAULT_PRESET = "schnell"

# What FluxPipeline.from_pretrained needs in model_index.json, each in a subfolder of that name.
PIPELINE_COMPONENTS = ("scheduler", "vae", "text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2", "transformer")
WEIGHTED_COMPONENTS = ("vae", "text_encoder", "text_encoder_2", "transformer")
TRANSFORMER_CONFIG = "transformer/config.json"

HUB_PROBE_SECONDS = 10.0

_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")


@dataclass(frozen=True)
class ModelSource:
    """Where the weights are (a Hub repo id or a local folder) and the preset they run with."""

    spec: str  # as the user wrote it after 'flux:'
    location: str  # the repo id, or the folder's absolute path
    is_folder: bool
    preset: FluxPreset
    preset_from: str = "name"  # "name" (a preset, or guessed from it) or "config" (the transformer's own)

    @classmethod
    def parse(cls, model: str | None) -> ModelSource:
        text = (model or DEFAULT_PRESET).strip()
        if text.lower() in PRESETS:
            preset = PRESETS[text.lower()]
            return cls(preset.name, preset.repo, False, preset)
        path = Path(text).expanduser()
        if path.is_dir() or text.startswith(("/", ".", "~")):
            if not path.is_dir():
                raise UsageError(f"flux:{text}: no such folder; pass a folder saved by diffusers")
            return cls._with_preset(text, str(path.resolve()), True, path / TRANSFORMER_CONFIG)
        if _REPO_ID.fullmatch(text):
            cached = try_to_load_from_cache(text, TRANSFORMER_CONFIG)
            return cls._with_preset(text, text, False, Path(cached) if isinstance(cached, str) else None)
        raise UsageError(
            f"flux:{text} is not a model: use a preset ({', '.join(PRESETS)}), a Hugging Face repo id (org/name) "
            "or flux:/path/to/folder"
        )

    @classmethod
    def _with_preset(cls, spec: str, location: str, is_folder: bool, config: Path | None) -> ModelSource:
        preset = preset_from_config(config) if config is not None else None
        if preset is not None:
            return cls(spec, location, is_folder, preset, "config")
        return cls(spec, location, is_folder, _preset_for_name(Path(location).name), "name")


def preset_from_config(config: Path) -> FluxPreset | None:
    """dev's preset for a guidance-distilled transformer, schnell's for one without; None if the file cannot say."""
    try:
        guidance_embeds = json.loads(config.read_text(encoding="utf-8")).get("guidance_embeds")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(guidance_embeds, bool):
        return None
    return preset_for_guidance(guidance_embeds)


def preset_for_guidance(guidance_embeds: bool) -> FluxPreset:
    return PRESETS["dev"] if guidance_embeds else PRESETS["schnell"]


def _preset_for_name(name: str) -> FluxPreset:
    # Only a guess until the transformer's config is on disk: fine-tunes usually keep their base's name.
    return PRESETS["dev"] if "dev" in name.lower() else PRESETS["schnell"]


def has_cached_weights(preset_or_repo: str) -> bool:
    """True if the model can load without the network: a complete pipeline in the Hugging Face cache (or folder)."""
    folder = local_folder(preset_or_repo)
    return folder is not None and pipeline_problem(folder) is None


def local_folder(preset_or_repo: str) -> Path | None:
    """The folder the weights load from without the network: the folder itself, or the repo's cached snapshot."""
    try:
        source = ModelSource.parse(preset_or_repo)
    except UsageError:
        return None
    if source.is_folder:
        return Path(source.location)
    model_index = try_to_load_from_cache(source.location, "model_index.json")
    if not isinstance(model_index, str):  # None, or a cached note that the file does not exist
        return None
    return Path(model_index).parent


def pipeline_problem(folder: Path) -> str | None:
    """Why `folder` is not a complete FLUX.1 pipeline saved by diffusers, or None if it is one."""
    index = folder / "model_index.json"
    if not index.is_file():
        return "it has no model_index.json"
    try:
        components = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its model_index.json is unreadable"
    for name in PIPELINE_COMPONENTS:
        entry = components.get(name)
        if not entry or entry[0] is None:
            return f"its model_index.json names no {name}"
        if not (folder / name).is_dir():
            return f"its {name} folder is missing"
    if components["transformer"][1] != "FluxTransformer2DModel":
        return f"its transformer is a {components['transformer'][1]}, not a FluxTransformer2DModel"
    for name in WEIGHTED_COMPONENTS:
        if not _has_weights(folder / name):
            return f"its {name} weights are missing or incomplete"
    return None


def _has_weights(folder: Path) -> bool:
    for shard_index in folder.glob("*.index.json"):
        try:
            shards = set(json.loads(shard_index.read_text(encoding="utf-8"))["weight_map"].values())
        except (OSError, ValueError, KeyError):
            return False
        if not all((folder / shard).is_file() for shard in shards):
            return False
    return any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))


def weights_are_local(source: ModelSource) -> bool:
    """True if the weights load from disk; False if the Hub is reachable to download them; else an error."""
    location = source.location
    if source.is_folder:
        problem = pipeline_problem(Path(location))
        if problem:
            raise UsageError(
                f"{location} is not a FLUX.1 pipeline folder ({problem}): pass a folder saved by diffusers, "
                f"e.g. `hf download {PRESETS[DEFAULT_PRESET].repo} --local-dir FOLDER`"
            )
        return True
    if has_cached_weights(location):
        return True
    check_hub_reachable(location)
    return False


def snapshot(source: ModelSource) -> str | None:
    """Which exact weights: the Hub commit of a cached repo, else a digest of a folder's files; None if not on disk.

    A Hub snapshot folder is named by its commit. A plain folder has no commit, so its digest covers each
    file's name and size and every small file's content (configs, tokenizers): enough to tell two
    downloads or fine-tunes apart without reading tens of gigabytes.
    """
    folder = local_folder(source.location)
    if folder is None:
        return None
    if folder.parent.name == "snapshots" and re.fullmatch(r"[0-9a-f]{40}", folder.name):
        return folder.name
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder).as_posix()}\0{size}\0".encode())
        if size <= 1_000_000:
            digest.update(path.read_bytes())
    return "files-sha256:" + digest.hexdigest()[:16]


def same_files(folder: Path, other: Path, component: str) -> bool:
    """True if `component` (e.g. 'vae') is byte for byte the same in both pipeline folders, known without reading it.

    Either both name the very same files (links to one copy), or both are Hugging Face cache snapshots
    whose files point at blobs of the same content hash: FLUX.1 dev and Kontext dev ship identical
    text encoders and VAE, and in the cache that shows as equal blob names.
    """
    mine, theirs = _file_identities(folder / component), _file_identities(other / component)
    return bool(mine) and mine == theirs


def _file_identities(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    identities = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        real = Path(os.path.realpath(path))
        # A cache blob is named by its content hash; anything else is known only by where it is.
        identities[path.relative_to(folder).as_posix()] = (
            "blob:" + real.name if real.parent.name == "blobs" else "path:" + str(real)
        )
    return identities


def check_hub_reachable(repo: str) -> None:
    """Return if the Hub answers for `repo` within seconds; raise a one-line error that says what to do if not."""
    unavailable = (
        f"{repo} is not in the local Hugging Face cache and the Hub cannot be reached ({{}}): on a connected "
        f"machine run `hf download {repo}` and copy the cache here, or pass flux:/path/to/folder"
    )
    if constants.HF_HUB_OFFLINE:
        raise SightgagError(unavailable.format("HF_HUB_OFFLINE is set"))
    outcome: dict[str, BaseException | None] = {}

    def probe() -> None:
        try:
            HfApi().model_info(repo, timeout=HUB_PROBE_SECONDS)
            outcome["error"] = None
        except Exception as error:  # any network failure means the same thing here
            outcome["error"] = error

    # A stuck DNS lookup ignores HTTP timeouts; a daemon thread bounds the wait whatever hangs.
    thread = threading.Thread(target=probe, name="flux-hub-probe", daemon=True)
    thread.start()
    thread.join(HUB_PROBE_SECONDS + 1)
    if "error" not in outcome:
        raise SightgagError(unavailable.format(f"no answer in {HUB_PROBE_SECONDS:.0f} s"))
    error = outcome["error"]
    if error is None or isinstance(error, GatedRepoError):
        return  # a gated repo is reachable: the download says what access it lacks
    if isinstance(error, RepositoryNotFoundError):
        raise UsageError(f"{repo} is not a model on the Hugging Face Hub (or is private): check the name")
    raise SightgagError(unavailable.format(first_line(error)))


def is_gated(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, GatedRepoError):
            return True
        error = error.__cause__ or error.__context__
    return False
