"""Facts about the machine and software that produced a measurement or a build.

:func:`machine` is attached to every measured row; :func:`pinned_versions`
feeds the book's provenance page.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata as md
import os
import platform
import re
import subprocess
from pathlib import Path

import psutil

from chasm.core import paths

__all__ = ["cpu_model", "git_commit", "package_version", "machine", "utc_now", "pinned_versions", "mismatched_pins"]


def cpu_model() -> str:
    """The CPU's marketing name from ``/proc/cpuinfo`` (or ``platform``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(root: Path | None = None) -> str:
    """The repository's HEAD commit, with ``+dirty`` if code/ has local changes."""
    root = root or paths.repo_root()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "code"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def package_version(name: str) -> str:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "not installed"


def machine() -> dict:
    """Provenance fields shared by every measured row (see the schema)."""
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count() or 0,
        "ram_bytes": int(psutil.virtual_memory().total),
        "os": f"{platform.system()} {platform.release()}",
        "python_version": platform.python_version(),
        "ezkl_version": package_version("ezkl"),
        "torch_version": package_version("torch"),
        "git_commit": git_commit(),
        "hardware_tag": os.environ.get("CHASM_HARDWARE_TAG", f"cpu{os.cpu_count()}-{round(psutil.virtual_memory().total / 2**30)}gib"),
    }


def utc_now() -> str:
    """Current UTC time, ISO 8601, seconds precision."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def pinned_versions(requirements: Path | None = None) -> list[dict]:
    """Each pin in ``requirements.txt`` beside the version actually installed."""
    requirements = requirements or paths.repo_root() / "requirements.txt"
    rows = []
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", line)
        if not m:
            continue
        name, pinned = m.groups()
        installed = package_version(name)
        rows.append({
            "package": name,
            "pinned": pinned,
            "installed": installed,
            "matches": installed.split("+")[0] == pinned.split("+")[0],
        })
    return rows


def mismatched_pins(rows: list[dict] | None = None) -> list[str]:
    """Packages whose installed version differs from their pin (:func:`pinned_versions`)."""
    rows = pinned_versions() if rows is None else rows
    return [r["package"] for r in rows if not r["matches"]]
