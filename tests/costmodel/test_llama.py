"""chasm.costmodel.llama: Llama-3 layers, the architectures table and the query."""

from __future__ import annotations

import shutil
import pytest

from chasm.core import data
from chasm.core import paths
from chasm.costmodel import layout
from chasm.costmodel import llama


def test_llama_parameter_count_matches_the_nominal_size():
    for arch in llama.load_architectures().values():
        nominal = data.load_table("architectures.csv").set_index("arch_id").loc[arch.arch_id, "params_nominal"]
        assert abs(arch.params / nominal - 1) < 0.05, arch


def test_decode_step_macs_are_about_the_parameters():
    """One decoding step multiplies every weight once (plus attention over the cache)."""
    arch = llama.load_architectures()["llama3-8b"]
    step = llama.llama_pass(arch, 1, 1)
    non_embedding = arch.params - arch.vocab_size * arch.d_model
    assert float(step.macs) == pytest.approx(non_embedding, rel=0.01)


def test_decoding_step_reads_the_cache_as_input_and_repeats_it_over_heads():
    """A decoding step range-checks the cached keys and values (inputs) and assigns the keys and
    values repeated over the query heads; a prefill has neither input."""
    arch = llama.Architecture("tiny", 1, 16, 4, 1, 32, 8, 0)
    step = dict(llama.llama_layer_ops(arch, 1, 5))
    dh = arch.head_dim
    assert step["kv_cache_input"].cells == 2 * 4 * arch.n_kv_heads * dh * layout.input_cells()
    assert step["kv_repeat"].cells == 2 * arch.n_heads * 5 * dh
    prefill = dict(llama.llama_layer_ops(arch, 5, 5))
    assert "kv_cache_input" not in prefill and "causal_mask" in prefill
    mha = llama.Architecture("tiny", 1, 16, 4, 4, 32, 8, 0)
    assert "kv_repeat" not in dict(llama.llama_layer_ops(mha, 1, 5))


def test_architectures_ffn_width_follows_the_reference_rule():
    for rec in data.load_table("architectures.csv").to_dict("records"):
        assert llama.llama_ffn_width(rec["d_model"], rec["ffn_dim_multiplier"], rec["multiple_of"]) == rec["ffn_width"]


def test_bad_architecture_row_is_rejected(tmp_path):
    shutil.copy(paths.data_dir() / "architectures.schema.yaml", tmp_path)
    text = (paths.data_dir() / "architectures.csv").read_text().replace("llama3-8b,Llama 3.1 8b model,32",
                                                                        "llama3-8b,Llama 3.1 8b model,-32")
    (tmp_path / "architectures.csv").write_text(text)
    with pytest.raises(data.DataFileError, match="n_layers"):
        data.load_table(tmp_path / "architectures.csv")


def test_query_is_stated_once():
    q = llama.load_query()
    assert q["prompt_tokens"] > 0 and q["generated_tokens"] > 0
    assert len(data.load_table("query.csv")) == 1
