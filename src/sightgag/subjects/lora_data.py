"""What a subject's LoRA trains on: its photos as VAE latents and its prompt as text embeddings.

Both are computed once and cached in one file in the subject's folder, so later runs (and `--resume`)
never load the VAE or the text encoders, which on FLUX.1 weigh more than the 4-bit transformer.

Each photo is centre-cropped to the aspect-ratio bucket nearest its own shape, of about
resolution² pixels (diffusers' bucket ladder, sides in multiples of 16), so a portrait photo trains
as a portrait. Its latents are the mode of the VAE's distribution (diffusers' Kontext LoRA script's
default, `--vae_encode_mode mode`), already shifted and scaled as the transformer sees them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from sightgag.weights.device import quantization_config
from sightgag.errors import SightgagError, UsageError, first_line

if TYPE_CHECKING:
    import torch

CACHE_VERSION = 3


@dataclass
class TrainingData:
    """Everything the transformer is trained on, on the CPU in float32."""

    photos: list[torch.Tensor]  # one per photo, (1, channels, height / 8, width / 8)
    prompt_embeds: torch.Tensor  # T5, (1, tokens, dim)
    pooled_prompt_embeds: torch.Tensor  # CLIP, (1, dim)
    text_ids: torch.Tensor  # (tokens, 3)


def bucket_for(size: tuple[int, int], resolution: int) -> tuple[int, int]:
    """(width, height) of the bucket of about resolution² pixels whose aspect ratio is nearest a photo's."""
    from diffusers.training_utils import find_nearest_bucket, generate_aspect_ratio_buckets

    width, height = size
    buckets = generate_aspect_ratio_buckets(resolution, divisibility=16)  # (height, width) pairs
    bucket_height, bucket_width = buckets[find_nearest_bucket(height, width, buckets)]
    return bucket_width, bucket_height


def load_training_data(
    cache: Path,
    photos: list[Path],
    *,
    prompt: str,
    resolution: int,
    location: str,
    local_only: bool,
    device: torch.device,
    dtype: torch.dtype,
    max_sequence_length: int,
    quantize: str | None = None,
) -> tuple[TrainingData, bool]:
    """The training data, from `cache` if it was made from the same inputs, else computed and cached.

    The prompt is encoded at `max_sequence_length` T5 tokens, the base preset's own (256 for schnell,
    512 for dev): the transformer then learns the subject with the padding it sees when painting.

    `quantize` ('nf4' or 'int8', CUDA only) loads the T5 encoder quantized, as for painting, to keep a
    small GPU's peak down. Returns the data and whether it came from the cache.
    """
    import torch

    key = {
        "version": CACHE_VERSION,
        "base": location,
        "photos": [f"{Path(photo).name}:{_size_of(photo)}" for photo in photos],
        "prompt": prompt,
        "resolution": resolution,
        "dtype": str(dtype),
        "quantize": quantize,
        "max_sequence_length": max_sequence_length,
    }
    if cache.is_file():
        try:
            stored = torch.load(cache, map_location="cpu", weights_only=True)
        except Exception:  # a cache from another version, or cut short: make it again
            stored = None
        if stored is not None and stored.get("key") == key:
            return _from_record(stored), True

    data = _encode(photos, prompt=prompt, resolution=resolution, location=location, local_only=local_only,
                   device=device, dtype=dtype, quantize=quantize, max_sequence_length=max_sequence_length)  # fmt: skip
    record = {
        "key": key,
        "photos": data.photos,
        "prompt_embeds": data.prompt_embeds,
        "pooled_prompt_embeds": data.pooled_prompt_embeds,
        "text_ids": data.text_ids,
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(cache.name + ".partial")
    torch.save(record, partial)
    os.replace(partial, cache)
    return data, False


def _encode(
    photos: list[Path],
    *,
    prompt: str,
    resolution: int,
    location: str,
    local_only: bool,
    device: torch.device,
    dtype: torch.dtype,
    quantize: str | None,
    max_sequence_length: int,
) -> TrainingData:
    import torch
    from diffusers import FluxPipeline

    options: dict = {"transformer": None, "local_files_only": local_only, "dtype": dtype}
    if quantize:
        # The painting setup: T5 (and the transformer, which is not loaded here) quantized with bitsandbytes.
        options["quantization_config"] = quantization_config(quantize, dtype)
    try:
        # Everything but the transformer, which is loaded alone later.
        pipe = FluxPipeline.from_pretrained(location, **options)
    except Exception as error:  # diffusers reports bad folders and failed downloads many ways
        raise SightgagError(
            f"could not load FLUX.1's VAE and text encoders from {location}: {first_line(error)}"
        ) from error
    pipe.to(device)
    vae = pipe.vae
    encoded = []
    with torch.no_grad():
        for path in photos:
            photo = _open_photo(path)
            fitted = ImageOps.fit(photo, bucket_for(photo.size, resolution), Image.Resampling.LANCZOS)
            pixels = pipe.image_processor.preprocess(fitted).to(device, dtype)
            latents = vae.encode(pixels).latent_dist.mode()
            encoded.append(((latents - vae.config.shift_factor) * vae.config.scaling_factor).float().cpu())
        prompt_embeds, pooled_prompt_embeds, text_ids = pipe.encode_prompt(
            prompt=prompt, prompt_2=None, device=device, max_sequence_length=max_sequence_length
        )
    data = TrainingData(
        photos=encoded,
        prompt_embeds=prompt_embeds.float().cpu(),
        pooled_prompt_embeds=pooled_prompt_embeds.float().cpu(),
        text_ids=text_ids.float().cpu(),
    )
    del pipe, vae
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return data


def _from_record(record: dict) -> TrainingData:
    return TrainingData(
        photos=list(record["photos"]),
        prompt_embeds=record["prompt_embeds"],
        pooled_prompt_embeds=record["pooled_prompt_embeds"],
        text_ids=record["text_ids"],
    )


def _open_photo(path: Path) -> Image.Image:
    try:
        with Image.open(path) as opened:
            return opened.convert("RGB")
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read the subject photo {path} ({error}): re-add the subject's photos") from None


def _size_of(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        raise UsageError(f"the subject photo {path} is missing: re-add the subject's photos") from None
