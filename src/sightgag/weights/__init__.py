"""FLUX.1 weights on this machine: where they are, which preset they run with, how they fit.

A lower room than artist/ and subjects/: painting (artist/flux.py, artist/kontext.py) and LoRA
training (subjects/training.py) both load FLUX.1 weights, so what they share lives here, and neither
reaches into the other.

- source.py: a model spec as a Hub repo or a folder, its preset, whether its weights are on disk.
- device.py: the device and dtype to run on, and the quantization asked for.
- memory.py: the memory plan (precision, quantization, offload) chosen from the GPU's free memory.
"""
