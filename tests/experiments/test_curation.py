"""chasm.experiments.curation: re-timing inference rewrites only the timing columns."""

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
from chasm.experiments import curation
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


def test_retime_inference_rewrites_only_timings(tmp_path, out, monkeypatch):
    runs = profiles.plan(profiles.load_profiles(write_profile(tmp_path, TINY))["tiny"], repeat=1)
    monkeypatch.setattr(sweep, "prove", fake_prove)
    monkeypatch.setattr(memory_guard, "layout_rows", fake_rows)
    sweep.run_sweep(runs, out=out, profile_name="tiny", max_mem_bytes=2**40, threads=1, progress=False)
    before = data.load_table(out)
    tag = before["hardware_tag"].iloc[0]
    assert curation.retime_inference(out, tag, {"tiny"}, progress=False) == 2
    after = data.load_table(out)
    assert (after["infer_s"] < 0.1).all() and after["infer_date_utc"].notna().all()  # real tiny MLP: << 1 s
    untouched = [c for c in before.columns if c not in ("infer_s", "infer_reps", "torch_threads", "infer_date_utc")]
    assert before[untouched].equals(after[untouched])
