"""The pipeline that exists, for the chapter "A frontier query, as ezkl can prove it": the prover constants read
from the circuits ezkl builds, the measured cost of linking a chain of chunk proofs, and whether the fixed-point
range holds at frontier scale. Tables and ``{name: text}`` facts the chapter glues as ``frontier_<name>``."""

from __future__ import annotations

import functools
import math

import pandas as pd

from chasm.core import data
from chasm.core.constants import CIRCUIT_CONSTANTS, CONTENTION_LIMIT, LINKING
from chasm.core.ezkl_rules import DEFAULT_DECOMP_BASE, DEFAULT_DECOMP_LEGS
from chasm.core.fmt import nbytes, pct, pow2, sci
from chasm.costmodel import ranges
from chasm.costmodel.llama import list_architectures, load_architectures
from chasm.costmodel.prover import CIRCUIT_KINDS, circuit_kind, measured_constants
from chasm.laws import frontier

__all__ = ["MODES", "constants_table", "columns_table", "linking_summary", "linking_table", "linking_facts",
           "range_table", "range_probe_table", "range_facts"]

#: Boundary visibilities of the linking experiment, plain chain first.
MODES = ("public", "polycommit", "hashed")


def constants_table() -> pd.DataFrame:
    """Per circuit kind (:data:`chasm.costmodel.prover.CIRCUIT_KINDS`), the constants read from the circuits ezkl
    builds at its default run arguments (``data/measurements/circuit_constants.csv``): circuits read, advice
    columns, lookup arguments, range-check and function tables, constraint degree, extended domain factor and
    committed polynomials per row (ranges where circuits of a kind differ), and the count the prover-work model
    uses (:func:`chasm.costmodel.prover.measured_constants`)."""
    table = data.load_table(CIRCUIT_CONSTANTS)
    table = table[(table["decomp_legs"] == 2) & (table["num_inner_cols"] == 2) & ~table["disable_freivalds"].astype(bool)]
    table = table.assign(kind=[circuit_kind(f, c) for f, c in zip(table["family"], table["config"])])

    def span(part, col):
        lo, hi = int(part[col].min()), int(part[col].max())
        return str(lo) if lo == hi else f"{lo} to {hi}"

    rows = []
    for kind in CIRCUIT_KINDS:
        part = table[table["kind"] == kind]
        if part.empty:
            continue
        used = measured_constants(kind)
        rows.append({"kind of circuit": kind, "circuits read": len(part), "logrows": span(part, "logrows"),
                     "advice columns": span(part, "n_advice"), "lookup arguments": span(part, "n_lookups"),
                     "range-check tables": span(part, "range_check_tables"),
                     "function tables": span(part, "lookup_tables"), "degree": span(part, "degree"),
                     "extended domain": "2^" + span(part, "extended_factor_log2"),
                     "committed polys per row": span(part, "committed_polys_per_row"),
                     "used": int(used["committed_polys"])})
    return pd.DataFrame(rows)


def columns_table() -> pd.DataFrame:
    """Committed polynomials per row of a frontier query's chunk circuits (:func:`chasm.laws.frontier.column_counts`):
    per part of the query, the miniature Llamas' count, the linking columns, and the range carried (low/high)."""
    counts = frontier.column_counts()
    rows = []
    for part, kind in (("prefill", "llama-prefill"), ("decode", "llama-decode")):
        c = counts[part]
        rows.append({"part of the query": part, "read from ezkl": int(measured_constants(kind)["committed_polys"]),
                     "linking columns": frontier.LINK_COLUMNS,
                     "carried": f"{c['point']:.0f} ({c['low']:.0f} to {c['high']:.0f})"})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=1)
def _linking_chains() -> pd.DataFrame:
    """Chain totals of ``linking.csv`` (one row per chain: rows, proving-key bytes, prove seconds summed over its
    chunks), chains with any chunk proven on a contended machine left out (times and all)."""
    t = data.load_table(LINKING)
    ok = t[t["status"] == "ok"]
    contended = set(ok.loc[ok["other_cpu_frac"] > CONTENTION_LIMIT, "chain_id"])
    ok = ok[~ok["chain_id"].isin(contended)].copy()
    ok["config"] = ok["split"] + "/" + ok["d_model"].astype(str) + "/" + ok["seq"].astype(str)
    return ok.groupby(["chain_id", "experiment", "config", "mode"], as_index=False).agg(
        chunks=("run_id", "size"), rows=("num_rows", "sum"), pk=("pk_bytes", "sum"), prove=("prove_s", "sum"),
        linked=("chain_ok", "all"), contended=("other_cpu_frac", "max"))


def linking_summary() -> pd.DataFrame:
    """Per boundary mode and chain configuration (experiments ``split``, ``shapes``, ``kv``; medians over
    uncontended repetitions): chunks, rows (sum of the chunks' ``num_rows``), proving-key bytes per chunk and
    prove wall seconds per chain, and the same against the plain chain of public boundaries (``d_rows``,
    ``d_pk_frac``, ``d_prove_frac``); ``linked``: every chain of the cell linked."""
    ch = _linking_chains()
    ch = ch[ch["experiment"].isin(["split", "shapes", "kv"])]
    med = ch.groupby(["experiment", "config", "mode"], as_index=False).agg(
        chains=("chain_id", "size"), chunks=("chunks", "median"), rows=("rows", "median"), pk=("pk", "median"),
        prove=("prove", "median"), linked=("linked", "all"))
    base = med[med["mode"] == "public"].set_index(["experiment", "config"])
    med = med[med.set_index(["experiment", "config"]).index.isin(base.index)].copy()
    ref = base.loc[list(zip(med["experiment"], med["config"]))]
    med["d_rows"] = med["rows"].to_numpy() - ref["rows"].to_numpy()
    med["d_pk_frac"] = med["pk"].to_numpy() / ref["pk"].to_numpy() - 1
    med["d_prove_frac"] = med["prove"].to_numpy() / ref["prove"].to_numpy() - 1
    med["pk_per_chunk"] = med["pk"] / med["chunks"]
    return med


def linking_table() -> pd.DataFrame:
    """One row per boundary mode: chain configurations and chains measured, rows, proving key and prove time
    added against public boundaries (range over configurations), whether every chain linked, and whether the
    tampered chain (chunk 1 proven on a boundary one quantum off) failed the link check."""
    s = linking_summary()
    t = data.load_table(LINKING)
    tamper = t[(t["experiment"] == "tamper") & (t["chunk_index"] > 0)].set_index("mode")
    rows = []
    for mode in MODES:
        part = s[s["mode"] == mode]
        rows.append({"boundary": mode, "configurations": len(part), "chains": int(part["chains"].sum()),
                     "rows added per chain": f"{part['d_rows'].min():+,.0f} to {part['d_rows'].max():+,.0f}",
                     "proving key added": f"{100 * part['d_pk_frac'].min():+.1f}% to {100 * part['d_pk_frac'].max():+.1f}%",
                     "prove time added": f"{100 * part['d_prove_frac'].min():+.1f}% to {100 * part['d_prove_frac'].max():+.1f}%",
                     "all chains link": "yes" if part["linked"].all() else "no",
                     "tampered boundary caught": "yes" if mode in tamper.index and not bool(tamper.loc[mode, "link_ok"])
                     else "no"})
    return pd.DataFrame(rows)


def linking_facts() -> dict[str, str]:
    """Glued text of the linking experiment: ``chains`` measured in all, ``contended`` chains left out,
    ``poly_pk_low/high`` and ``poly_prove_low/high`` (polycommit against public, %), ``hashed_pk_high`` and
    ``hashed_prove_high``, ``poly_pk_mb`` (median proving-key bytes polycommit adds per chunk), ``one_column``
    (one column's share of the measured chunk circuits' committed polynomials, %), ``private_reason`` (the link
    check's verdict on the tampered chain with private boundaries), ``tamper_verified`` (whether every proof of the
    tampered chains verified on its own)."""
    s = linking_summary()
    t = data.load_table(LINKING)
    all_chains = t.loc[t["status"] == "ok", "chain_id"].nunique()
    poly, hashed = s[s["mode"] == "polycommit"], s[s["mode"] == "hashed"]
    pub = s[s["mode"] == "public"].set_index(["experiment", "config"])
    added = (poly.set_index(["experiment", "config"])["pk_per_chunk"] - pub["pk_per_chunk"]).dropna()
    tamper = t[(t["experiment"] == "tamper") & (t["chunk_index"] > 0)].set_index("mode")
    ok = t[t["status"] == "ok"]
    contended = ok.loc[ok["other_cpu_frac"] > CONTENTION_LIMIT, "chain_id"].nunique()
    return {"chains": str(all_chains), "contended": str(contended),
            "contention": f"{CONTENTION_LIMIT:.0%}",
            "poly_pk_low": pct(poly["d_pk_frac"].min(), 1), "poly_pk_high": pct(poly["d_pk_frac"].max(), 1),
            "poly_prove_low": pct(poly["d_prove_frac"].min(), 1), "poly_prove_high": pct(poly["d_prove_frac"].max(), 1),
            "hashed_pk_high": pct(hashed["d_pk_frac"].max(), 1), "hashed_prove_high": pct(hashed["d_prove_frac"].max(), 1),
            "poly_pk_mb": nbytes(float(added.median())),
            "one_column": pct(1 / frontier.chunk_laws().committed_polys, 1),
            "private_reason": str(tamper.loc["private", "link_reason"]),
            "tamper_verified": "every" if t.loc[t["experiment"] == "tamper", "verified"].astype(bool).all() else "not every",
            "link_columns": str(frontier.LINK_COLUMNS),
            "chunks_min": str(int(s.loc[s["experiment"] != "kv", "chunks"].min())),
            "chunks_max": str(int(s.loc[s["experiment"] != "kv", "chunks"].max())),
            "kv_steps": str(int(s.loc[s["experiment"] == "kv", "chunks"].max()))}


def range_table() -> pd.DataFrame:
    """Per Llama-3 model: the decomposition digits its largest sourced Llama activation needs at scale 2^7
    (:func:`chasm.costmodel.ranges.feasibility_table`, Llama sources only), the smallest margin of 2 digits
    over those magnitudes, the largest relative error of RMSNorm's ``1/rms`` at the scale, and the extra rows
    per query 3 digits would add (:func:`chasm.costmodel.ranges.extra_rows_for_range`)."""
    feas = ranges.feasibility_table()
    llama = feas[feas["source_model"].str.contains("llama", case=False)]
    rows = []
    for arch in list_architectures():
        part = llama[llama["arch_id"] == arch]
        extra = ranges.extra_rows_for_range(arch, legs=3)
        rows.append({"model": arch, "Llama sources": len(part), "confirmed": int(part["confirmed"].sum()),
                     "largest magnitude": sci(part["magnitude"].max()),
                     "digits needed": int(part["digits"].max()),
                     "margin of 2 digits": f"{part['margin_2_digits'].min():.1f}×",
                     "1/rms error (largest)": pct(part["rsqrt_rel_error"].max(), 1),
                     "rows added by 3 digits": pct(extra["extra_frac"], 1)})
    return pd.DataFrame(rows)


def range_probe_table() -> pd.DataFrame:
    """The measured 2-digit threshold on miniature Llamas (``range_checks.csv``): per width, the largest outlier
    magnitude that calibrated and the smallest that failed, against the derived bound
    (:func:`chasm.costmodel.ranges.max_activation`, one outlier channel)."""
    rc = data.load_table("measurements/range_checks.csv")
    rc = rc[(rc["mode"] == "outlier") & (rc["decomp_legs"] == 2) & (rc["decomp_base"] == 16384)]
    rows = []
    for width, part in rc.groupby("d_model"):
        passed, failed = part[part["calibrated"]], part[~part["calibrated"]]
        rows.append({"width": int(width), "probes": len(part), "largest that calibrated": f"{passed['magnitude'].max():.2f}",
                     "smallest that failed": f"{failed['magnitude'].min():.2f}",
                     "derived bound": f"{ranges.max_activation(int(width), 1)['A_max']:.2f}"})
    return pd.DataFrame(rows)


def range_facts() -> dict[str, str]:
    """Glued text: ``digits`` (most digits any Llama source needs), ``margin_min`` (smallest margin), the range of
    3-digit extra rows (``extra_low``/``extra_high``, %), the probes' largest 1/rms error source (``non_llama``:
    the largest non-Llama magnitude, and ``non_llama_digits``), and ``probe_err`` (largest output error of a
    miniature Llama that calibrated with 3 digits at a magnitude 2 digits refuse)."""
    table = range_table()
    archs = list(load_architectures().values())
    feas = ranges.feasibility_table()
    other = feas[~feas["source_model"].str.contains("llama", case=False)]
    extras = [ranges.extra_rows_for_range(a, legs=3)["extra_frac"] for a in list_architectures()]
    rc = data.load_table("measurements/range_checks.csv")
    three = rc[(rc["decomp_legs"] == 3) & rc["calibrated"]]
    return {"digits": str(int(table["digits needed"].max())),
            "margin_min": f"{min(float(m[:-1]) for m in table['margin of 2 digits']):.1f}",
            "extra_low": pct(min(extras), 1), "extra_high": pct(max(extras), 1),
            "non_llama": sci(other["magnitude"].max()), "non_llama_digits": str(int(other["digits"].max())),
            "non_llama_err": pct(other["rsqrt_rel_error"].max(), 0),
            "probe_err": pct(three["output_max_abs_err"].max(), 0), "scale": str(ranges.SCALE),
            "base": pow2(int(math.log2(DEFAULT_DECOMP_BASE))), "base_bits": str(int(math.log2(DEFAULT_DECOMP_BASE))), "legs": str(DEFAULT_DECOMP_LEGS),
            "int_bits": str(ranges.I128_BITS + 1),
            "len_low": f"{min(a.d_model for a in archs):,}", "len_high": f"{max(a.ffn_width for a in archs):,}"}
