"""Fixtures shared by the tests of :mod:`chasm.laws`."""

from __future__ import annotations

import pytest

from chasm.laws import candidates


@pytest.fixture(autouse=True)
def fresh_costmodel_cache():
    """No test sees a lambdified cost model cached by another (the cache is keyed; this makes sure)."""
    candidates.clear_caches()
    yield
    candidates.clear_caches()
