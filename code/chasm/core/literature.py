"""The published record of zkML proving costs (``data/literature.csv``): loading, cross-row rules, per-token
normalisation.

:func:`load_literature` is how every module and chapter reads the table: schema checks through
:func:`chasm.core.data.load_table`, then the rules of :func:`check_literature` that a per-cell schema
cannot express. :func:`normalised` adds proving time per token and per parameter-token; it fits nothing.

Units: ``prove_s`` and ``verify_s`` in seconds, ``proof_bytes`` and ``prover_memory_bytes`` in bytes,
``params`` in parameters, ``tokens_proven`` in tokens, ``year`` a calendar year.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from chasm.core import data, paths
from chasm.core.constants import LITERATURE

__all__ = ["LiteratureError", "MEASURES", "PROOF_FAMILIES", "YEAR_RANGE", "literature_path", "check_literature",
           "load_literature", "normalised"]

#: The measured quantities a row may state (at least one must be set): seconds, seconds, bytes, bytes.
MEASURES = ("prove_s", "verify_s", "proof_bytes", "prover_memory_bytes")
#: Proof families of the table, as its schema allows them (``proof_family``).
PROOF_FAMILIES = ("plonkish_kzg", "gkr_sumcheck", "lookup", "stark_zkvm", "other")
#: Years a published figure may carry (inclusive).
YEAR_RANGE = (2015, 2026)


class LiteratureError(data.DataFileError):
    """A row of the literature table breaks a cross-row rule (the message names the row and the rule)."""


def literature_path() -> Path:
    """``data/literature.csv``."""
    return paths.data_dir() / LITERATURE


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str)
                                                                                  and not value.strip())


def check_literature(frame: pd.DataFrame) -> list[str]:
    """The rules the per-cell schema cannot express; one message per broken rule, each naming the row.

    - ``source``: every row names one (not blank);
    - ``measure``: every row states at least one of :data:`MEASURES`;
    - ``year``: within :data:`YEAR_RANGE`;
    - ``tokens_proven``: at least 1 when set.
    """
    problems: list[str] = []
    low, high = YEAR_RANGE
    for row in frame.itertuples(index=False):
        rid = row.row_id
        if _blank(row.source):
            problems.append(f"{rid}: rule 'source': the row names no source")
        if all(_blank(getattr(row, m)) for m in MEASURES):
            problems.append(f"{rid}: rule 'measure': none of {', '.join(MEASURES)} is set")
        if not _blank(row.year) and not low <= row.year <= high:
            problems.append(f"{rid}: rule 'year': {row.year} is outside {low}..{high}")
        if not _blank(row.tokens_proven) and row.tokens_proven < 1:
            problems.append(f"{rid}: rule 'tokens_proven': {row.tokens_proven} is below 1")
    return problems


def load_literature(path: str | Path | None = None) -> pd.DataFrame:
    """``data/literature.csv`` (or the table at ``path``), schema-checked and cross-checked.

    Raises :class:`chasm.core.data.DataFileError` when the file does not match its schema, and
    :class:`LiteratureError` (a :class:`~chasm.core.data.DataFileError`) listing every broken cross-row rule.
    """
    path = Path(path) if path is not None else literature_path()
    frame = data.load_table(path)
    problems = check_literature(frame)
    if problems:
        raise LiteratureError(f"{path}: " + "; ".join(problems))
    return frame


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with two columns added (a copy; nothing is fitted):

    - ``prove_s_per_token`` (seconds per token): ``prove_s / tokens_proven`` where ``tokens_proven`` is
      set, else ``prove_s`` (one proof is counted as one unit of work);
    - ``prove_s_per_param_token`` (seconds per parameter-token): ``prove_s_per_token / params``, empty
      (NaN) where ``params`` or ``prove_s`` is not stated.
    """
    out = frame.copy()
    prove = out["prove_s"].astype(float)
    tokens = out["tokens_proven"].astype(float)
    out["prove_s_per_token"] = np.where(tokens.notna(), prove / tokens, prove)
    out["prove_s_per_param_token"] = out["prove_s_per_token"] / out["params"].astype(float)
    return out
