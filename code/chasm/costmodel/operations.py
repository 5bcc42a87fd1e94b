"""Inference work and ezkl cells of each network operation (dense, product, convolution,
activations, normalisations, softmax, rotary embeddings, inputs and outputs).

Each function returns a :class:`~chasm.costmodel.layout.Work`: multiply-accumulates,
other arithmetic, nonlinear evaluations and rescalings of inference, and the cells
ezkl lays out for them. Composite operations whose layout was not derived line by
line (layer/RMS norm, softmax) carry the symbolic constants of :data:`ESTIMATED`.
"""

from __future__ import annotations


import sympy as sp

from chasm.costmodel.layout import (
    DEFAULT_RUN_ARGS, RunArgs, Work, base_einsum_cells, const_mul_cells, decompose_cells,
    freivalds_reduction_cells, input_cells, lookup_cells, output_cells, relu_cells, rescale_cells,
    rotate_half_cells, uses_freivalds,
)
from chasm.costmodel.symbols import pad

__all__ = ["COMPOSITE_OPS", "ESTIMATED", "dense", "matmul", "conv2d", "relu", "gelu", "silu", "eltwise_add",
           "eltwise_mul", "scale", "rope", "kv_repeat", "softmax", "mean_alignment_cells", "layernorm",
           "rmsnorm", "model_input", "model_output"]

#: Constants fitted to measured circuits (:func:`estimate_constants`): for each composite operation,
#: cells per element ``<op>_e0 + <op>_e1 * D`` and per reduced row ``<op>_r0 + <op>_r1 * D``
#: (D: cells of one decomposition), and the fixed cells of one Freivalds einsum.
COMPOSITE_OPS = ("layernorm", "rmsnorm", "softmax")
ESTIMATED = {
    f"{op}_{part}{i}": sp.Symbol(rf"\theta^{{\mathrm{{{op}}}}}_{{{part}{i}}}")
    for op in COMPOSITE_OPS for part in ("e", "r") for i in (0, 1)
}
ESTIMATED["freivalds_fixed"] = sp.Symbol(r"\epsilon_F")


def _composite(op: str, rows, length, ra: RunArgs) -> sp.Expr:
    D = decompose_cells(ra)
    per_elem = ESTIMATED[f"{op}_e0"] + ESTIMATED[f"{op}_e1"] * D
    per_row = ESTIMATED[f"{op}_r0"] + ESTIMATED[f"{op}_r1"] * D
    return rows * length * per_elem + rows * per_row


def _row_padding(rows, length, reductions: int, ra: RunArgs) -> sp.Expr:
    """Cells added by padding ``reductions`` row-wise sums or maxima of odd length to whole rows."""
    return reductions * sp.sympify(rows) * (pad(length, ra.inner_cols) - length)


# ------------------------------------------------------------ operations


def dense(m_, k_, n_, *, bias: bool = True, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Dense layer ``(m x k) @ (k x n) + b``: m*k*n MACs, one rescaling per output.

    RunArgs: the product is an einsum ``mk,kn->mn``. With ``m > 1`` and ``n > 1``
    and Freivalds on, it is checked by random linear combinations in the einsum
    region (:func:`freivalds_reduction_cells`), else by one ``dot`` per output
    (``m n pad(k)`` cells); the bias addition (1) and the rescaling then cost
    ``m n (1 + R)`` base cells.
    """
    dims = {"m": m_, "k": k_, "n": n_}
    eq = "mk,kn->mn"
    cells = sp.sympify(m_) * n_ * ((1 if bias else 0) + rescale_cells(ra))
    einsum = sp.Integer(0)
    if ra.freivalds and uses_freivalds(eq, dims):
        einsum = freivalds_reduction_cells(eq, dims, ra) + ESTIMATED["freivalds_fixed"]
    else:
        cells += base_einsum_cells(eq, dims, ra)
    return Work(macs=sp.sympify(m_) * k_ * n_, elementwise=sp.sympify(m_) * n_ if bias else 0,
                rescales=sp.sympify(m_) * n_, cells=cells, einsum_cells=einsum)


def matmul(b_, m_, k_, n_, *, equation: str = "mbk,nbk->bmn", ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Product of two computed tensors batched over ``b`` (attention scores or attention times values).

    ``equation`` names axes b (batch/heads), m, k (contracted) and n as ezkl sees
    them (``mbk,nbk->bmn`` for q k^T, ``bmk,kbn->mbn`` for attention x v).
    """
    dims = {"b": b_, "m": m_, "k": k_, "n": n_}
    outputs = sp.sympify(b_) * m_ * n_
    cells = outputs * rescale_cells(ra)
    einsum = sp.Integer(0)
    if ra.freivalds and uses_freivalds(equation, dims):
        einsum = freivalds_reduction_cells(equation, dims, ra) + ESTIMATED["freivalds_fixed"]
    else:
        cells += base_einsum_cells(equation, dims, ra)
    return Work(macs=outputs * k_, rescales=outputs, cells=cells, einsum_cells=einsum)


def conv2d(c_in, c_out, kernel, out_side, in_side=None, *, bias: bool = True,
           ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Square 2-d convolution, stride 1: ``C_in C_out K^2 H^2`` MACs (padding taps included).

    RunArgs (``conv``): kernel and image assigned side by side (the longer of the two
    counts); per output a ``dot`` of ``K^2 C_in``
    taps padded to whole rows, the bias addition and a row flush (``c`` cells),
    then a rescaling.
    """
    in_side = out_side if in_side is None else in_side
    outputs = sp.sympify(c_out) * out_side**2
    kernel_len = sp.sympify(c_in) * c_out * kernel**2
    assign = sp.Max(kernel_len, sp.sympify(c_in) * in_side**2)
    per_out = pad(kernel**2 * c_in, ra.inner_cols) + (ra.inner_cols if bias else 0) + rescale_cells(ra)
    return Work(macs=outputs * c_in * kernel**2, elementwise=outputs if bias else 0, rescales=outputs,
                cells=assign + outputs * per_out)


def relu(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """ReLU on N elements: N nonlinearity evaluations, ``D + 6`` cells each (sign decomposition)."""
    return Work(nonlin=N_, cells=sp.sympify(N_) * relu_cells(ra))


def gelu(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Exact GELU as exported (x/sqrt2 -> erf lookup -> +1 -> *x -> *0.5):
    two products with rescaling, one lookup, one addition, one scale change."""
    R = rescale_cells(ra)
    return Work(nonlin=N_, elementwise=4 * sp.sympify(N_), rescales=2 * sp.sympify(N_),
                cells=sp.sympify(N_) * ((1 + R) + lookup_cells() + 1 + (1 + R) + 1))


def silu(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """SiLU x*sigmoid(x): a sigmoid lookup and one product with rescaling."""
    return Work(nonlin=N_, elementwise=N_, rescales=N_,
                cells=sp.sympify(N_) * (lookup_cells() + 1 + rescale_cells(ra)))


def eltwise_add(N_) -> Work:
    """Addition of two tensors of equal scale (residual connections, masks): one cell each."""
    return Work(elementwise=N_, cells=N_)


def eltwise_mul(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Product of two computed tensors: one product and one rescaling each."""
    return Work(elementwise=N_, rescales=N_, cells=sp.sympify(N_) * (1 + rescale_cells(ra)))


def scale(N_, value: float, ra: RunArgs = DEFAULT_RUN_ARGS, *, then_added: bool = False) -> Work:
    """Multiplication by the constant ``value`` (e.g. 1/sqrt(d_h)); see :func:`const_mul_cells`."""
    per_element = const_mul_cells(value, ra, then_added=then_added)
    rescaled = per_element not in (0, 1)
    return Work(elementwise=0 if value == 1 else N_, rescales=N_ if rescaled else 0,
                cells=sp.sympify(N_) * per_element)


def rope(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Rotary position embedding ``x cos + rotate_half(x) sin`` on N elements: ``rotate_half``
    (:func:`~chasm.costmodel.layout.rotate_half_cells`), two products by the cos/sin tables
    (constants) with rescaling, one addition (checked by the ``llama`` layouts)."""
    R = rescale_cells(ra)
    return Work(elementwise=3 * sp.sympify(N_), rescales=2 * sp.sympify(N_),
                cells=sp.sympify(N_) * (rotate_half_cells() + 2 * (1 + R) + 1))


def kv_repeat(heads, positions, head_dim) -> Work:
    """Grouped-query attention: keys and values of ``positions`` positions repeated over ``heads``
    query heads (``repeat_kv``); ezkl assigns the repeated tensors, one cell per element of each
    (measured in the ``llama`` layouts; no arithmetic)."""
    return Work(cells=2 * sp.sympify(heads) * positions * head_dim)


def softmax(r_, l_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Softmax over ``r`` rows of length ``l``: max, subtract, exp (lookup), sum, reciprocal, scale.
    Cells: fitted per element and per row (:data:`ESTIMATED`), plus the padding of three row
    reductions to whole rows (measured on odd lengths)."""
    return Work(nonlin=sp.sympify(r_) * l_ + r_, elementwise=3 * sp.sympify(r_) * l_, rescales=sp.sympify(r_) * l_,
                cells=_composite("softmax", r_, l_, ra) + _row_padding(r_, l_, 3, ra))


def mean_alignment_cells(r_, l_, ra: RunArgs = DEFAULT_RUN_ARGS) -> sp.Expr:
    """Cells of LayerNorm's mean ``sum / l`` and of subtracting it, beyond what the fitted
    constants hold, for ``r`` rows of width ``l``.

    The division is a multiplication by the constant ``1/l`` (:func:`const_mul_cells`): for a
    power of two a change of scale (1 cell per row), otherwise a product and a rescaling
    (``1 + R`` per row). After a change of scale the broadcast mean is at another scale than
    ``x`` and ``x - mean`` rescales it, ``1 + R`` cells per *element*; after a product it is
    not. So a width that is not a power of two costs ``R`` more per row and ``1 + R`` less per
    element (checked exactly on widths 6 to 196, ``layouts.csv``). The fitted constants are
    those of the power-of-two case, which this returns as 0; a symbolic ``l`` is taken to be a
    power of two (as are the model widths of Llama 3)."""
    length = sp.sympify(l_)
    if not length.is_Integer or int(length) < 2:
        return sp.Integer(0)
    n = int(length)
    per_row = const_mul_cells(1 / n, ra)  # the mean: 1 for a change of scale, else 1 + R
    per_element = 1 + rescale_cells(ra) if per_row == 1 else 0  # re-aligning the broadcast mean
    baseline_row, baseline_element = 1, 1 + rescale_cells(ra)  # the power-of-two case the fitted constants hold
    return sp.sympify(r_) * ((per_row - baseline_row) + n * (per_element - baseline_element))


def layernorm(r_, l_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """LayerNorm over ``r`` rows of width ``l`` (mean, variance, rsqrt, affine).
    Cells: fitted per element and per row, plus :func:`mean_alignment_cells`."""
    return Work(macs=sp.sympify(r_) * l_, elementwise=4 * sp.sympify(r_) * l_, nonlin=r_,
                rescales=3 * sp.sympify(r_) * l_,
                cells=_composite("layernorm", r_, l_, ra) + mean_alignment_cells(r_, l_, ra))


def rmsnorm(r_, l_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """RMSNorm (Llama: ``x * rsqrt(mean(x^2) + eps) * w``). Cells: fitted per element and per row."""
    return Work(macs=sp.sympify(r_) * l_, elementwise=2 * sp.sympify(r_) * l_, nonlin=r_,
                rescales=3 * sp.sympify(r_) * l_, cells=_composite("rmsnorm", r_, l_, ra))


def model_input(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Range check of N input elements."""
    return Work(cells=sp.sympify(N_) * input_cells(ra))


def model_output(N_, ra: RunArgs = DEFAULT_RUN_ARGS) -> Work:
    """Range check and instance equality of N public outputs (nothing for private outputs)."""
    return Work(cells=sp.sympify(N_) * output_cells(ra))

