"""chasm.experiments.memory_guard: a run's peak memory estimated from padded rows before it starts."""

from __future__ import annotations

import math
import shutil
import textwrap
import pandas as pd
import pytest

from chasm.core import constants
from chasm.core import data
from chasm.core import ezkl_rules
from chasm.core import paths
from chasm.core import profiles
from chasm.core import specs
from chasm.core.specs import ModelSpec
from chasm.experiments import memory_guard
from chasm.experiments import sweep


SCHEMA = paths.measurements_dir() / "proofs.schema.yaml"


@pytest.fixture()
def out(tmp_path):
    target = tmp_path / "proofs.csv"
    shutil.copy(SCHEMA, data.schema_path(target))
    return target


def write_profile(tmp_path, body: str):
    path = tmp_path / "profiles.yaml"
    path.write_text(textwrap.dedent(body))
    return path


TINY = """
profiles:
  tiny:
    repeat: 2
    groups:
      - family: mlp
        configs:
          - {width: 4, depth: 1}
          - {width: 6, depth: 1}
"""


#: The fake circuits have this many rows per parameter (the TINY models land at 2^16 and 2^17 rows).
ROWS_PER_PARAM = 1000


def fake_rows(spec, scale):
    """Stand-in for memory_guard.layout_rows, consistent with fake_prove."""
    return ROWS_PER_PARAM * specs.parameter_count(spec)


def fake_prove(model, x, *, settings, max_mem_bytes=None, timeout_s=None):
    """A stand-in for chasm.experiments.prove.prove that returns a plausible ok record (peak memory
    1000 bytes per parameter)."""
    from chasm.experiments.models import parameter_count

    n = parameter_count(model)
    rows = ROWS_PER_PARAM * n
    record = {"status": "ok", "params": n, "input_shape": str(list(x.shape)),
              "calibration_target": settings.calibration_target, "visibility": settings.visibility,
              "logrows": ezkl_rules.padded_rows(rows).bit_length() - 1, "num_rows": rows,
              "total_assignments": 2 * rows, "verified": True,
              "prove_threads": settings.threads, "infer_s": 1.0, "infer_reps": 1}
    for i, phase in enumerate(constants.PHASES):
        record[f"{phase}_s"] = 0.01 * (i + 1)
        record[f"{phase}_peak_rss_bytes"] = 1000 * n
    return record


def test_memory_prediction_follows_padded_rows(tmp_path, out, monkeypatch):
    """Memory follows 2^logrows, not the rows a circuit fills: the second TINY model has 1.75x
    the rows of the first but is padded to twice the length, so it is predicted at twice the
    peak; a ceiling between 1.75x and 2x (times the margin) must skip it."""
    runs = profiles.plan(profiles.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=1)
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fake_rows)
    small, large = (specs.parameter_count(r.spec) for r in runs)
    assert (ezkl_rules.padded_rows(fake_rows(runs[0].spec, 7)), ezkl_rules.padded_rows(fake_rows(runs[1].spec, 7))) \
        == (2**16, 2**17)
    assert large / small == pytest.approx(1.75)
    ceiling = int(1000 * small * 1.9)  # above 1.75x the first peak, below the padded prediction 2x
    counts = sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=ceiling, threads=1,
                             progress=False, memory_margin=1.0)
    assert counts == {"skipped_done": 0, "ok": 1, "skipped_memory": 1}
    table = data.load_table(out).set_index("run_id")
    assert "estimated peak memory" in table.loc[runs[1].run_id, "error"]


@pytest.mark.slow
def test_estimated_rows_matches_a_real_layout():
    spec = ModelSpec("mlp", {"width": 8, "depth": 1})
    assert memory_guard.layout_rows(spec, 7) == 476  # ezkl 23.0.5's layout of this circuit (proofs.csv)


def test_predict_log_log_recovers_power_law():
    xs = [10, 100, 1000]
    ys = [3 * x**1.1 for x in xs]
    assert memory_guard.extrapolate_log_log(xs, ys, 10_000) == pytest.approx(3 * 10_000**1.1, rel=1e-9)
    assert memory_guard.extrapolate_log_log([], [], 5) is None
    # a steeper local slope is capped at MAX_SLOPE (noise between nearby sizes)
    steep = [3 * x**2 for x in xs]
    capped = memory_guard.extrapolate_log_log(xs, steep, 10_000)
    assert capped == pytest.approx(steep[-1] * 10 ** memory_guard.MAX_SLOPE, rel=0.05)
    # one point: proportional (memory, cautious) or constant (time estimates)
    assert memory_guard.extrapolate_log_log([10], [5.0], 20) == pytest.approx(10.0)
    assert memory_guard.extrapolate_log_log([10], [5.0], 20, single_point="constant") == pytest.approx(5.0)


def test_extrapolation_drops_unusable_points_and_reads_one_size_by_its_geometric_mean():
    """Points without a positive size and a positive finite value are left out; one distinct size (however
    many runs) gives the geometric mean of its values, scaled by the size ratio or held constant."""
    clean = [10, 100, 1000]
    law = [3 * x**1.1 for x in clean]
    xs = clean + [0, -5, 50, 60, 70, 80]
    ys = law + [7.0, 7.0, 0.0, -1.0, float("nan"), float("inf")]
    assert memory_guard.extrapolate_log_log(xs, ys, 10_000) == pytest.approx(3 * 10_000**1.1, rel=1e-9)
    assert memory_guard.extrapolate_log_log([0, 50, 60], [7.0, 0.0, float("nan")], 100) is None
    assert memory_guard.extrapolate_log_log([10, 10], [4.0, 9.0], 30) == pytest.approx(18.0, rel=1e-12)
    assert memory_guard.extrapolate_log_log([10, 10], [4.0, 9.0], 30, single_point="constant") \
        == pytest.approx(6.0, rel=1e-12)


def _line_at_largest(xs, ys):
    """Least-squares line through (log x, log y), by the textbook formulas: (slope, its value at the largest x)."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    slope = sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)
    return slope, math.exp(my + slope * (max(lx) - mx))


def test_extrapolation_goes_from_the_fitted_largest_size_with_a_bounded_slope():
    """Beyond the largest earlier size the slope is the fitted one held within [min_slope, MAX_SLOPE], applied
    from the line's value at the largest size (not from the last observation)."""
    xs = [1.0, 2.0, 4.0, 8.0]
    steep = [1.0, 3.5, 17.0, 60.0]  # not on a line: the fitted value at 8 is not 60
    slope, at_largest = _line_at_largest(xs, steep)
    assert slope > memory_guard.MAX_SLOPE and at_largest != pytest.approx(60.0, rel=1e-3)
    assert memory_guard.extrapolate_log_log(xs, steep, 64.0) == pytest.approx(
        at_largest * 8.0**memory_guard.MAX_SLOPE, rel=1e-9)
    gentle = [2.0, 2.9, 3.9, 6.1]
    slope, at_largest = _line_at_largest(xs, gentle)
    assert 0.0 < slope < 1.0
    assert memory_guard.extrapolate_log_log(xs, gentle, 64.0) == pytest.approx(at_largest * 8.0**slope, rel=1e-9)
    assert memory_guard.extrapolate_log_log(xs, gentle, 64.0, min_slope=1.0) == pytest.approx(at_largest * 8.0,
                                                                                             rel=1e-9)
    falling = [8.0, 6.0, 4.5, 4.0]
    _, at_largest = _line_at_largest(xs, falling)
    assert memory_guard.extrapolate_log_log(xs, falling, 64.0) == pytest.approx(at_largest, rel=1e-9)


def _runs(*rows):
    """A table of proving runs with the columns memory_guard reads; each row's phases all take 1 s and peak at
    its ``peak`` except ``prove``, which takes 2 s and peaks at twice that."""
    records = []
    for run_id, tag, family, status, params, logrows, peak, error in rows:
        rec = {"run_id": run_id, "hardware_tag": tag, "family": family, "status": status, "params": params,
               "logrows": logrows, "error": error}
        for phase in constants.PHASES:
            rec[f"{phase}_s"] = 2.0 if phase == "prove" else 1.0
            rec[f"{phase}_peak_rss_bytes"] = 2 * peak if phase == "prove" else peak
        records.append(rec)
    return pd.DataFrame(records)


MAX_MEM = "resident memory 9.00 GiB exceeded --max-mem 8.00 GiB"
TABLE = _runs(
    ("small", "here", "mlp", "ok", 10, 15, 100.0, None),
    ("large", "here", "mlp", "ok", 20, 16, 150.0, None),
    ("elsewhere", "there", "mlp", "ok", 40, 17, 900.0, None),
    ("other-family", "here", "cnn", "ok", 40, 17, 900.0, None),
    ("failed", "here", "mlp", "failed", 40, 17, 900.0, "ezkl error"),
    ("killed-mem", "here", "mlp", "killed", 30, 17, 900.0, MAX_MEM),
    ("killed-time", "here", "mlp", "killed", 25, 17, 900.0, "timeout after 60 s"),
    ("killed-mem-cnn", "here", "cnn", "killed", 5, 15, 900.0, MAX_MEM),
    ("killed-mem-there", "there", "mlp", "killed", 5, 15, 900.0, MAX_MEM),
)


def test_history_and_memory_failures_are_of_one_family_on_one_machine():
    n_phases = len(constants.PHASES)
    assert memory_guard.history(TABLE, "here", "mlp") == (
        [10, 20], [200.0, 300.0], [n_phases + 1.0] * 2, [2.0**15, 2.0**16])
    assert memory_guard.history(TABLE, "nowhere", "mlp") == ([], [], [], [])
    assert memory_guard.history(None, "here", "mlp") == ([], [], [], [])
    assert memory_guard.history(TABLE.iloc[:0], "here", "mlp") == ([], [], [], [])
    assert memory_guard.memory_failures(TABLE, "here", "mlp") == [(30, "killed-mem")]
    assert memory_guard.memory_failures(TABLE, "there", "mlp") == [(5, "killed-mem-there")]
    assert memory_guard.memory_failures(None, "here", "mlp") == []
    assert memory_guard.memory_failures(TABLE.iloc[:0], "here", "mlp") == []


def test_estimated_peak_follows_the_padded_rows_with_a_slope_of_at_least_one(monkeypatch):
    """The family's runs on this machine peak at 200 and 300 bytes at 2^15 and 2^16 padded rows (slope
    log2 1.5 < 1): a circuit of 200,000 rows, padded to 2^18, is estimated at 300 x 4 (slope 1, from 2^16)."""
    monkeypatch.setattr(memory_guard, "layout_rows", lambda spec, scale: 200_000)
    mlp = ModelSpec("mlp", {"width": 8, "depth": 1})
    assert memory_guard.estimate_peak_bytes(TABLE, "here", mlp, 7) == pytest.approx(1200.0, rel=1e-9)
    assert memory_guard.estimate_peak_bytes(TABLE, "nowhere", mlp, 7) is None
    assert memory_guard.estimate_peak_bytes(None, "here", mlp, 7) is None


def test_load_if_present(tmp_path, out):
    assert memory_guard.load_if_present(tmp_path / "absent.csv") is None
    out.write_text(",".join(data.read_schema(SCHEMA).names) + "\n")
    assert memory_guard.load_if_present(out).empty


def test_history_and_memory_failures_are_of_one_prover():
    """With a ``prover`` column, each prover's runs inform only its own estimates; rows without a prover
    are ezkl's (tables written before the column existed)."""
    other = _runs(("js-ok", "here", "mlp", "ok", 50, 18, 5000.0, None),
                  ("js-killed", "here", "mlp", "killed", 8, 15, 900.0, MAX_MEM))
    table = pd.concat([TABLE.assign(prover=None), other.assign(prover="jstprove")], ignore_index=True)
    assert memory_guard.history(table, "here", "mlp")[0] == [10, 20]
    assert memory_guard.history(table, "here", "mlp", "jstprove")[:2] == ([50], [10000.0])
    assert memory_guard.memory_failures(table, "here", "mlp") == [(30, "killed-mem")]
    assert memory_guard.memory_failures(table, "here", "mlp", "jstprove") == [(8, "js-killed")]
