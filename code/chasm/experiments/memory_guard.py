"""Will a run fit in memory? Estimates a proof's peak memory before it starts, from earlier runs.

The sweep records ``status='skipped_memory'`` instead of starting a run whose estimated peak memory,
times a safety factor (``--memory-margin``), exceeds ``--max-mem``. The estimate is a least-squares line
in log-log space of the peak memory of the family's earlier runs on this machine against their *padded*
rows ``2**logrows`` (the proving key and every committed polynomial have that length, whatever part of
it the circuit fills), extrapolated from the largest earlier circuit with a slope of at least 1: a
transformer of 266,442 rows is padded to 2^19 and needs twice the memory of one of 198,737 rows at 2^18,
not 1.34 times. A run's padded rows are known before it runs from ezkl's layout
(:func:`layout_rows`, seconds, no proof) and ezkl's logrows rule.

These are estimates for scheduling only, without intervals; nothing here feeds the book's laws.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from chasm.core import data
from chasm.core.constants import phase_columns
from chasm.core.ezkl_rules import padded_rows
from chasm.core.runs import peak_rss_bytes
from chasm.core.specs import ModelSpec

__all__ = ["MEMORY_MARGIN", "MAX_SLOPE", "extrapolate_log_log", "history", "memory_failures", "layout_rows",
           "estimate_peak_bytes", "load_if_present"]

#: Default safety factor on the estimated peak memory before comparing with --max-mem (``--memory-margin``).
MEMORY_MARGIN = 1.25
#: Cap on the log-log slope used for extrapolation: circuit rows grow at most linearly in parameters
#: for these families, so steeper local slopes between nearby sizes are noise.
MAX_SLOPE = 1.25


def extrapolate_log_log(xs: list[float], ys: list[float], x_new: float, single_point: str = "proportional",
                        min_slope: float = 0.0) -> float | None:
    """``y`` at ``x_new`` from a least-squares line through ``(log x, log y)``.

    With one distinct earlier ``x``, assume ``y`` proportional to ``x`` (``single_point="proportional"``,
    the cautious choice for memory) or constant (``"constant"``, for time estimates); with none, return
    ``None``. Beyond the largest earlier ``x`` the slope is kept within ``[min_slope, MAX_SLOPE]``.
    """
    pts = [(x, y) for x, y in zip(xs, ys) if x > 0 and y > 0 and math.isfinite(y)]
    if not pts:
        return None
    lx, ly = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
    if len(set(lx)) < 2:
        scale = x_new / np.exp(lx.mean()) if single_point == "proportional" else 1.0
        return float(np.exp(ly.mean()) * scale)
    slope, intercept = np.polyfit(lx, ly, 1)
    anchor = lx.max()  # extrapolate from the fitted value at the largest size, with a bounded slope
    capped = min(max(slope, min_slope), MAX_SLOPE)
    return float(np.exp(intercept + slope * anchor + capped * (math.log(x_new) - anchor)))


def _of_prover(table: pd.DataFrame, prover: str) -> pd.Series:
    """Which rows were made by ``prover`` (rows without a ``prover`` are ezkl's)."""
    column = table["prover"] if "prover" in table.columns else pd.Series("ezkl", index=table.index)
    return column.fillna("ezkl") == prover


def history(table: pd.DataFrame | None, tag: str, family: str, prover: str = "ezkl") -> tuple[list, list, list, list]:
    """``(params, peak bytes, total seconds, padded rows 2**logrows)`` of the earlier ok runs of a family
    by ``prover`` on machine ``tag`` in ``table`` (the proving runs; ``None`` when there are none yet)."""
    if table is None or table.empty:
        return [], [], [], []
    t = table[(table["hardware_tag"] == tag) & (table["family"] == family) & (table["status"] == "ok")
              & _of_prover(table, prover)]
    secs = t[phase_columns("_s")].sum(axis=1)
    return list(t["params"]), list(peak_rss_bytes(t)), list(secs), [2.0 ** k for k in t["logrows"]]


def memory_failures(table: pd.DataFrame | None, tag: str, family: str, prover: str = "ezkl") -> list[tuple[int, str]]:
    """``(params, run_id)`` of this family's runs by ``prover`` on machine ``tag`` killed for crossing
    --max-mem."""
    if table is None or table.empty:
        return []
    t = table[(table["hardware_tag"] == tag) & (table["family"] == family) & (table["status"] == "killed")
              & table["error"].fillna("").str.contains("max-mem") & _of_prover(table, prover)]
    return list(zip(t["params"], t["run_id"]))


_ROWS_CACHE: dict[tuple[str, int], int] = {}


def layout_rows(spec: ModelSpec, scale: int) -> int:
    """Circuit rows ezkl lays out for ``spec`` at ``scale`` before calibration (seconds, no proof).

    Used only to estimate a run's memory; the recorded rows are always those of the calibrated circuit.
    """
    key = (spec.config_id, scale)
    if key not in _ROWS_CACHE:
        from chasm.experiments import ezkl_gateway as gw
        from chasm.experiments.models import build

        model, x = build(spec)
        with tempfile.TemporaryDirectory(prefix="chasm-rows-") as tmp:
            gw.export_onnx(model, x, Path(tmp) / "m.onnx")
            with gw.quiet():
                settings = gw.lay_out(Path(tmp) / "m.onnx", Path(tmp) / "s.json", gw.run_args(scale=scale))
            _ROWS_CACHE[key] = int(settings["num_rows"])
    return _ROWS_CACHE[key]


def estimate_peak_bytes(table: pd.DataFrame | None, tag: str, spec: ModelSpec, scale: int) -> float | None:
    """Estimated peak memory (bytes) of proving ``spec`` at ``scale`` on machine ``tag``, from the family's
    earlier runs in ``table``; ``None`` when the family has none."""
    _, peaks, _, rows = history(table, tag, spec.family)
    if not rows:
        return None
    return extrapolate_log_log(rows, peaks, padded_rows(layout_rows(spec, scale)), min_slope=1.0)


def load_if_present(out: Path) -> pd.DataFrame | None:
    """The table at ``out`` (schema-checked), or ``None`` if there is none yet."""
    return data.load_table(out) if Path(out).exists() else None

