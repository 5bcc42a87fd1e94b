"""chasm.core.constants: every table name points at a committed table with its schema; phase columns."""

from __future__ import annotations

import pytest

from chasm.core import constants, data, paths

TABLES = ("PROOFS", "LAYOUTS", "INFERENCE", "OVERHEAD", "CLAIMS", "ARCHITECTURES", "QUERY")


@pytest.mark.parametrize("name", TABLES)
def test_table_names_point_at_committed_tables(name):
    path = paths.data_dir() / getattr(constants, name)
    assert path.exists() and data.schema_path(path).exists()
    assert len(data.load_table(path)) > 0


def test_sweep_profiles_file_exists():
    assert (paths.data_dir() / constants.SWEEP_PROFILES).exists()


def test_phase_columns_follow_the_phases_and_the_proofs_schema():
    assert constants.phase_columns("_s")[0] == "export_s" and constants.phase_columns("_s")[-1] == "verify_s"
    schema = data.read_schema(data.schema_path(paths.data_dir() / constants.PROOFS))
    for suffix in ("_s", "_peak_rss_bytes"):
        assert set(constants.phase_columns(suffix)) <= set(schema.names)


def test_every_family_has_a_scale_and_config_keys_are_columns():
    assert set(constants.FAMILY_SCALES) == set(constants.FAMILIES)
    schema = data.read_schema(data.schema_path(paths.data_dir() / constants.PROOFS))
    assert set(constants.CONFIG_KEYS) <= set(schema.names)
    assert 0 < constants.CONTENTION_LIMIT < 1
