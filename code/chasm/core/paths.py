"""Filesystem locations used across the package.

The repository root is found from this file's location (``code/chasm/core`` sits three
levels below it), and can be overridden with the ``CHASM_ROOT`` environment
variable, which the tests use to work on throw-away copies of ``data/``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "data_dir", "measurements_dir", "article_path", "cache_dir"]


def repo_root() -> Path:
    """The compendium's root folder (the one holding ``_config.yml``)."""
    override = os.environ.get("CHASM_ROOT")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    """``data/``: the contract between experiments and chapters."""
    return repo_root() / "data"


def measurements_dir() -> Path:
    """``data/measurements/``: committed results of sweeps."""
    return data_dir() / "measurements"


def article_path() -> Path:
    """The article under test, kept outside the repository in ``../shared``."""
    override = os.environ.get("CHASM_ARTICLE")
    if override:
        return Path(override)
    return repo_root().parent / "shared" / "article" / "000_014e28a54d8c4a5b.txt"


def cache_dir() -> Path:
    """Per-user cache for large regenerable files (SRS, proving keys).

    ``CHASM_CACHE`` overrides; default ``~/.cache/chasm``.
    """
    override = os.environ.get("CHASM_CACHE")
    base = Path(override) if override else Path.home() / ".cache" / "chasm"
    base.mkdir(parents=True, exist_ok=True)
    return base
