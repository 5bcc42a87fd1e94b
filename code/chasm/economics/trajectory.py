"""How fast the chasm closes: yearly declines of inference and proving costs, fitted with 95% intervals, and
the year the proving-to-inference dollar ratio falls below a threshold (``python -m chasm trajectory``).

**Declines.** A cost series ``c`` observed at decimal years ``t`` is fitted as ``ln c = a + b t`` by least
squares (:func:`fit_decline`; with ``groups``, one intercept per group, so only changes within a group, such
as one provider's or one product's price over time, inform ``b``). The yearly decline is ``d = 1 - e^b``
(a fraction per year; negative when the cost rises). Its 95% interval is ``1 - e^(b +/- t_q se(b))`` with
``t_q`` the 97.5% quantile of Student's t with the fit's residual degrees of freedom: exact for independent
normal errors of ``ln c`` (a t-based interval, not a bootstrap). A Monte Carlo draws ``b = b_hat + se(b) T``
with ``T`` Student-t, which reproduces that interval (:meth:`Decline.draws`). A fit needs at least one
residual degree of freedom; fewer points raise :class:`TooThin`.

- **Inference** (:func:`inference_decline`): the API price of the query of ``data/query.csv`` (its prompt
  tokens at the input price plus its reply tokens at the output price, per million tokens) for each offer
  of a Llama 70B chat model in ``data/price_history.csv`` (series ``llama_70b_api``), pooled over providers
  (``within="none"``) or within providers (``within="provider"``); GPU-hour list prices within each product
  (:func:`gpu_hour_decline`).
- **Proving** (:func:`proving_points`, :func:`family_declines`): the published record
  (:func:`chasm.core.literature.normalised`): prove seconds per parameter-token of whole-model proofs, the
  best (lowest) result of each year per proof family, and of the whole field. A series is fitted only when
  it is comparable across its years (:func:`comparable`): at least :data:`MIN_YEARS` years, every year's
  best on the same stated hardware class, and tokens proven either stated in every year or in none (a
  proof that does not state its tokens counts as one token, which is a different unit of work).

**Crossing year** (:func:`derivation`, :func:`crossing_year`): with today's ratio ``R0`` at ``t0`` and
constant declines ``d_i`` (inference) and ``d_p`` (proving), ``R(t) = R0 ((1 - d_p)/(1 - d_i))^(t - t0)``,
and ``R(t) = T`` at ``t* = t0 + ln(R0/T) / ln((1 - d_i)/(1 - d_p))``: derived in sympy, checked against a
numeric root. The ratio falls only when ``d_p > d_i``; otherwise it never crosses (``inf``). Already at or
below ``T``: ``t0``.

**Monte Carlo** (:func:`threshold_years`): ``R0`` draws are the pricing's (:func:`chasm.economics.pricing.
price_draws`, Llama-3-70B, one hardware scenario), ``d_i`` the fitted inference decline, ``d_p`` the fitted
proving decline where the record allows one, else the article's own stated 30-50% a year drawn uniformly
(:func:`proving_decline_source`, which says which). A year is reported as ``{point, low, high}`` (median,
2.5 and 97.5 percentiles of the draws, order statistics so that ``inf`` stays ``inf``); an end that is
``inf`` (the ratio never crossing in more than 2.5%, or 50%, of draws) is ``None`` with the reason.
``t0`` is the retrieval date of the pricing's assumptions (``data/assumptions.csv``).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sympy as sp
from scipy import optimize, stats

from chasm.core.claims import load_claims
from chasm.core.data import load_table
from chasm.economics.judge import judge

__all__ = ["PRICE_HISTORY", "THRESHOLDS", "PARITY", "LEVEL", "MIN_YEARS", "DRAWS", "SEED", "ARCH", "TooThin",
           "Decline", "decimal_year", "fit_decline", "load_price_history", "api_offers", "inference_decline",
           "gpu_hour_decline", "proving_points", "comparable", "family_declines", "article_declines",
           "proving_decline_source", "proving_decline_draws", "SYMBOLS", "derivation", "crossing_year",
           "required_decline", "crossing_year_numeric", "years_summary", "start_year", "ratio_draws",
           "decline_draws", "crossing_draws", "threshold_years", "trajectory_verdicts", "trajectory", "main"]

#: The dated price table (relative to ``data/``).
PRICE_HISTORY = "price_history.csv"
#: Ratios (proving over inference dollars) whose crossing year is reported, and parity (the article's claim).
THRESHOLDS = (1000.0, 100.0, 10.0)
PARITY = 1.0
#: Confidence level of every interval of this module.
LEVEL = 0.95
#: A decline is fitted over at least this many distinct years of the published record.
MIN_YEARS = 3
#: Monte Carlo draws and seed of the crossing years.
DRAWS = 20_000
SEED = 20261201
#: The model whose query is priced (the article's).
ARCH = "llama3-70b"


class TooThin(ValueError):
    """A series too short to fit a decline with an interval (the message says why)."""


@dataclass(frozen=True)
class Decline:
    """A fitted log-linear trend: ``slope`` (per year, of ln cost) with standard error ``se`` on ``dof``
    residual degrees of freedom, from ``n`` points in ``groups`` groups spanning ``first``..``last``
    (decimal years). Declines are fractions per year, ``1 - e^slope``."""

    slope: float
    se: float
    dof: int
    n: int
    groups: int
    first: float
    last: float
    level: float = LEVEL

    def _ends(self) -> tuple[float, float]:
        q = stats.t.ppf(0.5 + self.level / 2, self.dof)
        return self.slope - q * self.se, self.slope + q * self.se

    @property
    def point(self) -> float:
        """Yearly decline (fraction) at the fitted slope."""
        return float(1 - math.exp(self.slope))

    @property
    def low(self) -> float:
        """Low end of the decline's interval (the steepest slope's end is the high end)."""
        return float(1 - math.exp(self._ends()[1]))

    @property
    def high(self) -> float:
        return float(1 - math.exp(self._ends()[0]))

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws of the yearly decline, slope ``= slope + se T`` with ``T`` Student-t (``dof``)."""
        return 1 - np.exp(self.slope + self.se * rng.standard_t(self.dof, n))

    def as_dict(self) -> dict:
        """Point, low and high of the decline (fractions per year) and the fit's facts."""
        return {"point": self.point, "low": self.low, "high": self.high, "unit": "fraction per year",
                "slope_per_year": self.slope, "se": self.se, "dof": self.dof, "n": self.n, "groups": self.groups,
                "first": self.first, "last": self.last, "interval": f"t-based {self.level:.0%}"}


def decimal_year(dates) -> np.ndarray:
    """Dates (``YYYY-MM-DD`` strings, or years) as decimal years: ``year + (day of year - 1) / days in year``."""
    s = pd.Series(list(np.atleast_1d(dates)))
    if pd.api.types.is_numeric_dtype(s):
        return s.to_numpy(dtype=float)
    t = pd.to_datetime(s)
    days = np.where(t.dt.is_leap_year, 366.0, 365.0)
    return (t.dt.year + (t.dt.day_of_year - 1) / days).to_numpy(dtype=float)


def fit_decline(years, costs, groups=None, level: float = LEVEL) -> Decline:
    """Least-squares fit of ``ln costs`` on ``years`` (decimal years), with one intercept per value of
    ``groups`` when given; see the module. Raises :class:`TooThin` without a residual degree of freedom
    or without a spread of years (within a group, when grouped)."""
    t = np.asarray(years, dtype=float)
    c = np.asarray(costs, dtype=float)
    if len(t) != len(c) or not np.all(c > 0) or not np.all(np.isfinite(c)):
        raise ValueError("years and costs must have the same length and positive, finite costs")
    y = np.log(c)
    labels = np.zeros(len(t), dtype=int) if groups is None else pd.factorize(pd.Series(list(groups)))[0]
    k = int(labels.max()) + 1 if len(labels) else 0
    dummies = np.eye(k)[labels] if k else np.zeros((0, 0))
    X = np.column_stack([t - t.mean(), dummies]) if len(t) else np.zeros((0, 1))
    rank = np.linalg.matrix_rank(X) if len(t) else 0
    dof = len(t) - rank
    if rank < k + 1:
        raise TooThin(f"no spread of years{' within a group' if groups is not None else ''} to fit a slope")
    if dof < 1:
        raise TooThin(f"{len(t)} points in {k} group(s) leave no residual degree of freedom")
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.inv(X.T @ X)
    return Decline(slope=float(beta[0]), se=float(math.sqrt(cov[0, 0])), dof=int(dof), n=len(t), groups=k,
                   first=float(t.min()), last=float(t.max()), level=level)


# ------------------------------------------------------------------ inference


def load_price_history() -> pd.DataFrame:
    """``data/price_history.csv``, schema-checked, with a ``year`` column (decimal years)."""
    f = load_table(PRICE_HISTORY)
    return f.assign(year=decimal_year(f["date"]))


def api_offers(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per API offer of series ``llama_70b_api``: ``offer``, ``date``, ``year``, ``provider``,
    ``item``, ``input`` and ``output`` (USD per million tokens) and ``query_usd``: the query of
    ``data/query.csv`` at those prices (USD), and ``per_mtok``: that price per million query tokens."""
    f = load_price_history() if frame is None else frame
    f = f[f["series"] == "llama_70b_api"].assign(offer=lambda x: x["row_id"].str.rsplit("_", n=1).str[0])
    wide = f.pivot_table(index=["offer", "date", "year", "provider", "item"], columns="quantity", values="value",
                         aggfunc="first").reset_index()
    q = load_table("query.csv").iloc[0]
    p, g = float(q["prompt_tokens"]), float(q["generated_tokens"])
    wide = wide.rename(columns={"api_input_price": "input", "api_output_price": "output"})
    wide["query_usd"] = (p * wide["input"] + g * wide["output"]) / 1e6
    wide["per_mtok"] = wide["query_usd"] / (p + g) * 1e6
    return wide.sort_values(["year", "offer"]).reset_index(drop=True)[
        ["offer", "date", "year", "provider", "item", "input", "output", "query_usd", "per_mtok"]]


@functools.lru_cache(maxsize=4)
def inference_decline(within: str = "none") -> Decline:
    """Yearly decline of the query's API price over every offer (``within="none"``: pooled, so cheaper new
    providers count) or only within each provider (``within="provider"``)."""
    o = api_offers()
    if within not in ("none", "provider"):
        raise ValueError(f"within must be 'none' or 'provider', got {within!r}")
    return fit_decline(o["year"], o["query_usd"], o["provider"] if within == "provider" else None)


def gpu_hour_decline() -> Decline:
    """Yearly decline of on-demand GPU-hour list prices (series ``gpu_hour``), within each product."""
    f = load_price_history()
    g = f[f["series"] == "gpu_hour"]
    return fit_decline(g["year"], g["value"], g["provider"] + " " + g["item"])


# ------------------------------------------------------------------ proving


def proving_points(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The best result of each year per proof family and of the whole field (``family`` = ``all``):
    prove seconds per parameter-token (``unit``) of whole-model proofs that state ``prove_s`` and
    ``params``, with the row, system, model, hardware, hardware class and whether tokens were stated."""
    from chasm.core.literature import load_literature, normalised

    f = normalised(load_literature() if frame is None else frame)
    f = f[(f["scope"] == "whole_model") & f["prove_s_per_param_token"].notna()].copy()
    f["unit"] = f["prove_s_per_param_token"].astype(float)
    f["tokens_stated"] = f["tokens_proven"].notna()
    f["hardware_class"] = f["hardware_class"].fillna("not stated").replace("", "not stated")
    cols = ["family", "year", "unit", "row_id", "system", "model", "params", "tokens_proven", "tokens_stated",
            "hardware", "hardware_class"]
    out = []
    for fam, g in list(f.groupby("proof_family")) + [("all", f)]:
        best = g.loc[g.groupby("year")["unit"].idxmin()].assign(family=fam)
        out.append(best[cols])
    return pd.concat(out, ignore_index=True).sort_values(["family", "year"]).reset_index(drop=True)


def comparable(points: pd.DataFrame) -> str | None:
    """``None`` when one family's best-per-year points can be fitted (see the module), else every reason
    they cannot, joined by '; '."""
    reasons = []
    years = points["year"].nunique()
    if years < MIN_YEARS:
        reasons.append(f"{years} year(s) of results, fewer than {MIN_YEARS}")
    classes = set(points["hardware_class"])
    if "not stated" in classes:
        reasons.append("hardware not stated in " + ", ".join(str(int(y)) for y in points.loc[
            points["hardware_class"] == "not stated", "year"]))
    if len(classes - {"not stated"}) > 1:
        reasons.append("hardware class changes (" + ", ".join(
            f"{int(y)} {c}" for y, c in zip(points["year"], points["hardware_class"]) if c != "not stated") + ")")
    if points["tokens_stated"].nunique() > 1:
        reasons.append("tokens proven stated in " + ", ".join(str(int(y)) for y in points.loc[
            points["tokens_stated"], "year"]) + " only (an unstated count is one token)")
    return "; ".join(reasons) or None


@functools.lru_cache(maxsize=2)
def family_declines() -> pd.DataFrame:
    """Per proof family (and ``all``): years, points, whether comparable (``reason`` empty when it is), and
    the least-squares decline of its best-per-year points with its 95% interval wherever two or more years
    allow a fit (``point``, ``low``, ``high``; fitted for display even when not comparable, then never used)."""
    pts = proving_points()
    rows = []
    for fam, g in pts.groupby("family", sort=False):
        reason = comparable(g)
        row = {"family": fam, "years": f"{int(g['year'].min())}-{int(g['year'].max())}", "n_years": g["year"].nunique(),
               "reason": reason or "", "point": np.nan, "low": np.nan, "high": np.nan, "dof": 0}
        try:
            d = fit_decline(g["year"], g["unit"])
            row.update(point=d.point, low=d.low, high=d.high, dof=d.dof)
        except TooThin as exc:
            row["reason"] = row["reason"] or str(exc)
        rows.append(row)
    return pd.DataFrame(rows)


def article_declines() -> dict[str, tuple[float, float]]:
    """The article's stated yearly declines (fractions), ``{"inference": (low, high), "proving": (low, high)}``."""
    c = load_claims().set_index("claim_id")
    return {side: (float(c.loc[cid, "claimed_low"]) / 100, float(c.loc[cid, "claimed_high"]) / 100)
            for side, cid in (("inference", "decline_inference"), ("proving", "decline_proving"))}


@functools.lru_cache(maxsize=2)
def proving_decline_source() -> dict:
    """The proving decline the crossing years use: the field's fitted decline (``kind="fitted"``, with
    ``fit``) when :func:`comparable` allows it, else the article's stated range drawn uniformly
    (``kind="article"``, ``low``/``high`` fractions), with ``reason`` saying why."""
    fams = family_declines().set_index("family")
    if fams.loc["all", "reason"] == "":
        g = proving_points().query("family == 'all'")
        return {"kind": "fitted", "fit": fit_decline(g["year"], g["unit"]),
                "reason": "the field's best published result per year, per parameter-token"}
    low, high = article_declines()["proving"]
    return {"kind": "article", "fit": None, "low": low, "high": high,
            "reason": "the published record is too thin to fit one (" + fams.loc["all", "reason"]
                      + "), so the article's own stated decline is used, every value of its range equally likely"}


def proving_decline_draws(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws of the proving decline (fractions per year) from :func:`proving_decline_source`."""
    src = proving_decline_source()
    if src["kind"] == "fitted":
        return src["fit"].draws(n, rng)
    return rng.uniform(src["low"], src["high"], n)


# ------------------------------------------------------------------ the crossing year

#: The symbols of the derivation: ratio today, threshold, declines, time, start year.
SYMBOLS = dict(zip(("R0", "T", "d_i", "d_p", "t", "t0"), sp.symbols("R_0 T d_i d_p t t_0", positive=True)))


@functools.lru_cache(maxsize=1)
def derivation() -> dict:
    """The crossing year in sympy: ``ratio`` (R as a function of t), ``equation`` (R(t) = T), ``logs`` (its
    logarithm), ``solution`` (t* as sympy solves it) and ``closed`` (the closed form of the module docstring),
    with ``check`` True when sympy finds the two equal; and ``required``, the proving decline that brings
    ``R0`` to ``T`` within ``years`` (the symbol ``Y``) years, solved from the same equation."""
    R0, T, di, dp, t, t0 = (SYMBOLS[k] for k in ("R0", "T", "d_i", "d_p", "t", "t0"))
    ratio = R0 * ((1 - dp) / (1 - di)) ** (t - t0)
    equation = sp.Eq(ratio, T)
    logs = sp.Eq(sp.log(R0) + (t - t0) * sp.log((1 - dp) / (1 - di)), sp.log(T))
    solution = sp.solve(logs, t)[0]
    closed = t0 + sp.log(R0 / T) / sp.log((1 - di) / (1 - dp))
    q_i, q_p = sp.symbols("q_i q_p", positive=True)  # 1 - d_i and 1 - d_p, positive for declines below 100%
    check = sp.simplify(sp.expand_log((solution - closed).subs({di: 1 - q_i, dp: 1 - q_p}), force=True)) == 0
    years = sp.Symbol("Y", positive=True)  # the ratio is to reach T within Y years
    required = sp.solve(sp.Eq(logs.lhs.subs(t, t0 + years), logs.rhs), dp)[0]
    required_closed = 1 - (1 - di) * (T / R0) ** (1 / years)
    check_required = sp.simplify(required - required_closed) == 0
    return {"ratio": ratio, "equation": equation, "logs": logs, "solution": solution, "closed": closed,
            "check": bool(check and check_required), "required": sp.Eq(dp, required_closed), "years": years}


@functools.lru_cache(maxsize=1)
def _closed_fn():
    d = derivation()
    return sp.lambdify([SYMBOLS[k] for k in ("R0", "T", "d_i", "d_p", "t0")], d["closed"], "numpy")


def crossing_year(R0, T, d_i, d_p, t0=0.0):
    """Year the ratio ``R0`` (at ``t0``) falls to ``T`` at constant yearly declines ``d_i`` (inference) and
    ``d_p`` (proving), fractions below 1: the closed form of :func:`derivation`; ``t0`` where ``R0 <= T``,
    ``inf`` where ``d_p <= d_i`` (the ratio does not fall). Arrays broadcast."""
    R0, T, d_i, d_p, t0 = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (R0, T, d_i, d_p, t0)))
    if np.any(d_i >= 1) or np.any(d_p >= 1):
        raise ValueError("declines must be below 1 (100% a year)")
    out = np.full(R0.shape, np.inf)
    below = R0 <= T
    falls = ~below & (d_p > d_i)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[falls] = _closed_fn()(R0[falls], T[falls], d_i[falls], d_p[falls], t0[falls])
    out[below] = t0[below]
    return out if out.ndim else float(out)


def required_decline(R0, T, d_i, years):
    """The yearly proving decline (fraction) that brings the ratio ``R0`` to ``T`` within ``years`` years at
    inference decline ``d_i``: ``1 - (1 - d_i) (T/R0)^(1/years)`` (:func:`derivation`'s ``required``); a ratio
    already at or below ``T`` only has to not grow, and gives ``d_i``. Arrays broadcast."""
    R0, T, d_i, years = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (R0, T, d_i, years)))
    out = 1 - (1 - d_i) * np.minimum(T / R0, 1.0) ** (1 / years)
    return out if out.ndim else float(out)


def crossing_year_numeric(R0: float, T: float, d_i: float, d_p: float, t0: float = 0.0,
                          horizon: float = 1e5) -> float:
    """The same year found numerically (Brent's method on ``ln R(t) - ln T`` within ``horizon`` years);
    ``inf`` when there is no root there."""
    def f(t):
        return math.log(R0) + (t - t0) * (math.log(1 - d_p) - math.log(1 - d_i)) - math.log(T)
    if f(t0) <= 0:
        return float(t0)
    if f(t0 + horizon) > 0:
        return math.inf
    return float(optimize.brentq(f, t0, t0 + horizon, xtol=1e-12, rtol=1e-14))


def years_summary(years, t0: float, threshold: float) -> dict:
    """Crossing years of the draws as ``{"year": {point, low, high} | None, "reason": str | None,
    "never_share": float, "from_now": {point, low, high}}`` (see the module); an end that is ``inf`` is
    ``None`` in both dicts."""
    y = np.sort(np.asarray(years, dtype=float))
    never = float(np.mean(~np.isfinite(y)))
    ends = np.quantile(y, [(1 - LEVEL) / 2, 0.5, (1 + LEVEL) / 2], method="inverted_cdf")
    names = ("low", "point", "high")

    def as_dict(v):
        return {n: (float(x) if np.isfinite(x) else None) for n, x in zip(names, v)}

    year, from_now = as_dict(ends), as_dict(ends - t0)
    reason = None
    if never > 0:
        where = ("in every draw" if never == 1 else f"in {never:.0%} of draws")
        reason = (f"{where} the ratio never falls below {threshold:g}x: proving gets cheaper no faster "
                  "than inference")
    if year["point"] is None:
        if year["low"] is not None:
            reason += f"; at the 2.5th percentile of the draws it does so in {year['low']:.0f}"
        return {"year": None, "reason": reason, "never_share": never, "from_now": None, "ends": year}
    return {"year": year, "reason": reason if year["high"] is None else None, "never_share": never,
            "from_now": from_now, "ends": year}


@functools.lru_cache(maxsize=1)
def start_year() -> float:
    """``t0``: the latest retrieval date of ``data/assumptions.csv`` (when today's prices were read), as a
    decimal year."""
    from chasm.economics.assumptions import load_assumptions

    return float(decimal_year([max(load_assumptions()["retrieved"])])[0])


def _key(overrides) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in (overrides or {}).items()))


@functools.lru_cache(maxsize=8)
def ratio_draws(scenario: str, draws: int = DRAWS, seed: int = SEED, overrides: tuple = ()) -> np.ndarray:
    """Today's dollar ratio of one Llama-3-70B query, proving (``scenario``) over inference: the pricing's
    draws (:func:`chasm.economics.pricing.price_draws`); ``overrides`` as ``--set`` gives them, as sorted
    ``(name, value)`` pairs."""
    from chasm.economics.pricing import price_draws

    values = price_draws(ARCH, scenario, overrides=dict(overrides) or None, draws=draws, seed=seed)["values"]
    return np.asarray(values["ratio_usd"], dtype=float)


@functools.lru_cache(maxsize=4)
def decline_draws(draws: int = DRAWS, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Draws of the inference and of the proving decline (fractions per year), seeded by ``seed + 1``."""
    rng = np.random.default_rng(seed + 1)
    return inference_decline().draws(draws, rng), proving_decline_draws(draws, rng)


def crossing_draws(scenario: str, threshold: float, draws: int = DRAWS, seed: int = SEED,
                   overrides: tuple = ()) -> np.ndarray:
    """Crossing years (decimal years, ``inf`` for never) of ``draws`` draws of today's ratio (``scenario``),
    the inference decline (pooled fit) and the proving decline (:func:`proving_decline_source`), the
    declines drawn independently of the ratio (seed ``seed + 1``) and shared by every scenario."""
    d_i, d_p = decline_draws(draws, seed)
    return crossing_year(ratio_draws(scenario, draws, seed, overrides), threshold, d_i, d_p, start_year())


@functools.lru_cache(maxsize=16)
def threshold_years(scenario: str = "gpu", thresholds: tuple[float, ...] = THRESHOLDS + (PARITY,),
                    draws: int = DRAWS, seed: int = SEED, overrides: tuple = ()) -> list[dict]:
    """Per threshold: ``threshold`` and :func:`years_summary` of :func:`crossing_draws`."""
    t0 = start_year()
    return [{"threshold": float(T), **years_summary(crossing_draws(scenario, T, draws, seed, overrides), t0, T)}
            for T in thresholds]


# ------------------------------------------------------------------ verdicts


def _pct(d: dict) -> tuple[float, float, float]:
    return 100 * d["low"], 100 * d["point"], 100 * d["high"]


def _iv(lo, pt, hi, unit="") -> str:
    return f"{pt:.3g} ({lo:.3g} to {hi:.3g}){unit}"


def trajectory_verdicts(overrides=None, draws: int = DRAWS, seed: int = SEED) -> list[dict]:
    """Verdicts on ``decline_inference`` (the pooled API-price decline against the stated %/year),
    ``decline_proving`` (the field's fitted decline, or ``not_testable`` with the reason when the published
    record is too thin) and ``chasm_persists_years`` (years until the ratio falls to parity: the envelope
    over the hardware scenarios of :func:`threshold_years`, inf where it never does; ``overrides`` change
    today's ratio as ``--set`` does)."""
    from chasm.economics.scenarios import SCENARIOS

    claims = load_claims().set_index("claim_id")
    out = []
    inf = inference_decline()
    c = claims.loc["decline_inference"]
    v, r = judge(_pct(inf.as_dict()), float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    offers = api_offers()
    out.append({"claim_id": "decline_inference", "verdict": v,
                "judged_against": f"API price decline %/year {_iv(*_pct(inf.as_dict()))}",
                "reason": f"{r} ({len(offers)} offers of Llama 70B chat models, {offers['date'].min()} to "
                          f"{offers['date'].max()}, a t-based 95% interval; list prices, margins included)"})
    src = proving_decline_source()
    c = claims.loc["decline_proving"]
    if src["kind"] == "fitted":
        d = src["fit"].as_dict()
        v, r = judge(_pct(d), float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
        if d["low"] <= 0 and d["high"] * 100 >= float(c["claimed_high"]):
            v, r = "not_resolved", "the 95% interval holds no decline and more than the stated one"
        out.append({"claim_id": "decline_proving", "verdict": v,
                    "judged_against": f"best published proving time per parameter-token, %/year {_iv(*_pct(d))}",
                    "reason": r})
    else:
        fams = family_declines().set_index("family")
        n = int((fams.drop(index="all")["reason"] != "").sum())
        out.append({"claim_id": "decline_proving", "verdict": "not_testable", "judged_against": "",
                    "reason": f"the published record is too thin to fit a decline with an interval: {n} of "
                              f"{len(fams) - 1} proof families lack {MIN_YEARS} comparable years of results, and "
                              f"the field's best result per year is not comparable ({fams.loc['all', 'reason']})"})
    key = _key(overrides)
    per = [threshold_years(sc, (PARITY,), draws, seed, key)[0] for sc in SCENARIOS]
    t0 = start_year()
    lows = [p["ends"]["low"] for p in per]
    highs = [p["ends"]["high"] for p in per]
    pooled = np.concatenate([crossing_draws(sc, PARITY, draws, seed, key) for sc in SCENARIOS])
    lo = min((x for x in lows if x is not None), default=math.inf) - t0
    hi = math.inf if any(h is None for h in highs) else max(highs) - t0
    pt = float(np.quantile(pooled, 0.5, method="inverted_cdf")) - t0
    never = float(np.mean(~np.isfinite(pooled)))
    c = claims.loc["chasm_persists_years"]
    v, r = judge((lo, pt, hi), float(c["claimed_low"]), float(c["claimed_high"]), str(c["bound"]))
    if v == "partly_supported" and not math.isfinite(pt):
        r = "right direction, but the ratio never reaches parity in most draws"
    basis = ("the fitted proving decline" if src["kind"] == "fitted"
             else f"the article's own {100 * src['low']:.0f}-{100 * src['high']:.0f}% proving decline")
    out.append({"claim_id": "chasm_persists_years", "verdict": v,
                "judged_against": f"years to parity {_iv(lo, pt, hi)}".replace("inf", "never"),
                "reason": f"{r} (today's ratio over every hardware scenario, the fitted inference decline and "
                          f"{basis}; in {never:.0%} of draws the ratio never falls to 1)"})
    return out


# ------------------------------------------------------------------ command line


def trajectory(scenario: str = "gpu", draws: int = DRAWS, seed: int = SEED) -> dict:
    """Everything ``python -m chasm trajectory --json`` prints: ``t0``, the declines (inference pooled and
    within providers, GPU-hour, proving source, the article's), and per threshold the crossing year."""
    from chasm.economics.scenarios import SCENARIOS

    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    src = proving_decline_source()
    prove = ({"source": "fitted", **src["fit"].as_dict()} if src["kind"] == "fitted"
             else {"source": "article", "low": src["low"], "high": src["high"], "unit": "fraction per year"})
    R0 = ratio_draws(scenario, draws, seed)
    low, point, high = np.percentile(R0, [2.5, 50, 97.5])
    return {"arch": ARCH, "scenario": scenario, "t0": start_year(), "draws": draws, "seed": seed,
            "ratio_today": {"point": float(point), "low": float(low), "high": float(high)},
            "inference_decline": inference_decline().as_dict(),
            "inference_decline_within_providers": inference_decline("provider").as_dict(),
            "gpu_hour_decline_within_products": gpu_hour_decline().as_dict(),
            "proving_decline": {**prove, "reason": src["reason"]},
            "article": {k: {"low": v[0], "high": v[1]} for k, v in article_declines().items()},
            "thresholds": [{k: v for k, v in row.items() if k != "ends"}
                           for row in threshold_years(scenario, THRESHOLDS + (PARITY,), draws, seed)]}


def _text(result: dict) -> str:
    def dec(d):
        return f"{100 * d['point']:.1f}% ({100 * d['low']:.1f}% to {100 * d['high']:.1f}%)"

    p = result["proving_decline"]
    lines = [f"{result['arch']}, proving scenario {result['scenario']}; t0 = {result['t0']:.2f}; "
             f"ratio today {result['ratio_today']['point']:.3g} ({result['ratio_today']['low']:.3g} to "
             f"{result['ratio_today']['high']:.3g})",
             f"inference decline per year: {dec(result['inference_decline'])} (pooled offers)",
             "proving decline per year: " + (dec(p) if p["source"] == "fitted"
                                             else f"{100 * p['low']:.0f}% to {100 * p['high']:.0f}% (the article's)")
             + f"; {p['reason']}", ""]
    for row in result["thresholds"]:
        y = row["year"]
        text = ("null" if y is None else f"{y['point']:.1f} ({y['low']:.1f} to "
                + ("open" if y["high"] is None else f"{y['high']:.1f}") + ")")
        lines.append(f"  below {row['threshold']:>6g}x: {text}" + (f"  [{row['reason']}]" if row["reason"] else ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m chasm trajectory [--json] [--scenario NAME] [--draws N]``."""
    from chasm.economics.scenarios import SCENARIOS

    parser = argparse.ArgumentParser(prog="python -m chasm trajectory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--scenario", default="gpu", choices=list(SCENARIOS),
                        help="the proving hardware of today's ratio (default: gpu, the lowest ratio)")
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    result = trajectory(args.scenario, args.draws, args.seed)
    print(json.dumps(result, indent=2) if args.json else _text(result))
    return 0
