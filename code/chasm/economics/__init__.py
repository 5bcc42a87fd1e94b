"""Stage 4: what the numbers mean economically, starting with the article against its own arithmetic.

- :mod:`~chasm.economics.article`      ratios, power and years to parity implied by the article's figures
- :mod:`~chasm.economics.assumptions`  priced assumptions (data/assumptions.csv): load, check, override, draw
- :mod:`~chasm.economics.scenarios`    proving hardware scenarios; latency and dollars against fleet size
- :mod:`~chasm.economics.pricing`      Monte Carlo pricing of a query, sensitivity (python -m chasm price)
"""
