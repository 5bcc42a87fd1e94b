"""Range feasibility: does a Llama's fixed-point arithmetic fit ezkl's range checks, and what more
does it cost when it does not?

How ezkl represents and checks values (read at ``EZKL_TAG``, sources in :data:`RANGE_SOURCES`):

- A real value ``x`` at scale ``s`` is the integer ``round(x 2^s)``, held as a BN254 field element
  (negative values as ``p - |x|``). Witness generation reads field elements back as ``i128``
  (``IntegerRep``, the low 128 bits), so every integer the witness handles must stay below
  ``2^127`` in magnitude; the field itself wraps only at ``p ~ 2^253.6``.
- A *decomposition* (``decompose``) writes an integer as ``sign * sum_i digit_i B^i`` with ``lambda``
  digits ``0 <= digit_i <= B - 1`` (each checked against a table of ``B`` rows) and a sign in
  ``{-1, 0, 1}``: it represents ``|v| <= B^lambda - 1`` (:func:`decomposition_limit`); a larger value
  is refused when the witness is generated (``get_rep``: "integer ... is too large to be
  represented by base B and n lambda"), so calibration and proving fail, they do not wrap.
- What is decomposed (:data:`RANGE_CHECKED`): the model's inputs and public outputs; the
  quotient of every division by a constant, which is how every rescaling after a product is laid
  out (``RebaseScale`` -> ``HybridOp::Div`` -> ``div``: the *rescaled output* at scale ``s`` is
  decomposed, not the accumulator); the mean of squares of RMSNorm, which ezkl computes at scale
  ``2s`` and divides by the width before rescaling (``mean_of_squares_axes``), so its quotient is
  decomposed at scale ``2s``; the differences compared when sorting (softmax's maximum) and the
  small remainders of each division. Dot-product accumulators (einsum outputs at scale ``2s``)
  are never decomposed: they are field elements, bounded only by ``i128`` in the witness.
- Lookup tables (softmax's ``exp``, SiLU's sigmoid) cover one calibrated input range for all
  nonlinearities: ``[floor(m min), ceil(m max)]`` of the integer inputs seen during calibration,
  widened by the safety margin ``m = 2`` (:func:`lookup_range`); a range longer than ``2^k`` rows is
  split over up to 12 table columns (:func:`lookup_columns`).

For a Llama layer the binding quantity is RMSNorm's mean of squares: ``mean(x^2) 2^(2s) <=
B^lambda - 1``, i.e. ``rms(x) <= sqrt(B^lambda - 1) / 2^s`` (128 at ezkl's defaults). Every other
decomposed value needs only ``|y| 2^s <= B^lambda - 1``. :func:`max_activation` solves both for
the largest activation ``A``; :func:`model_requirements` gives the digits each Llama-3 model needs
for a sourced magnitude (``data/activation_magnitudes.csv``); :func:`extra_rows_for_range` the rows
a query gains with more digits. Measured on miniature Llamas by :mod:`chasm.experiments.range_probe`
(``data/measurements/range_checks.csv``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import sympy as sp

from chasm.core import data
from chasm.core.ezkl_rules import DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS, RESERVED_BLINDING_ROWS
from chasm.costmodel.constants import default_constants
from chasm.costmodel.frontier import row_equivalents
from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs, decompose_cells
from chasm.costmodel.llama import Architecture, llama_pass, load_architectures, load_query
from chasm.costmodel.sources import EZKL_COMMIT, EZKL_TAG
from chasm.costmodel.symbols import B, d, k, lam, t

__all__ = ["ACTIVATION_MAGNITUDES", "SCALE", "LOOKUP_SAFETY_MARGIN", "MAX_LOOKUP_COLUMNS", "I128_BITS",
           "RANGE_SOURCES", "RANGE_SYMBOL_DOCS", "A", "W", "s", "kappa", "sigma", "S_att", "M_mask", "G_gate",
           "decomposition_limit", "rms_bound", "RANGE_CHECKED", "digits_needed", "max_activation",
           "accumulator_bits", "rsqrt_error", "lookup_range", "lookup_table_rows", "lookup_columns", "llama_lookup_range",
           "load_activation_magnitudes", "layer_requirements", "model_requirements", "feasibility_table",
           "rows_per_query", "extra_rows_for_range"]

#: The table of sourced activation magnitudes (relative to ``data/``).
ACTIVATION_MAGNITUDES = "activation_magnitudes.csv"
#: ezkl's default fixed-point scale (bits) of inputs and parameters (``RunArgs::default``), the
#: scale of every measurement of this compendium.
SCALE = 7
#: Calibration's default lookup safety margin (``DEFAULT_LOOKUP_SAFETY_MARGIN = "2"``).
LOOKUP_SAFETY_MARGIN = 2.0
#: Most columns one lookup table may be split over (``MAX_NUM_LOOKUP_COLS``).
MAX_LOOKUP_COLUMNS = 12
#: Witness values are read back as ``i128`` (``IntegerRep``): magnitudes below ``2^127``.
I128_BITS = 127


def _ezkl(path: str, what: str) -> str:
    return f"zkonduit/ezkl@{EZKL_TAG} ({EZKL_COMMIT[:8]}) {path}: {what}"


#: Where each fact of the derivation was read (ezkl source at ``EZKL_TAG``).
RANGE_SOURCES = {
    "decompose": _ezkl("src/circuit/ops/layouts.rs", "decompose (line 6321): sign = range_check(.., (-1, 1)) "
                                                     "(6387); rest = range_check(.., (0, base - 1)) (6405); "
                                                     "input == sign * sum(rest * base^i)"),
    "get_rep": _ezkl("src/tensor/ops.rs", "get_rep (line 25): if x.abs() > base.pow(n) - 1 return "
                                          "DecompositionError::TooLarge"),
    "div": _ezkl("src/circuit/ops/layouts.rs", "div (line 219): the claimed quotient is decomposed ('implicitly "
                                               "check if the prover provided output is within range', 251), "
                                               "then diff_less_than(input, quotient * divisor, divisor)"),
    "rebase": _ezkl("src/graph/node.rs + src/circuit/ops/hybrid.rs", "RebaseScale::rebase (node.rs 167): an op "
                                                                     "whose output scale exceeds the global scale is "
                                                                     "wrapped with HybridOp::Div {denom: 2^(out - s)}; "
                                                                     "an integer denominator is laid out by "
                                                                     "layouts::div (hybrid.rs 279)"),
    "mean_of_squares": _ezkl("src/circuit/ops/layouts.rs + poly.rs + graph/utilities.rs",
                             "mean_of_squares_axes (layouts.rs 3022): pow 2, sum, div by the reduced length; "
                             "out_scale = 2 * in_scale (poly.rs 375); from tract's Reduce<MeanOfSquares> "
                             "(utilities.rs 791)"),
    "inputs_outputs": _ezkl("src/graph/utilities.rs + src/circuit/ops/layouts.rs",
                            "Source -> Input {decomp: !ignore_range_check_inputs_outputs} (utilities.rs 966); "
                            "output (layouts.rs 6740) decomposes outputs and instances"),
    "integer_rep": _ezkl("src/fieldutils.rs", "pub type IntegerRep = i128; felt_to_integer_rep reads the low 128 bits"),
    "softmax": _ezkl("src/circuit/ops/layouts.rs", "softmax (line 6687): max (sort, greater_equal of neighbours), "
                                                   "x - max, Exp lookup, sum and recip (percent)"),
    "lookup_range": _ezkl("src/graph/mod.rs", "calc_safe_lookup_range (line 1549): (floor(m min), ceil(m max)); "
                                              "MAX_NUM_LOOKUP_COLS = 12 (79); calc_num_cols (1556); "
                                              "table_size_logrows (1561); src/circuit/table.rs num_cols_required = "
                                              "range_len / (2^k - blinding) + 1"),
    "calibration": _ezkl("src/execute.rs + src/commands.rs", "calibrate runs a forward pass with "
                                                             "RegionSettings::all_true(decomp_base, decomp_legs) "
                                                             "(execute.rs 1036) and drops scales whose pass fails "
                                                             "(1057); DEFAULT_LOOKUP_SAFETY_MARGIN = \"2\" "
                                                             "(commands.rs 55)"),
    "rsqrt": _ezkl("src/graph/utilities.rs + src/circuit/ops/layouts.rs + src/tensor/ops.rs",
                   "Rsqrt -> HybridOp::Rsqrt {input_scale 2^s, output_scale 2^max(s, in)} (utilities.rs 898); "
                   "rsqrt = sqrt then recip (layouts.rs 482); nonlinearities::sqrt = round(2^s sqrt(a / 2^s)), "
                   "recip = round(out_scale / (a / in_scale)) (ops.rs 1844, 2353)"),
    "run_args": _ezkl("src/lib.rs", "RunArgs::default: input_scale = param_scale = 7, decomp_base 16384, "
                                    "decomp_legs 2, check_mode UNSAFE; validate rejects base^legs overflowing i128"),
}

# ------------------------------------------------------------------ symbols

#: Meaning and unit of each symbol of the range derivation.
RANGE_SYMBOL_DOCS: dict[str, str] = {}


def _sym(name: str, doc: str, **assumptions) -> sp.Symbol:
    RANGE_SYMBOL_DOCS[name] = doc
    return sp.Symbol(name, positive=True, **assumptions)


A = _sym("A", "largest |activation| in real units (the residual stream, a rescaled product's output)")
W = _sym("W", "largest |weight| in real units")
s = _sym("s", "fixed-point scale: a real x is the integer round(x 2^s) (bits)", integer=True)
kappa = _sym("kappa", "feature channels of one token that carry magnitude A (outlier channels)", integer=True)
sigma = _sym("sigma", "root mean square of the other channels of that token, real units")
S_att = _sym("S", "spread max - min of one row of attention scores, real units")
M_mask = _sym("M", "magnitude of the additive causal-mask constant, real units")
G_gate = _sym("G", "largest |input| of SiLU's sigmoid (the gate projection W1 g), real units")


def decomposition_limit(base=B, legs=lam):
    """Largest |integer| a decomposition of ``legs`` digits in base ``base`` represents: ``B^lambda - 1``
    (the sign is a separate digit). ``2^28 - 1`` at ezkl's defaults."""
    return sp.sympify(base) ** legs - 1


def rms_bound(width=d, channels=kappa, magnitude=A, rest=sigma):
    """Root mean square of one RMSNorm input row of ``width`` features when ``channels`` of them
    have magnitude ``magnitude`` and the others root mean square ``rest``."""
    width = sp.sympify(width)
    return sp.sqrt((channels * magnitude**2 + (width - channels) * rest**2) / width)


#: The integers ezkl decomposes in a Llama layer, as functions of the bounds, with the fact of
#: :data:`RANGE_SOURCES` that says so. ``accumulator`` is listed for comparison: it is *not*
#: decomposed, only bounded by ``i128`` in the witness (:func:`accumulator_bits`).
RANGE_CHECKED = {
    "input": (A * 2**s, "inputs_outputs", "a model input (token embeddings, cached keys and values)"),
    "rescaled_output": (A * 2**s, "rebase", "the quotient of every rescaling after a product: projections, "
                                            "scores, SwiGLU product, rotary products, x * rsqrt * gain"),
    "mean_of_squares": (rms_bound() ** 2 * 2 ** (2 * s), "mean_of_squares", "RMSNorm's mean(x^2) at scale 2s, "
                                                                        "the quotient of the division by d"),
    "score_difference": (S_att * 2**s, "softmax", "differences of neighbouring sorted scores (softmax's max)"),
    "remainder": (2**s, "div", "|x - q 2^s| of a rescaling and its comparison with 2^s"),
    "output": (A * 2**s, "inputs_outputs", "a public output (logits)"),
    "accumulator": (k * A * W * 2 ** (2 * s), "integer_rep", "a dot product of length k at scale 2s "
                                                             "(not decomposed)"),
}


def digits_needed(magnitude: float, base: int = DEFAULT_DECOMP_BASE) -> int:
    """Fewest digits ``lambda`` (at least 1) with ``base^lambda - 1 >= magnitude``: the ``decomp_legs``
    a decomposition of the integer ``magnitude`` needs."""
    need, legs = math.ceil(magnitude), 1
    while base**legs - 1 < need:
        legs += 1
    return legs


def max_activation(width: int, channels: int = 1, *, legs: int = DEFAULT_DECOMP_LEGS,
                   base: int = DEFAULT_DECOMP_BASE, scale: int = SCALE, rest: float = 0.0) -> dict[str, float]:
    """Largest activation ``A`` (real units) whose range-checked integers fit ``legs`` digits: the
    rescaled-output bound ``(B^lambda - 1) / 2^s`` and the RMSNorm bound (``channels`` of ``width``
    features at ``A``, the rest at root mean square ``rest``), solved from :data:`RANGE_CHECKED`.
    Returns both and their minimum (``A_max``) with the binding one's name."""
    limit = decomposition_limit(base, legs)
    values = {s: scale}
    out = {"rescaled_output": float(sp.solve(sp.Eq(RANGE_CHECKED["rescaled_output"][0].subs(values), limit), A)[0])}
    ms = RANGE_CHECKED["mean_of_squares"][0].subs({**values, d: width, kappa: channels, sigma: rest})
    roots = [r for r in sp.solve(sp.Eq(ms, limit), A) if r.is_positive]
    out["mean_of_squares"] = float(roots[0]) if roots else 0.0
    binding = min(out, key=out.get)
    return {**out, "A_max": out[binding], "binding": binding}


def accumulator_bits(length: int, activation: float, weight: float, scale: int = SCALE) -> float:
    """log2 of the largest dot-product accumulator ``k A W 2^(2s)`` (integers at scale ``2s``), to
    compare with :data:`I128_BITS` (witness) and 253 (the field)."""
    return math.log2(length) + math.log2(activation) + math.log2(weight) + 2 * scale


def rsqrt_error(rms: float, scale: int = SCALE) -> float:
    """Relative error of RMSNorm's ``1 / rms`` as ezkl computes it at scale ``s``: the square root at
    scale ``s`` and then the reciprocal ``round(2^s / rms) / 2^s`` (:data:`RANGE_SOURCES` ``rsqrt``;
    Rust rounds half away from zero). It reaches 1 (the whole token normalised to zero) once
    ``rms > 2^(s+1)``: an accuracy limit that no number of digits lifts, only a larger scale."""
    represented = math.floor(2**scale / rms + 0.5)
    return abs(represented * rms / 2**scale - 1.0)


def lookup_range(low: float, high: float, scale: int = SCALE,
                 margin: float = LOOKUP_SAFETY_MARGIN) -> tuple[int, int]:
    """The lookup range calibration sets for nonlinearity inputs in ``[low, high]`` (real units):
    ``(floor(margin low 2^s), ceil(margin high 2^s))`` (``calc_safe_lookup_range``)."""
    return math.floor(margin * min(low, 0.0) * 2**scale), math.ceil(margin * max(high, 0.0) * 2**scale)


def lookup_table_rows(lookup: tuple[int, int]) -> int:
    """Rows the lookup tables span: the length of the range (every nonlinearity's table covers it)."""
    return int(lookup[1] - lookup[0])


def lookup_columns(rows: int, logrows: int) -> int:
    """Table columns a range of ``rows`` needs in a circuit of ``2^logrows`` rows (``num_cols_required``);
    ezkl refuses more than :data:`MAX_LOOKUP_COLUMNS`."""
    return rows // (2**logrows - RESERVED_BLINDING_ROWS) + 1


def llama_lookup_range(score_spread: float, mask: float, gate: float, scale: int = SCALE) -> tuple[int, int]:
    """Lookup range of a Llama layer: ``exp`` of ``x - max(x)`` over scores (inputs down to
    ``-(score_spread + mask)``) and the sigmoid of SiLU (inputs in ``[-gate, gate]``). Both act on
    projections of RMSNorm's output, so they depend on the weights and the attention pattern, not on
    the residual stream's magnitude ``A``."""
    return lookup_range(-max(score_spread + mask, gate), gate, scale)


# ------------------------------------------------------------ per model


def load_activation_magnitudes() -> pd.DataFrame:
    """The sourced magnitudes of ``data/activation_magnitudes.csv``."""
    return data.load_table(ACTIVATION_MAGNITUDES)


def layer_requirements(width: int, magnitude: float, channels: int = 1, *, rest: float = 1.0,
                       score_spread: float = 0.0, length: int | None = None, weight: float = 1.0,
                       base: int = DEFAULT_DECOMP_BASE, scale: int = SCALE) -> pd.DataFrame:
    """The integers of :data:`RANGE_CHECKED` for one layer of model width ``width`` whose largest
    activation is ``magnitude`` (on ``channels`` features of a token; the others at root mean square
    ``rest``), with the digits each needs in base ``base``. ``length``: the longest reduction (for
    the accumulator row; default ``width``)."""
    values = {A: magnitude, s: scale, d: width, kappa: channels, sigma: rest, S_att: score_spread,
              W: weight, k: length or width}
    rows = []
    for name, (expr, source, what) in RANGE_CHECKED.items():
        value = float(sp.sympify(expr).subs(values))
        decomposed = name != "accumulator"
        rows.append({"quantity": name, "integer": value, "bits": math.log2(max(value, 1.0)),
                     "digits": digits_needed(value, base) if decomposed else None, "decomposed": decomposed,
                     "what": what, "source": source})
    return pd.DataFrame(rows)


def model_requirements(arch: Architecture, magnitude: float, channels: int = 1, *, rest: float = 1.0,
                       base: int = DEFAULT_DECOMP_BASE, scale: int = SCALE) -> dict:
    """Digits a Llama-3 model needs when its largest activation is ``magnitude`` on ``channels``
    features, the largest activation ``legs`` = 2 admits (:func:`max_activation`) and the margin, and
    that token's RMSNorm ``rms`` with the relative error of its ``1 / rms`` at the scale
    (:func:`rsqrt_error`)."""
    req = layer_requirements(arch.d_model, magnitude, channels, rest=rest, length=arch.ffn_width,
                             base=base, scale=scale)
    decomposed = req[req["decomposed"]]
    worst = decomposed.loc[decomposed["integer"].idxmax()]
    two = max_activation(arch.d_model, channels, legs=2, base=base, scale=scale, rest=rest)
    rms = float(rms_bound(arch.d_model, channels, magnitude, rest))
    return {"arch_id": arch.arch_id, "magnitude": magnitude, "channels": channels,
            "digits": int(decomposed["digits"].max()), "binding": worst["quantity"],
            "binding_integer": float(worst["integer"]), "A_max_2_digits": two["A_max"],
            "binding_2_digits": two["binding"], "margin_2_digits": two["A_max"] / magnitude,
            "rms": rms, "rsqrt_rel_error": rsqrt_error(rms, scale),
            "accumulator_bits": float(req.set_index("quantity").loc["accumulator", "bits"])}


def feasibility_table(*, base: int = DEFAULT_DECOMP_BASE, scale: int = SCALE) -> pd.DataFrame:
    """:func:`model_requirements` of every Llama-3 model of ``data/architectures.csv`` for every sourced
    magnitude of ``data/activation_magnitudes.csv`` that bounds activations (not the outlier
    threshold), with the channels the source names (one when it names none)."""
    archs = load_architectures()
    mags = load_activation_magnitudes()
    mags = mags[mags["magnitude_kind"] != "threshold"]
    rows = []
    for arch in archs.values():
        for rec in mags.to_dict("records"):
            channels = 1 if pd.isna(rec["channels"]) else int(rec["channels"])
            out = model_requirements(arch, float(rec["magnitude"]), channels, base=base, scale=scale)
            rows.append({**out, "source_id": rec["source_id"], "source_model": rec["model"],
                         "confirmed": bool(rec["confirmed"])})
    return pd.DataFrame(rows)


# ------------------------------------------------------------ extra rows


def rows_per_query(arch_id: str, ra: RunArgs = DEFAULT_RUN_ARGS) -> float:
    """Base-region row equivalents of the query of ``data/query.csv`` on Llama-3 ``arch_id`` with run
    arguments ``ra`` (prefill of the prompt plus every decoding step), fitted constants substituted;
    :func:`chasm.costmodel.frontier.frontier_workload`'s ``rows_per_query`` at ``DEFAULT_RUN_ARGS``."""
    arch, query = load_architectures()[arch_id], load_query()
    subs = default_constants().as_subs()
    P, G = int(query["prompt_tokens"]), int(query["generated_tokens"])
    prefill = float(row_equivalents(llama_pass(arch, P, P, ra), ra).subs(subs))
    step = sp.sympify(row_equivalents(llama_pass(arch, 1, t, ra), ra).subs(subs))
    positions = np.arange(P + 1, P + G, dtype=float)
    decode = float(np.sum(sp.lambdify(t, step, "numpy")(positions))) if t in step.free_symbols \
        else float(step) * len(positions)
    return prefill + decode


def extra_rows_for_range(arch_id: str, legs: int = 3, base: int = DEFAULT_DECOMP_BASE) -> dict:
    """Rows per query with ``legs`` digits of base ``base`` against ezkl's defaults (2 digits of 2^14):
    each decomposition costs :func:`~chasm.costmodel.layout.decompose_cells` cells, which grows by
    ``2 + pad`` per digit; every rescaling holds three decompositions and the fitted norms and softmax
    scale with them. The base changes no cell (only the range-check table's ``base`` rows, which fit
    in one column while ``base <= 2^K``)."""
    default = rows_per_query(arch_id, DEFAULT_RUN_ARGS)
    ra = RunArgs(legs=legs, base=base)
    rows = rows_per_query(arch_id, ra)
    return {"arch_id": arch_id, "legs": legs, "base": base, "rows_per_query_default": default,
            "rows_per_query": rows, "extra_rows": rows - default, "extra_frac": rows / default - 1,
            "decompose_cells_default": float(decompose_cells(DEFAULT_RUN_ARGS)),
            "decompose_cells": float(decompose_cells(ra))}
