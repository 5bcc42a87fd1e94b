"""chasm: the code behind the Proof-Cost Chasm compendium.

Small modules, one job each:

- :mod:`chasm.paths`      where the repository, ``data/`` and caches live
- :mod:`chasm.data`       schema-checked loading and atomic writing of ``data/``
- :mod:`chasm.claims`     the article's quantitative claims
- :mod:`chasm.charts`     the book's single altair theme and offline renderer
- :mod:`chasm.provenance` machine and software facts attached to every measurement
- :mod:`chasm.models`     torch model families parameterised by size
- :mod:`chasm.prove`      one ezkl proof, phase by phase, in a child process
- :mod:`chasm.sweep`      resumable sweeps of proofs into ``data/measurements/``
- :mod:`chasm.costmodel`  symbolic (sympy) cost model of circuits and inference
- :mod:`chasm.fit`        scaling-law fits with intervals
"""

__version__ = "0.1.0"
