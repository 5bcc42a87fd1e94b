"""chasm.core.provenance: the facts every measured row carries, and pins against installed versions."""

from __future__ import annotations

import datetime as dt

from chasm.core import data, paths, provenance


def test_machine_fills_every_provenance_column_of_the_proofs_schema():
    schema = data.read_schema(paths.measurements_dir() / "proofs.schema.yaml")
    record = provenance.machine()
    assert set(record) <= set(schema.names)
    assert record["cpu_count"] >= 1 and record["ram_bytes"] > 2**30
    assert record["hardware_tag"].startswith("cpu") or record["hardware_tag"]
    assert record["ezkl_version"] == "23.0.5" and record["torch_version"].startswith("2.13.0")


def test_hardware_tag_can_be_set(monkeypatch):
    monkeypatch.setenv("CHASM_HARDWARE_TAG", "h200-16c")
    assert provenance.machine()["hardware_tag"] == "h200-16c"


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    assert provenance.git_commit(tmp_path) == "unknown"
    head = provenance.git_commit()
    assert len(head.split("+")[0]) == 40


def test_utc_now_is_an_iso_timestamp_in_utc():
    stamp = dt.datetime.fromisoformat(provenance.utc_now())
    assert stamp.utcoffset() == dt.timedelta(0)


def test_pinned_versions_compare_pins_with_what_is_installed(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("# comment\nnumpy==0.0.1  # wrong on purpose\npytest==9.2.0\nnot-a-pin>=1\n")
    rows = {r["package"]: r for r in provenance.pinned_versions(req)}
    assert set(rows) == {"numpy", "pytest"}
    assert rows["numpy"]["matches"] is False and rows["pytest"]["matches"] is True


def test_mismatched_pins_lists_only_packages_off_their_pin(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy==0.0.1\npytest==9.2.0\n")
    assert provenance.mismatched_pins(provenance.pinned_versions(req)) == ["numpy"]
