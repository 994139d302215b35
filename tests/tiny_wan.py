"""A tiny random Wan image-to-video pipeline, built here from nothing, for tests that must not download weights.

The real architecture (diffusers' WanImageToVideoPipeline: UMT5-style text encoder, Wan VAE, Wan
transformer) at toy sizes, as in diffusers' own Wan 2.2 image-to-video tests: no CLIP image encoder,
the still reaching the model through the VAE as the first frame's latent. The T5 tokenizer is the one
tests/tiny_flux.py trains. Saved with `save_pretrained`, loaded by `WanImageToVideoPipeline.from_pretrained`
as users load the real one. A 17-frame 64x64 clip takes seconds on a CPU; the frames are noise.
"""

from __future__ import annotations

from pathlib import Path

import torch
from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanImageToVideoPipeline, WanTransformer3DModel
from transformers import UMT5Config, UMT5EncoderModel

from tiny_flux import tiny_t5_config, train_t5_tokenizer


def build_tiny_wan(folder: Path) -> Path:
    tokenizer = train_t5_tokenizer()
    torch.manual_seed(0)
    text_encoder = UMT5EncoderModel(
        tiny_t5_config(tokenizer, UMT5Config)
    )
    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=36,  # noise, the first frame's latent and its mask
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    pipe = WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        transformer=transformer,
    )
    pipe.save_pretrained(folder)
    return Path(folder)
