"""chasm.core.profiles: the committed sweep profiles, and named errors for malformed ones."""

from __future__ import annotations

import textwrap
import pytest

from chasm.core import profiles
from chasm.core import specs


def write_profile(tmp_path, body: str):
    path = tmp_path / "profiles.yaml"
    path.write_text(textwrap.dedent(body))
    return path


def test_profiles_file_is_valid_and_has_required_profiles():
    loaded = profiles.load_profiles()
    assert {"quick", "full", "calibration"} <= set(loaded)
    full = profiles.plan(loaded["full"])
    families = {r.spec.family for r in full}
    assert families == {"mlp", "cnn", "transformer"}
    params = [specs.parameter_count(r.spec) for r in full]
    assert max(params) / min(params) >= 1000, "full sweep must span three orders of magnitude"
    assert loaded["full"]["repeat"] >= 3
    assert params == sorted(params), "runs go smallest first"


@pytest.mark.parametrize("body, message", [
    ("profiles: [1, 2]", "profiles"),
    ("profiles:\n  p:\n    groups: []", "non-empty 'groups'"),
    ("profiles:\n  p:\n    groups:\n      - family: rnn\n        configs: [{width: 3}]", "unknown model family"),
    ("profiles:\n  p:\n    groups:\n      - family: mlp\n        configs: [{width: 3}]", "lacks"),
    ("profiles:\n  p:\n    repeat: 0\n    groups:\n      - family: mlp\n        configs: [{width: 3, depth: 1}]", "repeat"),
    ("profiles:\n  p:\n    groups:\n      - family: mlp\n        configs: [{width: 3, depth: 1}]\n        scales: [99]", "scale"),
    ("profiles: {p: [", "not valid YAML"),
])
def test_malformed_profile_is_refused_with_a_clear_error(tmp_path, body, message):
    with pytest.raises(profiles.SweepConfigError, match=message):
        profiles.load_profiles(write_profile(tmp_path, body))
