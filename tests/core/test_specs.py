"""chasm.core.specs: model specifications are validated, identified stably, and count their parameters exactly."""

from __future__ import annotations

import pytest

from chasm.core.specs import ModelConfigError
from chasm.core.specs import ModelSpec


def test_model_spec_validation():
    with pytest.raises(ModelConfigError, match="divisible"):
        ModelSpec("transformer", {"d_model": 10, "heads": 3, "seq": 2, "layers": 1})
    with pytest.raises(ModelConfigError, match="positive integer"):
        ModelSpec("mlp", {"width": 0, "depth": 1})
    a = ModelSpec("mlp", {"width": 8, "depth": 1})
    assert a.config_id == ModelSpec("mlp", {"depth": 1, "width": 8, "outputs": 4}).config_id
