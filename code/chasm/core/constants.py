"""The compendium's shared vocabulary: table names, proof phases, model families and thresholds.

Every module that needs one of these imports it from here, so each has one definition.
Table names are relative to ``data/`` (:func:`chasm.core.paths.data_dir`).
"""

from __future__ import annotations

__all__ = [
    "PROOFS", "LAYOUTS", "INFERENCE", "OVERHEAD", "CIRCUIT_CONSTANTS", "LINKING", "EXTRAPOLATION_COVERAGE", "CLAIMS", "ARCHITECTURES", "QUERY", "LITERATURE", "SWEEP_PROFILES",
    "PHASES", "FAMILIES", "DEFAULT_SCALE", "FAMILY_SCALES", "CONTENTION_LIMIT", "CONFIG_KEYS", "phase_columns",
]

#: Proving runs, one row per proof attempt (``python -m chasm sweep``).
PROOFS = "measurements/proofs.csv"
#: Circuit layouts ezkl reports without proving (``python -m chasm layouts``).
LAYOUTS = "measurements/layouts.csv"
#: Torch forward-pass timings without proofs (``python -m chasm infer``).
INFERENCE = "measurements/inference.csv"
#: The harness's cost against bare ezkl calls (``python -m chasm overhead``).
OVERHEAD = "measurements/overhead.csv"
#: Prover constants read from the circuits ezkl builds (``python -m chasm.experiments.circuit_constants``).
CIRCUIT_CONSTANTS = "measurements/circuit_constants.csv"
#: Linked chains of chunk proofs (``python -m chasm.experiments.linking``).
LINKING = "measurements/linking.csv"
#: Coverage of the laws' intervals far beyond the data, simulated (``python -m chasm extrapolation``).
EXTRAPOLATION_COVERAGE = "simulations/extrapolation_coverage.csv"
#: The article's quantitative claims.
CLAIMS = "claims.csv"
#: Frontier model shapes (Llama 3.1).
ARCHITECTURES = "architectures.csv"
#: The query a frontier model answers (prompt and generated tokens).
QUERY = "query.csv"
#: The published record of zkML proving costs (chasm.core.literature).
LITERATURE = "literature.csv"
#: Sizes and repetitions of each sweep profile (YAML, not a table).
SWEEP_PROFILES = "sweep_profiles.yaml"

#: The phases of one proof, in order (each has ``<phase>_s`` and ``<phase>_peak_rss_bytes`` columns).
PHASES = ("export", "settings", "calibrate", "compile", "srs", "setup", "witness", "prove", "verify")

#: Model families of the proving experiments.
FAMILIES = ("mlp", "cnn", "transformer")

#: ezkl's fixed-point scale (log2 of the multiplier of inputs and parameters) used by every experiment
#: unless it says otherwise.
DEFAULT_SCALE = 7

#: Fixed-point scale per family, fixed so that a sweep measures model size and not calibration's choice
#: of precision.
FAMILY_SCALES = {"mlp": DEFAULT_SCALE, "cnn": DEFAULT_SCALE, "transformer": DEFAULT_SCALE}

#: A run is *contended* when other processes used more than this share of the machine's CPU during it
#: (``other_cpu_frac``); its timings are not used by the laws, its memory and sizes are.
CONTENTION_LIMIT = 0.10

#: Columns that identify one configuration of the proving runs (its repetitions share them).
CONFIG_KEYS = ("hardware_tag", "family", "config_id", "calibration_target", "input_scale")


def phase_columns(suffix: str) -> list[str]:
    """``<phase><suffix>`` for every phase, e.g. ``phase_columns("_peak_rss_bytes")``."""
    return [f"{p}{suffix}" for p in PHASES]
