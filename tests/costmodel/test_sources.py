"""chasm.costmodel.sources: every sourced fact names where it was read."""

from __future__ import annotations

from chasm.costmodel import sources


def test_every_source_names_a_repository_or_a_reference():
    for key, text in sources.SOURCES.items():
        assert "@" in text or "Database" in text or "/" in text, key
    assert sources.EZKL_COMMIT.startswith(sources.SOURCES["run_args"].split("(")[1][:8])


def test_sourced_constants_are_consistent():
    assert sources.AGGREGATION_REMOVED_IN_MAJOR == int(sources.EZKL_TAG.lstrip("v").split(".")[0])
    assert sources.FIELD_MULS_PER_POINT_ADD == sources.MADD_MULTIPLICATIONS + sources.MADD_SQUARINGS == 11
    assert sources.EINSUM_ADVICE_VARS == 2 * sources.BASE_ADVICE_VARS
    assert sources.BN254_SCALAR_BITS == 254
