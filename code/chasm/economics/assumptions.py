"""The priced assumptions of ``data/assumptions.csv``: loading, checking, overriding and drawing.

Every number from outside the book that the pricing uses is a row of that table, with a range
``low <= point <= high`` in the row's ``unit`` and a source. The pricing treats each range as the
95% interval of a **split (two-piece) lognormal** with its median at ``point``
(:func:`split_lognormal`): log-symmetric when the range is, skewed when it is not, and a constant
when ``low = point = high``.

Overrides (``--set NAME=VALUE`` on the command line, ``overrides`` in Python) replace rows:

- ``NAME=VALUE`` sets ``low = point = high = VALUE`` (the assumption becomes a constant);
- ``NAME=LOW:POINT:HIGH`` sets a new range.

Bad overrides raise :class:`AssumptionError` naming the problem: an unknown name (the message lists
the known names), a value that is not a number, a negative value, or ``low > point`` / ``point > high``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from chasm.core import data

__all__ = ["ASSUMPTIONS", "Z975", "AssumptionError", "load_assumptions", "parse_sets", "apply_overrides",
           "split_lognormal", "draw_assumptions", "point_values"]

#: The table of priced assumptions in ``data/``.
ASSUMPTIONS = "assumptions.csv"
#: 97.5% quantile of the standard normal: a 95% interval spans ``±Z975`` standard deviations.
Z975 = 1.959963984540054

Override = float | tuple[float, float, float]


class AssumptionError(ValueError):
    """An assumption override or table row that cannot be used (the message says which and why)."""


def _check_range(name: str, low: float, point: float, high: float) -> None:
    values = {"low": low, "point": point, "high": high}
    for end, value in values.items():
        if not math.isfinite(value):
            raise AssumptionError(f"assumption {name!r}: {end} is not a finite number ({value!r})")
        if value < 0:
            raise AssumptionError(f"assumption {name!r}: negative {end} {value:g} (prices, powers and "
                                  "ratios cannot be negative)")
    if low > point:
        raise AssumptionError(f"assumption {name!r}: low {low:g} > point {point:g}")
    if point > high:
        raise AssumptionError(f"assumption {name!r}: point {point:g} > high {high:g}")


def apply_overrides(frame: pd.DataFrame, overrides: Mapping[str, Override] | None) -> pd.DataFrame:
    """``frame`` (indexed by ``assumption_id``) with ``overrides`` applied: a number sets low, point and
    high to it; a ``(low, point, high)`` tuple sets the range. Overridden rows get ``overridden = True``."""
    frame = frame.copy()
    if "overridden" not in frame:
        frame["overridden"] = False
    for name, value in (overrides or {}).items():
        if name not in frame.index:
            raise AssumptionError(f"unknown assumption {name!r}; known names: {', '.join(sorted(frame.index))}")
        low, point, high = (value, value, value) if np.isscalar(value) else tuple(value)
        low, point, high = float(low), float(point), float(high)
        _check_range(name, low, point, high)
        frame.loc[name, ["low", "point", "high"]] = [low, point, high]
        frame.loc[name, "overridden"] = True
    return frame


def load_assumptions(overrides: Mapping[str, Override] | None = None) -> pd.DataFrame:
    """The assumptions table indexed by ``assumption_id`` (schema-checked by :func:`chasm.core.data.load_table`),
    every row checked (non-negative, ``low <= point <= high``, a unit and a source), then ``overrides``
    applied (:func:`apply_overrides`). Raises :class:`AssumptionError` on a bad row or override."""
    frame = data.load_table(ASSUMPTIONS).set_index("assumption_id")
    for name, row in frame.iterrows():
        _check_range(name, float(row["low"]), float(row["point"]), float(row["high"]))
        for column in ("unit", "source"):
            if not isinstance(row[column], str) or not row[column].strip():
                raise AssumptionError(f"assumption {name!r} has no {column}")
    return apply_overrides(frame, overrides)


def _number(name: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise AssumptionError(f"--set {name}: {text!r} is not a number") from None


def parse_sets(items: Iterable[str] | None) -> dict[str, Override]:
    """``["NAME=VALUE", "NAME=LOW:POINT:HIGH", ...]`` -> overrides for :func:`load_assumptions`.

    Only the form is checked here (``=``, numbers, no negatives, ordered range); names are checked
    against the table when the overrides are applied."""
    out: dict[str, Override] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise AssumptionError(f"--set {item!r}: expected NAME=VALUE or NAME=LOW:POINT:HIGH")
        parts = [_number(name, p.strip()) for p in text.split(":")]
        if len(parts) == 1:
            _check_range(name, parts[0], parts[0], parts[0])
            out[name] = parts[0]
        elif len(parts) == 3:
            _check_range(name, *parts)
            out[name] = (parts[0], parts[1], parts[2])
        else:
            raise AssumptionError(f"--set {item!r}: a range needs three values LOW:POINT:HIGH")
    return out


def split_lognormal(low, point, high, z) -> np.ndarray:
    """Values of a split lognormal with median ``point`` and 95% interval ``[low, high]`` at standard
    normal deviates ``z``: ``point * exp(z * s)`` with ``s = ln(point / low) / Z975`` for ``z < 0`` and
    ``s = ln(high / point) / Z975`` for ``z >= 0``. A zero ``low`` with ``point > 0`` is not allowed
    (infinite spread); ``low = point = high`` gives the constant. Units are those of the inputs."""
    low, point, high, z = (np.asarray(v, dtype=float) for v in (low, point, high, z))
    if np.any((low <= 0) & (point > 0)):
        raise AssumptionError("a split lognormal needs low > 0 wherever point > 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        s_low = np.where(point > 0, np.log(point / np.where(low > 0, low, 1.0)) / Z975, 0.0)
        s_high = np.where(point > 0, np.log(np.where(high > 0, high, 1.0) / np.where(point > 0, point, 1.0)) / Z975, 0.0)
    return point * np.exp(z * np.where(z < 0, s_low, s_high))


def draw_assumptions(frame: pd.DataFrame, names: Iterable[str], draws: int,
                     rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Independent draws (``draws`` each, in the rows' units) of the assumptions ``names`` of ``frame``
    from their split lognormals (:func:`split_lognormal`), in the order given (so a seed fixes them)."""
    out = {}
    for name in names:
        if name not in frame.index:
            raise AssumptionError(f"unknown assumption {name!r}; known names: {', '.join(sorted(frame.index))}")
        row = frame.loc[name]
        out[name] = split_lognormal(row["low"], row["point"], row["high"], rng.standard_normal(draws))
    return out


def point_values(frame: pd.DataFrame, names: Iterable[str], end: str = "point") -> dict[str, float]:
    """``{name: value}`` at ``end`` (``low``, ``point`` or ``high``) of each assumption of ``names``."""
    return {name: float(frame.loc[name, end]) for name in names}
