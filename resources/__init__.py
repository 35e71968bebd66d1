"""Bundled files: weights with their model card, the demo recording, icons.

Located through `importlib.resources` so a source checkout, a wheel and a frozen app
all find them the same way.
"""

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. resource_path("weights", "sdreamer-seq.safetensors")."""
    return Path(str(files(__name__).joinpath(*parts)))
