"""Prompt templates, kept as data files beside this module."""

from __future__ import annotations

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent


def load_prompt(name: str) -> str:
    """The text of prompts/<name>.txt; a clear error naming the missing file."""
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"Prompt '{name}' not found: expected the file {path}")
    return path.read_text(encoding="utf-8")
