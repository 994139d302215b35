"""A tiny random FLUX.1 pipeline, built here from nothing, for tests that must not download weights.

It has the real architecture at toy sizes (the config follows diffusers' own Flux pipeline tests)
and real tokenizers trained here on a small English corpus, so prompts tokenize to plausible lengths.
It is saved with `save_pretrained` and loads through the same `FluxPipeline.from_pretrained(folder)`
users run. The VAE downsamples 8x like the real one, so sizes obey the same multiple-of-16 rule, and a
64x64 render takes a fraction of a second on a CPU. The pictures are noise: only shapes, plumbing,
seeds and token counts are meaningful.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel
from pydoc_data.topics import topics as python_help_topics
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer, T5Config, T5EncoderModel, T5Tokenizer

# The sort of English image prompts are made of, so common prompt words become single tokens.
PROMPT_CORPUS = """\
A cinematic photo of a small orange tabby cat wearing a red cape and a black mask.
The cat leaps through the air with its paws stretched out and its claws bared.
A giant ball of pink yarn looms over the living room like a monster from an old movie.
A golden retriever in a tiny business suit sits behind a desk covered with paperwork.
A grumpy old man feeds pigeons in a park while a squirrel steals his sandwich.
A superhero poster from the nineteen eighties with bold red and blue colours.
A dramatic action film still, low angle wide shot, hard rim light and deep shadows.
A Pixar style 3D render of a hamster driving a tiny race car across a kitchen table.
A comic book panel with thick ink lines, halftone dots and a bright yellow sky.
A watercolour illustration of a cozy cottage in the woods at sunset, soft warm light.
A knight in shining armour bravely faces a very small and very angry goose.
A wide shot of a crowded city street at night, neon signs reflected in the rain.
A portrait of a woman with curly hair laughing, shallow depth of field, 85mm lens.
A close up of a dog with its head out of a car window, ears flapping in the wind.
The goldfish stares in horror from its round bowl on the side table.
A sign that reads "KEEP CALM" hangs crooked above the fireplace.
A banner that says "WELCOME HOME" stretches across the front door of the house.
The scene is lit by a toppled floor lamp, with dust and debris frozen in mid air.
An astronaut floats in space holding a cup of coffee, the Earth glowing behind him.
A medieval painting of a cat judging the people at a royal dinner party.
A film noir detective in a trench coat, black and white, smoke curling in the light.
A chef chases a runaway meatball down a hill in a small Italian village.
Bright saturated colours, electric pinks and deep reds against midnight blue.
Soft natural light through a window, muted pastel palette, calm and quiet mood.
Symmetrical composition, the hero in the left third, the villain filling the right.
A photograph of a birthday party where the cake has come to life and is fleeing.
A tiny dragon sleeps curled up in a teacup on a stack of old books.
A penguin in sunglasses relaxes on a beach chair under a striped umbrella.
A baby elephant tries to hide behind a very thin tree in the savanna.
A robot waters the plants in a greenhouse full of sunflowers and tomatoes.
The crowd gasps as the magician pulls a confused rabbit out of a hat.
Setting: a suburban kitchen in the morning, cereal spilled across the counter.
Lighting: golden hour sunlight, long shadows, lens flare in the corner.
Camera: overhead shot, fisheye lens, shallow focus on the main character.
Composition: diagonal action line, strong contrast between the two figures.
A fierce expression with narrowed eyes, whiskers forward, ready to pounce.
An epic battle between a brave kitten and a vacuum cleaner in a hallway.
A mock heroic oil painting of a pug standing on a sofa like a general.
Everyone in the office is wearing party hats except the very serious cat.
A snowy mountain village with warm windows, a sled, and a dog pulling it.
"""


def corpus() -> list[str]:
    """The training text: the prompt lines, weighted up, and Python's own help pages (plain English, in the stdlib)."""
    return PROMPT_CORPUS.splitlines() * 10 + "\n".join(python_help_topics.values()).splitlines()


CLIP_SPLIT = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


def tiny_t5_config(tokenizer, config_class=T5Config):
    """The tiny T5 text encoder every tiny pipeline here shares (Wan's UMT5 takes the same config)."""
    return config_class(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        feed_forward_proj="gated-gelu",
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )


def build_tiny_flux(folder: Path, *, guidance_embeds: bool = False) -> Path:
    """Build, save and return a tiny FluxPipeline folder that `FluxPipeline.from_pretrained` loads.

    With `guidance_embeds` it is a tiny FLUX.1 [dev] (the artist paints it with dev's 28 steps and
    guidance); without, a tiny [schnell] (4 steps).
    """
    clip_tokenizer = train_clip_tokenizer()
    t5_tokenizer = train_t5_tokenizer()

    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(clip_tokenizer),
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            projection_dim=32,
            max_position_embeddings=77,
            hidden_act="gelu",
            # The pooled output is read at the first end token, found by this id.
            bos_token_id=clip_tokenizer.bos_token_id,
            eos_token_id=clip_tokenizer.eos_token_id,
            pad_token_id=clip_tokenizer.pad_token_id,
        )
    )

    torch.manual_seed(0)
    text_encoder_2 = T5EncoderModel(
        tiny_t5_config(t5_tokenizer)
    )

    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=16,  # 4 latent channels, packed 2x2 by the pipeline
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,  # T5 d_model
        pooled_projection_dim=32,  # CLIP hidden size
        axes_dims_rope=[4, 4, 8],  # sums to attention_head_dim
        guidance_embeds=guidance_embeds,
    )

    torch.manual_seed(0)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        # Four blocks: 8x downsampling, as in FLUX.1's autoencoder.
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(4, 4, 4, 4),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=1,
        sample_size=64,
        use_quant_conv=False,
        use_post_quant_conv=False,
        shift_factor=0.0609,
        scaling_factor=1.5035,
    )

    pipe = FluxPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=clip_tokenizer,
        text_encoder_2=text_encoder_2,
        tokenizer_2=t5_tokenizer,
        transformer=transformer,
    )
    folder = Path(folder)
    pipe.save_pretrained(folder)
    return folder


def train_clip_tokenizer() -> CLIPTokenizer:
    """A byte-level BPE trained the way CLIP's is built (lower case, `</w>` word ends), as a CLIPTokenizer."""
    bpe = Tokenizer(models.BPE(unk_token="<|endoftext|>", end_of_word_suffix="</w>", continuing_subword_prefix=""))
    bpe.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=4000,
        special_tokens=["<|startoftext|>", "<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        end_of_word_suffix="</w>",
        show_progress=False,
    )
    bpe.train_from_iterator(corpus(), trainer)

    trained = json.loads(bpe.to_str())["model"]
    vocab = dict(trained["vocab"])
    # Like CLIP's, every byte exists both inside a word and at its end, so no text is ever unknown.
    for symbol in sorted(pre_tokenizers.ByteLevel.alphabet()):
        for piece in (symbol, symbol + "</w>"):
            vocab.setdefault(piece, len(vocab))
    merges = [tuple(merge) if isinstance(merge, list) else tuple(merge.split(" ")) for merge in trained["merges"]]
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)


def train_t5_tokenizer() -> T5Tokenizer:
    """A Unigram model over SentencePiece-style pieces, as T5's is, wrapped as a T5Tokenizer."""
    unigram = Tokenizer(models.Unigram())
    unigram.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")]
    )
    trainer = trainers.UnigramTrainer(
        vocab_size=4000,
        # T5's ids: <pad> 0, </s> 1, <unk> 2.
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    unigram.train_from_iterator(corpus(), trainer)
    vocab = [(piece, score) for piece, score in json.loads(unigram.to_str())["model"]["vocab"]]
    return T5Tokenizer(vocab=vocab, extra_ids=0, model_max_length=512)


def build_tiny_kontext(folder: Path, flux_folder: Path | None = None) -> Path:
    """Build, save and return a tiny FluxKontextPipeline folder, made from the tiny Flux pipeline's parts.

    The tokenizers, text encoders and VAE are the tiny Flux ones (from `flux_folder` if given, which saves
    training the tokenizers again). The transformer has the same toy shape but, like FLUX.1 Kontext [dev],
    a guidance embedding, so the guidance scale reaches the model as it does with the real weights.
    """
    from diffusers import FluxKontextPipeline

    if flux_folder is None:
        flux_folder = build_tiny_flux(Path(folder).with_name(Path(folder).name + "-flux-parts"))
    flux = FluxPipeline.from_pretrained(flux_folder)
    torch.manual_seed(0)
    transformer = FluxTransformer2DModel.from_config({**flux.transformer.config, "guidance_embeds": True})
    pipe = FluxKontextPipeline(**{**flux.components, "transformer": transformer})
    folder = Path(folder)
    pipe.save_pretrained(folder)
    return folder


def build_random_lora(tiny_flux_dir, path, *, rank: int, seed: int, targets=("to_q", "to_k", "to_v", "to_out.0")):
    """A LoRA file for the tiny transformer, as `sightgag train` writes one, with random (non-zero) weights."""
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    transformer = FluxTransformer2DModel.from_pretrained(tiny_flux_dir, subfolder="transformer")
    torch.manual_seed(seed)
    config = LoraConfig(r=rank, lora_alpha=rank, init_lora_weights="gaussian", target_modules=list(targets))
    transformer.add_adapter(config)
    with torch.no_grad():
        for name, parameter in transformer.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)
    FluxPipeline.save_lora_weights(
        path.parent,
        transformer_lora_layers=get_peft_model_state_dict(transformer),
        transformer_lora_adapter_metadata=transformer.peft_config["default"].to_dict(),
        weight_name=path.name,
    )
    return path


if __name__ == "__main__":  # python tests/tiny_flux.py FOLDER: build one to poke at by hand
    import sys

    print(build_tiny_flux(Path(sys.argv[1])))
