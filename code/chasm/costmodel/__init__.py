"""Symbolic cost model: what a proof of a network's inference must compute.

Everything here is a sympy expression built from the shapes of a network and
from ezkl's run arguments; numbers come only from the documented constants
below (each with its source) and from the constants fitted to measured
circuits in ``data/measurements/layouts.csv`` (:func:`estimate_constants`).

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
   softmax) have per-element and per-row constants fitted to measured circuits
   (:mod:`~chasm.costmodel.constants`, validated in :mod:`~chasm.costmodel.validation`).
3. **Prover work** for a circuit of ``2**k`` rows and ``n`` committed
   polynomials (:func:`prover_work`): Pippenger multi-scalar multiplications and
   radix-2 FFTs, in BN254 scalar-field multiplications.
4. **Chunking** (:func:`chain_work`): circuits larger than one halo2 proof can
   hold are split into chunks of ``2**K`` rows, proven as a chain (ezkl 23 cannot aggregate them).

:func:`frontier_workload` applies the model to the Llama-3 models of
``data/architectures.csv`` answering the query of ``data/query.csv``.

One job per module: :mod:`~chasm.costmodel.sources` (sourced constants),
:mod:`~chasm.costmodel.symbols`, :mod:`~chasm.costmodel.layout` (primitive
cells, einsum planner, ezkl's run arguments :class:`RunArgs`), :mod:`~chasm.costmodel.operations`,
:mod:`~chasm.costmodel.llama`, :mod:`~chasm.costmodel.families`,
:mod:`~chasm.costmodel.constants` (the fitted constants and circuit sizes), :mod:`~chasm.costmodel.prover`,
:mod:`~chasm.costmodel.validation`, :mod:`~chasm.costmodel.timing` (measured time per
modelled field multiplication), :mod:`~chasm.costmodel.frontier`. Import a name from the module
that defines it; this package re-exports only its main entry points (``__all__``).

Units: ``macs`` multiply-accumulates; ``cells`` ezkl linear coordinates (one per
assignment position, i.e. one advice cell in each of ezkl's three base columns);
rows are cells divided by the number of inner columns; prover work in BN254
scalar-field multiplications ("field mults").
"""

from __future__ import annotations

from chasm.costmodel.constants import Constants, circuit_rows, circuit_size, default_constants, estimate_constants
from chasm.costmodel.families import network_work
from chasm.costmodel.frontier import FrontierWorkload, frontier_table, frontier_workload
from chasm.costmodel.layout import DEFAULT_RUN_ARGS, RunArgs, Work
from chasm.costmodel.llama import list_architectures, load_architectures, load_query
from chasm.costmodel.prover import prover_constants, prover_work

__all__ = ["Constants", "circuit_rows", "circuit_size", "default_constants", "estimate_constants", "network_work",
           "FrontierWorkload", "frontier_table", "frontier_workload", "DEFAULT_RUN_ARGS", "RunArgs", "Work",
           "list_architectures", "load_architectures", "load_query", "prover_constants", "prover_work", "main"]


def main(argv: list[str] | None = None) -> int:
    """``python -m chasm.costmodel``: print the frontier table (layouts: ``python -m chasm layouts``)."""
    print(frontier_table().to_string(index=False))
    return 0
