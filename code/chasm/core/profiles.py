"""Sweep profiles (``data/sweep_profiles.yaml``) and the runs they schedule, without torch.

A profile lists groups of model configurations of one family, optionally with calibration targets
and fixed-point scales, and a number of repetitions. :func:`plan` expands it into :class:`Run` objects,
smallest model first; a run's ``run_id`` keys it in ``data/measurements/proofs.csv``, so a resumed
sweep can tell what is done. The sweep itself is :mod:`chasm.experiments.sweep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from chasm.core import paths
from chasm.core.constants import FAMILY_SCALES, SWEEP_PROFILES
from chasm.core.specs import ModelConfigError, ModelSpec, parameter_count

__all__ = ["PROVERS", "SweepConfigError", "Run", "load_profiles", "plan"]

#: The proof systems a profile may name (group key ``provers``; default ``[ezkl]``).
PROVERS = ("ezkl", "jstprove")


class SweepConfigError(ValueError):
    """A sweep profile file or command-line option is malformed."""


@dataclass(frozen=True)
class Run:
    """One scheduled proof: a model, how to prove it, and its repetition index."""

    spec: ModelSpec
    calibration_target: str
    scale: int
    repetition: int
    #: Prover threads pinned by the profile (its group's ``threads`` list); ``None``: the sweep's
    #: ``--threads`` (default: every CPU of the machine). A pinned count is part of the ``run_id``.
    threads: int | None = None
    #: The prover named by the profile's group (``provers``, from :data:`PROVERS`); ``None``: ezkl, in a
    #: profile that names no prover. A run whose prover is named is ``<config_id>-<prover>-r<repetition>``
    #: (JSTprove has no calibration target or scale to vary), so a comparison of provers never reuses
    #: the ids of the ezkl-only profiles.
    named_prover: str | None = None

    @property
    def prover(self) -> str:
        """The proof system that proves this run (``ezkl`` unless the profile names another)."""
        return self.named_prover or "ezkl"

    @property
    def run_id(self) -> str:
        if self.named_prover is None:
            base = f"{self.spec.config_id}-{self.calibration_target[:3]}-s{self.scale}-r{self.repetition}"
        else:
            base = f"{self.spec.config_id}-{self.prover}-r{self.repetition}"
        return base if self.threads is None else f"{base}-t{self.threads}"


def load_profiles(path: Path | None = None) -> dict:
    """Read and check the sweep profile file; raise :class:`SweepConfigError` if malformed."""
    path = path or paths.data_dir() / SWEEP_PROFILES
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise SweepConfigError(f"sweep profile file {path} is missing") from None
    except yaml.YAMLError as exc:
        raise SweepConfigError(f"sweep profile file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("profiles"), dict):
        raise SweepConfigError(f"{path}: expected a top-level 'profiles' mapping")
    for name, prof in raw["profiles"].items():
        where = f"{path}: profile {name!r}"
        if not isinstance(prof, dict) or not isinstance(prof.get("groups"), list) or not prof["groups"]:
            raise SweepConfigError(f"{where} needs a non-empty 'groups' list")
        rep = prof.get("repeat", 1)
        if not isinstance(rep, int) or rep < 1:
            raise SweepConfigError(f"{where}: 'repeat' must be a positive integer, got {rep!r}")
        for i, group in enumerate(prof["groups"]):
            gwhere = f"{where} group #{i + 1}"
            if not isinstance(group, dict) or "family" not in group or not isinstance(group.get("configs"), list):
                raise SweepConfigError(f"{gwhere} needs 'family' and a 'configs' list")
            unknown = set(group) - {"family", "configs", "calibration_targets", "scales", "threads", "provers"}
            if unknown:
                raise SweepConfigError(f"{gwhere} has unknown keys {sorted(unknown)}")
            for config in group["configs"]:
                if not isinstance(config, dict):
                    raise SweepConfigError(f"{gwhere}: each config must be a mapping, got {config!r}")
                try:
                    ModelSpec(group["family"], dict(config))
                except ModelConfigError as exc:
                    raise SweepConfigError(f"{gwhere}: {exc}") from None
            for target in group.get("calibration_targets", ["resources"]):
                if target not in ("resources", "accuracy"):
                    raise SweepConfigError(f"{gwhere}: calibration target {target!r} is not resources/accuracy")
            for scale in group.get("scales", []):
                if not isinstance(scale, int) or not 0 <= scale <= 20:
                    raise SweepConfigError(f"{gwhere}: scale {scale!r} must be an integer in 0..20")
            for prover in group.get("provers", []):
                if prover not in PROVERS:
                    raise SweepConfigError(f"{gwhere}: prover {prover!r} is not one of {', '.join(PROVERS)}")
            for n in group.get("threads", []):
                if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                    raise SweepConfigError(f"{gwhere}: threads {n!r} must be a positive integer")
    return raw["profiles"]


def plan(profile: dict, repeat: int | None = None) -> list[Run]:
    """All runs of a profile, smallest model first, repetitions interleaved last (and, within a
    repetition, a group's pinned thread counts and its provers one after the other, so that slow drifts
    of the machine affect each alike). A prover other than ezkl is run once per configuration and
    repetition (it has no calibration target or scale to vary)."""
    repeat = repeat or profile.get("repeat", 1)
    runs = []
    for group in profile["groups"]:
        for config in group["configs"]:
            spec = ModelSpec(group["family"], dict(config))
            for target in group.get("calibration_targets", ["resources"]):
                for scale in group.get("scales", [FAMILY_SCALES[spec.family]]):
                    for rep in range(repeat):
                        for n in group.get("threads", [None]):
                            for prover in group.get("provers", [None]):
                                runs.append(Run(spec, target, scale, rep, n, prover))
    runs = list({r.run_id: r for r in runs}.values())
    params = {r.spec.config_id: parameter_count(r.spec) for r in runs}
    return sorted(runs, key=lambda r: (params[r.spec.config_id], r.spec.family, r.calibration_target,
                                       r.scale, r.repetition, r.threads or 0, PROVERS.index(r.prover)))
