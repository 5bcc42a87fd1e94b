"""chasm.experiments.memory_guard: a run's peak memory estimated from padded rows before it starts."""

from __future__ import annotations

import shutil
import textwrap
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
