"""chasm.experiments.inference: inference timings are valid rows; a missing GPU is a clear error."""

from __future__ import annotations

import shutil
import pytest

from chasm.core import constants
from chasm.core import data
from chasm.core import paths
from chasm.experiments import inference
from chasm.experiments import sweep


SCHEMA = paths.measurements_dir() / "proofs.schema.yaml"


@pytest.fixture()
def out(tmp_path):
    target = tmp_path / "proofs.csv"
    shutil.copy(SCHEMA, data.schema_path(target))
    return target


def test_inference_timing_records_match_schema(tmp_path):
    out = tmp_path / "inference.csv"
    shutil.copy(data.schema_path(paths.data_dir() / constants.INFERENCE), data.schema_path(out))
    records = inference.measure("cpu", [(16, 2, 4, 1)], repetitions=2, dtype="float32")
    data.append_rows(out, records)
    table = data.load_table(out)
    assert len(table) == 2 and (table["infer_s"] > 0).all() and (table["infer_reps"] >= 10).all()


def test_cuda_request_without_gpu_is_a_clear_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    assert sweep.main(["--profile", "quick", "--device", "cuda", "--dry-run"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
