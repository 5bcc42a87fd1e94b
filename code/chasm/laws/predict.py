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

``--params N --prover ezkl|jstprove --family mlp|cnn`` predicts from the comparison of the two proof
families (sweep profile ``families``, :mod:`chasm.laws.provers`): laws against the model's parameters,
one prover thread. ``--rows`` and ``--arch`` are ezkl's.

``--arch`` proves one query of a frontier model (``data/query.csv``) as a chain of chunk proofs
(:mod:`chasm.laws.frontier`): the chunk size is the cheapest whose per-chunk peak memory (95% high bound)
fits ``--memory`` (default: the article's 256 GiB prover server); per-query prover core-seconds come by
two routes (the transformer family's fitted laws, and the cost model's prover work times the measured
time per field multiplication), each with the envelope of the 95% prediction intervals of every law
cross-validation cannot rule out, and are combined by their envelope. That is always an extrapolation,
so it needs ``--extrapolate``. Exit status 1: the data cannot answer (missing table, too few sizes);
2: a usage error, or no chunk fits the memory.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys


from chasm.core import data
from chasm.core.constants import FAMILIES, PROOFS
from chasm.laws.choice import fit_family, measured_range
from chasm.laws.estimation import predict
from chasm.laws.rules import MIN_SIZES, QUANTITY_LABELS, InsufficientData
from chasm.laws.selection import select_runs
from chasm.core.fmt import duration, nbytes, parse_bytes

__all__ = ["ARCH_FAMILY", "PredictError", "parse_rows", "padded_logrows", "outside_range", "frontier_query",
           "predictions", "human", "main"]

#: The measured family whose laws carry a frontier chunk.
ARCH_FAMILY = "transformer"
#: Seconds in a (Julian) year, for readable core-seconds.
SECONDS_PER_YEAR = 365.25 * 86400


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


def frontier_query(arch: str, memory_bytes: float, hardware: str | None = None) -> dict:
    """``--arch``: the cheapest chunk of ``arch``'s query under ``memory_bytes`` and its per-query costs
    (:func:`chasm.laws.frontier.choose_chunk`), as JSON-ready entries ``{point, low, high, unit}``."""
    from chasm.costmodel.llama import list_architectures
    from chasm.laws import frontier

    if arch not in list_architectures():
        raise PredictError(f"unknown architecture {arch!r}; known: {', '.join(list_architectures())}", 2)
    laws = frontier.chunk_laws(hardware)
    try:
        chosen = frontier.choose_chunk(arch, memory_bytes, laws)
    except ValueError as exc:
        raise PredictError(str(exc), 2) from None
    row = chosen["costs"]

    def entry(name: str, unit: str, scope: str) -> dict:
        return {"point": float(row[name]), "low": float(row[f"{name}_low"]), "high": float(row[f"{name}_high"]),
                "unit": unit, "scope": scope}

    return {
        "arch_id": arch, "chunk_logrows": int(row["K"]), "memory_budget_bytes": float(memory_bytes),
        "hardware_tag": laws.hardware_tag, "extrapolated_doublings": max(int(row["K"]) - laws.max_logrows, 0),
        "chunks": entry("chunks", "proofs", "per query"),
        "peak_rss_bytes": entry("peak_bytes", "bytes", "per chunk proof, any phase (the budget's test)"),
        "prove_peak_rss_bytes": entry("prove_peak_bytes", "bytes", "per chunk proof, proving phase"),
        "prove_core_s": entry("prove_core_s", "core-s", "per query, the two routes combined"),
        "prove_a_core_s": entry("prove_a_core_s", "core-s", "per query, fitted laws"),
        "prove_b_core_s": entry("prove_b_core_s", "core-s", "per query, cost model x time per field mult"),
        "verify_core_s": entry("verify_core_s", "core-s", "per query, every chunk proof verified once"),
        "setup_core_s": entry("setup_core_s", "core-s", "per chunk circuit, once"),
        "pk_bytes": entry("pk_bytes", "bytes", "per chunk circuit"),
        "pk_storage_bytes": {"low": float(row["pk_storage_bytes_low"]), "high": float(row["pk_storage_bytes_high"]),
                             "unit": "bytes", "scope": "all distinct chunk circuits' proving keys"},
    }


def _load_runs(table: str, hardware: str | None):
    try:
        frame = data.load_table(table)
    except data.DataFileError as exc:
        raise PredictError(f"cannot read the measurements: {exc}", 1) from None
    try:
        return select_runs(frame, hardware)
    except InsufficientData as exc:
        raise PredictError(f"cannot predict: {exc}", 1) from None


def predictions(runs, family: str, logrows: int) -> tuple[dict, dict]:
    """Per-quantity predictions at ``2**logrows`` rows: ``({quantity: {point, low, high, unit, law,
    padded_rows}}, skipped)``."""
    fits, skipped = fit_family(runs, family)
    out = {}
    for q, qf in fits.items():
        pred = predict(qf.chosen, [2.0**logrows])
        out[q] = {"unit": qf.unit, "law": qf.chosen.candidate.name, "padded_rows": 2**logrows,
                  **{k: float(pred[k][0]) for k in ("point", "low", "high")}}
    return out, skipped


def human(value: float, unit: str) -> str:
    """A readable value with its unit (bytes in KiB/MiB/GiB/TiB; long times also in hours or days)."""
    if unit == "bytes":
        return nbytes(value)
    if unit == "s":
        return duration(value)
    if unit == "core-s" and value >= SECONDS_PER_YEAR:
        return f"{value:.3g} core-s ({value / SECONDS_PER_YEAR:.3g} core-years)"
    return f"{value:.3g} {unit}"


def _text(result: dict, skipped: dict, header: list[str]) -> str:
    rows = [("quantity", "point", "95% prediction interval", "law")]
    for q, e in result.items():
        rows.append((QUANTITY_LABELS[q], human(e["point"], e["unit"]),
                     f"[{human(e['low'], e['unit'])}, {human(e['high'], e['unit'])}]", e["law"]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = header + [""]
    for r in rows:
        lines.append("  ".join([r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].ljust(widths[2]),
                                r[3].ljust(widths[3])]).rstrip())
    for q, why in skipped.items():
        lines.append(f"{QUANTITY_LABELS[q].ljust(widths[0])}  not predicted: {why}")
    lines += ["", "point: median of a new run; interval: 95% prediction interval for one new run of a new circuit",
              "(parameter uncertainty + circuit-to-circuit scatter and lack of fit + repetition noise; "
              "method: chasm.laws)."]
    return "\n".join(lines)


def _arch_text(q: dict) -> str:
    lines = [f"{q['arch_id']}: one query as a chain of {q['chunks']['point']:,.0f} chunk proofs of "
             f"2^{q['chunk_logrows']} rows, the cheapest chunk whose peak memory (95% high bound) fits "
             f"{nbytes(q['memory_budget_bytes'])}; laws of the {ARCH_FAMILY} family on {q['hardware_tag']}, "
             f"{q['extrapolated_doublings']} doublings beyond the largest measured circuit", ""]
    for key, e in q.items():
        if isinstance(e, dict) and "unit" in e:
            low = human(e["low"], e["unit"]) if "low" in e else ""
            point = human(e["point"], e["unit"]) if "point" in e else ""
            lines.append(f"{key:<22} {point:>24}  [{low}, {human(e['high'], e['unit'])}]  {e['scope']}")
    lines += ["", "intervals: 95%, the envelope of every law cross-validation cannot rule out, times the cost "
                  "model's band on rows and the range of committed columns (chasm.laws.frontier)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m chasm predict",
        description="Proving cost at a size, with 95% prediction intervals, from the committed measurements "
                    "(chasm.laws). With --arch: one query of a frontier model proven as a chain of chunk proofs "
                    "(chasm.laws.frontier), the chunk the cheapest that fits --memory.",
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--rows", help="circuit rows (integer or 2^k); rounded up to a power of two")
    what.add_argument("--arch", help="frontier model id, e.g. llama3-70b (one query of data/query.csv)")
    what.add_argument("--params", help="model parameters (integer or 2^k), with --prover and --family mlp or cnn: "
                                       "the laws of the two-prover comparison (sweep profile 'families')")
    parser.add_argument("--prover", choices=("ezkl", "jstprove"), default="ezkl",
                        help="proof system (default ezkl); jstprove needs --params (it has no circuit rows)")
    parser.add_argument("--family", choices=FAMILIES, help="model family whose laws to use (with --rows)")
    parser.add_argument("--memory", default="256GiB",
                        help="prover memory budget per chunk proof with --arch (default %(default)s)")
    parser.add_argument("--extrapolate", action="store_true", help="allow sizes outside the measured range")
    parser.add_argument("--json", action="store_true", help="JSON: point, low, high, unit per quantity")
    parser.add_argument("--hardware", help="hardware_tag of the runs to use (default: the one with most runs)")
    parser.add_argument("--table", default=PROOFS, help="measurement table under data/ (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except PredictError as exc:
        print(f"predict: {exc}", file=sys.stderr)
        return exc.status


def _run_params(args) -> int:
    """``--params``: one prover's laws from the two-prover comparison (:mod:`chasm.laws.provers`)."""
    from chasm.laws import provers

    if args.family not in ("mlp", "cnn"):
        raise PredictError("--params needs --family mlp or cnn (the families both provers were measured on)", 2)
    try:
        params = parse_rows(args.params)
    except ValueError as exc:
        raise PredictError(str(exc).replace("--rows", "--params"), 2) from None
    table = _load_table(args.table)
    try:
        runs = provers.family_runs(table, args.hardware)
    except InsufficientData as exc:
        raise PredictError(f"cannot predict: {exc}", 1) from None
    mine = runs[(runs["prover"] == args.prover) & (runs["family"] == args.family)]
    if mine.empty:
        raise PredictError(f"cannot predict: no verified {args.prover} {args.family} runs of the families profile", 1)
    lo, hi = int(mine["params"].min()), int(mine["params"].max())
    if not lo <= params <= hi and not args.extrapolate:
        raise PredictError(f"{params:,} parameters lies outside the measured {args.prover} {args.family} models "
                           f"({lo:,}..{hi:,}); pass --extrapolate to predict anyway", 2)
    result = provers.predict_prover(runs, args.prover, args.family, params)
    fitted = {q: e for q, e in result.items() if "note" not in e}
    if not fitted:
        raise PredictError("cannot predict: " + "; ".join(e["note"] for e in result.values()), 1)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return 0
    lines = [f"{args.prover} proving a {args.family} of {params:,} parameters (fitted on {len(mine)} verified runs "
             f"of {mine['config_id'].nunique()} models, {lo:,}..{hi:,} parameters, 1 prover thread, "
             f"{runs['hardware_tag'].iloc[0]})"]
    for q, e in result.items():
        label = QUANTITY_LABELS.get(q, q)
        if "note" in e:
            lines.append(f"  {label:<28} not predicted: {e['note']}")
            continue
        lines.append(f"  {label:<28} {human(e['point'], e['unit'])}  (95% prediction interval "
                     f"{human(e['low'], e['unit'])} to {human(e['high'], e['unit'])}; law {e['law']}"
                     f"{', extrapolated' if e['extrapolated'] else ''})")
    print("\n".join(lines))
    return 0


def _load_table(table: str):
    try:
        return data.load_table(table)
    except data.DataFileError as exc:
        raise PredictError(f"cannot read the measurements: {exc}", 1) from None


def _run(args) -> int:
    if args.params is not None:
        return _run_params(args)
    if args.prover != "ezkl":
        raise PredictError(f"--prover {args.prover} predicts from model parameters: give --params "
                           "(JSTprove has no circuit rows, and no frontier chain is derived for it here)", 2)
    if args.arch is not None:
        if args.family not in (None, ARCH_FAMILY):
            raise PredictError(f"--arch uses the {ARCH_FAMILY} family's laws; drop --family {args.family}", 2)
        try:
            memory = parse_bytes(args.memory)
        except ValueError as exc:
            raise PredictError(str(exc), 2) from None
        if not args.extrapolate:
            raise PredictError(f"{args.arch}: a frontier query is always an extrapolation of the laws of small "
                               f"one-block {ARCH_FAMILY} circuits; pass --extrapolate to predict anyway", 2)
        _load_runs(args.table, args.hardware)  # a missing or unreadable table is a data error (status 1)
        q = frontier_query(args.arch, memory, args.hardware)
        print(json.dumps(q, indent=2, sort_keys=True) if args.json else _arch_text(q))
        return 0
    if args.family is None:
        raise PredictError("--rows needs --family (mlp, cnn or transformer): equal rows cost differently "
                           "in different families", 2)
    family = args.family
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
    if outside and not args.extrapolate:
        raise PredictError(f"{outside} (on {tag}); pass --extrapolate to predict anyway", 2)
    warning = f"extrapolating: {outside}" if outside else None
    result, skipped = predictions(runs, family, logrows)
    if not result:
        raise PredictError(f"cannot predict: no law could be fitted ({'; '.join(skipped.values())})", 1)
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
    header = [f"{family} circuit of 2^{logrows} = {2**logrows:,} rows; fitted on {len(mine)} successful {family} "
              f"runs on {tag} (times from the {int(mine['prove_s'].notna().sum())} not slowed by other processes), "
              f"measured 2^{measured[0]}..2^{measured[1]}"]
    if warning:
        header.append(warning)
    print(_text(result, skipped, header))
    return 0
