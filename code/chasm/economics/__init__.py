"""Stage 4: what the numbers mean economically, starting with the article against its own arithmetic.

- :mod:`~chasm.economics.article`  ratios, power and years to parity implied by the article's figures
"""
