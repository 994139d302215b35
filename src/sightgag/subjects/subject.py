"""A personal subject: someone or something of the user's that every gag must keep recognisable."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class Subject(BaseModel):
    """What the writer and the artist know of one subject.

    Likeness comes in three levels, best first: a LoRA fine-tuned on the photos (`lora`), a reference
    photo for FLUX.1 Kontext (`photos[0]`), and described traits. Each artist uses the best it can.
    """

    name: str = Field(min_length=1, max_length=80)
    kind: str = Field(default="", max_length=40, description="cat, dog, person, ...")
    traits: list[str] = Field(default_factory=list, description="what makes it recognisable: 'orange tabby', 'one white paw'")
    aliases: list[str] = Field(default_factory=list)
    photos: list[Path] = Field(default_factory=list)
    lora: Path | None = None
    lora_base: str | None = Field(default=None, description="the FLUX.1 weights the LoRA was trained on: a Hub repo id or a folder")
    trigger: str | None = None

    def profile(self) -> str:
        """One line for the writer's brief."""
        parts = [self.name]
        if self.kind:
            parts.append(f"({self.kind})")
        if self.aliases:
            parts.append(f"also called {', '.join(self.aliases)}")
        line = " ".join(parts)
        if self.traits:
            line += ": " + "; ".join(self.traits)
        return line
