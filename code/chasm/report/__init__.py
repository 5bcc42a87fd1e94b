"""Stage 5: what the chapters show. Tables and figures per chapter, one chart theme for the book.

- :mod:`~chasm.report.charts`     the book's altair theme and offline renderer
- :mod:`~chasm.report.tables`     showing tables without the pandas index
- :mod:`~chasm.report.claims`     "The claims under test"
- :mod:`~chasm.report.proving`    "Proving small networks"
- :mod:`~chasm.report.costmodel`  "What a proof must compute"
- :mod:`~chasm.report.scaling`    "Scaling laws": method, measurements, laws and exponents
- :mod:`~chasm.report.scaling_checks`   its held-out check, phase ratios and limits
- :mod:`~chasm.report.scaling_figures`  its charts
- :mod:`~chasm.report.frontier`   "A frontier query"
"""
