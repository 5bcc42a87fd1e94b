"""A frontier query proven as a chain of chunk proofs: chunk size under a memory budget, prover work by
two routes, and intervals that include the choice of law.

ezkl 23 has no aggregation, so a Llama-3 query (rows from :func:`chasm.costmodel.frontier.frontier_workload`)
is proven as ``chunks = ceil(rows / (2^K - blinding rows - link rows))`` separate proofs of ``2^K`` rows,
linked on their boundaries (:func:`link_rows`). A chunk of a weight product computes a slice of its
outputs from the whole input vector, so each chunk's boundary is that vector plus its slice
(:func:`boundary_elements`), and a consumer reads a vector its producers wrote in slices. ezkl 23 can link
that only through public boundaries (the verifier compares the instances; measured at
:func:`public_rows_per_element` rows per element in ``data/measurements/linking.csv``): the point and the
high end. Its ``polycommit`` links a whole column to a whole column at no row cost (one unblinded advice
column per side, :data:`LINK_COLUMNS`); linking slices to a vector that way needs each slice committed at
its offset and the commitments added, which ezkl 23 does not do: the low end. The key/value cache the
decoding steps read is linked the same way (:func:`kv_link_rows`). Per chunk, everything is read from the measured one-block transformer circuits of
``data/measurements/proofs.csv`` at the chunk's padded size, scaled by the chunk circuit's committed
polynomials against the measured circuits' (:func:`column_counts`; both read from the circuits ezkl
builds, ``data/measurements/circuit_constants.csv``):

- **route A (fitted laws)**: prove time per chunk from the transformer family's prove-time laws;
- **route B (cost model)**: the cost model's prover work :func:`chasm.costmodel.prover.prover_work` of the
  chunk times the measured time per modelled field multiplication, itself a law in rows
  (:data:`chasm.laws.candidates.RATE_CANDIDATES`; it rises with size in every family: the cost model's
  per-row work falls with ``k``, the measured per-row time does not).

Every per-chunk prediction is the **envelope of the 95% prediction intervals of all laws that
cross-validation cannot rule out** (:func:`chasm.laws.choice.plausible_laws`), at the point of the law it
chose (:func:`law_envelope`). Per-query intervals multiply bounds low with low and high with high (rows
band of the cost model, law envelope, column counts): conservative when the errors are independent. The
two routes are reconciled by their envelope (:func:`combine_routes`). Times are core-seconds on the
measuring machine (wall seconds times the prover threads of the runs); other hardware is the pricing's
part. The chunk size is the cheapest (prover plus verifier core-seconds, point) whose 95% high bound of
per-chunk peak memory fits the budget (:func:`choose_chunk`).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from chasm.core import data, paths
from chasm.core.claims import load_claims
from chasm.core.constants import PROOFS
from chasm.core.ezkl_rules import RESERVED_BLINDING_ROWS, logrows_rule, max_logrows_for_degree
from chasm.laws.candidates import RATE_CANDIDATES
from chasm.laws.choice import LawChoice, fit_quantity, plausible_laws
from chasm.laws.estimation import predict
from chasm.laws.selection import select_runs

__all__ = ["FAMILY", "MIN_CHUNK_LOGROWS", "MAX_CHUNK_LOGROWS", "CHUNK_LOGROWS", "LINK_COLUMNS", "EXTRA_TABLE_POLYS",
           "public_rows_per_element", "boundary_elements", "link_rows", "kv_link_rows", "memory_budgets", "law_envelope", "ChunkLaws",
           "chunk_laws", "column_counts", "chunk_table", "query_table", "choose_chunk", "combine_routes",
           "routes_table"]

#: The measured family whose laws carry a frontier chunk (the only one with attention and norms).
FAMILY = "transformer"
#: The smallest chunk ezkl builds at its default range-check table (its logrows floor).
MIN_CHUNK_LOGROWS = logrows_rule(1)
#: The largest chunk of a Llama circuit: its softmax makes the constraint degree 6 (read from the circuits
#: ezkl builds), and ezkl then accepts at most 2^25 rows.
MAX_CHUNK_LOGROWS = max_logrows_for_degree(6)
#: Chunk sizes considered (log2 rows): ezkl's floor to its ceiling at degree 6.
CHUNK_LOGROWS = tuple(range(MIN_CHUNK_LOGROWS, MAX_CHUNK_LOGROWS + 1))
#: Committed columns linking adds to a chunk: one unblinded advice column for the input boundary and one
#: for the output (ezkl's ``polycommit``: no extra rows; ``data/measurements/linking.csv``).
LINK_COLUMNS = 2
#: Committed polynomials a frontier chunk may need beyond the miniature Llamas' (one more function table:
#: a lookup argument per inner column, each a multiplicity and a running sum): the high end of the range.
EXTRA_TABLE_POLYS = 4


def memory_budgets() -> dict[str, float]:
    """Prover memory budgets (bytes): the article's prover server ("256GB+ RAM", read from
    ``data/claims.csv``, claim ``ram_proving``), 1 TiB and 2 TiB."""
    claim = load_claims().set_index("claim_id").loc["ram_proving"]
    gib = float(claim["claimed_low"])
    return {f"{gib:.0f} GiB (the article's prover server)": gib * 2**30, "1 TiB": 2.0**40, "2 TiB": 2.0**41}


def law_envelope(choice: LawChoice, x) -> dict[str, np.ndarray | tuple[str, ...]]:
    """95% prediction envelope of the plausible laws of ``choice`` at sizes ``x`` (rows).

    ``point``: the chosen law's median; ``low``/``high``: the lowest and highest 95% prediction bound
    of every law cross-validation cannot rule out (:func:`chasm.laws.choice.plausible_laws`); ``laws``:
    those laws, best first.
    """
    laws = tuple(plausible_laws(choice))
    preds = [predict(choice.fits[law], x) for law in laws]
    return {"point": predict(choice.chosen, x)["point"],
            "low": np.min([p["low"] for p in preds], axis=0),
            "high": np.max([p["high"] for p in preds], axis=0), "laws": laws}


@dataclass(frozen=True)
class ChunkLaws:
    """The laws a frontier chunk is carried by (one machine, the transformer family).

    ``prove``, ``setup``, ``verify``: wall seconds of the phases (``verify_compute_s``: ezkl's own
    verification compute, without reading the SRS); ``peak``: peak resident memory of a run (bytes);
    ``pk``: proving-key bytes; ``ns_per_field_mult``: measured CPU-nanoseconds per modelled field
    multiplication (route B); ``threads``: prover threads of the runs; ``committed_polys``: the
    measured circuits' committed polynomials per row (the cost model's count from their tables).
    """

    prove: LawChoice
    setup: LawChoice
    verify: LawChoice
    peak: LawChoice
    prove_peak: LawChoice
    pk: LawChoice
    ns_per_field_mult: LawChoice
    threads: int
    committed_polys: float
    hardware_tag: str
    max_logrows: int


def _with_field_mult_time(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with ``committed_polys`` and ``ns_per_field_mult``: CPU-nanoseconds of the whole prove phase
    per field multiplication of the cost model's prover work at the run's logrows, with the prover
    constants read for its kind of circuit (:func:`chasm.costmodel.timing.implied_field_mult_time`,
    ``time="wall"``); NaN where the run's times were dropped for contention."""
    from chasm.costmodel.timing import implied_field_mult_time

    implied = implied_field_mult_time(time="wall").set_index("run_id")
    runs = runs.copy()
    runs["committed_polys"] = runs["run_id"].map(implied["committed_polys"])
    runs["ns_per_field_mult"] = runs["run_id"].map(implied["cpu_ns_per_field_mult"]).where(runs["prove_s"].notna())
    return runs


@functools.lru_cache(maxsize=4)
def _chunk_laws_cached(path: str, mtime: float, hardware_tag: str | None) -> ChunkLaws:
    import pickle

    store = paths.cache_dir() / "laws" / f"chunk-laws-{_laws_digest(path, hardware_tag)}.pickle"
    try:
        laws = pickle.loads(store.read_bytes())
        if isinstance(laws, ChunkLaws):
            return laws
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        pass
    laws = _fit_chunk_laws(path, hardware_tag)
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(laws))
    os.replace(tmp, store)  # atomic: a concurrent reader sees the old file or the whole new one
    return laws


def _fit_chunk_laws(path: str, hardware_tag: str | None) -> ChunkLaws:
    runs, tag = select_runs(data.load_table(path), hardware_tag)
    runs = _with_field_mult_time(runs)
    fam = runs[runs["family"] == FAMILY]
    return ChunkLaws(
        prove=fit_quantity(runs, FAMILY, "prove_s"), setup=fit_quantity(runs, FAMILY, "setup_s"),
        verify=fit_quantity(runs, FAMILY, "verify_compute_s"), peak=fit_quantity(runs, FAMILY, "peak_rss_bytes"),
        prove_peak=fit_quantity(runs, FAMILY, "prove_peak_rss_bytes"),
        pk=fit_quantity(runs, FAMILY, "pk_bytes"), ns_per_field_mult=fit_quantity(runs, FAMILY, "ns_per_field_mult", candidates=RATE_CANDIDATES),
        threads=int(fam["prove_threads"].median()), committed_polys=float(fam["committed_polys"].median()),
        hardware_tag=tag, max_logrows=int(fam["logrows"].max()))


def chunk_laws(hardware_tag: str | None = None) -> ChunkLaws:
    """:class:`ChunkLaws` from the committed proving runs (cached per file version, in memory and on disk).

    The fits take seconds and every chapter that prices or extrapolates needs them, each in its own
    kernel: so they are also kept on disk, under :func:`chasm.core.paths.cache_dir` ``/laws``, keyed by a
    digest of everything they are computed from (the tables they read and the source of the ``laws``
    and ``costmodel`` stages and of ``core``). A changed input or line of code is a new key; a cache file that cannot
    be read is ignored and recomputed."""
    path = paths.data_dir() / PROOFS
    return _chunk_laws_cached(str(path), path.stat().st_mtime, hardware_tag)


def _laws_digest(path: str, hardware_tag: str | None) -> str:
    import hashlib

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"{hardware_tag}".encode())
    tables = [Path(path)] + [paths.data_dir() / "measurements" / n for n in ("circuit_constants.csv", "layouts.csv")]
    code = [f for stage in ("core", "laws", "costmodel") for f in sorted((root / stage).glob("*.py"))]
    for f in tables + code:
        h.update(f.name.encode())
        h.update(f.read_bytes() if f.exists() else b"-")
    return h.hexdigest()[:32]


def column_counts() -> dict[str, dict[str, float]]:
    """Committed polynomials per row of a frontier query's chunk circuits, per part of the query, read from
    the circuits ezkl builds (:func:`chasm.costmodel.prover.measured_constants`): ``prefill`` (the
    prompt's batched products go through the Freivalds einsum region: the miniature Llamas without a
    cache) and ``decode`` (one token per step against the cache). ``low``/``point``: the miniature Llamas'
    count plus the :data:`LINK_COLUMNS` of linking; ``high``: plus :data:`EXTRA_TABLE_POLYS`."""
    from chasm.costmodel.prover import measured_constants

    out = {}
    for part, kind in (("prefill", "llama-prefill"), ("decode", "llama-decode")):
        n_c = measured_constants(kind)["committed_polys"] + LINK_COLUMNS
        out[part] = {"low": n_c, "point": n_c, "high": n_c + EXTRA_TABLE_POLYS}
    return out


def public_rows_per_element() -> float:
    """Rows one public boundary element adds to a chunk circuit, measured: the median over the ``probe``
    chunks of ``data/measurements/linking.csv`` of (rows with public boundaries - rows with private ones)
    / public elements."""
    from chasm.core.constants import LINKING

    t = data.load_table(LINKING)
    probe = t[(t["experiment"] == "probe") & (t["mode"] == "public") & (t["status"] == "ok")]
    if probe.empty:
        raise ValueError(f"{LINKING} has no public 'probe' chunk: run `python -m chasm linking --plan probe`")
    return float(((probe["public_num_rows"] - probe["private_num_rows"]) / probe["public_instances"]).median())


@functools.lru_cache(maxsize=8)
def boundary_elements(arch_id: str) -> dict[str, float]:
    """Input elements a chunk of ``arch_id``'s weight products links (low/point/high): the input width of the
    product it belongs to (q, k, v, o, gate and up read ``d_model``, down reads the feed-forward width);
    ``point`` weighted by each product's multiply-accumulates, ``low`` the narrowest, ``high`` the widest. A
    chunk computes a slice of the outputs from the whole input (its outputs are few beside it)."""
    from chasm.costmodel.llama import load_architectures

    a = load_architectures()[arch_id]
    kv = a.n_kv_heads * a.head_dim
    d, f = a.d_model, a.ffn_width
    products = [(d, d), (d, kv), (d, kv), (d, d), (d, f), (d, f), (f, d)]  # (input, output) of q k v o gate up down
    macs = [i * o for i, o in products]
    return {"low": float(d), "point": sum(m * i for m, (i, _) in zip(macs, products)) / sum(macs),
            "high": float(max(i for i, _ in products))}


def link_rows(arch_id: str, K: int) -> dict[str, float]:
    """Rows a chunk of ``2^K`` rows spends on linking its boundaries (low/point/high): ``low`` 0 (slices
    committed at their offsets and the commitments added: not in ezkl 23); ``point``/``high`` public
    boundaries, :func:`public_rows_per_element` times the chunk's input (:func:`boundary_elements`) and
    outputs (``2^(K+1) / input`` at a cell per multiply-accumulate over ezkl's two inner columns)."""
    per = public_rows_per_element()
    b = boundary_elements(arch_id)
    out = {"low": 0.0}
    for end in ("point", "high"):
        out[end] = per * (b[end] + 2.0 ** (K + 1) / b[end])
    return out


def kv_link_rows(kv_elements: float, committed_polys: float, public: bool = True) -> float:
    """Row-equivalents of linking ``kv_elements`` cached key/value elements the decoding steps read: as public
    boundaries (:func:`public_rows_per_element` rows each), or committed with ``polycommit`` (``public=False``:
    ``kv_elements / 2^K`` extra committed columns, each as costly as one of the chunk's ``committed_polys``
    per row, so as many rows as ``kv_elements / committed_polys``)."""
    return kv_elements * public_rows_per_element() if public else kv_elements / committed_polys


def _chunks(rows: float, K: int, link: float = 0.0) -> float:
    useful = 2**K - RESERVED_BLINDING_ROWS - link
    return float(math.ceil(rows / useful)) if useful > 0 else math.inf


def chunk_table(laws: ChunkLaws, committed_polys: dict[str, float], logrows=CHUNK_LOGROWS,
                kind: str = "llama-decode") -> pd.DataFrame:
    """Per chunk of ``2^K`` rows with ``committed_polys`` (low/point/high) per row: peak memory (bytes),
    prove core-seconds by route A and route B, setup and verify core-seconds, proving-key bytes; each
    with ``_low``/``_high`` (law envelope times the column range), and ``laws_*`` naming the laws in
    each envelope. Columns scale with ``committed_polys / laws.committed_polys``; route B's prover work
    takes the other constants of circuits of ``kind`` (degree, quotient pieces, extended domain)."""
    from chasm.costmodel.prover import prover_constants, prover_work

    ks = np.asarray(list(logrows), dtype=int)
    x = np.ldexp(1.0, ks)
    scale = {end: committed_polys[end] / laws.committed_polys for end in ("low", "point", "high")}
    out = pd.DataFrame({"K": ks, "rows": x})
    for name, choice, per_core in (("prove_core_s", laws.prove, True), ("setup_core_s", laws.setup, True),
                                   ("verify_core_s", laws.verify, True), ("peak_bytes", laws.peak, False),
                                   ("prove_peak_bytes", laws.prove_peak, False),
                                   ("pk_bytes", laws.pk, False)):
        env = law_envelope(choice, x)
        factor = laws.threads if per_core else 1
        for end in ("point", "low", "high"):
            out[name if end == "point" else f"{name}_{end}"] = env[end] * factor * scale[end]
        out[f"laws_{name}"] = ", ".join(env["laws"])
    ns = law_envelope(laws.ns_per_field_mult, x)
    for end in ("point", "low", "high"):
        consts = prover_constants(kind, committed_polys[end])
        work = np.array([float(prover_work(int(k)).subs(consts)) for k in ks])
        out["prove_b_core_s" if end == "point" else f"prove_b_core_s_{end}"] = work * ns[end] / 1e9
    out["laws_prove_b_core_s"] = ", ".join(ns["laws"])
    out["doublings_beyond_data"] = ks - laws.max_logrows
    return out


def combine_routes(a: tuple[float, float, float], b: tuple[float, float, float]) -> dict[str, float]:
    """One number from two routes ``(low, point, high)``: the geometric mean of the points and the
    envelope of the intervals (whatever the routes' disagreement, the interval holds both);
    ``ratio``: route A's point over route B's (NaN where a chunk size cannot hold its links: infinite cost)."""
    finite = math.isfinite(a[1]) and math.isfinite(b[1])
    return {"low": min(a[0], b[0]), "point": math.sqrt(a[1] * b[1]), "high": max(a[2], b[2]),
            "ratio": a[1] / b[1] if finite else math.nan}


@functools.lru_cache(maxsize=8)
def _workload(arch_id: str) -> dict:
    """Rows (low/point/high), FLOPs and the prefill's share of the rows of ``arch_id``'s query (cost model)."""
    from chasm.costmodel.frontier import frontier_workload

    w = frontier_workload(arch_id)
    return {"rows": {"low": w.rows_per_query_low, "point": w.rows_per_query, "high": w.rows_per_query_high},
            "flops": w.flops_per_query, "prefill_share": w.prefill_rows_share, "kv_elements": w.kv_elements_per_query,
            "decode_steps": w.generated_tokens - 1}


ENDS = ("low", "point", "high")
#: Per-query quantities of :func:`query_table`: (name, column of :func:`chunk_table`, summed over chunks).
_SUMMED = (("chunks", None), ("prove_a_core_s", "prove_core_s"), ("prove_b_core_s", "prove_b_core_s"),
           ("verify_core_s", "verify_core_s"))
_PER_CIRCUIT = (("peak_bytes", "peak_bytes"), ("prove_peak_bytes", "prove_peak_bytes"),
                ("setup_core_s", "setup_core_s"), ("pk_bytes", "pk_bytes"))


def _col(name: str, end: str) -> str:
    return name if end == "point" else f"{name}_{end}"


def query_table(arch_id: str, laws: ChunkLaws | None = None, logrows=CHUNK_LOGROWS) -> pd.DataFrame:
    """Per-query costs of ``arch_id``'s query proven in chunks of ``2^K`` rows, one row per ``K``.

    The query's rows (cost model, 95% band) are split into the prefill's and the decoding steps'
    chunks, whose circuits differ in committed polynomials (:func:`column_counts`); the decoding steps
    also commit the cache they read (:func:`kv_link_rows`). Columns, each with ``_low``/``_high``:
    ``chunks``; ``prove_a_core_s`` and ``prove_b_core_s`` (the two routes) and ``prove_core_s``
    (combined, :func:`combine_routes`, with ``ratio_a_over_b``); ``verify_core_s`` (every chunk proof
    verified once); per chunk circuit (the larger of the two parts): ``peak_bytes``, ``setup_core_s``
    and ``pk_bytes``; ``distinct_circuits`` (low: a decoding step's chunks are the same circuits at every
    step, the cache padded to its full length; high: every chunk its own circuit), ``keygen_core_s`` and
    ``pk_storage_bytes`` (one key per distinct circuit).
    """
    laws = laws or chunk_laws()
    work = _workload(arch_id)
    counts = column_counts()
    share = {"prefill": work["prefill_share"], "decode": 1 - work["prefill_share"]}
    kv = {"low": kv_link_rows(work["kv_elements"], counts["decode"]["point"], public=False),
          "point": kv_link_rows(work["kv_elements"], counts["decode"]["point"]),
          "high": kv_link_rows(work["kv_elements"], counts["decode"]["point"])}
    ks = np.asarray(list(logrows), dtype=int)
    links = [link_rows(arch_id, int(k)) for k in ks]
    out = pd.DataFrame({"K": ks})
    for name, _ in _SUMMED + _PER_CIRCUIT:
        for end in ENDS:
            out[_col(name, end)] = 0.0
    distinct = {"low": np.zeros(len(ks)), "high": np.zeros(len(ks))}
    for part in ("prefill", "decode"):
        kind = "llama-prefill" if part == "prefill" else "llama-decode"
        table = chunk_table(laws, counts[part], ks, kind=kind)
        for end in ENDS:
            rows = work["rows"][end] * share[part] + (kv[end] if part == "decode" else 0.0)
            chunks = np.array([_chunks(rows, int(k), link[end]) for k, link in zip(ks, links)])
            if end == "point":
                steps = work["decode_steps"] if part == "decode" else 1
                distinct["low"] += np.array([_chunks(rows / steps, int(k), link[end]) for k, link in zip(ks, links)])
                distinct["high"] += chunks
            for name, col in _SUMMED:
                out[_col(name, end)] += chunks * (table[_col(col, end)].to_numpy() if col else 1.0)
            for name, col in _PER_CIRCUIT:
                out[_col(name, end)] = np.maximum(out[_col(name, end)], table[_col(col, end)].to_numpy())
    combined = [combine_routes(tuple(r[_col("prove_a_core_s", e)] for e in ENDS),
                               tuple(r[_col("prove_b_core_s", e)] for e in ENDS)) for _, r in out.iterrows()]
    for end in ENDS:
        out[_col("prove_core_s", end)] = [c[end] for c in combined]
    out["ratio_a_over_b"] = [c["ratio"] for c in combined]
    out["distinct_circuits_low"], out["distinct_circuits_high"] = distinct["low"], distinct["high"]
    for end in ("low", "high"):
        out[f"keygen_core_s_{end}"] = distinct[end] * out[_col("setup_core_s", end)]
        out[f"pk_storage_bytes_{end}"] = distinct[end] * out[_col("pk_bytes", end)]
    out["kv_link_rows"] = kv["point"]
    out["kv_link_rows_low"] = kv["low"]
    for end in ENDS:
        out[_col("link_rows", end)] = [link[end] for link in links]
    out["flops"] = work["flops"]
    out["rows"] = work["rows"]["point"]
    return out


def choose_chunk(arch_id: str, budget_bytes: float, laws: ChunkLaws | None = None,
                 table: pd.DataFrame | None = None) -> dict:
    """The cheapest chunk size for ``arch_id`` under a memory budget (bytes).

    Cheapest: the smallest prover plus verifier core-seconds per query (points) among the chunk sizes
    whose 95% high bound of per-chunk peak memory fits ``budget_bytes``. Returns ``K``, its row of
    :func:`query_table` (``costs``, a Series) and the whole ``tradeoff`` table with a ``feasible``
    column. Raises ``ValueError`` when no chunk size fits.
    """
    table = (query_table(arch_id, laws) if table is None else table).copy()
    table["feasible"] = table["peak_bytes_high"] <= budget_bytes
    feasible = table[table["feasible"]]
    if feasible.empty:
        raise ValueError(f"no chunk of 2^{table['K'].min()} to 2^{table['K'].max()} rows fits "
                         f"{budget_bytes / 2**30:.0f} GiB at the 95% high bound of its peak memory")
    best = feasible.loc[(feasible["prove_core_s"] + feasible["verify_core_s"]).idxmin()]
    return {"K": int(best["K"]), "costs": best, "tradeoff": table, "budget_bytes": budget_bytes}


def routes_table(K: int, arch_ids=None, laws: ChunkLaws | None = None) -> pd.DataFrame:
    """The two routes side by side for every frontier model at chunk size ``K``: per-query prover
    core-seconds by route A and route B (low/point/high), their ratio and the combined interval."""
    from chasm.costmodel.llama import list_architectures

    laws = laws or chunk_laws()
    rows = []
    for arch in arch_ids or list_architectures():
        q = query_table(arch, laws, [K]).iloc[0]
        rows.append({"arch_id": arch, "K": K, **{f"a_{e}": q[_col("prove_a_core_s", e)] for e in ENDS},
                     **{f"b_{e}": q[_col("prove_b_core_s", e)] for e in ENDS}, "ratio_a_over_b": q["ratio_a_over_b"],
                     **{e: q[_col("prove_core_s", e)] for e in ENDS}, "chunks": q["chunks"]})
    return pd.DataFrame(rows)
