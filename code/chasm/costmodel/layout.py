"""ezkl's PLONKish layout of primitive operations, read from its source (``SOURCES['layouts']``).

:class:`Work` carries an operation's inference work and its ezkl cells;
:class:`RunArgs` the run arguments that change the layout. The primitive cell
counts (decomposition, rescaling, ReLU, input, output, slices) and the port of
ezkl's einsum reduction planner (the Freivalds argument) are derived line by
line from the files in :data:`chasm.costmodel.sources.SOURCES`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import sympy as sp

from chasm.core.ezkl_rules import DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS, DEFAULT_INNER_COLS
from chasm.costmodel.symbols import SHAPE_SYMBOLS, B, c, lam, pad

__all__ = ["Work", "cells_per_mac_limit", "total", "RunArgs", "DEFAULT_RUN_ARGS", "decompose_cells",
           "equals_zero_cells", "rescale_cells", "relu_cells", "lookup_cells", "input_cells", "output_cells",
           "const_mul_cells", "rotate_half_cells", "is_one", "uses_freivalds", "freivalds_reduction_cells",
           "base_einsum_cells"]


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


def cells_per_mac_limit(work: Work) -> sp.Expr:
    """Limit of the cells (base plus einsum) per multiply-accumulate of ``work`` as every shape
    grows together (each symbol of :data:`SHAPE_SYMBOLS` set to one growing size; run arguments
    and fitted constants kept; padding to whole rows dropped)."""
    size = sp.Symbol("size", positive=True)
    ratio = (sp.sympify(work.cells) + sp.sympify(work.einsum_cells)) / sp.sympify(work.macs)
    ratio = ratio.replace(sp.ceiling, lambda arg: arg)
    shapes = {sym: size for sym in ratio.free_symbols if sym in SHAPE_SYMBOLS}
    return sp.simplify(sp.limit(ratio.subs(shapes), size, sp.oo))


def total(works: Iterable[Work]) -> Work:
    """Sum of works."""
    acc = Work()
    for item in works:
        acc = acc + item
    return acc


# ------------------------------------------------------ layout parameters


@dataclass(frozen=True)
class RunArgs:
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
    def symbolic(cls, **kw) -> "RunArgs":
        """The layout with symbols ``c``, ``lambda``, ``B`` for any field not given in ``kw``."""
        return cls(**{"inner_cols": c, "legs": lam, "base": B, **kw})

    @classmethod
    def from_run_args(cls, *, num_inner_cols=DEFAULT_INNER_COLS, decomp_legs=DEFAULT_DECOMP_LEGS,
                      decomp_base=DEFAULT_DECOMP_BASE, disable_freivalds=False, output_visibility="public",
                      param_visibility="fixed", **_ignored) -> "RunArgs":
        """From ezkl run-argument names (as in ``PyRunArgs`` / settings JSON)."""
        if param_visibility != "fixed":
            raise ValueError(f"the layout model covers param_visibility='fixed' only, not {param_visibility!r}")
        if output_visibility not in ("public", "private"):
            raise ValueError(f"output_visibility must be 'public' or 'private', not {output_visibility!r}")
        return cls(int(num_inner_cols), int(decomp_legs), int(decomp_base), not bool(disable_freivalds),
                   output_visibility == "public")


DEFAULT_RUN_ARGS = RunArgs()

# ------------------------------------------- primitive layout costs (source)
# Each returns cells (linear coordinates) for ONE element, derived from
# SOURCES['layouts']; comments name the ezkl function and its increments.


def decompose_cells(ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """``decompose``: digits+sign (λ+1), sign range check (1), digit range checks (λ),
    base-power dot of the λ digits (pad_c(λ)), sign product (1), equality (1)."""
    legs = sp.sympify(ra.legs)
    return (legs + 1) + 1 + legs + pad(legs, ra.inner_cols) + 1 + 1


def equals_zero_cells() -> sp.Expr:
    """``equals_zero``: x*inv(x) (1), 1 - that (1), product check (1), equality (1)."""
    return sp.Integer(4)


def rescale_cells(ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """``div`` by a power of two (rescaling): decompose the quotient (D), quotient*divisor (1),
    ``diff_less_than`` = ``l1_distance`` [sub (1) + ``abs`` = sign (D) + mult (1)] +
    ``less`` = ``greater`` [sub (1) + sign with zero check (D + equals_zero + mult + equality)
    + ``equals`` (sub 1 + equals_zero)] + equality (1)."""
    D = decompose_cells(ra)
    l1 = 1 + (D + 1)
    greater = 1 + (D + equals_zero_cells() + 1 + 1) + (1 + equals_zero_cells())
    return D + 1 + l1 + greater + 1


def relu_cells(ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """``leaky_relu`` with slope 0: sign (D), ``equals`` (sub 1 + equals_zero), mask product (1)."""
    return decompose_cells(ra) + 1 + equals_zero_cells() + 1


def lookup_cells() -> sp.Expr:
    """``nonlinearity`` (a lookup-table function: exp, erf, sigmoid, tanh): one coordinate."""
    return sp.Integer(1)


def input_cells(ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """A model input element is range-checked by one decomposition (private or public input)."""
    return decompose_cells(ra)


def output_cells(ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """``output`` for a public output: decompose the output and the instance (2 D), equality (1)."""
    if not ra.output_public:
        return sp.Integer(0)
    return 2 * decompose_cells(ra) + 1


def const_mul_cells(value: float, ra: RunArgs = DEFAULT_RUN_ARGS, *, then_added: bool = False) -> sp.Expr:
    """Multiplication by a constant: free for 1, one coordinate for 2**-j (j >= 1, a change of
    scale), otherwise a product and a rescaling. ``then_added``: the result is next added to a
    tensor at the original scale (the causal mask after the attention scale), which forces a
    rescaling after a change of scale too (measured in the ``llama`` layouts with head widths 4
    and 16 against 8 and 32)."""
    if value == 1:
        return sp.Integer(0)
    exponent = -math.log2(value) if value > 0 else 0.0
    if value > 0 and exponent >= 1 and float(exponent).is_integer() and not then_added:
        return sp.Integer(1)
    return 1 + rescale_cells(ra)


def rotate_half_cells() -> sp.Expr:
    """``rotate_half`` of rotary embeddings, ``cat(-x2, x1)`` of the two halves of each head, per
    element of ``x``: two ``slice``s, each assigning its whole input when that is not yet assigned
    (one cell per element each, as in the measured Llama circuits), ``neg`` of one half (a pairwise
    subtraction: half a cell per element); ``concat`` assigns nothing."""
    return 2 + sp.Rational(1, 2)


# ------------------------------------------- einsum: port of ezkl's planner


def is_one(x) -> bool:
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
    ins = ["".join(ch for ch in s if not is_one(dims[ch])) for s in inputs.split(",")]
    out = "".join(ch for ch in output if ch in dims and not is_one(dims[ch]))
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
    non_common = [ch for ch in dims if ch not in common and not is_one(dims[ch])]
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


def freivalds_reduction_cells(equation: str, dims: Mapping[str, object], ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """Cells of one einsum under the Freivalds argument: random linear combinations of the output
    over each output axis, plus the reductions of the inputs (port of ``analyze_single_equation``
    and ``input_reductions``); each reduction is a set of dot products padded to whole rows of
    ``c`` inner columns (pairwise products are not padded)."""
    ins, out = _sanitise(equation, dims)
    cols = ra.inner_cols
    rev = [sp.sympify(dims[ch]) for ch in out][::-1]
    output_len = sum((_prod(rev[i + 1:]) * pad(rev[i], cols) for i in range(len(rev))), sp.Integer(0))
    input_len = sp.Integer(0)
    for kind, axis, n_inputs, result in _input_reductions(ins, out):
        dot_len = sp.sympify(dims[axis]) if axis is not None else sp.Integer(1)
        length = dot_len * (1 if n_inputs <= 2 else n_inputs)
        n_dots = _prod(dims[ch] for ch in result)
        input_len += n_dots * (length if kind == "pairwise" else pad(length, cols))
    return output_len + input_len


def base_einsum_cells(equation: str, dims: Mapping[str, object], ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """An einsum laid out with base operations: one ``dot`` (padded to whole rows) per output element."""
    ins, out = _sanitise(equation, dims)
    contracted = sorted({ch for s in ins for ch in s} - set(out))
    n_out = _prod(dims[ch] for ch in out)
    return n_out * pad(_prod(dims[ch] for ch in contracted), ra.inner_cols)

