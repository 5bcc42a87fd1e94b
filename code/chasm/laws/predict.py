"""``python -m chasm predict``: proving cost at a given size, with 95% prediction intervals.

Examples::

    python -m chasm predict --rows 2^18 --family mlp
    python -m chasm predict --rows 300000 --family transformer --json
    python -m chasm predict --arch llama3-70b --extrapolate

Every number comes from the committed measurements
(``data/measurements/proofs.csv``, the runs :func:`chasm.laws.selection.select_runs` keeps,
of one machine), fitted by :mod:`chasm.laws`: for each quantity, every candidate
law is fitted and the one with the lowest leave-one-size-out error is used; the
interval is the 95% prediction interval for one new run of a new circuit of that
size (parameter uncertainty, circuit-to-circuit scatter and lack of fit, and
repetition noise). A quantity whose family has too few measured sizes is listed
as not predicted, with the reason.

``--rows`` is rounded up to a power of two, the evaluation domain the prover
works on. A size outside the measured range of the family is refused (exit
status 2) unless ``--extrapolate`` is given; the message says how many
doublings outside it lies.

``--arch`` takes the per-query workload of a frontier model from the cost model
(:func:`chasm.costmodel.frontier.frontier_workload`): a query is ``chunks_per_query``
proofs of ``2**chunk_logrows`` rows each, predicted with the transformer
family's laws; that is always an extrapolation, so it needs ``--extrapolate``.
Its intervals add the cost model's structural uncertainty to the fit's:

* the chunk count is uncertain because the rows of a query are: the cost model's
  95% band on rows (its held-out relative error on measured circuits plus the
  uncertainty of its fitted constants) gives ``chunks_per_query_low/high``;
* the chunk proofs must be aggregated into one, a term the per-chunk laws do
  not contain: prove time per query is the per-chunk prove time times the
  query's prover work in chunk-proof equivalents, ``prover_work_per_query /
  W(chunk)`` (chunk proofs plus the aggregation tree, from
  :func:`chasm.costmodel.prover.prover_work`), whose band holds the rows band and the
  sourced range of the aggregation cost per proof.

Per-query bounds multiply the fit's 95% bounds by the structural bounds (low
with low, high with high). For independent errors that are normal in log space
this covers at least 95%, since half-widths add where a combined 95% interval
would need only their root sum of squares: the interval is conservative.
Quantities paid once per chunk circuit or per chunk proof (setup, key size,
peak memory) keep the fit's interval at ``2**chunk_logrows`` rows; they assume a
chunk of a frontier model has the columns of the measured one-block
transformer circuits, which no measurement here checks. Exit status 1: the data
cannot answer (missing table, too few sizes).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Mapping

import numpy as np

from chasm.core import data
from chasm.core.constants import FAMILIES, PROOFS
from chasm.laws.candidates import prover_work_of_rows
from chasm.laws.choice import fit_family, measured_range
from chasm.laws.estimation import predict
from chasm.laws.rules import MIN_SIZES, QUANTITY_LABELS, InsufficientData
from chasm.laws.selection import select_runs
from chasm.core.fmt import duration, nbytes

__all__ = ["ARCH_FAMILY", "PER_QUERY_PROVE", "PER_QUERY", "PER_CIRCUIT", "PER_CHUNK_PEAK", "ARCH_SCOPE", "ARCH_NOT_EXTRAPOLATED", "PredictError", "parse_rows", "padded_logrows",
           "outside_range", "frontier_chunks", "predictions", "human", "main"]
ARCH_FAMILY = "transformer"

#: What a per-query prediction for ``--arch`` means for each quantity.
PER_QUERY_PROVE = "per query (chunk proofs plus their aggregation, in chunk-proof equivalents of prover work)"
PER_QUERY = "per query (sum over its chunk proofs)"
PER_CIRCUIT = "per chunk circuit, once (not per query)"
PER_CHUNK_PEAK = "per chunk proof (chunks are proved one after another)"
ARCH_SCOPE = {
    "prove_s": PER_QUERY_PROVE,
    "witness_s": PER_QUERY,
    "verify_s": PER_QUERY,
    "setup_s": PER_CIRCUIT,
    "pk_bytes": PER_CIRCUIT,
    "prove_peak_rss_bytes": PER_CHUNK_PEAK,
    "setup_peak_rss_bytes": PER_CHUNK_PEAK,
    "peak_rss_bytes": PER_CHUNK_PEAK,
}

#: Quantities ``--arch`` does not carry to a frontier chunk, and why.
ARCH_NOT_EXTRAPOLATED = {
    "proof_bytes": ("proof size follows the circuit's public inputs and outputs (the transformers' grows "
                    "with width x tokens at a fixed column count), not its rows; what a frontier chunk "
                    "would make public is not measured, so a rows law cannot predict it"),
}


class PredictError(Exception):
    """The request cannot be answered; ``status`` is the exit status (1: data, 2: usage/range)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def parse_rows(text: str) -> int:
    """Rows from ``'262144'``, ``'2^18'`` or ``'2**18'``; raise ``ValueError`` if not a positive integer."""
    text = text.strip().replace("_", "").replace(",", "")
    m = re.fullmatch(r"2\s*(?:\^|\*\*)\s*(\d+)", text)
    if m:
        return 2 ** int(m.group(1))
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"--rows must be a positive integer or 2^k, got {text!r}")
    return int(text)


def padded_logrows(rows: int) -> int:
    """``k`` with ``2**(k-1) < rows <= 2**k``: the domain a circuit of ``rows`` rows is padded to."""
    return max(int(math.ceil(math.log2(rows))), 0) if rows > 1 else 0


def outside_range(logrows: int, measured: tuple[int, int], family: str) -> str | None:
    """``None`` if ``2**logrows`` lies in the measured range, else a sentence saying how far outside."""
    low, high = measured
    if logrows > high:
        d = logrows - high
        return (f"2^{logrows} rows is {d} doubling{'s' if d != 1 else ''} above the largest measured "
                f"{family} circuit 2^{high}")
    if logrows < low:
        d = low - logrows
        return (f"2^{logrows} rows is {d} doubling{'s' if d != 1 else ''} below the smallest measured "
                f"{family} circuit 2^{low}")
    return None


def _field(obj, name: str):
    value = obj[name] if isinstance(obj, Mapping) else getattr(obj, name)
    return value


def frontier_chunks(arch: str) -> dict:
    """The per-query workload of a frontier model, from the cost model, with its 95% bands.

    ``chunk_logrows``; ``chunks_per_query`` with ``chunks_low``/``chunks_high``;
    ``rows_per_query``; ``chunk_work`` (field multiplications of one chunk proof,
    :func:`chasm.costmodel.prover.prover_work` at ``chunk_logrows``) and
    ``proof_equivalents`` with ``proof_equivalents_low``/``_high``: the query's
    prover work including aggregation (``prover_work_per_query``), in chunk proofs.
    """
    try:
        from chasm import costmodel
    except ImportError as exc:
        raise PredictError(f"--arch needs chasm.costmodel, which cannot be imported ({exc})", 1) from None
    try:
        workload = costmodel.frontier_workload(arch)
    except (KeyError, ValueError) as exc:
        raise PredictError(f"unknown architecture {arch!r}: {exc}", 2) from None
    try:
        k = int(_field(workload, "chunk_logrows"))
        chunk_work = float(prover_work_of_rows(np.array([2.0**k]))[0])
        out = {
            "chunk_logrows": k,
            "chunks_per_query": int(_field(workload, "chunks_per_query")),
            "chunks_low": int(_field(workload, "chunks_per_query_low")),
            "chunks_high": int(_field(workload, "chunks_per_query_high")),
            "rows_per_query": int(_field(workload, "rows_per_query")),
            "chunk_work": chunk_work,
        }
        for end in ("", "_low", "_high"):
            out[f"proof_equivalents{end}"] = float(_field(workload, f"prover_work_per_query{end}")) / chunk_work
    except (KeyError, AttributeError) as exc:
        raise PredictError(f"the cost model's workload for {arch!r} lacks {exc}; its uncertainty band is "
                           "needed for an honest interval", 1) from None
    return out


def _load_runs(table: str, hardware: str | None):
    try:
        frame = data.load_table(table)
    except data.DataFileError as exc:
        raise PredictError(f"cannot read the measurements: {exc}", 1) from None
    try:
        return select_runs(frame, hardware)
    except InsufficientData as exc:
        raise PredictError(f"cannot predict: {exc}", 1) from None


def predictions(runs, family: str, logrows: int, *, workload: dict | None = None) -> tuple[dict, dict]:
    """Per-quantity predictions at ``2**logrows`` rows: ``({quantity: {point, low, high, unit, ...}}, skipped)``.

    With a ``workload`` (:func:`frontier_chunks`, for ``--arch``), per-query
    quantities are scaled to one query and their bounds widened by the cost
    model's structural bounds (see the module docstring); each entry then says
    its ``scope`` and keeps the fit's own interval, scaled the same way, as
    ``fit_low``/``fit_high``.
    """
    fits, skipped = fit_family(runs, family)
    out = {}
    for q, qf in fits.items():
        if workload is not None and q in ARCH_NOT_EXTRAPOLATED:
            skipped[q] = ARCH_NOT_EXTRAPOLATED[q]
            continue
        pred = predict(qf.chosen, [2.0**logrows])
        point, low, high = (float(pred[k][0]) for k in ("point", "low", "high"))
        entry = {"unit": qf.unit, "law": qf.chosen.candidate.name, "rows": 2**logrows}
        if workload is None:
            entry.update(point=point, low=low, high=high)
        else:
            scope = ARCH_SCOPE[q]
            if scope == PER_QUERY_PROVE:
                n, n_low, n_high = (workload[f"proof_equivalents{e}"] for e in ("", "_low", "_high"))
            elif scope == PER_QUERY:
                n, n_low, n_high = workload["chunks_per_query"], workload["chunks_low"], workload["chunks_high"]
            else:
                n = n_low = n_high = 1
            entry.update(point=point * n, low=low * n_low, high=high * n_high, fit_low=low * n,
                         fit_high=high * n, scope=scope)
        out[q] = entry
    return out, skipped


def human(value: float, unit: str) -> str:
    """A readable value with its unit (bytes in KiB/MiB/GiB/TiB; long times also in hours or days)."""
    if unit == "bytes":
        return nbytes(value)
    if unit == "s":
        return duration(value)
    return f"{value:.3g} {unit}"


def _text(result: dict, skipped: dict, header: list[str]) -> str:
    rows = [("quantity", "point", "95% prediction interval", "law", "scope")]
    for q, e in result.items():
        rows.append((QUANTITY_LABELS[q], human(e["point"], e["unit"]),
                     f"[{human(e['low'], e['unit'])}, {human(e['high'], e['unit'])}]", e["law"],
                     e.get("scope", "")))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    has_scope = any(r[4] for r in rows[1:])
    lines = header + [""]
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]), r[3].ljust(widths[3])]
        if has_scope:
            cells.append(r[4])
        lines.append("  ".join(cells).rstrip())
    for q, why in skipped.items():
        lines.append(f"{QUANTITY_LABELS[q].ljust(widths[0])}  not predicted: {why}")
    lines += ["", "point: median of a new run; interval: 95% prediction interval for one new run of a new circuit",
              "(parameter uncertainty + circuit-to-circuit scatter and lack of fit + repetition noise; "
              "method: chasm.laws)."]
    if has_scope:
        lines += ["per query: the fit's bounds times the cost model's 95% bounds on the chunk count (its held-out",
                  "error on rows and fitted-constant uncertainty) and, for prove time, on the prover work with",
                  "aggregation, low with low and high with high (conservative; see --help). Per-chunk quantities",
                  "assume a chunk has the columns of the measured transformer circuits (not checked)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chasm predict",
        description="Proving cost at a size, with 95%% prediction intervals, from the committed measurements. "
                    "Intervals: the 95%% prediction interval of the fitted law for one new run of a new circuit "
                    "(parameter uncertainty, circuit scatter and lack of fit, repetition noise; chasm.laws). "
                    "With --arch, per-query quantities also carry the cost model's structural uncertainty: its "
                    "95%% band on the rows of a query (held-out relative error on measured circuits plus "
                    "fitted-constant uncertainty) through the chunk count, and, for prove time, the aggregation "
                    "of the chunk proofs (prover work per query in chunk-proof equivalents, with the band of "
                    "the aggregation cost); bounds are multiplied low with low and high with high, which is "
                    "conservative. Per-chunk quantities (setup, key size, memory) keep the fit's interval.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--rows", help="circuit rows (integer or 2^k); rounded up to a power of two")
    what.add_argument("--arch", help="frontier model id from the cost model, e.g. llama3-70b (per query)")
    parser.add_argument("--family", choices=FAMILIES, help="model family whose laws to use (with --rows)")
    parser.add_argument("--extrapolate", action="store_true", help="allow sizes outside the measured range")
    parser.add_argument("--json", action="store_true", help="one JSON object per quantity: point, low, high, unit")
    parser.add_argument("--hardware", help="hardware_tag of the runs to use (default: the one with most runs)")
    parser.add_argument("--table", default=PROOFS, help="measurement table under data/ (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except PredictError as exc:
        print(f"predict: {exc}", file=sys.stderr)
        return exc.status


def _run(args) -> int:
    if args.rows is not None and args.family is None:
        raise PredictError("--rows needs --family (mlp, cnn or transformer): equal rows cost differently "
                           "in different families", 2)
    if args.arch is not None and args.family not in (None, ARCH_FAMILY):
        raise PredictError(f"--arch uses the {ARCH_FAMILY} family's laws; drop --family {args.family}", 2)
    family = args.family or ARCH_FAMILY
    workload, arch_note = None, None
    if args.arch is not None:
        workload = frontier_chunks(args.arch)
        logrows, chunks = workload["chunk_logrows"], workload["chunks_per_query"]
    else:
        try:
            logrows = padded_logrows(parse_rows(args.rows))
        except ValueError as exc:
            raise PredictError(str(exc), 2) from None
    runs, tag = _load_runs(args.table, args.hardware)
    measured = measured_range(runs, family)
    if measured is None:
        raise PredictError(f"cannot predict: no successful {family} runs on {tag}", 1)
    sizes = sorted(set(runs.loc[runs["family"] == family, "logrows"]))
    if len(sizes) < MIN_SIZES:
        raise PredictError(f"cannot predict: successful {family} runs on {tag} cover {len(sizes)} distinct "
                           f"size{'s' if len(sizes) != 1 else ''} (logrows {', '.join(map(str, sizes))}); "
                           f"a scaling law needs at least {MIN_SIZES}", 1)
    outside = outside_range(logrows, measured, family)
    if args.arch is not None:
        arch_note = (f"{args.arch}: one query is {chunks:,} chunk proofs of 2^{logrows} rows "
                     f"(95% band {workload['chunks_low']:,} to {workload['chunks_high']:,}; "
                     f"{workload['rows_per_query']:,} rows in all, from chasm.costmodel), predicted with the "
                     f"laws of small one-block {family} circuits")
        reason = outside or f"2^{logrows} rows lies in the measured {family} range, but the circuits do not"
        if not args.extrapolate:
            raise PredictError(f"{arch_note}: that is always an extrapolation ({reason}); "
                               "pass --extrapolate to predict anyway", 2)
        warning = f"extrapolating: {reason}"
    elif outside:
        if not args.extrapolate:
            raise PredictError(f"{outside} (on {tag}); pass --extrapolate to predict anyway", 2)
        warning = f"extrapolating: {outside}"
    else:
        warning = None
    result, skipped = predictions(runs, family, logrows, workload=workload)
    if not result:
        reasons = "; ".join(skipped.values())
        raise PredictError(f"cannot predict: no law could be fitted ({reasons})", 1)
    if warning:
        if args.json:
            print(f"predict: {warning}", file=sys.stderr)
        for entry in result.values():
            entry["extrapolated_doublings"] = max(logrows - measured[1], measured[0] - logrows, 0)
    if args.json:
        for q, why in skipped.items():
            print(f"predict: {q} not predicted: {why}", file=sys.stderr)
        print(json.dumps(result, indent=2, sort_keys=True))
        return 0
    mine = runs[runs["family"] == family]
    n_runs, n_timed = len(mine), int(mine["prove_s"].notna().sum())
    header = [arch_note] if arch_note else []
    header.append(f"{family} circuit of 2^{logrows} = {2**logrows:,} rows"
                  + (f", x{workload['chunks_per_query']:,} per query" if workload else "")
                  + f"; fitted on {n_runs} successful {family} runs on {tag} (times from the {n_timed} "
                  f"not slowed by other processes), measured 2^{measured[0]}..2^{measured[1]}")
    if warning:
        header.append(warning)
    print(_text(result, skipped, header))
    return 0
