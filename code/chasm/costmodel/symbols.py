"""The sympy symbols of the cost model, each with its meaning and unit (:data:`SYMBOL_DOCS`)."""

from __future__ import annotations

import sympy as sp

__all__ = ["SYMBOL_DOCS", "m", "k", "n", "N_el", "r", "l", "C_in", "C_out", "kh", "H", "w", "depth", "d", "h",
           "h_kv", "d_h", "f_ffn", "T", "t", "V", "G", "SHAPE_SYMBOLS", "c", "lam", "B", "kk", "n_poly",
           "bits", "gamma", "ext", "Kc", "Rtot", "n_q", "n_open", "pad"]


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
#: The symbols of network shapes (sizes that grow with the network).
SHAPE_SYMBOLS = (m, k, n, N_el, r, l, C_in, C_out, kh, H, w, depth, d, h, h_kv, d_h, f_ffn, T, t, V, G)
# ezkl run arguments
c = _sym("c", "ezkl num_inner_cols: inner advice columns per base column", integer=True)
lam = _sym("lambda", "ezkl decomp_legs: digits of a range-check decomposition", integer=True)
B = _sym("B", "ezkl decomp_base: base of a range-check decomposition (table size)", integer=True)
# prover
kk = _sym("k_rows", "logrows: the circuit has 2^k rows")
n_poly = _sym("n_c", "committed polynomials per row (advice, lookup and permutation columns)")
bits = _sym("b", "bits of a BN254 scalar")
gamma = _sym("gamma", "field multiplications per elliptic-curve point addition")
ext = _sym("e", "log2 of the extended-domain factor (quotient degree)", integer=True)
Kc = _sym("K", "logrows of one chunk")
Rtot = _sym("R", "row-equivalents of the whole computation")
n_q = _sym("n_q", "quotient-polynomial pieces (constraint degree minus one)")
n_open = _sym("n_o", "multi-scalar multiplications of size 2^k in the opening argument")


def pad(x, cols=c):
    """``x`` rounded up to a whole number of rows of ``cols`` inner columns (cells)."""
    return cols * sp.ceiling(sp.sympify(x) / cols)

