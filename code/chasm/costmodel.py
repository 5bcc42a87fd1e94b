"""Symbolic cost model: what a proof of a network's inference must compute.

Everything here is a sympy expression built from the shapes of a network and
from ezkl's run arguments; numbers come only from the documented constants
below (each with its source) and from the constants fitted to measured
circuits in ``data/measurements/layouts.csv`` (:func:`fit_constants`).

Four layers, each a plain function of shapes:

1. **Inference work** per operation (:class:`Work` ``macs``, ``elementwise``,
   ``nonlin``, ``rescales``): multiply-accumulates, other arithmetic, nonlinear
   function evaluations and fixed-point rescalings.
2. **ezkl's PLONKish layout** of the same operation (:class:`Work` ``cells`` and
   ``einsum_cells``): the *linear coordinates* ezkl's dummy layout assigns
   (``total_assignments`` in its settings; ``num_rows = cells / c`` for ``c``
   inner columns) and, when the Freivalds argument is on, the cells of the
   separate einsum region (``einsum_params.total_einsum_col_size``). The counts
   are read off ezkl v23.0.4's layout code (``src/circuit/ops/layouts.rs``,
   ``src/circuit/ops/chip/einsum/``, see :data:`SOURCES`); the few composite
   operations whose layout was not derived line by line (layer/RMS norm,
   softmax) have per-element and per-row constants fitted to measured circuits.
3. **Prover work** for a circuit of ``2**k`` rows and ``n`` committed
   polynomials (:func:`prover_work`): Pippenger multi-scalar multiplications and
   radix-2 FFTs, in BN254 scalar-field multiplications.
4. **Chunking** (:func:`chunked_work`): circuits larger than one halo2 proof can
   hold are split into chunks of ``2**K`` rows whose proofs are aggregated.

:func:`frontier_workload` applies the model to the Llama-3 models of
``data/architectures.csv`` answering the query of ``data/query.csv``.

Units: ``macs`` multiply-accumulates; ``cells`` ezkl linear coordinates (one per
assignment position, i.e. one advice cell in each of ezkl's three base columns);
rows are cells divided by the number of inner columns; prover work in BN254
scalar-field multiplications ("field mults").
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd
import sympy as sp

# ----------------------------------------------------------------- sources

EZKL_TAG = "v23.0.4"
EZKL_COMMIT = "3f494f67587b37c97b15cba9ce76019d96e3ef43"


def _ezkl(path: str, what: str) -> str:
    return f"zkonduit/ezkl@{EZKL_TAG} ({EZKL_COMMIT[:8]}) {path}: {what}"


#: Where each modelled fact was read. Keys are used in the chapter's citations.
SOURCES = {
    "run_args": _ezkl("src/lib.rs", "RunArgs::default: num_inner_cols 2, decomp_base 16384, decomp_legs 2, "
                                    "disable_freivalds false"),
    "logrows": _ezkl("src/graph/mod.rs", "calc_min_logrows, table_size_logrows, extended_k_is_small_enough, "
                                         "MIN_LOGROWS = 6, MAX_PUBLIC_SRS = bn256::Fr::S - 2, "
                                         "RESERVED_BLINDING_ROWS = 5 + 3"),
    "columns": _ezkl("src/graph/vars.rs + src/tensor/var.rs", "ModelVars::new: three advice VarTensors of "
                                                             "num_inner_cols columns, duplicated into blocks "
                                                             "when 2^k rows do not suffice"),
    "layouts": _ezkl("src/circuit/ops/layouts.rs", "dot, pairwise, decompose, recompose, range_check, div, "
                                                   "greater, equals_zero, leaky_relu, conv, output, "
                                                   "nonlinearity"),
    "einsum": _ezkl("src/circuit/ops/chip/einsum/{analysis,reduction_planner,mod}.rs",
                    "Freivalds strategy choice, input reductions, reduction_length"),
    "dummy_layout": _ezkl("src/graph/model.rs", "dummy_layout: num_rows = region.row(), total_assignments = "
                                                "region.linear_coord(), total_einsum_col_size"),
    "aggregation": "zkonduit/ezkl@e70e13a9^ (the commit before 'refactor!: rm ios,js,aggregation (#1013)') "
                   "src/commands.rs DEFAULT_AGGREGATED_LOGROWS = 23 and "
                   "examples/notebooks/simple_demo_aggregated_proofs.ipynb (aggregates one proof at logrows 21)",
    "bn254": "privacy-scaling-explorations/halo2curves@0287a7d7 src/bn256/fr.rs: NUM_BITS = 254, S = 28",
    "madd": "Explicit-Formulas Database, hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-0.html: "
            "mixed addition (Z2 = 1) madd-2007-bl costs 7M + 4S",
    "llama": "meta-llama/llama-models models/llama3_1/api/sku_list.py (model_args) and "
             "models/llama3/reference_impl/model.py (FeedForward hidden width, Attention, RMSNorm)",
}

# ------------------------------------------------------ documented constants

#: Bits of a BN254 scalar (the MSM scalar length). Source: ``SOURCES['bn254']``.
BN254_SCALAR_BITS = 254
#: 2-adicity of the BN254 scalar field: the largest FFT domain is 2**28. ``SOURCES['bn254']``.
BN254_TWO_ADICITY = 28
#: Largest logrows ezkl accepts (``MAX_PUBLIC_SRS = Fr::S - 2``). ``SOURCES['logrows']``.
MAX_LOGROWS = BN254_TWO_ADICITY - 2
#: Smallest logrows ezkl uses. ``SOURCES['logrows']``.
MIN_LOGROWS = 6
#: Rows reserved for blinding (``ASSUMED_BLINDING_FACTORS + RESERVED_BLINDING_ROWS_PAD``). ``SOURCES['logrows']``.
RESERVED_BLINDING_ROWS = 5 + 3
#: ezkl's default run arguments. ``SOURCES['run_args']``.
DEFAULT_INNER_COLS = 2
DEFAULT_DECOMP_BASE = 16384
DEFAULT_DECOMP_LEGS = 2
#: Field multiplications per mixed Jacobian point addition (7M + 4S, squarings counted as
#: multiplications). ``SOURCES['madd']``.
FIELD_MULS_PER_POINT_ADD = 7 + 4
#: Rows of an aggregation circuit verifying one proof: fits at logrows 21 in ezkl's aggregation
#: notebook (point), CLI default logrows 23 (high); low 2**20 = one logrow below the notebook's
#: choice (the notebook does not show that 20 fails). ``SOURCES['aggregation']``.
AGGREGATION_ROWS_PER_PROOF = {"low": 2**20, "point": 2**21, "high": 2**23}
#: ezkl's base gate uses three advice VarTensors (two inputs, one output). ``SOURCES['columns']``.
BASE_ADVICE_VARS = 3
#: The einsum (Freivalds) chip uses six advice VarTensors. ``SOURCES['einsum']``
#: (``Einsums::configure_universal``: four inputs, two outputs).
EINSUM_ADVICE_VARS = 6

# ------------------------------------------------------------------ symbols


def _sym(name: str, doc: str, **assumptions) -> sp.Symbol:
    s = sp.Symbol(name, positive=True, **assumptions)
    SYMBOL_DOCS[name] = doc
    return s


#: Each symbol's meaning and unit (shown in the chapter).
SYMBOL_DOCS: dict[str, str] = {}

# shapes
m = _sym("m", "rows of the left matrix of a product: tokens (or batch) processed at once")
k = _sym("k", "contraction length of a product (input features)")
n = _sym("n", "output features of a product")
N_el = _sym("N", "elements of an elementwise operation's tensor")
r = _sym("r", "rows reduced by a normalisation or softmax")
l = _sym("l", "length of each reduced row")
C_in = _sym("C_in", "input channels of a convolution")
C_out = _sym("C_out", "output channels of a convolution")
kh = _sym("K_h", "kernel side of a square convolution, pixels")
H = _sym("H", "output height and width of a convolution, pixels")
w = _sym("w", "width (hidden units) of an MLP layer")
depth = _sym("L", "number of layers (hidden layers of an MLP, blocks of a transformer)")
d = _sym("d", "model width of a transformer")
h = _sym("h", "attention (query) heads")
h_kv = _sym("h_kv", "key/value heads (grouped-query attention)")
d_h = _sym("d_h", "head width d / h")
f_ffn = _sym("f", "feed-forward width")
T = _sym("T", "tokens in the prompt (prefill)")
t = _sym("t", "length of the key/value cache when a token is decoded")
V = _sym("V", "vocabulary size")
G = _sym("G", "generated tokens per query")
# ezkl run arguments
c = _sym("c", "ezkl num_inner_cols: inner advice columns per base column", integer=True)
lam = _sym("lambda", "ezkl decomp_legs: digits of a range-check decomposition", integer=True)
B = _sym("B", "ezkl decomp_base: base of a range-check decomposition (table size)", integer=True)
# prover
kk = _sym("k_rows", "logrows: the circuit has 2^k rows")
Np = _sym("N_rows", "rows of the evaluation domain, 2^k")
n_poly = _sym("n_c", "committed polynomials per row (advice, lookup and permutation columns)")
bits = _sym("b", "bits of a BN254 scalar")
gamma = _sym("gamma", "field multiplications per elliptic-curve point addition")
ext = _sym("e", "log2 of the extended-domain factor (quotient degree)", integer=True)
Kc = _sym("K", "logrows of one chunk")
Rtot = _sym("R", "row-equivalents of the whole computation")
A_agg = _sym("A", "rows an aggregation circuit spends per verified proof")
n_q = _sym("n_q", "quotient-polynomial pieces (constraint degree minus one)")
n_open = _sym("n_o", "multi-scalar multiplications of size 2^k in the opening argument")


def pad(x, cols=c):
    """``x`` rounded up to a whole number of rows of ``cols`` inner columns (cells)."""
    return cols * sp.ceiling(sp.sympify(x) / cols)


# ----------------------------------------------------------------- Work

_WORK_FIELDS = ("macs", "elementwise", "nonlin", "rescales", "cells", "einsum_cells")


@dataclass(frozen=True)
class Work:
    """Work of an operation or network; every field a sympy expression.

    ``macs``: multiply-accumulates. ``elementwise``: other scalar additions and
    multiplications (bias and residual additions, normalisation arithmetic),
    one FLOP each. ``nonlin``: nonlinear function evaluations (ReLU, exp, erf,
    sigmoid, rsqrt). ``rescales``: fixed-point rescalings (divisions by
    ``2**scale`` after a product). ``cells``: ezkl linear coordinates in the
    base region (``total_assignments``). ``einsum_cells``: ezkl linear
    coordinates in the Freivalds einsum region (``total_einsum_col_size``).
    """

    macs: sp.Expr = sp.Integer(0)
    elementwise: sp.Expr = sp.Integer(0)
    nonlin: sp.Expr = sp.Integer(0)
    rescales: sp.Expr = sp.Integer(0)
    cells: sp.Expr = sp.Integer(0)
    einsum_cells: sp.Expr = sp.Integer(0)

    def __add__(self, other: "Work") -> "Work":
        return Work(*(sp.sympify(getattr(self, f)) + sp.sympify(getattr(other, f)) for f in _WORK_FIELDS))

    def __mul__(self, factor) -> "Work":
        return Work(*(sp.sympify(getattr(self, f)) * factor for f in _WORK_FIELDS))

    __rmul__ = __mul__

    @property
    def flops(self) -> sp.Expr:
        """Inference FLOPs: two per multiply-accumulate plus one per other arithmetic operation."""
        return 2 * self.macs + self.elementwise

    def subs(self, values: Mapping) -> "Work":
        return Work(*(sp.sympify(getattr(self, f)).subs(values) for f in _WORK_FIELDS))

    def evaluate(self, values: Mapping | None = None) -> dict[str, float]:
        """Every field (and ``flops``) as a float after substituting ``values``."""
        out = {}
        for f in (*_WORK_FIELDS, "flops"):
            expr = sp.sympify(getattr(self, f))
            if values:
                expr = expr.subs(values)
            out[f] = float(expr)
        return out


def total(works: Iterable[Work]) -> Work:
    """Sum of works."""
    acc = Work()
    for item in works:
        acc = acc + item
    return acc


# ------------------------------------------------------ layout parameters


@dataclass(frozen=True)
class Layout:
    """ezkl run arguments that change the layout (defaults: ezkl's, ``SOURCES['run_args']``).

    ``inner_cols`` (``num_inner_cols``), ``legs`` (``decomp_legs``), ``base``
    (``decomp_base``), ``freivalds`` (``not disable_freivalds``),
    ``output_public`` (output visibility public; else private). Inputs may be
    private or public (same layout); parameters must be ``fixed``.
    Fields may be sympy symbols for symbolic derivations.
    """

    inner_cols: object = DEFAULT_INNER_COLS
    legs: object = DEFAULT_DECOMP_LEGS
    base: object = DEFAULT_DECOMP_BASE
    freivalds: bool = True
    output_public: bool = True

    @classmethod
    def symbolic(cls, **kw) -> "Layout":
        """The layout with symbols ``c``, ``lambda``, ``B`` for any field not given in ``kw``."""
        return cls(**{"inner_cols": c, "legs": lam, "base": B, **kw})

    @classmethod
    def from_run_args(cls, *, num_inner_cols=DEFAULT_INNER_COLS, decomp_legs=DEFAULT_DECOMP_LEGS,
                      decomp_base=DEFAULT_DECOMP_BASE, disable_freivalds=False, output_visibility="public",
                      param_visibility="fixed", **_ignored) -> "Layout":
        """From ezkl run-argument names (as in ``PyRunArgs`` / settings JSON)."""
        if param_visibility != "fixed":
            raise ValueError(f"the layout model covers param_visibility='fixed' only, not {param_visibility!r}")
        if output_visibility not in ("public", "private"):
            raise ValueError(f"output_visibility must be 'public' or 'private', not {output_visibility!r}")
        return cls(int(num_inner_cols), int(decomp_legs), int(decomp_base), not bool(disable_freivalds),
                   output_visibility == "public")


DEFAULT_LAYOUT = Layout()

# ------------------------------------------- primitive layout costs (source)
# Each returns cells (linear coordinates) for ONE element, derived from
# SOURCES['layouts']; comments name the ezkl function and its increments.


def decompose_cells(lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """``decompose``: digits+sign (λ+1), sign range check (1), digit range checks (λ),
    base-power dot of the λ digits (pad_c(λ)), sign product (1), equality (1)."""
    legs = sp.sympify(lo.legs)
    return (legs + 1) + 1 + legs + pad(legs, lo.inner_cols) + 1 + 1


def equals_zero_cells() -> sp.Expr:
    """``equals_zero``: x*inv(x) (1), 1 - that (1), product check (1), equality (1)."""
    return sp.Integer(4)


def rescale_cells(lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """``div`` by a power of two (rescaling): decompose the quotient (D), quotient*divisor (1),
    ``diff_less_than`` = ``l1_distance`` [sub (1) + ``abs`` = sign (D) + mult (1)] +
    ``less`` = ``greater`` [sub (1) + sign with zero check (D + equals_zero + mult + equality)
    + ``equals`` (sub 1 + equals_zero)] + equality (1)."""
    D = decompose_cells(lo)
    l1 = 1 + (D + 1)
    greater = 1 + (D + equals_zero_cells() + 1 + 1) + (1 + equals_zero_cells())
    return D + 1 + l1 + greater + 1


def relu_cells(lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """``leaky_relu`` with slope 0: sign (D), ``equals`` (sub 1 + equals_zero), mask product (1)."""
    return decompose_cells(lo) + 1 + equals_zero_cells() + 1


def lookup_cells() -> sp.Expr:
    """``nonlinearity`` (a lookup-table function: exp, erf, sigmoid, tanh): one coordinate."""
    return sp.Integer(1)


def input_cells(lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """A model input element is range-checked by one decomposition (private or public input)."""
    return decompose_cells(lo)


def output_cells(lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """``output`` for a public output: decompose the output and the instance (2 D), equality (1)."""
    if not lo.output_public:
        return sp.Integer(0)
    return 2 * decompose_cells(lo) + 1


def const_mul_cells(value: float, lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """Multiplication by a constant: free for 1, one coordinate for 2**-j (j >= 1, a scale
    change), otherwise a product and a rescaling (measured: see ``tests/test_costmodel.py``)."""
    if value == 1:
        return sp.Integer(0)
    exponent = -math.log2(value) if value > 0 else 0.0
    if value > 0 and exponent >= 1 and float(exponent).is_integer():
        return sp.Integer(1)
    return 1 + rescale_cells(lo)


# ------------------------------------------- einsum: port of ezkl's planner


def _is_one(x) -> bool:
    x = sp.sympify(x)
    return bool(x.is_number and x == 1)


def _prod(values) -> sp.Expr:
    out = sp.Integer(1)
    for v in values:
        out = out * sp.sympify(v)
    return out


def _sanitise(equation: str, dims: Mapping[str, object]) -> tuple[list[str], str]:
    """Drop axes of size 1, as ``analyze_single_equation`` does."""
    inputs, output = equation.split("->")
    ins = ["".join(ch for ch in s if not _is_one(dims[ch])) for s in inputs.split(",")]
    out = "".join(ch for ch in output if ch in dims and not _is_one(dims[ch]))
    return ins, out


def uses_freivalds(equation: str, dims: Mapping[str, object]) -> bool:
    """ezkl's strategy choice: the Freivalds argument is used when the (size > 1) equation has an
    output axis, a contracted or shared axis, and more than one axis that is not shared."""
    ins, out = _sanitise(equation, dims)
    seen, common = set(), []
    for s in ins:
        for ch in s:
            if ch in seen:
                common.append(ch)
            else:
                seen.add(ch)
    non_common = [ch for ch in dims if ch not in common and not _is_one(dims[ch])]
    return bool(out) and bool(common) and len(non_common) > 1


def _input_reductions(ins: list[str], out: str) -> list[tuple[str, str | None, int, str]]:
    """``reduction_planner::input_reductions``: (kind, axis, number of inputs, output axes)."""
    exprs = list(ins)
    plan: list[tuple[str, str | None, int, str]] = []

    def reduce(exprs: list[str], axis: str) -> list[str]:
        inputs = [e for e in exprs if axis in e]
        is_output = axis in out
        if is_output and len(inputs) > 1:
            result = "".join(sorted(set("".join(inputs))))
        else:
            result = "".join(sorted({ch for e in inputs for ch in e if ch != axis}))
        if is_output and len(inputs) == 1:
            plan.append(("rlc", axis, 1, result))
        elif is_output:
            plan.append(("pairwise", None, len(inputs), result))
        else:
            plan.append(("contract", axis, len(inputs), result))
        return [e for e in exprs if e not in inputs] + [result]

    pending = list(out)
    while pending:
        axis = pending[0]
        if not any(axis in e for e in exprs):
            pending.pop(0)
        else:
            exprs = reduce(exprs, axis)
    for axis in sorted({ch for e in exprs for ch in e}):
        exprs = reduce(exprs, axis)
    return plan


def freivalds_reduction_cells(equation: str, dims: Mapping[str, object], lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """Cells of one einsum under the Freivalds argument: random linear combinations of the output
    over each output axis, plus the reductions of the inputs (port of ``analyze_single_equation``
    and ``input_reductions``); each reduction is a set of dot products padded to whole rows of
    ``c`` inner columns (pairwise products are not padded)."""
    ins, out = _sanitise(equation, dims)
    cols = lo.inner_cols
    rev = [sp.sympify(dims[ch]) for ch in out][::-1]
    output_len = sum((_prod(rev[i + 1:]) * pad(rev[i], cols) for i in range(len(rev))), sp.Integer(0))
    input_len = sp.Integer(0)
    for kind, axis, n_inputs, result in _input_reductions(ins, out):
        dot_len = sp.sympify(dims[axis]) if axis is not None else sp.Integer(1)
        length = dot_len * (1 if n_inputs <= 2 else n_inputs)
        n_dots = _prod(dims[ch] for ch in result)
        input_len += n_dots * (length if kind == "pairwise" else pad(length, cols))
    return output_len + input_len


def base_einsum_cells(equation: str, dims: Mapping[str, object], lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """An einsum laid out with base operations: one ``dot`` (padded to whole rows) per output element."""
    ins, out = _sanitise(equation, dims)
    contracted = sorted({ch for s in ins for ch in s} - set(out))
    n_out = _prod(dims[ch] for ch in out)
    return n_out * pad(_prod(dims[ch] for ch in contracted), lo.inner_cols)


# ------------------------------------------------------- fitted constants

#: Constants fitted to measured circuits (:func:`fit_constants`): for each composite operation,
#: cells per element ``<op>_e0 + <op>_e1 * D`` and per reduced row ``<op>_r0 + <op>_r1 * D``
#: (D: cells of one decomposition), and the fixed cells of one Freivalds einsum.
COMPOSITE_OPS = ("layernorm", "rmsnorm", "softmax")
FITTED = {
    f"{op}_{part}{i}": sp.Symbol(rf"\theta^{{\mathrm{{{op}}}}}_{{{part}{i}}}")
    for op in COMPOSITE_OPS for part in ("e", "r") for i in (0, 1)
}
FITTED["freivalds_fixed"] = sp.Symbol(r"\epsilon_F")


def _composite(op: str, rows, length, lo: Layout) -> sp.Expr:
    D = decompose_cells(lo)
    per_elem = FITTED[f"{op}_e0"] + FITTED[f"{op}_e1"] * D
    per_row = FITTED[f"{op}_r0"] + FITTED[f"{op}_r1"] * D
    return rows * length * per_elem + rows * per_row


def _row_padding(rows, length, reductions: int, lo: Layout) -> sp.Expr:
    """Cells added by padding ``reductions`` row-wise sums or maxima of odd length to whole rows."""
    return reductions * sp.sympify(rows) * (pad(length, lo.inner_cols) - length)


# ------------------------------------------------------------ operations


def dense(m_, k_, n_, *, bias: bool = True, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Dense layer ``(m x k) @ (k x n) + b``: m*k*n MACs, one rescaling per output.

    Layout: the product is an einsum ``mk,kn->mn``. With ``m > 1`` and ``n > 1``
    and Freivalds on, it is checked by random linear combinations in the einsum
    region (:func:`freivalds_reduction_cells`), else by one ``dot`` per output
    (``m n pad(k)`` cells); the bias addition (1) and the rescaling then cost
    ``m n (1 + R)`` base cells.
    """
    dims = {"m": m_, "k": k_, "n": n_}
    eq = "mk,kn->mn"
    cells = sp.sympify(m_) * n_ * ((1 if bias else 0) + rescale_cells(lo))
    einsum = sp.Integer(0)
    if lo.freivalds and uses_freivalds(eq, dims):
        einsum = freivalds_reduction_cells(eq, dims, lo) + FITTED["freivalds_fixed"]
    else:
        cells += base_einsum_cells(eq, dims, lo)
    return Work(macs=sp.sympify(m_) * k_ * n_, elementwise=sp.sympify(m_) * n_ if bias else 0,
                rescales=sp.sympify(m_) * n_, cells=cells, einsum_cells=einsum)


def matmul(b_, m_, k_, n_, *, equation: str = "mbk,nbk->bmn", lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Product of two computed tensors batched over ``b`` (attention scores or attention times values).

    ``equation`` names axes b (batch/heads), m, k (contracted) and n as ezkl sees
    them (``mbk,nbk->bmn`` for q k^T, ``bmk,kbn->mbn`` for attention x v).
    """
    dims = {"b": b_, "m": m_, "k": k_, "n": n_}
    outputs = sp.sympify(b_) * m_ * n_
    cells = outputs * rescale_cells(lo)
    einsum = sp.Integer(0)
    if lo.freivalds and uses_freivalds(equation, dims):
        einsum = freivalds_reduction_cells(equation, dims, lo) + FITTED["freivalds_fixed"]
    else:
        cells += base_einsum_cells(equation, dims, lo)
    return Work(macs=outputs * k_, rescales=outputs, cells=cells, einsum_cells=einsum)


def conv2d(c_in, c_out, kernel, out_side, in_side=None, *, bias: bool = True,
           lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Square 2-d convolution, stride 1: ``C_in C_out K^2 H^2`` MACs (padding taps included).

    Layout (``conv``): kernel and image assigned side by side (the longer of the two
    counts); per output a ``dot`` of ``K^2 C_in``
    taps padded to whole rows, the bias addition and a row flush (``c`` cells),
    then a rescaling.
    """
    in_side = out_side if in_side is None else in_side
    outputs = sp.sympify(c_out) * out_side**2
    kernel_len = sp.sympify(c_in) * c_out * kernel**2
    assign = sp.Max(kernel_len, sp.sympify(c_in) * in_side**2)
    per_out = pad(kernel**2 * c_in, lo.inner_cols) + (lo.inner_cols if bias else 0) + rescale_cells(lo)
    return Work(macs=outputs * c_in * kernel**2, elementwise=outputs if bias else 0, rescales=outputs,
                cells=assign + outputs * per_out)


def relu(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """ReLU on N elements: N nonlinearity evaluations, ``D + 6`` cells each (sign decomposition)."""
    return Work(nonlin=N_, cells=sp.sympify(N_) * relu_cells(lo))


def gelu(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Exact GELU as exported (x/sqrt2 -> erf lookup -> +1 -> *x -> *0.5):
    two products with rescaling, one lookup, one addition, one scale change."""
    R = rescale_cells(lo)
    return Work(nonlin=N_, elementwise=4 * sp.sympify(N_), rescales=2 * sp.sympify(N_),
                cells=sp.sympify(N_) * ((1 + R) + lookup_cells() + 1 + (1 + R) + 1))


def silu(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """SiLU x*sigmoid(x): a sigmoid lookup and one product with rescaling."""
    return Work(nonlin=N_, elementwise=N_, rescales=N_,
                cells=sp.sympify(N_) * (lookup_cells() + 1 + rescale_cells(lo)))


def eltwise_add(N_) -> Work:
    """Addition of two tensors of equal scale (residual connections, masks): one cell each."""
    return Work(elementwise=N_, cells=N_)


def eltwise_mul(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Product of two computed tensors: one product and one rescaling each."""
    return Work(elementwise=N_, rescales=N_, cells=sp.sympify(N_) * (1 + rescale_cells(lo)))


def scale(N_, value: float, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Multiplication by the constant ``value`` (e.g. 1/sqrt(d_h)); see :func:`const_mul_cells`."""
    per_element = const_mul_cells(value, lo)
    rescaled = per_element not in (0, 1)
    return Work(elementwise=0 if value == 1 else N_, rescales=N_ if rescaled else 0,
                cells=sp.sympify(N_) * per_element)


def rope(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Rotary position embedding on N elements: two products by cos/sin tables (constants, with
    rescaling) and one addition per element (assumed layout: no RoPE circuit was measured)."""
    R = rescale_cells(lo)
    return Work(elementwise=3 * sp.sympify(N_), rescales=2 * sp.sympify(N_),
                cells=sp.sympify(N_) * (2 * (1 + R) + 1))


def softmax(r_, l_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Softmax over ``r`` rows of length ``l``: max, subtract, exp (lookup), sum, reciprocal, scale.
    Cells: fitted per element and per row (:data:`FITTED`), plus the padding of three row
    reductions to whole rows (measured on odd lengths)."""
    return Work(nonlin=sp.sympify(r_) * l_ + r_, elementwise=3 * sp.sympify(r_) * l_, rescales=sp.sympify(r_) * l_,
                cells=_composite("softmax", r_, l_, lo) + _row_padding(r_, l_, 3, lo))


def layernorm(r_, l_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """LayerNorm over ``r`` rows of width ``l`` (mean, variance, rsqrt, affine).
    Cells: fitted per element and per row."""
    return Work(macs=sp.sympify(r_) * l_, elementwise=4 * sp.sympify(r_) * l_, nonlin=r_,
                rescales=3 * sp.sympify(r_) * l_, cells=_composite("layernorm", r_, l_, lo))


def rmsnorm(r_, l_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """RMSNorm (Llama: ``x * rsqrt(mean(x^2) + eps) * w``). Cells: fitted per element and per row."""
    return Work(macs=sp.sympify(r_) * l_, elementwise=2 * sp.sympify(r_) * l_, nonlin=r_,
                rescales=3 * sp.sympify(r_) * l_, cells=_composite("rmsnorm", r_, l_, lo))


def model_input(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Range check of N input elements."""
    return Work(cells=sp.sympify(N_) * input_cells(lo))


def model_output(N_, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Range check and instance equality of N public outputs (nothing for private outputs)."""
    return Work(cells=sp.sympify(N_) * output_cells(lo))


# --------------------------------------------------- the measured families
# Mirrors chasm.models (read it for the architectures).

Op = tuple[str, Work]


def mlp_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """``chasm.models.MLP``: input of ``width``, ``depth`` x (Linear(width, width), ReLU),
    Linear(width, outputs); batch 1."""
    width, n_layers, outputs = cfg["width"], cfg["depth"], cfg.get("outputs", 4)
    hidden = dense(1, width, width, lo=lo) + relu(width, lo)
    return [("input", model_input(width, lo)), ("hidden", hidden * n_layers),
            ("readout", dense(1, width, outputs, lo=lo)), ("output", model_output(outputs, lo))]


def cnn_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """``chasm.models.CNN``: ``depth`` x (3x3 conv, padding 1, ``channels``; ReLU) on a
    ``size`` x ``size`` single-channel image, then Linear(channels*size^2, outputs)."""
    ch, n_layers, side, outputs = cfg["channels"], int(cfg["depth"]), cfg["size"], cfg.get("outputs", 4)
    ops: list[Op] = [("input", model_input(side**2, lo))]
    c_in = 1
    for i in range(n_layers):
        ops += [(f"conv{i}", conv2d(c_in, ch, 3, side, lo=lo)),
                (f"relu{i}", relu(ch * side**2, lo))]
        c_in = ch
    ops += [("readout", dense(1, ch * side**2, outputs, lo=lo)), ("output", model_output(outputs, lo))]
    return ops


def transformer_block_ops(seq, d_model, heads, ffn_mult=4, activation="relu",
                          lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """One ``chasm.models.Block`` (pre-norm, biased projections, full attention over ``seq``)."""
    dh = sp.sympify(d_model) / heads
    ffn = ffn_mult * sp.sympify(d_model)
    # a symbolic head width is treated as giving a constant that is not a power of two
    scale_value = 1.0 / math.sqrt(float(dh)) if dh.is_number else 0.5 ** 0.5
    act = relu(seq * ffn, lo) if activation == "relu" else gelu(seq * ffn, lo)
    return [
        ("norm1", layernorm(seq, d_model, lo)),
        ("qkv", dense(seq, d_model, d_model, lo=lo) * 3),
        ("scores", matmul(heads, seq, dh, seq, equation="mbk,nbk->bmn", lo=lo)),
        ("scale", scale(heads * seq * seq, scale_value, lo)),
        ("softmax", softmax(heads * seq, seq, lo)),
        ("attend", matmul(heads, seq, seq, dh, equation="bmk,kbn->mbn", lo=lo)),
        ("proj", dense(seq, d_model, d_model, lo=lo)),
        ("residual1", eltwise_add(seq * d_model)),
        ("norm2", layernorm(seq, d_model, lo)),
        ("ff1", dense(seq, d_model, ffn, lo=lo)),
        ("act", act),
        ("ff2", dense(seq, ffn, d_model, lo=lo)),
        ("residual2", eltwise_add(seq * d_model)),
    ]


def transformer_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """``chasm.models.Transformer``: ``layers`` blocks on a (1, seq, d_model) input."""
    seq, dm = cfg["seq"], cfg["d_model"]
    block = transformer_block_ops(seq, dm, cfg["heads"], cfg.get("ffn_mult", 4), cfg.get("activation", "relu"), lo)
    n_layers = cfg["layers"]
    ops: list[Op] = [("input", model_input(seq * dm, lo))]
    ops += [(f"block.{name}", work * n_layers) for name, work in block]
    ops += [("output", model_output(seq * dm, lo))]
    return ops


def op_ops(cfg: Mapping, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """Single-operation circuits (family ``op``): ``{"op": layernorm|rmsnorm|softmax, "rows", "d"}``
    on a (1, rows, d) input."""
    builders = {"layernorm": layernorm, "rmsnorm": rmsnorm, "softmax": softmax}
    name = cfg["op"]
    if name not in builders:
        raise ValueError(f"unknown single operation {name!r}; known: {', '.join(builders)}")
    rows, width = cfg["rows"], cfg["d"]
    return [("input", model_input(rows * width, lo)), (name, builders[name](rows, width, lo)),
            ("output", model_output(rows * width, lo))]


FAMILY_OPS: dict[str, Callable[..., list[Op]]] = {
    "mlp": mlp_ops, "cnn": cnn_ops, "transformer": transformer_ops, "op": op_ops,
}
FAMILY_DEFAULTS = {"mlp": {"outputs": 4}, "cnn": {"outputs": 4},
                   "transformer": {"ffn_mult": 4, "activation": "relu"}, "op": {}}


def network_work(family: str, config: Mapping, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """Total :class:`Work` of one model of a measured family (fitted constants still symbolic)."""
    if family not in FAMILY_OPS:
        raise ValueError(f"unknown family {family!r}; known: {', '.join(FAMILY_OPS)}")
    cfg = {**FAMILY_DEFAULTS[family], **dict(config)}
    return total(work for _, work in FAMILY_OPS[family](cfg, lo))


# ------------------------------------------------------------ fitting


def _layout_from_row(row: Mapping) -> Layout:
    return Layout.from_run_args(num_inner_cols=row["num_inner_cols"], decomp_legs=row["decomp_legs"],
                                decomp_base=row["decomp_base"], disable_freivalds=row["disable_freivalds"],
                                output_visibility=row["output_visibility"],
                                param_visibility=row["param_visibility"])


def _linear_parts(expr: sp.Expr) -> tuple[float, dict[str, float]]:
    """Split an expression linear in the fitted symbols into (constant, {name: coefficient})."""
    expr = sp.expand(expr)
    coeffs = {name: float(expr.coeff(sym)) for name, sym in FITTED.items()}
    const = float(expr.subs({sym: 0 for sym in FITTED.values()}))
    return const, coeffs


def design(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Least-squares system for the fitted constants: one equation for base cells and one for
    einsum cells per circuit. Returns (X, y - known part, circuit index per equation, names)."""
    names = list(FITTED)
    X, y, idx = [], [], []
    for i, row in enumerate(frame.to_dict("records")):
        work = network_work(row["family"], json.loads(row["config"]), _layout_from_row(row))
        for expr, observed in ((work.cells, row["total_assignments"]),
                               (work.einsum_cells, row["total_einsum_col_size"])):
            const, coeffs = _linear_parts(expr)
            X.append([coeffs[nm] for nm in names])
            y.append(float(observed) - const)
            idx.append(i)
    return np.array(X), np.array(y), np.array(idx), names


@dataclass(frozen=True)
class Fit:
    """Fitted constants with their covariance (ordinary least squares)."""

    names: tuple[str, ...]
    values: np.ndarray
    cov: np.ndarray
    dof: int
    residual_se: float
    n_circuits: int

    def as_subs(self) -> dict[sp.Symbol, float]:
        return {FITTED[nm]: float(v) for nm, v in zip(self.names, self.values)}

    def table(self) -> pd.DataFrame:
        """Each constant with its 95% confidence interval (t distribution, ``dof`` degrees)."""
        from scipy import stats

        se = np.sqrt(np.clip(np.diag(self.cov), 0, None))
        q = stats.t.ppf(0.975, self.dof) if self.dof > 0 else float("nan")
        return pd.DataFrame({"constant": self.names, "low": self.values - q * se, "point": self.values,
                             "high": self.values + q * se, "se": se})


def fit_constants(frame: pd.DataFrame) -> Fit:
    """Fit :data:`FITTED` to measured layouts (rows of ``layouts.csv``) by least squares.

    Constants that no circuit in ``frame`` exercises cannot be fitted: a
    :class:`ValueError` names them.
    """
    X, y, _, names = design(frame)
    used = np.abs(X).sum(axis=0) > 0
    missing = [nm for nm, u in zip(names, used) if not u]
    if missing:
        raise ValueError(f"no circuit exercises the constants {missing}; add circuits that use them")
    rank = np.linalg.matrix_rank(X[:, used])
    if rank < int(used.sum()):
        raise ValueError(f"the circuits identify only {rank} of the {int(used.sum())} constants "
                         f"{[nm for nm, u in zip(names, used) if u]}: vary rows, widths and decomp_legs")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    dof = max(len(y) - len(names), 0)
    s2 = float(resid @ resid / dof) if dof else float("nan")
    cov = s2 * np.linalg.pinv(X.T @ X) if dof else np.full((len(names), len(names)), np.nan)
    return Fit(tuple(names), beta, cov, dof, math.sqrt(s2) if dof else float("nan"), len(frame))


@functools.lru_cache(maxsize=1)
def _default_fit_cached(path: str, mtime: float) -> Fit:
    from chasm import data

    frame = data.load_table(path)
    return fit_constants(frame)


def default_fit() -> Fit:
    """Constants fitted to all of ``data/measurements/layouts.csv`` (cached per file version)."""
    from chasm import paths

    path = paths.measurements_dir() / "layouts.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m chasm layouts` to measure layouts")
    return _default_fit_cached(str(path), path.stat().st_mtime)


# ----------------------------------------------------------- predictions


def predict_layout(family: str, config: Mapping, fit: Fit | None = None, **run_args) -> dict[str, float]:
    """Predicted ezkl layout of one model: ``total_assignments``, ``einsum_cells``, ``num_rows``
    (``ceil(cells / c)``), ``einsum_rows`` and ``logrows`` (ezkl's rule, :func:`logrows_rule`)."""
    lo = Layout.from_run_args(**run_args)
    fit = fit or default_fit()
    work = network_work(family, config, lo).subs(fit.as_subs())
    cells, einsum = float(work.cells), float(work.einsum_cells)
    rows = math.ceil(round(cells) / lo.inner_cols)
    einsum_rows = math.ceil(round(einsum) / lo.inner_cols) if einsum > 0 else 0
    return {"total_assignments": cells, "einsum_cells": einsum, "num_rows": float(rows),
            "einsum_rows": float(einsum_rows),
            "logrows": float(logrows_rule(rows, einsum_rows, decomp_base=lo.base)),
            "macs": float(work.macs), "flops": float(work.flops)}


def predicted_rows(family: str, config: dict, **run_args) -> float:
    """Rows (ezkl ``num_rows``) the model predicts for a measured family and size ``config``
    (the JSON ``config`` of ``proofs.csv``); ``run_args`` as in ezkl (``num_inner_cols``,
    ``decomp_base``, ``decomp_legs``, ``disable_freivalds``, ``output_visibility``)."""
    return predict_layout(family, config, **run_args)["num_rows"]


def logrows_rule(num_rows: float, einsum_rows: float = 0.0, *, decomp_base: int = DEFAULT_DECOMP_BASE,
                 lookup_range: float = 0.0, max_logrows: int = MAX_LOGROWS) -> int:
    """ezkl's ``calc_min_logrows`` without the column-count checks: the largest of the rows the
    layout needs (plus blinding rows), the range-check table (``decomp_base - 1`` values plus
    blinding rows and one), a lookup table's calibrated range, and the einsum region's rows;
    clamped to ``[MIN_LOGROWS, max_logrows]``."""
    def bits(x: float) -> int:
        return math.ceil(math.log2(x)) if x > 1 else 0

    need = max(bits(num_rows + RESERVED_BLINDING_ROWS),
               bits(max(decomp_base - 1, lookup_range) + RESERVED_BLINDING_ROWS + 1),
               bits(einsum_rows))
    return int(min(max(need, MIN_LOGROWS), max_logrows))


def logrows_symbolic() -> sp.Expr:
    """The same rule as a sympy expression of the rows and the decomposition base."""
    rows_sym, ein_sym = sp.symbols("R_main R_einsum", positive=True)
    need = sp.Max(sp.ceiling(sp.log(rows_sym + RESERVED_BLINDING_ROWS, 2)),
                  sp.ceiling(sp.log(B + RESERVED_BLINDING_ROWS, 2)),
                  sp.ceiling(sp.log(ein_sym, 2)))
    return sp.Min(sp.Max(need, MIN_LOGROWS), MAX_LOGROWS)


# ------------------------------------------------------------ prover work


def committed_polys(inner_cols=DEFAULT_INNER_COLS, lookup_tables: int = 3, degree: int = 5) -> int:
    """Polynomials the prover commits per row of one ezkl circuit block (estimate from the source).

    Advice: three base VarTensors of ``inner_cols`` columns (``SOURCES['columns']``).
    Lookups: one argument per table per inner column (``configure_range_check``), each
    committing a multiplicity and a running-sum polynomial (logUp / mv-lookup, which ezkl
    enables). ``lookup_tables`` = 3: the sign range check ``[-1, 1]``, the digit range
    check ``[0, B - 1]`` and one function table (exp for softmax). Permutation: the
    equality-enabled columns (advice plus one fixed and one instance) in products of
    ``degree - 2`` columns.
    """
    advice = BASE_ADVICE_VARS * inner_cols
    lookups = 2 * lookup_tables * inner_cols
    permutation = math.ceil((advice + 2) / (degree - 2))
    return advice + lookups + permutation


#: Constraint degree assumed for the prover: the largest for which ezkl still accepts
#: ``k = MAX_LOGROWS`` (its extended-domain check ``2^k (degree - 1) <= 2^S``, ``SOURCES['logrows']``).
ASSUMED_DEGREE = 2 ** (BN254_TWO_ADICITY - MAX_LOGROWS) + 1
#: Multi-scalar multiplications of size 2^k in the KZG multi-opening (assumed: three rotation sets).
ASSUMED_OPENING_MSMS = 3
PROVER_CONSTANTS = {
    bits: BN254_SCALAR_BITS,
    gamma: FIELD_MULS_PER_POINT_ADD,
    n_poly: committed_polys(),
    n_q: ASSUMED_DEGREE - 1,
    ext: math.ceil(math.log2(ASSUMED_DEGREE - 1)),
    n_open: ASSUMED_OPENING_MSMS,
}


def msm_work(log_size) -> sp.Expr:
    """Pippenger MSM of ``2**log_size`` points: about ``N / log2(N)`` point additions per scalar bit,
    each ``gamma`` field multiplications."""
    return bits * gamma * 2**log_size / log_size


def fft_work(log_size) -> sp.Expr:
    """Radix-2 FFT of ``N = 2**log_size`` points: ``N/2 * log2(N)`` butterflies, one multiplication each."""
    return 2**log_size / 2 * log_size


def prover_work_terms(k_=kk) -> dict[str, sp.Expr]:
    """Prover work of one halo2-KZG proof of ``2**k`` rows, by term (field multiplications).

    Per committed polynomial: one MSM (commitment), an inverse FFT to coefficients, a coset FFT
    on the ``2^e``-times extended domain and one multiplication per extended point to evaluate
    the constraints; the quotient: an inverse FFT on the extended domain and ``n_q`` MSMs;
    the opening: one evaluation per polynomial and ``n_o`` MSMs.
    """
    return {
        "msm": (n_poly + n_q + n_open) * msm_work(k_),
        "fft": n_poly * (fft_work(k_) + fft_work(k_ + ext)) + fft_work(k_ + ext),
        "evaluate": n_poly * (2**(k_ + ext) + 2**k_),
    }


def prover_work(k_=kk) -> sp.Expr:
    """Total prover work (field multiplications) for ``2**k`` rows (sum of :func:`prover_work_terms`)."""
    return sum(prover_work_terms(k_).values())


@functools.lru_cache(maxsize=None)
def prover_work_per_row() -> sp.Expr:
    """Prover field multiplications per row, ``prover_work / 2**k``, simplified, in ``k``."""
    return sp.collect(sp.expand(sp.powsimp(sp.expand(prover_work(kk) / 2**kk))), [kk, 1 / kk])


@functools.lru_cache(maxsize=None)
def msm_fft_crossover() -> sp.Expr:
    """The ``k`` at which the FFT terms per row overtake the MSM terms (closed form)."""
    terms = prover_work_terms(kk)
    msm = sp.expand(sp.powsimp(sp.expand(terms["msm"] / 2**kk)))
    fft = sp.expand(sp.powsimp(sp.expand(terms["fft"] / 2**kk)))
    fft_slope = sp.diff(fft, kk)
    sol = sp.solve(sp.Eq(msm, fft_slope * kk), kk)
    return [s_ for s_ in sol if s_.is_positive is not False][0]


def chunk_memory_bytes(k_=kk) -> sp.Expr:
    """Field elements one chunk's prover holds at once, in bytes (32 per element): every committed
    polynomial on the base and on the extended domain (a lower bound; keys and the SRS add more)."""
    return 32 * n_poly * (1 + 2**ext) * 2**k_


# --------------------------------------------------------------- chunking


def aggregation_fan_in(agg_rows=A_agg, k_max=MAX_LOGROWS) -> sp.Expr:
    """Proofs one aggregation circuit of ``2**k_max`` rows can verify."""
    return sp.floor(2**k_max / agg_rows)


def chunked_work(K_=Kc, rows=Rtot, agg_rows=A_agg, k_max=MAX_LOGROWS, continuous: bool = True) -> sp.Expr:
    """Prover work (field mults) to prove ``R`` rows as chunks of ``2**K`` rows plus aggregation.

    ``R / 2^K`` chunk proofs, each :func:`prover_work` ``(K)``; every proof is verified
    inside an aggregation circuit at ``A`` rows per proof, proven at ``k_max`` rows per
    aggregation proof, and aggregation proofs are aggregated again in a tree of fan-in
    ``F = 2^k_max / A`` (geometric series: ``F / (F - 1)`` verifications per chunk).
    ``continuous`` treats the chunk count as ``R / 2^K`` (for calculus); otherwise it is
    ``ceil(R / (2^K - blinding rows))``.
    """
    per_agg_row = prover_work(k_max) / sp.Integer(2) ** k_max
    fan_in = sp.Integer(2) ** k_max / agg_rows
    tree = fan_in / (fan_in - 1)
    chunks = rows / 2**K_ if continuous else sp.ceiling(rows / (2**K_ - RESERVED_BLINDING_ROWS))
    return chunks * (prover_work(K_) + agg_rows * tree * per_agg_row)


def chunk_optimum(agg_rows: float = AGGREGATION_ROWS_PER_PROOF["point"],
                  constants: Mapping | None = None) -> dict[str, float]:
    """Where :func:`chunked_work` per proven row is smallest in ``K``.

    With the chunk count taken as ``R / 2^K`` the work is ``R`` times a function of
    ``K`` alone, so the optimum does not depend on the size of the computation.
    Returns the stationary point ``K_stationary`` of that function (its first
    derivative there, ``derivative_at_stationary``, is zero to solver precision; a
    positive ``second_derivative`` makes it a minimum) and the best feasible integer
    ``K_best`` in ``[MIN_LOGROWS, MAX_LOGROWS]`` with its work per row.
    """
    import mpmath

    consts = dict(PROVER_CONSTANTS if constants is None else constants)
    expr = chunked_work(Kc, 1, sp.Integer(int(agg_rows))).subs(consts)
    d1 = sp.diff(expr, Kc)
    d2 = sp.diff(d1, Kc)
    stationary = float(mpmath.findroot(sp.lambdify(Kc, d1, "mpmath"), 30))
    f = sp.lambdify(Kc, expr, "math")
    feasible = {K: f(K) for K in range(MIN_LOGROWS, MAX_LOGROWS + 1)}
    best = min(feasible, key=feasible.get)
    return {"K_stationary": stationary, "second_derivative": float(d2.subs(Kc, stationary)),
            "derivative_at_stationary": float(d1.subs(Kc, stationary)),
            "K_best": float(best), "work_per_row_best": feasible[best],
            "work_per_row_at_stationary": float(f(stationary))}


# ------------------------------------------------ inference-to-proof ratio


def mlp_proving_ratio(lo: Layout = DEFAULT_LAYOUT, capped: bool = True) -> sp.Expr:
    """Prover field multiplications per inference FLOP of an MLP of width ``w`` and depth ``L``
    (batch 1, dense layers dominate: the readout and input/output are dropped).

    ``capped``: the circuit is proved in chunks of ``2^K`` rows (per-row work fixed, ``K``
    a symbol); otherwise as one circuit of ``2^k`` rows with ``k = log2(rows)``.
    """
    hidden = dense(1, w, w, lo=lo) + relu(w, lo)
    rows = depth * hidden.cells / lo.inner_cols
    flops = depth * hidden.flops
    per_row = prover_work_per_row().subs(kk, Kc if capped else sp.log(rows, 2))
    return per_row * rows / flops


# ------------------------------------------------------------- frontier


def llama_ffn_width(dim: int, ffn_dim_multiplier: float, multiple_of: int) -> int:
    """``FeedForward`` hidden width of the Llama 3 reference implementation (``SOURCES['llama']``)."""
    hidden = int(2 * (4 * dim) / 3)
    hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


@dataclass(frozen=True)
class Architecture:
    """A Llama-3 model as in ``data/architectures.csv``."""

    arch_id: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    ffn_width: int
    vocab_size: int
    context_tokens: int

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def params(self) -> int:
        """Exact parameter count: embeddings, per layer q/k/v/o and three FFN matrices and two
        norm vectors, final norm, untied output matrix."""
        dh = self.head_dim
        per_layer = (self.d_model * self.n_heads * dh + 2 * self.d_model * self.n_kv_heads * dh
                     + self.n_heads * dh * self.d_model + 3 * self.d_model * self.ffn_width + 2 * self.d_model)
        return 2 * self.vocab_size * self.d_model + self.n_layers * per_layer + self.d_model


def load_architectures() -> dict[str, Architecture]:
    """``data/architectures.csv`` as :class:`Architecture` objects keyed by ``arch_id``."""
    from chasm import data

    frame = data.load_table("architectures.csv")
    out = {}
    for row in frame.to_dict("records"):
        out[row["arch_id"]] = Architecture(row["arch_id"], int(row["n_layers"]), int(row["d_model"]),
                                           int(row["n_heads"]), int(row["n_kv_heads"]), int(row["ffn_width"]),
                                           int(row["vocab_size"]), int(row["context_tokens"]))
    return out


def list_architectures() -> list[str]:
    """Ids of the frontier architectures, e.g. ``['llama3-8b', 'llama3-70b', 'llama3-405b']``."""
    return list(load_architectures())


def load_query() -> dict[str, int]:
    """The query shape used everywhere (``data/query.csv``): prompt and generated tokens."""
    from chasm import data

    frame = data.load_table("query.csv")
    if len(frame) != 1:
        raise ValueError(f"data/query.csv must hold exactly one query shape, found {len(frame)} rows")
    row = frame.iloc[0]
    return {"prompt_tokens": int(row["prompt_tokens"]), "generated_tokens": int(row["generated_tokens"])}


def llama_layer_ops(arch: Architecture, tokens, cache, lo: Layout = DEFAULT_LAYOUT) -> list[Op]:
    """One Llama decoder layer processing ``tokens`` new tokens against a key/value cache of
    ``cache`` positions (``cache = tokens`` for the prefill of a prompt, ``tokens = 1`` and the
    current position for one decoding step). Full (masked) attention over the cache."""
    d_, hq, hkv, dh, ff = arch.d_model, arch.n_heads, arch.n_kv_heads, arch.head_dim, arch.ffn_width
    ops: list[Op] = [
        ("attention_norm", rmsnorm(tokens, d_, lo)),
        ("wq", dense(tokens, d_, hq * dh, bias=False, lo=lo)),
        ("wk_wv", dense(tokens, d_, hkv * dh, bias=False, lo=lo) * 2),
        ("rope", rope(sp.sympify(tokens) * (hq + hkv) * dh, lo)),
        ("scores", matmul(hq, tokens, dh, cache, equation="mbk,nbk->bmn", lo=lo)),
        ("scale", scale(hq * sp.sympify(tokens) * cache, 1 / math.sqrt(dh), lo)),
    ]
    if not _is_one(tokens):
        ops.append(("causal_mask", eltwise_add(hq * sp.sympify(tokens) * cache)))
    ops += [
        ("softmax", softmax(hq * sp.sympify(tokens), cache, lo)),
        ("attend", matmul(hq, tokens, cache, dh, equation="bmk,kbn->mbn", lo=lo)),
        ("wo", dense(tokens, hq * dh, d_, bias=False, lo=lo)),
        ("residual1", eltwise_add(sp.sympify(tokens) * d_)),
        ("ffn_norm", rmsnorm(tokens, d_, lo)),
        ("w1_w3", dense(tokens, d_, ff, bias=False, lo=lo) * 2),
        ("silu", silu(sp.sympify(tokens) * ff, lo)),
        ("gate", eltwise_mul(sp.sympify(tokens) * ff, lo)),
        ("w2", dense(tokens, ff, d_, bias=False, lo=lo)),
        ("residual2", eltwise_add(sp.sympify(tokens) * d_)),
    ]
    return ops


def llama_pass(arch: Architecture, tokens, cache, lo: Layout = DEFAULT_LAYOUT) -> Work:
    """One forward pass: input embeddings (range-checked private input), ``n_layers`` layers,
    final norm and output projection of the last token, public logits."""
    layer = total(work for _, work in llama_layer_ops(arch, tokens, cache, lo))
    head = rmsnorm(1, arch.d_model, lo) + dense(1, arch.d_model, arch.vocab_size, bias=False, lo=lo)
    return (model_input(sp.sympify(tokens) * arch.d_model, lo) + layer * arch.n_layers + head
            + model_output(arch.vocab_size, lo))


def row_equivalents(work: Work, lo: Layout = DEFAULT_LAYOUT) -> sp.Expr:
    """Rows of the base region the work fills, counting einsum cells twice (the einsum region has
    six advice VarTensors against the base region's three)."""
    return (work.cells + sp.Rational(EINSUM_ADVICE_VARS, BASE_ADVICE_VARS) * work.einsum_cells) / lo.inner_cols


def _sum_over_positions(expr: sp.Expr, first: int, last: int) -> float:
    """Sum of ``expr(t)`` over cache positions ``t = first .. last`` (numerically)."""
    if last < first:
        return 0.0
    expr = sp.sympify(expr)
    if t not in expr.free_symbols:
        return float(expr) * (last - first + 1)
    fn = sp.lambdify(t, expr, "numpy")
    return float(np.sum(fn(np.arange(first, last + 1, dtype=float))))


@dataclass(frozen=True)
class FrontierWorkload:
    """Work to prove one Llama-3 model's inference with ezkl's layout (floats).

    ``macs/flops/rows_per_token``: one decoding step at the query's mean cache length;
    ``prover_work_per_token``: the query's prover work over its ``prompt + generated - 1``
    processed tokens. ``*_per_query``: prefill of the prompt plus ``generated - 1`` decoding steps.
    Rows are base-region row equivalents (:func:`row_equivalents`) at ezkl's
    default layout; ``rows_per_query_low/high`` is the 95% band of the rows model
    (held-out error band and fitted-constant uncertainty, :func:`rows_error_band`).
    Prover work in BN254 field multiplications, with the band of the rows and the
    sourced range of the aggregation constant.
    """

    arch_id: str
    params: int
    prompt_tokens: int
    generated_tokens: int
    macs_per_token: float
    flops_per_token: float
    rows_per_token: float
    rows_per_token_low: float
    rows_per_token_high: float
    macs_per_query: float
    flops_per_query: float
    rows_per_query: float
    rows_per_query_low: float
    rows_per_query_high: float
    chunk_logrows: int
    chunks_per_query: int
    chunks_per_query_low: int
    chunks_per_query_high: int
    prover_work_per_query: float
    prover_work_per_query_low: float
    prover_work_per_query_high: float
    prover_work_per_token: float
    prover_work_per_token_low: float
    prover_work_per_token_high: float
    work_ratio: float
    chunk_memory_bytes: float
    prefill_rows_share: float


@functools.lru_cache(maxsize=1)
def _validation_cached(path: str, mtime: float) -> pd.DataFrame:
    from chasm import data

    return validate(data.load_table(path))


def layouts_validation() -> pd.DataFrame:
    """:func:`validate` on ``data/measurements/layouts.csv`` (cached per file version)."""
    from chasm import paths

    path = paths.measurements_dir() / "layouts.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m chasm layouts` to measure layouts")
    return _validation_cached(str(path), path.stat().st_mtime)


def rows_error_band() -> float:
    """Relative half-width of the 95% band put on extrapolated rows: the 95th percentile of the
    held-out absolute relative errors of the rows model (:func:`layouts_validation`)."""
    result = layouts_validation()
    test = result[result["split"] == "test"]
    if not len(test):
        raise ValueError("no held-out circuits in data/measurements/layouts.csv")
    return float(np.quantile(np.abs(test["rows_rel_err"]), 0.95))


def _fitted_rows_se(work: Work, fit: Fit, lo: Layout) -> float:
    """Standard error of the rows from the covariance of the fitted constants (delta method)."""
    expr = row_equivalents(work, lo)
    grad = np.array([float(sp.diff(expr, FITTED[nm]).subs(fit.as_subs())) for nm in fit.names])
    cov = np.nan_to_num(fit.cov)
    return float(math.sqrt(max(grad @ cov @ grad, 0.0)))


def frontier_workload(arch_id: str, *, chunk_logrows: int | None = None, fit: Fit | None = None) -> FrontierWorkload:
    """Per-token and per-query work of Llama-3 ``arch_id`` (see :func:`list_architectures`) on the
    query of ``data/query.csv``, at ezkl's default layout."""
    archs = load_architectures()
    if arch_id not in archs:
        raise KeyError(f"unknown architecture {arch_id!r}; known: {', '.join(archs)}")
    arch, query, lo = archs[arch_id], load_query(), DEFAULT_LAYOUT
    fit = fit or default_fit()
    subs = fit.as_subs()
    P, Gn = query["prompt_tokens"], query["generated_tokens"]
    prefill = llama_pass(arch, P, P, lo)
    step = llama_pass(arch, 1, t, lo)
    mean_cache = P + Gn / 2
    tok = step.subs({t: mean_cache, **subs})
    rows_step = row_equivalents(step, lo).subs(subs)
    rows_prefill = float(row_equivalents(prefill, lo).subs(subs))
    rows_decode = _sum_over_positions(rows_step, P + 1, P + Gn - 1)
    rows_query = rows_prefill + rows_decode
    macs_query = float(prefill.macs) + _sum_over_positions(step.macs, P + 1, P + Gn - 1)
    flops_query = float(prefill.flops) + _sum_over_positions(step.flops, P + 1, P + Gn - 1)

    band = rows_error_band()
    se_rel = _fitted_rows_se(prefill, fit, lo) / max(rows_prefill, 1.0)
    half = band + 1.96 * se_rel
    K = int(chunk_logrows or chunk_optimum()["K_best"])
    usable = 2**K - RESERVED_BLINDING_ROWS

    def chunks(rows: float) -> int:
        return math.ceil(rows / usable)

    def work(rows: float, agg: float) -> float:
        expr = chunked_work(K, rows, agg, continuous=True).subs(PROVER_CONSTANTS)
        return float(expr)

    agg = AGGREGATION_ROWS_PER_PROOF
    w_point = work(rows_query, agg["point"])
    w_low = work(rows_query * (1 - half), agg["low"])
    w_high = work(rows_query * (1 + half), agg["high"])
    tokens = P + Gn - 1
    rows_token = float(row_equivalents(tok, lo))
    return FrontierWorkload(
        arch_id=arch_id, params=arch.params, prompt_tokens=P, generated_tokens=Gn,
        macs_per_token=float(tok.macs), flops_per_token=float(tok.flops),
        rows_per_token=rows_token, rows_per_token_low=rows_token * (1 - half),
        rows_per_token_high=rows_token * (1 + half),
        macs_per_query=macs_query, flops_per_query=flops_query,
        rows_per_query=rows_query, rows_per_query_low=rows_query * (1 - half),
        rows_per_query_high=rows_query * (1 + half),
        chunk_logrows=K, chunks_per_query=chunks(rows_query),
        chunks_per_query_low=chunks(rows_query * (1 - half)),
        chunks_per_query_high=chunks(rows_query * (1 + half)),
        prover_work_per_query=w_point,
        prover_work_per_query_low=w_low, prover_work_per_query_high=w_high,
        prover_work_per_token=w_point / tokens, prover_work_per_token_low=w_low / tokens,
        prover_work_per_token_high=w_high / tokens,
        work_ratio=w_point / flops_query,
        chunk_memory_bytes=float(chunk_memory_bytes(K).subs(PROVER_CONSTANTS)),
        prefill_rows_share=rows_prefill / rows_query,
    )


def frontier_table(**kw) -> pd.DataFrame:
    """:func:`frontier_workload` of every architecture, one row each."""
    return pd.DataFrame([vars(frontier_workload(a, **kw)) for a in list_architectures()])


# ------------------------------------------------------------- validation


def split_of(circuit_id: str) -> str:
    """Deterministic train/test assignment of a circuit by the parity of a hash of its id
    (:func:`validate` puts single-operation circuits, family ``op``, in training regardless)."""
    import hashlib

    digest = int(hashlib.sha256(circuit_id.encode()).hexdigest(), 16)
    return "train" if digest % 2 == 0 else "test"


def validate(frame: pd.DataFrame, fit: Fit | None = None) -> pd.DataFrame:
    """Fit on the training circuits of ``frame`` (``layouts.csv`` rows), predict every circuit.

    Returns one row per circuit: family, config, split, observed and predicted
    ``num_rows``, ``total_assignments`` and einsum cells, and relative errors
    (predicted / observed - 1).
    """
    splits = [("train" if fam == "op" else split_of(cid)) for fam, cid in zip(frame["family"], frame["circuit_id"])]
    train = frame[[s == "train" for s in splits]]
    fit = fit or fit_constants(train)
    rows = []
    for split, rec in zip(splits, frame.to_dict("records")):
        pred = predict_layout(rec["family"], json.loads(rec["config"]), fit,
                              num_inner_cols=rec["num_inner_cols"], decomp_legs=rec["decomp_legs"],
                              decomp_base=rec["decomp_base"], disable_freivalds=rec["disable_freivalds"],
                              output_visibility=rec["output_visibility"], param_visibility=rec["param_visibility"])
        rows.append({
            "circuit_id": rec["circuit_id"], "family": rec["family"], "config": rec["config"], "split": split,
            "num_inner_cols": rec["num_inner_cols"], "disable_freivalds": rec["disable_freivalds"],
            "decomp_legs": rec["decomp_legs"],
            "rows_observed": rec["num_rows"], "rows_predicted": pred["num_rows"],
            "assignments_observed": rec["total_assignments"], "assignments_predicted": pred["total_assignments"],
            "einsum_observed": rec["total_einsum_col_size"], "einsum_predicted": pred["einsum_cells"],
        })
    out = pd.DataFrame(rows)
    out["rows_rel_err"] = out["rows_predicted"] / out["rows_observed"] - 1
    out["assignments_rel_err"] = out["assignments_predicted"] / out["assignments_observed"] - 1
    return out


def validate_proofs(fit: Fit | None = None) -> pd.DataFrame:
    """Predicted against reported ``num_rows``, ``total_assignments`` and ``logrows`` for every
    ``status == 'ok'`` run in ``data/measurements/proofs.csv`` (empty if there are none)."""
    from chasm import data, paths

    path = paths.measurements_dir() / "proofs.csv"
    if not path.exists():
        return pd.DataFrame()
    frame = data.load_table(path)
    frame = frame[frame["status"] == "ok"]
    fit = fit or default_fit()
    rows = []
    for rec in frame.to_dict("records"):
        out_vis = rec["visibility"].split("output:")[1].split(",")[0]
        param_vis = rec["visibility"].split("param:")[1].split(",")[0]
        pred = predict_layout(rec["family"], json.loads(rec["config"]), fit,
                              num_inner_cols=rec["num_inner_cols"], decomp_base=rec["decomp_base"],
                              disable_freivalds=bool(rec["disable_freivalds"]), output_visibility=out_vis,
                              param_visibility=param_vis)
        rows.append({"run_id": rec["run_id"], "family": rec["family"], "config": rec["config"],
                     "rows_observed": rec["num_rows"], "rows_predicted": pred["num_rows"],
                     "assignments_observed": rec["total_assignments"],
                     "assignments_predicted": pred["total_assignments"],
                     "logrows_observed": rec["logrows"], "logrows_predicted": pred["logrows"]})
    out = pd.DataFrame(rows)
    if len(out):
        out["rows_rel_err"] = out["rows_predicted"] / out["rows_observed"] - 1
    return out


def validation_chart(result: pd.DataFrame):
    """Predicted against observed rows (log-log), coloured by family, shaped by split."""
    import altair as alt

    import chasm.charts  # noqa: F401  (theme and renderer)

    frame = result.copy()
    frame["abs_rel_err_pct"] = 100 * frame["rows_rel_err"].abs()
    lo_, hi_ = float(frame["rows_observed"].min()), float(frame["rows_observed"].max())
    diag = pd.DataFrame({"rows_observed": [lo_, hi_], "rows_predicted": [lo_, hi_]})
    line = alt.Chart(diag).mark_line(color="#888888", strokeDash=[4, 4]).encode(
        x="rows_observed:Q", y="rows_predicted:Q")
    points = alt.Chart(frame).mark_point().encode(
        x=alt.X("rows_observed:Q", scale=alt.Scale(type="log"), title="rows reported by ezkl (num_rows)"),
        y=alt.Y("rows_predicted:Q", scale=alt.Scale(type="log"), title="rows predicted by the cost model"),
        color=alt.Color("family:N", title="family"),
        shape=alt.Shape("split:N", title="split"),
        tooltip=["family", "config", "split", "rows_observed", "rows_predicted", "abs_rel_err_pct"],
    )
    return (line + points).properties(title="Rows: predicted against reported")


def circuit_committed_polys(inner_cols: int, lookup_tables: int, einsum: bool,
                            degree: int = ASSUMED_DEGREE) -> int:
    """:func:`committed_polys` of one measured circuit: its number of range-check and lookup
    tables, plus the einsum region's six advice VarTensors when the Freivalds argument is used."""
    base = committed_polys(inner_cols, lookup_tables, degree)
    if not einsum:
        return base
    extra_advice = EINSUM_ADVICE_VARS * inner_cols
    perm_before = math.ceil((BASE_ADVICE_VARS * inner_cols + 2) / (degree - 2))
    perm_after = math.ceil((BASE_ADVICE_VARS * inner_cols + extra_advice + 2) / (degree - 2))
    return base + extra_advice + perm_after - perm_before


def implied_field_mult_time(fit: Fit | None = None) -> pd.DataFrame:
    """For every ``ok`` proving run: the model's prover work at the run's ``logrows`` and the
    measured proving time, and their ratio (CPU-seconds per field multiplication: proving
    seconds times the prover's threads, over the work). Empty if there are no runs."""
    from chasm import data, paths

    path = paths.measurements_dir() / "proofs.csv"
    if not path.exists():
        return pd.DataFrame()
    frame = data.load_table(path)
    frame = frame[frame["status"] == "ok"]
    fit = fit or default_fit()
    rows = []
    for rec in frame.to_dict("records"):
        out_vis = rec["visibility"].split("output:")[1].split(",")[0]
        pred = predict_layout(rec["family"], json.loads(rec["config"]), fit, num_inner_cols=rec["num_inner_cols"],
                              decomp_base=rec["decomp_base"], disable_freivalds=bool(rec["disable_freivalds"]),
                              output_visibility=out_vis)
        tables = len(json.loads(rec["required_range_checks"] or "[]")) + len(json.loads(rec["required_lookups"] or "[]"))
        n_c = circuit_committed_polys(int(rec["num_inner_cols"]), tables, pred["einsum_cells"] > 0)
        consts = {**PROVER_CONSTANTS, n_poly: n_c}
        work = float(prover_work(int(rec["logrows"])).subs(consts))
        seconds = rec["prove_compute_s"] if pd.notna(rec.get("prove_compute_s")) else rec["prove_s"]
        threads = rec["prove_threads"] if pd.notna(rec.get("prove_threads")) else rec["cpu_count"]
        rows.append({"run_id": rec["run_id"], "family": rec["family"], "config_id": rec["config_id"],
                     "logrows": int(rec["logrows"]), "committed_polys": n_c, "field_mults": work,
                     "prove_s": float(seconds), "threads": int(threads),
                     "cpu_ns_per_field_mult": 1e9 * float(seconds) * int(threads) / work})
    return pd.DataFrame(rows)


def geometric_mean_interval(values: Iterable[float], groups: Iterable[str] | None = None) -> dict[str, float]:
    """Geometric mean with a 95% t-interval on the log scale; with ``groups``, each group (e.g.
    one configuration's repetitions) is first averaged in logs so that it counts once."""
    from scipy import stats

    logs = pd.Series(np.log(np.asarray(list(values), dtype=float)))
    if groups is not None:
        logs = logs.groupby(pd.Series(list(groups))).mean()
    n_ = len(logs)
    mean = float(logs.mean())
    if n_ < 2:
        return {"low": float("nan"), "point": math.exp(mean), "high": float("nan"), "n": n_}
    half = float(stats.t.ppf(0.975, n_ - 1) * logs.std(ddof=1) / math.sqrt(n_))
    return {"low": math.exp(mean - half), "point": math.exp(mean), "high": math.exp(mean + half), "n": n_}


# ------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """``python -m chasm.costmodel``: print the frontier table (layouts: ``python -m chasm layouts``)."""
    print(frontier_table().to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
