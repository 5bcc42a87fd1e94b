"""chasm: the code behind the Proof-Cost Chasm compendium.

Stages as subpackages; each imports only from the stages before it (``tests/test_architecture.py``
checks this, and that only ``experiments`` imports torch, onnx or a prover):

- :mod:`chasm.core`         paths, the data layer, shared constants, provenance, model specs, profiles,
                            reading the committed runs and claims, number formatting
- :mod:`chasm.experiments`  the only stage that runs torch or ezkl: models, the ezkl gateway, one proof
                            in a child process, soundness checks, sweeps, inference timing, layouts
- :mod:`chasm.costmodel`    the symbolic cost model (sympy): cells, rows, prover work, frontier workload
- :mod:`chasm.laws`         scaling laws with calibrated intervals, model choice, held-out checks, predict
- :mod:`chasm.economics`    the article against its own arithmetic (and, as they land, prices and verdicts)
- :mod:`chasm.report`       the book's chart theme, tables and figures of each chapter
- :mod:`chasm.site`         the strict book build, its Sphinx extension, and the dump of what pages show

The command line is :mod:`chasm.cli` (``python -m chasm COMMAND``).
"""

__version__ = "0.1.0"
