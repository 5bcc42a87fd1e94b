"""Stage 0, imported by every other: where things live, the data layer, the shared vocabulary.

- :mod:`~chasm.core.paths`       the repository, ``data/`` and caches
- :mod:`~chasm.core.data`        schema-checked reading and atomic writing of the tables in ``data/``
- :mod:`~chasm.core.constants`   table names, proof phases, model families, the contention limit
- :mod:`~chasm.core.provenance`  machine and software facts attached to measurements and the build
- :mod:`~chasm.core.specs`       model families and size configurations (no torch)
- :mod:`~chasm.core.profiles`    sweep profiles and the runs they schedule
- :mod:`~chasm.core.runs`        the committed proving runs, with derived columns
- :mod:`~chasm.core.claims`      the article's claims table
- :mod:`~chasm.core.ezkl_rules`  ezkl's rule for a circuit's padded size
- :mod:`~chasm.core.fmt`         numbers as text
"""
