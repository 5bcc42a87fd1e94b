"""The prover interface: one way to check, prove and name either proof system.

Two implementations, the same contract: :func:`prove` takes a torch model and its input and returns
one record with the columns of ``data/measurements/proofs.schema.yaml`` (phase wall times in seconds,
per-phase peak memory in bytes, artefact sizes in bytes, verification, quantisation error against the
float model, inference time, ``prover`` and ``prover_version``), made in a child process under a
memory ceiling and a time limit, never raising for a failure inside the pipeline.

- ``ezkl`` (halo2, PLONKish arithmetisation, KZG commitments): :mod:`chasm.experiments.prove` through
  :mod:`chasm.experiments.ezkl_gateway`;
- ``jstprove`` (GKR/sum-check, Remainder, Ligero commitments): :mod:`chasm.experiments.jstprove_gateway`.

:func:`check_model` refuses, before anything expensive, a model with an ONNX operator the prover cannot
prove (:class:`~chasm.experiments.ezkl_gateway.UnsupportedOpError`, naming it).
"""

from __future__ import annotations

from chasm.core.profiles import PROVERS
from chasm.experiments import ezkl_gateway, jstprove_gateway
from chasm.experiments import prove as ezkl_prove
from chasm.experiments.ezkl_gateway import UnsupportedOpError

__all__ = ["PROVERS", "UnsupportedOpError", "check_prover", "version", "visibility", "check_model", "prove"]


def check_prover(prover: str) -> str:
    """``prover`` itself if it is one of :data:`PROVERS`, else a ``ValueError`` naming the known ones."""
    if prover not in PROVERS:
        raise ValueError(f"unknown prover {prover!r}; known: {', '.join(PROVERS)}")
    return prover


def version(prover: str) -> str:
    """The installed version of ``prover`` (JSTprove: raises
    :class:`~chasm.experiments.jstprove_gateway.JstproveUnavailableError` when its environment is missing)."""
    check_prover(prover)
    return ezkl_gateway.installed_version() if prover == "ezkl" else jstprove_gateway.version()


def visibility(prover: str) -> str:
    """What a proof by ``prover`` with this project's default settings makes public, as its rows'
    ``visibility`` column spells it."""
    check_prover(prover)
    return ezkl_prove.ProveSettings().visibility if prover == "ezkl" else jstprove_gateway.VISIBILITY


def check_model(prover: str, model, x) -> None:
    """Raise :class:`UnsupportedOpError` if ``prover`` cannot prove ``model`` at input ``x``."""
    check_prover(prover)
    (ezkl_prove.check_model if prover == "ezkl" else jstprove_gateway.check_model)(model, x)


def prove(prover: str, model, x, *, threads: int = 1, max_mem_bytes: int | None = None,
          timeout_s: float | None = None, infer_device: str = "cpu", calibration_target: str = "resources",
          scale: int | None = None, keep: bool = False, workdir=None) -> dict:
    """One proof of ``model(x)`` by ``prover`` in a child process: the record described above.

    ``threads`` are the prover's (``RAYON_NUM_THREADS``) and torch's; ``calibration_target`` and ``scale``
    (bits) apply to ezkl only (JSTprove quantises at a fixed 2^18, and its rows say ``fixed``)."""
    check_prover(prover)
    if prover == "jstprove":
        return jstprove_gateway.prove(model, x, threads=threads, max_mem_bytes=max_mem_bytes, timeout_s=timeout_s,
                                      infer_device=infer_device, keep=keep, workdir=workdir)
    settings = ezkl_prove.ProveSettings(calibration_target=calibration_target, threads=threads,
                                        infer_device=infer_device,
                                        **({"scale": scale} if scale is not None else {}))
    return ezkl_prove.prove(model, x, settings=settings, max_mem_bytes=max_mem_bytes, timeout_s=timeout_s,
                            keep=keep, workdir=workdir)
