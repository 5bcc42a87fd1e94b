"""``python -m chasm predict`` (chasm.laws.predict): predictions with units and intervals, refusals that say why."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import numpy as np
import pytest

from chasm.core import data
from chasm.core import paths
from chasm.laws import coverage
from chasm.laws import choice
from chasm.laws import estimation
from chasm.laws import predict
from chasm.laws import rules
from chasm.laws import selection


def copy_prover_constants(target):
    """The cost model's law (a candidate) reads the prover constants of the real circuits."""
    for name in ("circuit_constants.csv", "circuit_constants.schema.yaml"):
        shutil.copy(paths.measurements_dir() / name, target / name)


@pytest.fixture()
def synthetic_root(tmp_path, monkeypatch):
    """A repository root whose proofs.csv has mlp at logrows 12..19, transformer at 13..18 and cnn at
    15..17 (too few sizes)."""
    real = paths.measurements_dir()
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(real / "proofs.schema.yaml", target / "proofs.schema.yaml")
    copy_prover_constants(target)
    rng = np.random.default_rng(42)
    records = coverage.simulate_runs(rng, "mlp", logrows=tuple(range(12, 20)))
    records += coverage.simulate_runs(rng, "transformer", logrows=tuple(range(13, 19)))
    records += coverage.simulate_runs(rng, "cnn", logrows=(15, 16, 17))
    data.append_rows(target / "proofs.csv", records)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    return tmp_path


def run(capsys, *argv):
    status = predict.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_in_range_prints_every_quantity_with_units(synthetic_root, capsys):
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert status == 0, err
    for q in rules.QUANTITIES:
        assert rules.QUANTITY_LABELS[q] in out
    assert " s [" in out or " s, " in out
    assert "iB" in out
    assert "95% prediction interval" in out
    assert "2^16 = 65,536 rows" in out


def test_json_has_point_low_high_unit_per_quantity(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "65536", "--family", "mlp", "--json")
    assert status == 0
    result = json.loads(out)
    assert set(result) == set(rules.QUANTITIES)
    for q, e in result.items():
        assert e["unit"] == rules.QUANTITIES[q]
        assert 0 < e["low"] < e["point"] < e["high"]
        assert e["padded_rows"] == 2**16
        assert "extrapolated_doublings" not in e


def test_json_matches_the_fit(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "2^17", "--family", "mlp", "--json")
    runs, _ = selection.select_runs(data.load_table("measurements/proofs.csv"))
    qf = choice.fit_quantity(runs, "mlp", "prove_s")
    expected = estimation.predict(qf.chosen, [2.0**17])
    got = json.loads(out)["prove_s"]
    assert got["point"] == pytest.approx(expected["point"][0])
    assert (got["low"], got["high"]) == pytest.approx((expected["low"][0], expected["high"][0]))
    assert got["law"] == qf.chosen.candidate.name


def test_a_proof_that_did_not_verify_reaches_no_prediction(synthetic_root, capsys):
    """An ``ok`` row marked ``verified=False`` is not fitted: predict fits on one run fewer."""
    path = synthetic_root / "data" / "measurements" / "proofs.csv"
    frame = data.load_table(path)
    n = int((frame["family"] == "mlp").sum())  # every one an ok run whose proof verified
    assert (frame["status"] == "ok").all() and frame["verified"].eq(True).all()
    frame["verified"] = frame["verified"].astype(object)
    frame.loc[frame.index[frame["family"] == "mlp"][0], "verified"] = False
    data.write_table_atomic(path, frame)
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert status == 0 and f"fitted on {n - 1} successful mlp runs" in out, err


def test_rows_are_rounded_up_to_the_padded_domain(synthetic_root, capsys):
    status, out, _ = run(capsys, "--rows", "100000", "--family", "mlp", "--json")
    assert status == 0
    assert json.loads(out)["prove_s"]["padded_rows"] == 2**17


def test_outside_range_is_refused_and_says_how_far(synthetic_root, capsys):
    status, out, err = run(capsys, "--rows", "2^27", "--family", "mlp")
    assert status == 2 and out == ""
    assert "2^27 rows is 8 doublings above the largest measured mlp circuit 2^19" in err
    assert "--extrapolate" in err
    status, _, err = run(capsys, "--rows", "2^10", "--family", "mlp")
    assert status == 2
    assert "2 doublings below the smallest measured mlp circuit 2^12" in err


def test_extrapolate_predicts_and_flags_it(synthetic_root, capsys):
    status, out, err = run(capsys, "--rows", "2^27", "--family", "mlp", "--extrapolate", "--json")
    assert status == 0
    assert "extrapolating: 2^27 rows is 8 doublings above" in err
    result = json.loads(out)
    assert all(e["extrapolated_doublings"] == 8 for e in result.values())
    inside = json.loads(run(capsys, "--rows", "2^19", "--family", "mlp", "--json")[1])
    assert result["prove_s"]["point"] > inside["prove_s"]["point"]
    # Extrapolating further widens the interval (in log terms).
    width = lambda e: np.log(e["high"] / e["low"])  # noqa: E731
    assert width(result["prove_s"]) > width(inside["prove_s"])


def test_family_with_too_few_sizes_is_explained(synthetic_root, capsys):
    status, _, err = run(capsys, "--rows", "2^16", "--family", "cnn")
    assert status == 1
    assert "3 distinct sizes (logrows 15, 16, 17)" in err and "at least 4" in err


def test_usage_errors(synthetic_root, capsys):
    assert run(capsys, "--rows", "2^16")[0] == 2
    status, _, err = run(capsys, "--rows", "lots", "--family", "mlp")
    assert status == 2 and "positive integer or 2^k" in err
    with pytest.raises(SystemExit):
        predict.main(["--rows", "2^16", "--family", "gpt"])


def test_missing_table_is_a_clear_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "data" / "measurements").mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", tmp_path / "data" / "measurements")
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    status, _, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert status == 1 and "proofs.csv is missing" in err


def test_contended_timings_are_not_predicted_but_memory_is(tmp_path, monkeypatch, capsys):
    """Runs slowed by other processes lose their times only: too few timed sizes is reported, not a crash."""
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", target)
    copy_prover_constants(target)
    rng = np.random.default_rng(5)
    records = coverage.simulate_runs(rng, "mlp", logrows=(12, 13, 14))
    busy = coverage.simulate_runs(rng, "mlp", logrows=(15, 16, 17), other_cpu_frac=0.6)
    for rec in busy:  # distinct circuits from the quiet ones
        rec["run_id"], rec["config_id"] = "busy-" + rec["run_id"], "busy-" + rec["config_id"]
    records += busy
    data.append_rows(target / "proofs.csv", records)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    status, out, err = run(capsys, "--rows", "2^14", "--family", "mlp", "--json")
    assert status == 0, err
    result = json.loads(out)
    assert "pk_bytes" in result and "prove_peak_rss_bytes" in result
    assert "prove_s" not in result
    status, out, _ = run(capsys, "--rows", "2^14", "--family", "mlp")
    assert "prove time" in out and "not predicted" in out and "3 distinct sizes" in out


def test_command_line_entry_point(synthetic_root):
    proc = subprocess.run([sys.executable, "-m", "chasm", "predict", "--rows", "2^30", "--family", "mlp"],
                          capture_output=True, text=True, env={**os.environ})
    assert proc.returncode == 2
    assert "11 doublings above the largest measured mlp circuit 2^19" in proc.stderr


def test_arch_requires_extrapolate_and_a_known_model(capsys):
    status, _, err = run(capsys, "--arch", "llama3-70b")
    assert status == 2 and "--extrapolate" in err
    status, _, err = run(capsys, "--arch", "llama9-1t", "--extrapolate")
    assert status == 2 and "unknown architecture" in err and "llama3-70b" in err
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--family", "mlp")
    assert status == 2 and "--family" in err
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "plenty")
    assert status == 2 and "memory size" in err


@pytest.mark.slow
def test_arch_reports_a_chunk_whose_memory_interval_fits_the_budget(capsys):
    """The issue's acceptance check: the chosen chunk's per-chunk peak memory (95% high bound) fits."""
    status, out, _ = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "256GiB", "--json")
    assert status == 0
    q = json.loads(out)
    assert q["memory_budget_bytes"] == 256 * 2**30
    for key in ("peak_rss_bytes", "prove_peak_rss_bytes", "prove_core_s", "prove_a_core_s", "prove_b_core_s"):
        e = q[key]
        assert 0 < e["low"] <= e["point"] <= e["high"], key
    assert q["peak_rss_bytes"]["high"] <= q["memory_budget_bytes"]
    assert q["prove_core_s"]["low"] <= min(q["prove_a_core_s"]["low"], q["prove_b_core_s"]["low"])
    assert q["chunks"]["point"] * 2 ** q["chunk_logrows"] > 4e13  # the query's rows fit in its chunks
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "512MiB")
    assert status == 2 and "no chunk" in err


# --- --arch: the frontier query's entries and its text, with a stand-in for the frontier laws -------------


COST_NAMES = ("chunks", "peak_bytes", "prove_peak_bytes", "prove_core_s", "prove_a_core_s", "prove_b_core_s",
              "verify_core_s", "setup_core_s", "pk_bytes")


def _stand_in_frontier(monkeypatch, K=24, max_logrows=19, error=None):
    """chunk_laws and choose_chunk of chasm.laws.frontier replaced: every cost column of the chosen chunk has its
    own value (name i: point 10**(i+1), low 0.5x, high 3x), so each entry shows which column it read."""
    from types import SimpleNamespace

    from chasm.laws import frontier

    calls = {}
    row = {"K": K, "pk_storage_bytes_low": 7.0e12, "pk_storage_bytes_high": 9.0e12}
    for i, name in enumerate(COST_NAMES):
        row.update({name: 10.0 ** (i + 1), f"{name}_low": 0.5 * 10.0 ** (i + 1), f"{name}_high": 3 * 10.0 ** (i + 1)})
    laws = SimpleNamespace(hardware_tag="box-16", max_logrows=max_logrows)

    def chunk_laws(hardware=None):
        calls["hardware"] = hardware
        return laws

    def choose_chunk(arch, budget, given):
        calls["choose"] = (arch, budget, given)
        if error:
            raise ValueError(error)
        return {"costs": row}

    monkeypatch.setattr(frontier, "chunk_laws", chunk_laws)
    monkeypatch.setattr(frontier, "choose_chunk", choose_chunk)
    return calls, laws


def test_frontier_query_reads_each_cost_from_its_own_column(monkeypatch):
    calls, laws = _stand_in_frontier(monkeypatch)
    q = predict.frontier_query("llama3-8b", 2.0**38, "box-16")
    assert calls == {"hardware": "box-16", "choose": ("llama3-8b", 2.0**38, laws)}
    assert (q["arch_id"], q["chunk_logrows"], q["memory_budget_bytes"], q["hardware_tag"]) == (
        "llama3-8b", 24, 2.0**38, "box-16")
    assert isinstance(q["chunk_logrows"], int) and q["extrapolated_doublings"] == 24 - 19
    keys = {"chunks": "chunks", "peak_rss_bytes": "peak_bytes", "prove_peak_rss_bytes": "prove_peak_bytes",
            "prove_core_s": "prove_core_s", "prove_a_core_s": "prove_a_core_s", "prove_b_core_s": "prove_b_core_s",
            "verify_core_s": "verify_core_s", "setup_core_s": "setup_core_s", "pk_bytes": "pk_bytes"}
    units = {"chunks": "proofs", "peak_rss_bytes": "bytes", "prove_peak_rss_bytes": "bytes", "pk_bytes": "bytes"}
    for key, name in keys.items():
        v = 10.0 ** (COST_NAMES.index(name) + 1)
        e = q[key]
        assert (e["point"], e["low"], e["high"]) == (v, 0.5 * v, 3 * v), key
        assert e["unit"] == units.get(key, "core-s") and e["scope"], key
    assert {key: q[key]["scope"] for key in keys} == {
        "chunks": "per query", "peak_rss_bytes": "per chunk proof, any phase (the budget's test)",
        "prove_peak_rss_bytes": "per chunk proof, proving phase", "prove_core_s": "per query, the two routes combined",
        "prove_a_core_s": "per query, fitted laws", "prove_b_core_s": "per query, cost model x time per field mult",
        "verify_core_s": "per query, every chunk proof verified once", "setup_core_s": "per chunk circuit, once",
        "pk_bytes": "per chunk circuit"}
    assert q["pk_storage_bytes"] == {"low": 7.0e12, "high": 9.0e12, "unit": "bytes",
                                     "scope": "all distinct chunk circuits' proving keys"}
    assert set(q) == {"arch_id", "chunk_logrows", "memory_budget_bytes", "hardware_tag", "extrapolated_doublings",
                      "pk_storage_bytes", *keys}
    json.dumps(q)  # JSON-ready


def test_frontier_query_counts_no_doublings_inside_the_data_and_refuses_what_it_cannot_answer(monkeypatch):
    _stand_in_frontier(monkeypatch, K=18, max_logrows=19)
    assert predict.frontier_query("llama3-8b", 1e12)["extrapolated_doublings"] == 0
    _stand_in_frontier(monkeypatch, K=19, max_logrows=19)
    assert predict.frontier_query("llama3-8b", 1e12)["extrapolated_doublings"] == 0
    _stand_in_frontier(monkeypatch, error="no chunk of llama3-8b fits 1 GiB")
    with pytest.raises(predict.PredictError) as info:
        predict.frontier_query("llama3-8b", 2.0**30)
    assert info.value.status == 2 and str(info.value) == "no chunk of llama3-8b fits 1 GiB"
    with pytest.raises(predict.PredictError) as info:
        predict.frontier_query("llama9-1t", 2.0**30)
    from chasm.costmodel.llama import list_architectures

    assert info.value.status == 2
    assert str(info.value) == f"unknown architecture 'llama9-1t'; known: {', '.join(list_architectures())}"


def test_arch_prints_the_query_as_text_and_as_json(monkeypatch, capsys):
    calls, _ = _stand_in_frontier(monkeypatch)
    status, out, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "64GiB")
    assert status == 0, err
    assert calls["choose"][:2] == ("llama3-70b", 64 * 2**30) and calls["hardware"] is None
    lines = out.splitlines()
    assert lines[0] == ("llama3-70b: one query as a chain of 10 chunk proofs of 2^24 rows, the cheapest chunk "
                        "whose peak memory (95% high bound) fits 64 GiB; laws of the transformer family on box-16, "
                        "5 doublings beyond the largest measured circuit")
    assert lines[1] == ""
    entries = {line.split()[0]: line for line in lines[2:] if line and not line.startswith("intervals")}
    assert list(entries) == ["chunks", "peak_rss_bytes", "prove_peak_rss_bytes", "prove_core_s", "prove_a_core_s",
                             "prove_b_core_s", "verify_core_s", "setup_core_s", "pk_bytes", "pk_storage_bytes"]
    assert entries["prove_core_s"] == (f"{'prove_core_s':<22} {'1e+04 core-s':>24}  [5e+03 core-s, 3e+04 core-s]  "
                                       "per query, the two routes combined")
    assert entries["pk_storage_bytes"] == (f"{'pk_storage_bytes':<22} {'':>24}  [6.37 TiB, 8.19 TiB]  "
                                           "all distinct chunk circuits' proving keys")
    assert lines[-2] == "" and lines[-1] == (
        "intervals: 95%, the envelope of every law cross-validation cannot rule out, times the cost model's band on "
        "rows and the range of committed columns (chasm.laws.frontier).")
    tag = selection.select_runs(data.load_table(predict.PROOFS))[1]  # --hardware also picks the runs read first
    status, out, _ = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--json", "--hardware", tag)
    assert status == 0 and calls["hardware"] == tag
    assert json.loads(out) == predict.frontier_query("llama3-70b", 256 * 2**30, tag)
    assert out == json.dumps(json.loads(out), indent=2, sort_keys=True) + "\n"  # keys sorted, indented by two


def test_arch_with_no_fitting_chunk_or_no_table_is_refused(monkeypatch, tmp_path, capsys):
    _stand_in_frontier(monkeypatch, error="no chunk fits 512 MiB")
    status, out, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--memory", "512MiB")
    assert (status, out) == (2, "") and err == "predict: no chunk fits 512 MiB\n"
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate", "--family", "transformer", "--json")
    assert status == 2  # the chunk fails, not the --family: transformer is the family --arch uses
    (tmp_path / "data" / "measurements").mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", tmp_path / "data" / "measurements")
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    status, _, err = run(capsys, "--arch", "llama3-70b", "--extrapolate")
    assert status == 1 and "cannot read the measurements" in err and "proofs.csv is missing" in err


# --- --params: one prover's laws of the two-prover comparison, with stand-ins for chasm.laws.provers ----------


PARAMS_RUNS = {"prover": ["ezkl", "ezkl", "jstprove", "jstprove", "jstprove", "ezkl"],
               "family": ["mlp", "mlp", "mlp", "mlp", "mlp", "cnn"],
               "params": [300, 20000, 300, 300, 80000, 1000],
               "config_id": ["a", "b", "a", "a", "c", "d"],
               "hardware_tag": ["box-16"] * 6}

PARAMS_RESULT = {
    "prove_s": {"point": 90.0, "low": 45.0, "high": 180.0, "unit": "s", "law": "power", "extrapolated": False},
    "proof_bytes": {"note": "2 distinct sizes", "unit": "bytes"},
    "peak_rss_bytes": {"point": 2.0**30, "low": 2.0**29, "high": 2.0**31, "unit": "bytes", "law": "nlogn",
                       "extrapolated": True},
    "a_new_quantity": {"point": 3.0, "low": 2.0, "high": 4.0, "unit": "proofs", "law": "power", "extrapolated": False},
}


def _stand_in_provers(monkeypatch, result=PARAMS_RESULT, runs=PARAMS_RUNS, family_error=None):
    import pandas as pd

    from chasm.laws import provers

    calls = {}

    def load_table(table):
        calls["table"] = table
        return "the table"

    def family_runs(table, hardware):
        calls["family_runs"] = (table, hardware)
        if family_error:
            raise rules.InsufficientData(family_error)
        return pd.DataFrame(runs)

    def predict_prover(given, prover, family, params):
        calls["predict"] = (len(given), prover, family, params)
        return result

    monkeypatch.setattr(predict.data, "load_table", load_table)
    monkeypatch.setattr(provers, "family_runs", family_runs)
    monkeypatch.setattr(provers, "predict_prover", predict_prover)
    return calls


def test_params_prints_each_quantity_its_interval_law_and_notes(monkeypatch, capsys):
    calls = _stand_in_provers(monkeypatch)
    status, out, err = run(capsys, "--params", "2^14", "--prover", "jstprove", "--family", "mlp",
                           "--hardware", "box-16", "--table", "measurements/other.csv")
    assert status == 0, err
    assert calls == {"table": "measurements/other.csv", "family_runs": ("the table", "box-16"),
                     "predict": (6, "jstprove", "mlp", 16384)}
    assert out.splitlines() == [
        "jstprove proving a mlp of 16,384 parameters (fitted on 3 verified runs of 2 models, 300..80,000 "
        "parameters, 1 prover thread, box-16)",
        f"  {rules.QUANTITY_LABELS['prove_s']:<28} 90 s  (95% prediction interval 45 s to 180 s; law power)",
        f"  {rules.QUANTITY_LABELS.get('proof_bytes', 'proof_bytes'):<28} not predicted: 2 distinct sizes",
        f"  {rules.QUANTITY_LABELS.get('peak_rss_bytes', 'peak_rss_bytes'):<28} 1 GiB  (95% prediction interval "
        "512 MiB to 2 GiB; law nlogn, extrapolated)",
        f"  {'a_new_quantity':<28} 3 proofs  (95% prediction interval 2 proofs to 4 proofs; law power)",
    ]  # a quantity without a label is named by its column
    status, out, _ = run(capsys, "--params", "20000", "--family", "mlp", "--json")
    assert status == 0 and json.loads(out) == PARAMS_RESULT and calls["predict"] == (6, "ezkl", "mlp", 20000)
    assert out == json.dumps(PARAMS_RESULT, indent=2, sort_keys=True) + "\n"  # keys sorted, indented by two
    assert calls["table"] == predict.PROOFS and calls["family_runs"] == ("the table", None)


def test_params_range_is_the_chosen_provers_and_its_ends_are_inside(monkeypatch, capsys):
    _stand_in_provers(monkeypatch)
    for inside in ("300", "80000"):
        assert run(capsys, "--params", inside, "--prover", "jstprove", "--family", "mlp")[0] == 0
    status, out, err = run(capsys, "--params", "80001", "--prover", "jstprove", "--family", "mlp")
    assert (status, out) == (2, "")
    assert err == ("predict: 80,001 parameters lies outside the measured jstprove mlp models (300..80,000); "
                   "pass --extrapolate to predict anyway\n")
    assert run(capsys, "--params", "299", "--prover", "jstprove", "--family", "mlp")[0] == 2
    assert run(capsys, "--params", "80001", "--prover", "jstprove", "--family", "mlp", "--extrapolate")[0] == 0
    # ezkl's mlp runs end at 20,000 parameters
    assert "(300..20,000)" in run(capsys, "--params", "80000", "--family", "mlp")[2]


def test_params_refusals_name_the_problem(monkeypatch, capsys):
    _stand_in_provers(monkeypatch)
    status, _, err = run(capsys, "--params", "2^14", "--prover", "jstprove", "--family", "transformer")
    assert status == 2 and err == ("predict: --params needs --family mlp or cnn (the families both provers were "
                                   "measured on)\n")
    assert run(capsys, "--params", "2^14", "--prover", "jstprove")[0] == 2
    status, _, err = run(capsys, "--params", "lots", "--family", "mlp")
    assert status == 2 and err == "predict: --params must be a positive integer or 2^k, got 'lots'\n"  # the option given
    status, _, err = run(capsys, "--params", "2000", "--prover", "jstprove", "--family", "cnn")
    assert status == 1 and err == "predict: cannot predict: no verified jstprove cnn runs of the families profile\n"
    _stand_in_provers(monkeypatch, family_error="no verified runs of the sweep profile 'families'")
    status, _, err = run(capsys, "--params", "2000", "--family", "mlp")
    assert status == 1 and err == "predict: cannot predict: no verified runs of the sweep profile 'families'\n"
    _stand_in_provers(monkeypatch, result={"prove_s": {"note": "too few", "unit": "s"},
                                           "verify_s": {"note": "no runs", "unit": "s"}})
    status, out, err = run(capsys, "--params", "2000", "--family", "mlp")
    assert (status, out) == (1, "") and err == "predict: cannot predict: too few; no runs\n"


def test_params_without_a_table_is_a_data_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "data" / "measurements").mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", tmp_path / "data" / "measurements")
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    status, out, err = run(capsys, "--params", "2000", "--family", "mlp")
    assert (status, out) == (1, "")
    assert err.startswith("predict: cannot read the measurements: ") and "proofs.csv is missing" in err


def test_the_text_table_aligns_its_columns_and_ends_with_how_to_read_it():
    result = {"prove_s": {"point": 90.0, "low": 45.0, "high": 180.0, "unit": "s", "law": "power"},
              "pk_bytes": {"point": 2.0**30, "low": 2.0**29, "high": 2.0**31, "unit": "bytes", "law": "nlogn"}}
    text = predict._text(result, {"witness_s": "3 distinct sizes"}, ["HEADER", "second line"])
    assert text.splitlines() == [
        "HEADER",
        "second line",
        "",
        "quantity          point  95% prediction interval  law",
        "prove time         90 s  [45 s, 180 s]            power",
        "proving-key size  1 GiB  [512 MiB, 2 GiB]         nlogn",
        "witness time      not predicted: 3 distinct sizes",
        "",
        "point: median of a new run; interval: 95% prediction interval for one new run of a new circuit",
        "(parameter uncertainty + circuit-to-circuit scatter and lack of fit + repetition noise; method: chasm.laws).",
    ]



def test_the_command_line_names_itself_and_takes_exactly_one_question(capsys):
    with pytest.raises(SystemExit) as info:
        predict.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m chasm predict ")
    assert "Proving cost at a size, with 95% prediction intervals, from the committed measurements (chasm.laws). " \
           "With --arch: one query of a frontier model proven as a chain of chunk proofs (chasm.laws.frontier), " \
           "the chunk the cheapest that fits --memory." in " ".join(out.split())
    for argv in (["--family", "mlp"], ["--rows", "2^16", "--params", "100", "--family", "mlp"]):
        with pytest.raises(SystemExit) as info:  # one of --rows, --arch, --params, and only one
            predict.main(argv)
        assert info.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:  # a proof system neither measured
        predict.main(["--params", "100", "--family", "mlp", "--prover", "gkr"])
    assert info.value.code == 2 and "invalid choice: 'gkr'" in capsys.readouterr().err


def test_ezkl_named_explicitly_is_the_default_prover(monkeypatch, capsys):
    calls = _stand_in_provers(monkeypatch)
    assert run(capsys, "--params", "300", "--family", "mlp", "--prover", "ezkl")[0] == 0
    assert calls["predict"] == (6, "ezkl", "mlp", 300)


# --- --rows: the checks before any law is fitted, with a stand-in for the fits -------------------------------


def _stand_in_predictions(monkeypatch):
    asked = []

    def predictions(runs, family, logrows):
        asked.append((family, logrows, len(runs)))
        return ({"prove_s": {"unit": "s", "law": "power", "padded_rows": 2**logrows, "point": 2.0, "low": 1.0,
                             "high": 4.0}}, {"pk_bytes": "too few sizes"})

    monkeypatch.setattr(predict, "predictions", predictions)
    return asked


def test_rows_are_checked_against_the_family_before_fitting(synthetic_root, monkeypatch, capsys):
    asked = _stand_in_predictions(monkeypatch)
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    n_mlp = 8 * 3
    assert status == 0 and asked == [("mlp", 16, 8 * 3 + 6 * 3 + 3 * 3)] and "extrapolating" not in out + err
    assert out.splitlines()[0] == (f"mlp circuit of 2^16 = 65,536 rows; fitted on {n_mlp} successful mlp runs on "
                                   f"synthetic (times from the {n_mlp} not slowed by other processes), measured 2^12..2^19")
    assert "pk_bytes" not in out and "not predicted: too few sizes" in out
    status, out, err = run(capsys, "--rows", "2^21", "--family", "mlp", "--extrapolate")
    assert status == 0 and out.splitlines()[1] == ("extrapolating: 2^21 rows is 2 doublings above the largest "
                                                   "measured mlp circuit 2^19")
    status, out, err = run(capsys, "--rows", "2^21", "--family", "mlp", "--extrapolate", "--json")
    assert status == 0 and err.splitlines() == ["predict: extrapolating: 2^21 rows is 2 doublings above the largest measured mlp "
                                "circuit 2^19", "predict: pk_bytes not predicted: too few sizes"]
    assert json.loads(out) == {"prove_s": {"unit": "s", "law": "power", "padded_rows": 2**21, "point": 2.0, "low": 1.0,
                                           "high": 4.0, "extrapolated_doublings": 2}}
    assert out == json.dumps(json.loads(out), indent=2, sort_keys=True) + "\n"
    status, out, err = run(capsys, "--rows", "2^9", "--family", "mlp", "--extrapolate", "--json")
    assert status == 0 and json.loads(out)["prove_s"]["extrapolated_doublings"] == 3  # below the data: 2^12 / 2^9
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp", "--json")
    assert err == "predict: pk_bytes not predicted: too few sizes\n" and "extrapolated_doublings" not in out
    monkeypatch.setattr(predict, "predictions", lambda runs, family, logrows: ({}, {"prove_s": "a", "pk_bytes": "b"}))
    status, out, err = run(capsys, "--rows", "2^16", "--family", "mlp")
    assert (status, out) == (1, "") and err == "predict: cannot predict: no law could be fitted (a; b)\n"


def test_rows_refusals_name_the_family_its_sizes_and_the_machine(synthetic_root, monkeypatch, capsys):
    _stand_in_predictions(monkeypatch)
    status, _, err = run(capsys, "--rows", "2^16", "--family", "cnn")
    assert status == 1 and err == ("predict: cannot predict: successful cnn runs on synthetic cover 3 distinct sizes "
                                   "(logrows 15, 16, 17); a scaling law needs at least 4\n")
    status, _, err = run(capsys, "--rows", "2^16")
    assert status == 2 and err == ("predict: --rows needs --family (mlp, cnn or transformer): equal rows cost "
                                   "differently in different families\n")
    status, _, err = run(capsys, "--rows", "2^16", "--family", "mlp", "--prover", "jstprove")
    assert status == 2 and err == ("predict: --prover jstprove predicts from model parameters: give --params (JSTprove "
                                   "has no circuit rows, and no frontier chain is derived for it here)\n")
    for argv in (("--rows", "2^16", "--family", "mlp"), ("--arch", "llama3-8b", "--extrapolate")):
        status, _, err = run(capsys, *argv, "--hardware", "another-machine")
        assert status == 1 and err.startswith("predict: cannot predict: ") and "another-machine" in err, argv


def test_a_family_at_the_fewest_sizes_is_fitted_and_one_with_one_size_is_named_in_the_singular(tmp_path, monkeypatch,
                                                                                            capsys):
    target = tmp_path / "data" / "measurements"
    target.mkdir(parents=True)
    shutil.copy(paths.measurements_dir() / "proofs.schema.yaml", target)
    rng = np.random.default_rng(7)
    records = coverage.simulate_runs(rng, "mlp", logrows=(12, 13, 14, 15)) + coverage.simulate_runs(rng, "cnn", logrows=(14,))
    for rec in records[12:]:
        rec["run_id"], rec["config_id"] = "c-" + rec["run_id"], "c-" + rec["config_id"]
    data.append_rows(target / "proofs.csv", records)
    monkeypatch.setenv("CHASM_ROOT", str(tmp_path))
    asked = _stand_in_predictions(monkeypatch)
    assert rules.MIN_SIZES == 4 and run(capsys, "--rows", "2^14", "--family", "mlp")[0] == 0 and asked
    status, _, err = run(capsys, "--rows", "2^14", "--family", "cnn")
    assert status == 1 and "cover 1 distinct size (logrows 14); a scaling law needs at least 4" in err
    status, _, err = run(capsys, "--rows", "2^14", "--family", "transformer")
    assert status == 1 and err == "predict: cannot predict: no successful transformer runs on synthetic\n"


def test_predictions_evaluate_each_chosen_law_at_the_padded_rows(monkeypatch):
    from types import SimpleNamespace

    law = lambda name: SimpleNamespace(candidate=SimpleNamespace(name=name))  # noqa: E731
    fits = {"prove_s": SimpleNamespace(unit="s", chosen=law("power")),
            "pk_bytes": SimpleNamespace(unit="bytes", chosen=law("nlogn"))}
    asked = []
    monkeypatch.setattr(predict, "fit_family", lambda runs, family: asked.append((runs, family)) or
                        (fits, {"verify_s": "too few"}))
    evaluated = []
    monkeypatch.setattr(predict, "predict", lambda chosen, x: evaluated.append((chosen, list(x))) or
                        {"point": np.array(x) * 2, "low": np.array(x), "high": np.array(x) * 3})
    out, skipped = predict.predictions("the runs", "cnn", 10)
    assert asked == [("the runs", "cnn")] and skipped == {"verify_s": "too few"}
    assert evaluated == [(fits["prove_s"].chosen, [1024.0]), (fits["pk_bytes"].chosen, [1024.0])]
    assert out == {"prove_s": {"unit": "s", "law": "power", "padded_rows": 1024, "point": 2048.0, "low": 1024.0,
                               "high": 3072.0},
                   "pk_bytes": {"unit": "bytes", "law": "nlogn", "padded_rows": 1024, "point": 2048.0, "low": 1024.0,
                                "high": 3072.0}}
    assert all(type(v) is float for e in out.values() for k, v in e.items() if k in ("point", "low", "high"))


def test_readable_values_rows_and_ranges_by_known_answers():
    year = predict.SECONDS_PER_YEAR
    assert year == 365.25 * 86400
    assert predict.human(3 * 86400, "s") == "2.59e+05 s (3 d)" and predict.human(3 * 2**30, "bytes") == "3 GiB"
    assert predict.human(2 * year, "core-s") == "6.31e+07 core-s (2 core-years)"
    assert predict.human(year, "core-s") == "3.16e+07 core-s (1 core-years)"  # a year is counted in years
    assert predict.human(year * 0.99, "core-s") == "3.12e+07 core-s" and predict.human(3.0, "proofs") == "3 proofs"
    assert predict.parse_rows("2_048") == predict.parse_rows("2,048") == 2048 and predict.parse_rows(" 2 ** 4 ") == 16
    assert predict.parse_rows("1") == 1
    for bad in ("0", "-4", "2^", "1e6", "lots"):
        with pytest.raises(ValueError, match="positive integer or 2\\^k"):
            predict.parse_rows(bad)
    assert [predict.padded_logrows(r) for r in (1, 2, 3, 4, 1024, 1025)] == [0, 1, 2, 2, 10, 11]
    assert predict.outside_range(19, (12, 19), "mlp") is None and predict.outside_range(12, (12, 19), "mlp") is None
    assert predict.outside_range(20, (12, 19), "mlp") == "2^20 rows is 1 doubling above the largest measured mlp circuit 2^19"
    assert predict.outside_range(22, (12, 19), "cnn") == "2^22 rows is 3 doublings above the largest measured cnn circuit 2^19"
    assert predict.outside_range(11, (12, 19), "mlp") == "2^11 rows is 1 doubling below the smallest measured mlp circuit 2^12"
    assert predict.outside_range(9, (12, 19), "mlp") == "2^9 rows is 3 doublings below the smallest measured mlp circuit 2^12"
