"""Linking a chain of chunk proofs: what it costs to make chunk proofs prove one query.

ezkl 23.0.5 has no proof aggregation or recursion (removed in ezkl commit ``e70e13a9``, "refactor!: rm
ios,js,aggregation (#1013)", first released in v23.0.0), so a model too large for one circuit is proven
as a *chain* of chunk circuits, each its own ONNX model, proving key and proof. Each proof alone only
says "some input gave some output"; the chain proves the query only when consecutive proofs are shown
to agree on the boundary tensor (the output of chunk ``i`` is the input of chunk ``i+1``). Linking is
how a verifier checks that agreement without seeing the activations:

- ``public``: the boundary is a public instance of both proofs; the verifier compares the values. This
  leaks every activation and costs the verifier 32 bytes and one instance per element.
- ``hashed`` (ezkl ``hashed/public``): each circuit Poseidon-hashes the boundary in-circuit (ezkl's
  Poseidon chip, width 3, rate 2: ``41 n + 2`` rows for ``n`` elements, ``src/circuit/modules/poseidon.rs``
  ``num_rows``); the hash is the public instance. Link check: chunk ``i``'s output-hash instance equals
  chunk ``i+1``'s input-hash instance. The Poseidon rows sit in their own columns: the circuit has
  ``max(model rows, Poseidon rows)`` rows (``src/graph/mod.rs``: "as they occupy independent rows").
- ``polycommit`` (ezkl ``KZGCommit``): the boundary is placed in its own *unblinded* advice column, so
  its KZG commitment is a deterministic function of the values and of ``logrows``; these commitments
  are the first points of the proof transcript (``src/pfsys/mod.rs``, ``get_proof_commitments``). Link
  check: the output-commitment points of proof ``i`` equal the input-commitment points of proof
  ``i+1``, byte for byte. No extra rows; one extra advice column per ``2^k - 6`` elements and side.
  Both chunks must have the same ``logrows`` (a commitment is over the ``2^k`` Lagrange basis).
  ``ezkl.swap_proof_commitments`` is not needed: the prover's commitment already equals
  ``ezkl.kzg_commit`` of the tensor (checked by the tests).

The chain's own ends keep the project's default visibility (input private, output public), so a chain
is comparable with the unsplit model proven as one circuit.

KV-cache linking across decode steps (derivation; :func:`kv_link_cost`). A decode step proven on its own
takes the cache as input and returns it grown by one position (:class:`DecodeStep`, packed as one tensor
``[K; V; x]``). Consecutive steps must agree on the whole cache, so each step links ``c(t) = 2 L t d_kv``
cached elements (``L`` layers, ``d_kv`` key/value width, ``t`` cached positions) on each side. With a
measured cost ``r`` rows and ``s`` seconds per linked element and side (hashed: ``r = 41``, the Poseidon
chip's rows; ``s`` fitted by :func:`per_element_overhead` from ``data/measurements/linking.csv``), step
``t`` pays ``2 r c(t)`` rows and ``2 s c(t)`` seconds, and ``T`` generated tokens after a prompt of
``P`` positions pay ``2 r * 2 L d_kv * sum_{t=P}^{P+T-1} t`` rows: quadratic in the generated length,
because every step re-links the whole cache. Measured (``linking.csv``, 2-core CPU, uncontended, medians
of 3): hashed ``r = 41`` rows and ``s ~ 8 ms`` prove (``~7 ms`` setup, ``~0.37 MB`` proving key) per
element and side, from pass-through probes of 128-1536 elements at ``2^15``-``2^17`` rows; polycommit
``r = 0`` and no measurable ``s`` (fixed: one unblinded column, ``+12.6 MB`` proving key at ``2^15``);
public ``5.25`` rows (range checks of public outputs) and ``147`` proof bytes per element.
``python -m chasm.experiments.linking --plan kv`` measures a three-step chain of a one-layer model
(cache 2 -> 4 positions, ``d_model = 8``): every proof verifies and every step links; each cache length
is a distinct circuit with its own setup and proving key, and the per-element cost is a boundary's.

Command line (resumable: runs already in the table are skipped)::

    python -m chasm.experiments.linking --plan split|probe|kv|shapes|tamper [--reps 3] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import torch
from torch import nn

from chasm.core import data, paths, provenance
from chasm.core.constants import CONTENTION_LIMIT, FAMILY_SCALES
from chasm.core.specs import ModelSpec
from chasm.experiments import ezkl_gateway as gw
from chasm.experiments.models import Block, build
from chasm.experiments.prove import ProveSettings, prove

__all__ = ["LINKING", "MODES", "SCALE", "UNUSABLE_ROWS", "BlockPart", "PassThrough", "DecodeStep", "pieces",
           "split_transformer", "chunk_visibility", "prove_chain", "boundary_claims", "link_reason", "check_links", "lay_out_rows",
           "chain_rows", "measure_chain", "per_element_overhead", "kv_link_cost", "PLANS", "main"]

#: The table of this experiment, relative to ``data/``.
LINKING = "measurements/linking.csv"
#: How a boundary between two chunks is exposed: the plain chain (public), hashed, committed.
MODES = ("public", "hashed", "polycommit")
#: Fixed-point scale (bits) of every chunk's input and parameters (the transformer family's); boundaries
#: re-quantise exactly at it.
SCALE = FAMILY_SCALES["transformer"]
#: Rows of a ``2^k`` column a polycommit column cannot use (halo2's 5 blinding factors plus one).
UNUSABLE_ROWS = 6


# ---------------------------------------------------------------- split models

class BlockPart(nn.Module):
    """Half of a :class:`~chasm.experiments.models.Block`: ``attention`` (``x + proj(attn(norm1 x))``) or
    ``feedforward`` (``x + ff2(act(ff1(norm2 x)))``), sharing the block's weights."""

    def __init__(self, block: Block, part: str):
        super().__init__()
        if part not in ("attention", "feedforward"):
            raise ValueError("part must be 'attention' or 'feedforward'")
        self.block, self.part = block, part

    def forward(self, x):
        blk = self.block
        if self.part == "feedforward":
            return x + blk.ff2(blk.act(blk.ff1(blk.norm2(x))))
        b, t, d = x.shape
        q, k, v = blk.qkv(blk.norm1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, blk.heads, blk.d_head).transpose(1, 2) for z in (q, k, v))
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(blk.d_head))
        attn = torch.matmul(torch.softmax(scores, dim=-1), v)
        return x + blk.proj(attn.transpose(1, 2).reshape(b, t, d))


class PassThrough(nn.Module):
    """A chunk that computes nothing (two reshapes): its circuit is the boundary's linking alone."""

    def forward(self, x):
        return torch.flatten(x, 1).reshape(x.shape)


class DecodeStep(nn.Module):
    """One decode step of one block with its KV cache, packed as one tensor ``(1, 2t+1, d)``: ``[K; V; x]``
    (``t`` cached keys, ``t`` cached values, the new token's hidden state) in, ``[K'; V'; y]`` with
    ``t+1`` positions out, so the output of step ``t`` is exactly the input of step ``t+1``."""

    def __init__(self, block: Block, cache_len: int):
        super().__init__()
        self.block, self.t = block, cache_len

    def forward(self, packed):
        blk, t = self.block, self.t
        keys, values, x = packed.split([t, t, 1], dim=1)
        b, _, d = x.shape
        q, k, v = blk.qkv(blk.norm1(x)).split(d, dim=-1)
        keys, values = torch.cat([keys, k], dim=1), torch.cat([values, v], dim=1)
        q = q.reshape(b, 1, blk.heads, blk.d_head).transpose(1, 2)
        kh = keys.reshape(b, t + 1, blk.heads, blk.d_head).transpose(1, 2)
        vh = values.reshape(b, t + 1, blk.heads, blk.d_head).transpose(1, 2)
        scores = torch.matmul(q, kh.transpose(-2, -1)) * (1.0 / math.sqrt(blk.d_head))
        y = x + blk.proj(torch.matmul(torch.softmax(scores, dim=-1), vh).transpose(1, 2).reshape(b, 1, d))
        y = y + blk.ff2(blk.act(blk.ff1(blk.norm2(y))))
        return torch.cat([keys, values, y], dim=1)


def pieces(model: nn.Module) -> list[nn.Module]:
    """The transformer as a list of half-blocks: attention 0, feed-forward 0, attention 1, ..."""
    return [BlockPart(blk, part) for blk in model.blocks for part in ("attention", "feedforward")]


def split_transformer(model: nn.Module, cuts: tuple[int, ...]) -> list[nn.Module]:
    """Chunks of a :class:`~chasm.experiments.models.Transformer` cut before the half-blocks ``cuts``
    (indices into :func:`pieces`: an even cut is a layer boundary, an odd one falls between a block's
    attention and its feed-forward). The chunks composed compute the model exactly."""
    parts = pieces(model)
    edges = [0, *sorted(cuts), len(parts)]
    if len(set(edges)) != len(edges) or edges[1] <= 0 or edges[-2] >= len(parts):
        raise ValueError(f"cuts {cuts} must be distinct and inside 1..{len(parts) - 1}")
    return [nn.Sequential(*parts[a:b]).eval() for a, b in zip(edges, edges[1:])]


def chunk_visibility(index: int, count: int, mode: str) -> tuple[str, str]:
    """``(input, output)`` visibility of chunk ``index`` of ``count``: ``mode`` on the boundaries, the
    project's default (private input, public output) at the chain's ends."""
    if mode not in (*MODES, "private", "none"):
        raise ValueError(f"mode must be one of {MODES}, 'private' or 'none' (a single chunk)")
    return ("private" if index == 0 else mode, "public" if index == count - 1 else mode)


# ---------------------------------------------------------------- proving and checking a chain

def _circuit_output(workdir: Path, like: torch.Tensor) -> torch.Tensor:
    """The chunk's output as the circuit computed it (dequantised witness), shaped like ``like``."""
    settings = json.loads((workdir / "settings.json").read_text())
    scale = settings["model_output_scales"][0]
    if scale != SCALE:
        raise RuntimeError(f"chunk output scale {scale} != input scale {SCALE}: the boundary would not re-quantise")
    felts = json.loads((workdir / "witness.json").read_text())["outputs"][0]
    return torch.tensor([gw.felt_to_float(f, scale) for f in felts], dtype=like.dtype).reshape(like.shape)


def prove_chain(chunks: list[nn.Module], x: torch.Tensor, *, mode: str, workdir: Path, threads: int = 1,
                forge: dict | None = None, timeout_s: float | None = None) -> list[dict]:
    """Prove ``chunks[0](x)``, then each next chunk on the circuit's output of the previous one, each in its
    own child process (:func:`chasm.experiments.prove.prove`), boundaries with visibility ``mode``.

    ``forge[i]`` (a function of the honest boundary tensor) replaces chunk ``i``'s input: a forged chain,
    chunk ``i`` proven on another boundary than the one chunk ``i-1`` output. Returns one prove record per chunk, with ``workdir`` (its artefacts, kept) and
    ``input_visibility``/``output_visibility``; stops at the first chunk that fails.
    """
    records, current = [], x
    for i, chunk in enumerate(chunks):
        if forge and i in forge:
            current = forge[i](current)
        iv, ov = chunk_visibility(i, len(chunks), mode)
        wd = Path(workdir) / f"chunk{i}"
        settings = ProveSettings(scale=SCALE, input_visibility=iv, output_visibility=ov, threads=threads)
        record = prove(chunk, current, settings=settings, workdir=wd, keep=True, timeout_s=timeout_s)
        records.append({**record, "workdir": str(wd), "input_visibility": iv, "output_visibility": ov})
        if record["status"] != "ok":
            break
        with torch.no_grad():
            current = _circuit_output(wd, chunk(current))
    return records


def _visibility(run_args: dict, side: str) -> str:
    raw = run_args[f"{side}_visibility"]
    if isinstance(raw, dict):
        return "hashed" if "Hashed" in raw else str(raw).lower()
    return {"KZGCommit": "polycommit"}.get(raw, str(raw).lower())


def boundary_claims(workdir: Path, side: str) -> tuple[str, list[str]]:
    """What a proof (``workdir/proof.json``, as the verifier receives it) claims about its ``side``
    (``input`` or ``output``): ``(visibility, values)``, the values as hex strings: the public field
    elements, the Poseidon hash instance, or the 64-byte commitment points at the head of the transcript.

    Instance order (ezkl 23): hashes of the hashed sides (input first), then the public tensors (inputs
    first). Polycommit points: input columns first, then output columns.
    """
    workdir = Path(workdir)
    settings = json.loads((workdir / "settings.json").read_text())
    proof = json.loads((workdir / "proof.json").read_text())
    ra = settings["run_args"]
    vis = {s: _visibility(ra, s) for s in ("input", "output")}
    if vis[side] in ("private", "fixed"):
        return vis[side], []
    if vis[side] == "polycommit":
        usable = 2 ** int(ra["logrows"]) - UNUSABLE_ROWS
        counts = [n // usable + 1 for n in settings["module_sizes"]["polycommit"]]
        sides = [s for s in ("input", "output") if vis[s] == "polycommit"]
        start = sum(counts[:sides.index(side)])
        raw = bytes(proof["proof"])
        return "polycommit", [raw[64 * j:64 * (j + 1)].hex() for j in range(start, start + counts[sides.index(side)])]
    flat = [v for column in proof["instances"] for v in column]
    hashed = [s for s in ("input", "output") if vis[s] == "hashed"]
    if vis[side] == "hashed":
        return "hashed", [flat[hashed.index(side)]]
    sizes = [math.prod(shape) for shape in settings["model_instance_shapes"]]
    public = [s for s in ("input", "output") if vis[s] == "public"]
    start = len(hashed) + sum(sizes[:public.index(side)])
    return "public", flat[start:start + sizes[public.index(side)]]


def link_reason(before: Path, after: Path) -> str:
    """Why the proofs in ``before`` and ``after`` (consecutive chunks) are not linked on their boundary,
    from the proofs and settings alone; ``""`` when the output claim of one equals the input claim of the
    other."""
    (vis_out, out), (vis_in, inp) = boundary_claims(before, "output"), boundary_claims(after, "input")
    logrows = [json.loads((Path(w) / "settings.json").read_text())["run_args"]["logrows"] for w in (before, after)]
    if vis_out != vis_in:
        return f"visibilities differ ({vis_out} -> {vis_in})"
    if vis_out not in MODES:
        return f"boundary is {vis_out}: nothing binds the two proofs"
    if vis_out == "polycommit" and logrows[0] != logrows[1]:
        return f"commitments over different domains (logrows {logrows[0]} and {logrows[1]})"
    if not out or out != inp:
        return f"{vis_out} boundary values differ"
    return ""


def check_links(workdirs: list[Path]) -> dict:
    """Verify every proof of a chain and check that consecutive proofs agree on their boundary.

    Returns ``verified`` (one bool per proof; ``errors`` says why ezkl refused one), ``linked`` (one bool
    per boundary), ``reasons`` (why a boundary is not linked), ``verify_s`` and ``link_s`` (seconds per
    proof and per boundary) and ``ok``
    (every proof verifies and every boundary is linked: the chain proves the query).
    """
    verified, verify_s, linked, reasons, link_s, errors = [], [], [], [], [], []
    for wd in map(Path, workdirs):
        t0 = time.perf_counter()
        srs, _ = gw.ensure_srs(int(json.loads((wd / "settings.json").read_text())["run_args"]["logrows"]))
        try:
            with gw.quiet():
                verified.append(gw.verify(wd / "proof.json", wd / "settings.json", wd / "vk.key", srs))
            errors.append("")
        except Exception as exc:  # noqa: BLE001  (ezkl rejects a malformed proof with an error)
            verified.append(False)
            errors.append(f"{type(exc).__name__}: {exc}")
        verify_s.append(time.perf_counter() - t0)
    for a, b in zip(workdirs, workdirs[1:]):
        t0 = time.perf_counter()
        why = link_reason(a, b)
        link_s.append(time.perf_counter() - t0)
        linked.append(not why)
        reasons.append(why)
    return {"verified": verified, "linked": linked, "reasons": reasons, "verify_s": verify_s, "link_s": link_s,
            "errors": errors, "ok": all(verified) and all(linked)}


def lay_out_rows(model: nn.Module, x: torch.Tensor, input_visibility: str, output_visibility: str) -> dict:
    """Rows of ``model`` laid out and calibrated as :func:`prove` does, without proving (seconds):
    ``num_rows``, ``logrows``, ``module_rows`` (Poseidon rows), ``polycommit_elements``."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="chasm-link-") as tmp:
        tmp = Path(tmp)
        gw.export_onnx(model, x, tmp / "m.onnx")
        (tmp / "in.json").write_text(json.dumps({"input_data": [x.flatten().tolist()]}))
        args = gw.run_args(scale=SCALE, input_visibility=input_visibility, output_visibility=output_visibility)
        with gw.quiet():
            s = gw.lay_out(tmp / "m.onnx", tmp / "s.json", args, data_path=tmp / "in.json", scales=[SCALE])
    return {"num_rows": s["num_rows"], "logrows": s["run_args"]["logrows"],
            "module_rows": s["module_sizes"]["poseidon"][0], "polycommit_elements": sum(s["module_sizes"]["polycommit"])}


# ---------------------------------------------------------------- measuring

_PHASES = ("export", "settings", "calibrate", "compile", "srs", "setup", "witness", "prove", "verify")
_FROM_RECORD = ("status", "error", "logrows", "num_rows", "total_assignments", "setup_vk_compute_s",
                "setup_pk_compute_s", "pk_load_s", "prove_compute_s", "verify_compute_s", "proof_bytes", "pk_bytes",
                "vk_bytes", "compiled_bytes", "verified", "output_rel_err", "infer_s", "prove_threads", "run_cpu_s",
                "other_cpu_frac", *(f"{p}_s" for p in _PHASES), *(f"{p}_peak_rss_bytes" for p in _PHASES))


def chain_rows(chunks: list[nn.Module], records: list[dict], check: dict | None, *, chain_id: str, mode: str,
               repetition: int, fields: dict, ends: bool = True) -> list[dict]:
    """Table rows (``linking.schema.yaml``) of one proven chain: one row per chunk, its prove record, the
    link check, the rows of the same chunk laid out with public and with private boundaries (the boundary
    sides only: every side but the chain's ends, or every side when ``ends`` is False) and provenance.
    ``fields`` holds the configuration columns shared by the chain's rows."""
    machine, loadavg = provenance.machine(), os.getloadavg()[0]
    rows = []
    for i, (chunk, rec) in enumerate(zip(chunks, records)):
        wd = Path(rec["workdir"])
        x = torch.load(wd / "input.pt", weights_only=False)
        with torch.no_grad():
            out_elements = chunk(x).numel()
        iv, ov = rec["input_visibility"], rec["output_visibility"]
        sides = (i > 0 or not ends, i < len(chunks) - 1 or not ends)  # which sides are boundaries
        row = {**fields, **machine, **{k: rec.get(k) for k in _FROM_RECORD}, "run_id": f"{chain_id}-c{i}",
               "chain_id": chain_id, "mode": mode, "repetition": repetition, "chunk_index": i, "chunks": len(chunks),
               "chunk_pieces": "+".join(_piece_name(p) for p in chunk) if isinstance(chunk, nn.Sequential)
               else type(chunk).__name__, "input_visibility": iv, "output_visibility": ov,
               "input_elements": x.numel(), "output_elements": out_elements,
               "linked_elements": x.numel() * sides[0] + out_elements * sides[1],
               "date_utc": rec.get("infer_date_utc") or provenance.utc_now(), "loadavg_1m": loadavg}
        if rec.get("status") == "ok":
            settings = json.loads((wd / "settings.json").read_text())
            proof = json.loads((wd / "proof.json").read_text())
            row.update(module_rows=settings["module_sizes"]["poseidon"][0],
                       polycommit_elements=sum(settings["module_sizes"]["polycommit"]),
                       public_instances=sum(len(c) for c in proof["instances"]))
            if any(sides):
                public = lay_out_rows(chunk, x, *(("public" if b else v) for v, b in zip((iv, ov), sides)))
                private = lay_out_rows(chunk, x, *(("private" if b else v) for v, b in zip((iv, ov), sides)))
                row.update(public_num_rows=public["num_rows"], private_num_rows=private["num_rows"],
                           extra_rows=row["num_rows"] - public["num_rows"])
        if check is not None and i < len(check["verified"]):
            row.update(check_verified=check["verified"][i], check_verify_s=check["verify_s"][i], chain_ok=check["ok"])
            if i > 0:
                row.update(link_ok=check["linked"][i - 1], link_reason=check["reasons"][i - 1] or None,
                           check_link_s=check["link_s"][i - 1])
        rows.append(row)
    return rows


def _piece_name(part: nn.Module) -> str:
    return f"{part.part}" if isinstance(part, BlockPart) else type(part).__name__


def _done(table: Path) -> set[str]:
    return set(data.load_table(table)["run_id"]) if table.exists() else set()


def measure_chain(chunks: list[nn.Module], x: torch.Tensor, *, chain_id: str, mode: str, repetition: int,
                  fields: dict, table: Path, threads: int, ends: bool = True, forge: dict | None = None,
                  timeout_s: float | None = None) -> list[dict]:
    """Prove one chain, check its links, append its rows to ``table`` and remove its artefacts (proving
    keys are hundreds of MB). Skipped when its rows are already there. ``ends=False`` gives the chain's
    ends the boundary visibility too (a single-chunk probe of linking alone)."""
    import shutil

    if f"{chain_id}-c0" in _done(table):
        return []
    workdir = paths.cache_dir() / "linking" / chain_id
    shutil.rmtree(workdir, ignore_errors=True)
    if ends:
        records = prove_chain(chunks, x, mode=mode, workdir=workdir, threads=threads, forge=forge,
                              timeout_s=timeout_s)
    else:
        settings = ProveSettings(scale=SCALE, input_visibility=mode, output_visibility=mode, threads=threads)
        rec = prove(chunks[0], x, settings=settings, workdir=workdir / "chunk0", keep=True, timeout_s=timeout_s)
        records = [{**rec, "workdir": str(workdir / "chunk0"), "input_visibility": mode, "output_visibility": mode}]
    ok = all(r["status"] == "ok" for r in records) and len(records) == len(chunks)
    check = check_links([Path(r["workdir"]) for r in records]) if ok else None
    rows = chain_rows(chunks[:len(records)], records, check, chain_id=chain_id, mode=mode,
                      repetition=repetition, fields=fields, ends=ends)
    data.append_rows(table, rows)
    shutil.rmtree(workdir, ignore_errors=True)
    return rows


def _spec(d_model: int, seq: int, layers: int, heads: int = 2) -> ModelSpec:
    return ModelSpec("transformer", {"d_model": d_model, "heads": heads, "seq": seq, "layers": layers})


def _split_chains(sizes, layers, cuts, split, modes, reps, experiment="split"):
    """Chains of a transformer split at ``cuts``, plus the unsplit model (mode ``none``), per size and rep."""
    for rep in range(reps):
        for d, seq in sizes:
            model, x = build(_spec(d, seq, layers))
            fields = {"experiment": experiment, "split": split, "layers": layers, "d_model": d, "heads": 2,
                      "seq": seq, "boundary_elements": d * seq}
            for mode in modes:
                yield (split_transformer(model, cuts), x, f"{experiment}-{split}-{mode}-d{d}s{seq}-r{rep}", mode,
                       rep, fields, True)
            yield ([model], x, f"whole-L{layers}-d{d}s{seq}-r{rep}", "none", rep,
                   {**fields, "experiment": "whole", "split": "whole"}, True)


def _probe_chains(sizes, reps):
    for rep in range(reps):
        for n in sizes:
            x = torch.randn(1, n // 16, 16, generator=torch.Generator().manual_seed(1))
            for mode in ("private", *MODES):
                yield ([PassThrough()], x, f"probe-n{n}-{mode}-r{rep}", mode, rep,
                       {"experiment": "probe", "split": "passthrough", "boundary_elements": n}, False)


def _kv_chains(d_model, first_cache, steps, reps):
    model, _ = build(_spec(d_model, 1, 1))
    block = model.blocks[0]
    x = torch.randn(1, 2 * first_cache + 1, d_model, generator=torch.Generator().manual_seed(2))
    chunks = [DecodeStep(block, first_cache + s).eval() for s in range(steps)]
    fields = {"experiment": "kv", "split": f"decode{steps}", "layers": 1, "d_model": d_model, "heads": 2,
              "seq": 1, "cache_len": first_cache, "boundary_elements": 2 * (first_cache + 1) * d_model + d_model}
    for rep in range(reps):
        for mode in MODES:
            yield chunks, x, f"kv-t{first_cache}x{steps}-d{d_model}-{mode}-r{rep}", mode, rep, fields, True


def _shape_chains(reps):
    for layers, cuts, split in ((4, (2, 4, 6), "4x1block"), (4, (4,), "2x2block"), (1, (1,), "attention|feedforward")):
        yield from _split_chains([(8, 2)], layers, cuts, split, MODES, reps, experiment="shapes")


#: The measurement plans: a generator of ``(chunks, x, chain_id, mode, repetition, fields, ends)`` per plan.
PLANS = {
    "split": lambda reps: _split_chains([(8, 2), (16, 2), (16, 4)], 2, (2,), "2x1block", MODES, reps),
    "probe": lambda reps: _probe_chains([128, 384, 768, 1536], reps),
    "kv": lambda reps: _kv_chains(8, 2, 3, reps),
    "shapes": _shape_chains,
}


def _tamper(table: Path, threads: int) -> None:
    """Chains of two blocks whose chunk 1 was proven on the honest boundary plus one quantum (``2^-7``) in
    its first element: every proof verifies, and the link check must fail (for ``private`` nothing links)."""
    model, x = build(_spec(8, 2, 2))
    fields = {"experiment": "tamper", "split": "2x1block", "layers": 2, "d_model": 8, "heads": 2, "seq": 2,
              "boundary_elements": 16}
    for mode in ("private", *MODES):
        measure_chain(split_transformer(model, (2,)), x, chain_id=f"tamper-2x1block-{mode}-d8s2-r0", mode=mode,
                      repetition=0, fields=fields, table=table, threads=threads, forge={1: _one_quantum_more})


def _one_quantum_more(boundary: torch.Tensor) -> torch.Tensor:
    forged = boundary.clone()
    forged.view(-1)[0] += 2.0 ** -SCALE
    return forged


# ---------------------------------------------------------------- analysis

_METRICS = ("num_rows", "module_rows", "polycommit_elements", "prove_s", "setup_s", "verify_s", "proof_bytes",
            "pk_bytes", "public_instances")


def per_element_overhead(frame, experiment: str = "split", baseline: str = "public",
                         max_other_cpu: float | None = CONTENTION_LIMIT):
    """The cost linking adds per linked boundary element, against chains with ``baseline`` boundaries.

    For each size (``boundary_elements``) the chain totals (summed over chunks, median over repetitions
    of ``status == ok`` chains; chains with a chunk above ``max_other_cpu`` are left out, ``None`` keeps
    them) of every mode are compared with the baseline's; the differences are then
    regressed on the chain's linked elements (least squares, with intercept). Returns ``(diffs, slopes)``:
    one row per mode and size with the differences, one row per mode and metric with ``per_element``
    (unit of the metric per linked element), ``intercept`` and ``sizes`` (points behind the fit).
    """
    import numpy as np
    import pandas as pd

    ok = frame[(frame["experiment"] == experiment) & (frame["status"] == "ok")]
    if max_other_cpu is not None:
        contended = set(ok.loc[ok["other_cpu_frac"] > max_other_cpu, "chain_id"])
        ok = ok[~ok["chain_id"].isin(contended)]
    per_chain = ok.groupby(["chain_id", "mode", "repetition", "boundary_elements"], as_index=False)[
        [*_METRICS, "linked_elements"]].sum()
    med = per_chain.groupby(["mode", "boundary_elements"], as_index=False)[[*_METRICS, "linked_elements"]].median()
    base = med[med["mode"] == baseline].set_index("boundary_elements")
    diffs = []
    for _, r in med[med["mode"] != baseline].iterrows():
        if r["boundary_elements"] in base.index:
            b = base.loc[r["boundary_elements"]]
            diffs.append({"mode": r["mode"], "boundary_elements": r["boundary_elements"],
                          "linked_elements": r["linked_elements"], **{m: r[m] - b[m] for m in _METRICS}})
    diffs = pd.DataFrame(diffs)
    slopes = []
    for mode, g in diffs.groupby("mode") if len(diffs) else []:
        for m in _METRICS:
            if g["linked_elements"].nunique() >= 2:
                slope, icpt = np.polyfit(g["linked_elements"].astype(float), g[m].astype(float), 1)
                slopes.append({"mode": mode, "metric": m, "per_element": slope, "intercept": icpt, "sizes": len(g)})
    return diffs, pd.DataFrame(slopes)


def kv_link_cost(*, layers: int, kv_width: int, prompt: int, generated: int, per_element: float,
                 sides: int = 2) -> dict:
    """Linking cost of a decode chain whose steps are proven separately (module docstring).

    ``per_element``: cost (rows, seconds or bytes) per linked element and side; ``kv_width``: key/value
    width per layer (``heads_kv * d_head``). Returns the cached elements at the last step, the cost of the
    last step, and the total over the ``generated`` steps (``sides`` sides each: output of step t and
    input of step t+1)."""
    per_position = 2 * layers * kv_width
    last = prompt + generated - 1
    positions = (prompt + last) * generated / 2
    return {"cache_elements_last": per_position * last, "last_step": sides * per_element * per_position * last,
            "total": sides * per_element * per_position * positions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="measure the cost of linking chunk proofs (linking.csv)")
    parser.add_argument("--plan", choices=[*PLANS, "tamper"], required=True)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per chunk proof")
    parser.add_argument("--out", type=Path, default=None, help=f"table (default data/{LINKING})")
    args = parser.parse_args(argv)
    table = args.out or paths.data_dir() / LINKING
    if args.plan == "tamper":
        _tamper(table, args.threads)
        return 0
    for chunks, x, chain_id, mode, rep, fields, ends in PLANS[args.plan](args.reps):
        t0 = time.time()
        rows = measure_chain(chunks, x, chain_id=chain_id, mode=mode, repetition=rep, fields=fields, table=table,
                             threads=args.threads, ends=ends, timeout_s=args.timeout)
        if rows:
            print(f"{chain_id}: {[r['status'] for r in rows]} chain_ok={rows[-1].get('chain_ok')} "
                  f"{time.time() - t0:.0f} s other_cpu={max(r.get('other_cpu_frac') or 0 for r in rows):.2f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    # run the imported module's main, so that chunks pickled for the proving child are
    # chasm.experiments.linking classes and not __main__ ones
    from chasm.experiments import linking

    raise SystemExit(linking.main())
