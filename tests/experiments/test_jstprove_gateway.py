"""JSTprove's gateway: named errors before anything runs, and a missing environment said plainly.

The real proofs (a verified tiny MLP, three kinds of tampering rejected) are in ``test_provers.py``,
which proves the same model with both provers once for the whole module."""

import sys

import pytest
import torch

from chasm.core.specs import ModelSpec
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments import jstprove_gateway as jg
from chasm.experiments.models import build


def test_an_operator_jstprove_lacks_is_named_before_anything_runs():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Softmax(dim=-1)).eval()
    with pytest.raises(gw.UnsupportedOpError, match=r"JSTprove 2\.12\.1 does not support the ONNX operator\(s\) Softmax"):
        jg.check_model(model, torch.zeros(1, 4))


def test_the_compared_families_are_supported_and_the_transformer_is_not():
    for family, config in (("mlp", {"width": 8, "depth": 2}), ("cnn", {"channels": 2, "depth": 2, "size": 6})):
        jg.check_model(*build(ModelSpec(family, config)))  # raises if an operator is missing
    model, x = build(ModelSpec("transformer", {"d_model": 8, "heads": 2, "seq": 2, "layers": 1}))
    with pytest.raises(gw.UnsupportedOpError) as err:
        jg.check_model(model, x)
    named = str(err.value).split("operator(s) ")[1].split(" (")[0].split(", ")
    assert {"MatMul", "Softmax"} <= set(named) and not set(named) & jg.SUPPORTED_ONNX_OPS


def test_a_missing_environment_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CHASM_JSTPROVE_PYTHON", str(tmp_path / "absent" / "python"))
    assert not jg.available()
    with pytest.raises(jg.JstproveUnavailableError, match=r"CPython 3\.12.*make \.venv-jstprove"):
        jg.interpreter()
    with pytest.raises(jg.JstproveUnavailableError):
        jg.prove(*build(ModelSpec("mlp", {"width": 8, "depth": 1})))


def test_an_interpreter_without_jstprove_is_refused_with_the_reason(monkeypatch):
    monkeypatch.setenv("CHASM_JSTPROVE_PYTHON", sys.executable)  # the project's own Python has no jstprove
    with pytest.raises(jg.JstproveUnavailableError, match="cannot import jstprove"):
        jg.interpreter()


def test_the_pinned_version_is_the_one_the_environment_installs():
    pins = (jg.paths.repo_root() / "requirements-jstprove.txt").read_text()
    assert f"jstprove=={jg.PINNED_VERSION}" in pins
    if jg.available():
        assert jg.version() == jg.PINNED_VERSION
