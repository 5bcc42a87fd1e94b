"""Command line: ``python -m chasm <command> ...``.

Commands (each lives in its own module, which owns its arguments):

- ``sweep``    run proofs and append measurements to ``data/measurements/``
- ``predict``  point estimates and 95% prediction intervals from the fitted laws
- ``layouts``  circuit layouts from ezkl (rows, no proofs) for the cost model
- ``infer``    torch inference timings on CPU or GPU, no proofs
- ``overhead`` the measuring harness's cost against bare ezkl calls
- ``extrapolation`` coverage of the laws' intervals far beyond the data (simulated)
- ``price``    a query's proving against inference cost, with 95% intervals, per hardware scenario
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["COMMANDS", "main"]

COMMANDS = {
    "sweep": ("chasm.experiments.sweep", "run proving experiments and record them"),
    "predict": ("chasm.laws.predict", "predict cost with 95% intervals from committed data"),
    "layouts": ("chasm.experiments.layouts", "lay out circuits (no proofs) to validate the cost model"),
    "infer": ("chasm.experiments.inference", "time torch inference (CPU or CUDA GPU) without proving"),
    "overhead": ("chasm.experiments.overhead", "measure the harness's own overhead against bare ezkl calls"),
    "constants": ("chasm.experiments.circuit_constants", "read prover constants from the circuits ezkl builds"),
    "linking": ("chasm.experiments.linking", "prove chains of chunk circuits and measure what linking costs"),
    "evm": ("chasm.experiments.evm", "measure the gas of verifying ezkl proofs in an Ethereum Virtual Machine"),
    "ranges": ("chasm.experiments.range_probe", "probe fixed-point range limits on miniature Llamas"),
    "verdicts": ("chasm.economics.verdicts", "every claim of the article with its computed verdict"),
    "extrapolation": ("chasm.laws.extrapolation", "simulate the laws' coverage 5-7 doublings beyond the data"),
    "price": ("chasm.economics.pricing", "price one query: proving against inference in USD, kWh and seconds (Monte Carlo)"),
    "trajectory": ("chasm.economics.trajectory", "yearly cost declines and the year the proving/inference ratio falls below 1000x, 100x, 10x"),
    "market": ("chasm.economics.market", "provers a market sustains, HHI and Nakamoto coefficient; alternatives to proofs"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        lines = ["usage: python -m chasm COMMAND [options]", "", "commands:"]
        lines += [f"  {name:<14} {help_}" for name, (_, help_) in COMMANDS.items()]
        print("\n".join(lines), file=sys.stdout if argv and argv[0] in {"-h", "--help"} else sys.stderr)
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return int(module.main(argv[1:]) or 0)
