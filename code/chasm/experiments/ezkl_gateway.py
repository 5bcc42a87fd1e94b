"""The one place that talks to ezkl: run arguments, settings, calibration, SRS, ONNX export, logs.

Every experiment that lays out or proves a circuit goes through these functions, so ezkl's run
arguments, calibration and input format are written once, and every call to ezkl is here:

- :func:`run_args` builds ezkl's ``PyRunArgs`` from ezkl's own names;
- :func:`lay_out` writes the settings of an ONNX model (``gen_settings``) and, given input data,
  calibrates them (:func:`calibrate`), returning the settings as a dict;
- :func:`export_onnx` exports a torch model the way every experiment does (TorchScript exporter,
  opset 17);
- :func:`check_supported` refuses an ONNX model ezkl cannot lay out, naming the operator, before
  anything expensive runs;
- :func:`ensure_srs` returns a locally generated, testing-grade SRS (``ezkl.gen_srs``, cached per
  logrows under :func:`srs_path`); nothing is ever downloaded;
- :func:`compile_circuit`, :func:`setup`, :func:`gen_witness`, :func:`prove`, :func:`verify`, :func:`mock`
  and :func:`felt_to_float` are ezkl's calls of the same names, with paths and awaitables handled;
- :func:`quiet` silences ezkl's native output; :func:`parse_log` reads its compute timings.

ezkl is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import inspect
import json
import logging
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path

from chasm.core import paths

__all__ = ["installed_version", "PROVEN_ONNX_OPS", "UNSUPPORTED_ONNX_OPS", "UnsupportedOpError", "DEFAULT_VISIBILITY", "run_args", "render_verifier",
           "lay_out", "calibrate", "write_input", "export_onnx", "onnx_ops", "check_supported", "compile_circuit",
           "setup", "gen_witness", "prove", "verify", "mock", "felt_to_float", "srs_path", "ensure_srs", "resolve",
           "quiet", "parse_log"]

#: ONNX operators this compendium has proven end to end (real proof, verified) with ezkl 23.0.5: the
#: operators of its model families (the tests prove each family). :mod:`chasm.experiments.opsupport`
#: probes more building blocks.
PROVEN_ONNX_OPS = frozenset({
    "Add", "Constant", "Conv", "Div", "Erf", "Flatten", "Gemm", "Identity",
    "LayerNormalization", "MatMul", "Mul", "Relu", "Reshape", "Softmax", "Split",
    "Transpose",
})

#: Operators ezkl 23.0.5 cannot lay out, with the reason (seen in the opsupport probes: ezkl's graph
#: loader needs every tensor shape fixed before the data).
UNSUPPORTED_ONNX_OPS = {
    "NonZero": "its output shape depends on the input data",
}

#: Visibility of the experiments' circuits: private input, public output, weights fixed in the circuit.
DEFAULT_VISIBILITY = {"input_visibility": "private", "output_visibility": "public", "param_visibility": "fixed"}


class UnsupportedOpError(RuntimeError):
    """The model uses an ONNX operator the prover (ezkl here, or JSTprove in
    :mod:`chasm.experiments.jstprove_gateway`) cannot prove."""


def installed_version() -> str:
    """The installed ezkl version (the package's metadata; ezkl itself is not imported)."""
    from importlib.metadata import version

    return version("ezkl")


def run_args(*, scale: int | None = None, **fields):
    """ezkl's ``PyRunArgs`` with :data:`DEFAULT_VISIBILITY`, then ``fields`` (ezkl's names, e.g.
    ``num_inner_cols``, ``decomp_base``, ``disable_freivalds``); ``scale`` sets both the input and the
    parameter scale (bits)."""
    import ezkl

    ra = ezkl.PyRunArgs()
    for key, value in {**DEFAULT_VISIBILITY, **fields}.items():
        setattr(ra, key, value)
    if scale is not None:
        ra.input_scale = ra.param_scale = scale
    return ra


def lay_out(onnx_path: Path, settings_path: Path, args, *, data_path: Path | None = None,
            target: str = "resources", scales: list[int] | None = None) -> dict:
    """Write the circuit settings of an ONNX model with run arguments ``args`` (:func:`run_args`) and,
    when ``data_path`` (ezkl's input JSON) is given, calibrate them for ``target`` over ``scales``
    (``None``: let calibration choose). Returns the settings (ezkl's JSON, as a dict)."""
    import ezkl

    ezkl.gen_settings(str(onnx_path), str(settings_path), py_run_args=args)
    if data_path is not None:
        calibrate(data_path, onnx_path, settings_path, target=target, scales=scales)
    return json.loads(Path(settings_path).read_text())


def calibrate(data_path: Path, onnx_path: Path, settings_path: Path, *, target: str = "resources",
              scales: list[int] | None = None) -> None:
    """ezkl's ``calibrate_settings`` for ``target`` (``resources`` or ``accuracy``) over ``scales``
    (bits; ``None`` lets ezkl search), with the rebase multiplier fixed at 1; ezkl's report is silenced."""
    import ezkl

    with quiet():
        resolve(ezkl.calibrate_settings(str(data_path), str(onnx_path), str(settings_path), target,
                                        scales=scales, scale_rebase_multiplier=[1]))


def write_input(path: Path, tensors) -> None:
    """ezkl's input JSON for one tensor or a tuple of tensors (each flattened, as floats)."""
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    Path(path).write_text(json.dumps({"input_data": [t.flatten().float().tolist() for t in tensors]}))


def compile_circuit(onnx_path: Path, compiled_path: Path, settings_path: Path) -> None:
    """ezkl's ``compile_circuit``: the ONNX model and its settings into a compiled circuit file."""
    import ezkl

    ezkl.compile_circuit(str(onnx_path), str(compiled_path), str(settings_path))


def setup(compiled_path: Path, vk_path: Path, pk_path: Path, srs: Path) -> None:
    """ezkl's ``setup`` (key generation); raises ``RuntimeError`` if ezkl reports failure."""
    import ezkl

    if not ezkl.setup(str(compiled_path), str(vk_path), str(pk_path), str(srs)):
        raise RuntimeError("ezkl.setup returned False")


def gen_witness(data_path: Path, compiled_path: Path, witness_path: Path) -> dict:
    """ezkl's ``gen_witness``; returns the witness (with the circuit's ``outputs``)."""
    import ezkl

    return resolve(ezkl.gen_witness(str(data_path), str(compiled_path), str(witness_path)))


def prove(witness_path: Path, compiled_path: Path, pk_path: Path, proof_path: Path, srs: Path) -> None:
    """ezkl's ``prove``: writes the proof (JSON) to ``proof_path``."""
    import ezkl

    ezkl.prove(str(witness_path), str(compiled_path), str(pk_path), str(proof_path), str(srs))


def verify(proof_path: Path, settings_path: Path, vk_path: Path, srs: Path) -> bool:
    """ezkl's ``verify``: whether the proof verifies against the settings, verifying key and SRS."""
    import ezkl

    return bool(ezkl.verify(str(proof_path), str(settings_path), str(vk_path), str(srs)))


def mock(witness_path: Path, compiled_path: Path) -> bool:
    """ezkl's ``mock``: every constraint of the circuit checked on the witness, without a proof."""
    import ezkl

    return bool(ezkl.mock(str(witness_path), str(compiled_path)))


#: Proxies for the verifier rendering: ezkl asks solc's download site for a compiler after writing
#: the verifier; pointing it at loopback keeps that request on this machine.
_LOOPBACK = {name: "http://127.0.0.1:9" for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY",
                                                      "https_proxy", "http_proxy", "all_proxy")}


def render_verifier(vk_path: Path, settings_path: Path, srs_path: Path, sol_path: Path) -> Path:
    """Render ezkl's Solidity verifier of a verifying key into ``sol_path``. ezkl writes the file,
    then compiles it with solc for its ABI; without solc that second step fails, which is ignored
    when the verifier was written whole."""
    import ezkl

    async def run():
        return await ezkl.create_evm_verifier(str(vk_path), str(settings_path), str(sol_path),
                                              str(Path(sol_path).with_suffix(".abi")), str(srs_path), False)

    saved = {name: os.environ.get(name) for name in _LOOPBACK}
    os.environ.update(_LOOPBACK)
    try:
        asyncio.run(run())
    except RuntimeError as exc:
        text = Path(sol_path).read_text() if Path(sol_path).exists() else ""
        if "proof.length" not in text or not text.rstrip().endswith("}"):
            raise RuntimeError(f"ezkl wrote no verifier: {exc}") from exc
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Path(sol_path)


def felt_to_float(value, scale: int) -> float:
    """A field element of a witness, as a real number at fixed-point ``scale`` (bits)."""
    import ezkl

    return ezkl.felt_to_float(value, scale)


def export_onnx(model, inputs, onnx_path: Path) -> None:
    """Export with torch's TorchScript exporter at opset 17. ``inputs`` is one tensor (input named
    ``input``) or a tuple of tensors (``input0``, ``input1``, ...); the output is ``output``."""
    import torch

    names = ["input"] if not isinstance(inputs, tuple) else [f"input{i}" for i in range(len(inputs))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, inputs, str(onnx_path), opset_version=17, input_names=names,
                          output_names=["output"], dynamo=False)


def onnx_ops(onnx_path: Path) -> set[str]:
    """The set of ONNX operator types in a model file."""
    import onnx

    return {node.op_type for node in onnx.load(str(onnx_path)).graph.node}


_NODE_IN_ERROR = re.compile(r'node #\d+ "([^"]+)" (\w+)')


def check_supported(onnx_path: Path) -> None:
    """Raise :class:`UnsupportedOpError` if ezkl cannot lay out this ONNX model.

    Two checks, both before any expensive step: operators ezkl is known not to support
    (:data:`UNSUPPORTED_ONNX_OPS`), then ezkl's own graph analysis (``gen_settings``, milliseconds),
    whose failure is reported with the operator it names.
    """
    import ezkl

    ops = onnx_ops(onnx_path)
    known_bad = sorted(ops & set(UNSUPPORTED_ONNX_OPS))
    if known_bad:
        why = "; ".join(f"{op}: {UNSUPPORTED_ONNX_OPS[op]}" for op in known_bad)
        raise UnsupportedOpError(f"ONNX operator(s) {', '.join(known_bad)} cannot be proven by ezkl 23.0.5 ({why})")
    with tempfile.TemporaryDirectory(prefix="chasm-check-") as tmp:
        try:
            with quiet():
                ezkl.gen_settings(str(onnx_path), str(Path(tmp) / "settings.json"))
        except Exception as exc:  # noqa: BLE001  (ezkl raises RuntimeError subclasses)
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            node = _NODE_IN_ERROR.search(text)
            named = f"operator {node.group(2)} (node {node.group(1)})" if node else "an operator"
            raise UnsupportedOpError(
                f"ezkl 23.0.5 cannot lay out {named} of this model: {text} "
                f"(ONNX operators present: {', '.join(sorted(ops))})") from None


def srs_path(logrows: int) -> Path:
    """Where the locally generated SRS for ``2**logrows`` rows is cached."""
    return paths.cache_dir() / "srs" / f"kzg{logrows}.srs"


def ensure_srs(logrows: int) -> tuple[Path, bool]:
    """Return the cached SRS for ``logrows``, generating it once with ``ezkl.gen_srs``.

    Safe against concurrent callers (a file lock) and interrupted writes (generate to a temporary
    name, then rename). Returns ``(path, generated)``.
    """
    import ezkl

    path = srs_path(logrows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".kzg{logrows}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists() and path.stat().st_size > 0:
            return path, False
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with quiet():
            ezkl.gen_srs(str(tmp), logrows)
        os.replace(tmp, path)
        return path, True


def resolve(value):
    """The value of an ezkl call: some calls return awaitables in some versions; run them."""
    if inspect.isawaitable(value):
        return asyncio.run(value)
    return value


@contextlib.contextmanager
def quiet(log_path: str | os.PathLike = os.devnull):
    """Send ezkl's native stdout/stderr and its Python log records to ``log_path``.

    ezkl prints calibration reports and warnings straight to file descriptors 1 and 2 and logs
    through Python's ``logging``; in a notebook both would land in the page as stray output.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    target = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    logger = logging.getLogger("ezkl")
    old_state = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [logging.NullHandler()], False
    os.dup2(target, 1)
    os.dup2(target, 2)
    try:
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, target):
            os.close(fd)
        logger.handlers, logger.propagate = old_state


#: ezkl's log lines with compute timings. ezkl formats durations as ``{secs}.{millis}`` without zero
#: padding ("verify took 0.3" is 3 ms), so the fraction is read as an integer number of milliseconds.
_LOG_TIMINGS = {
    "setup_vk_compute_s": re.compile(r"VK took (\d+)\.(\d+)"),
    "setup_pk_compute_s": re.compile(r"PK took (\d+)\.(\d+)"),
    "prove_compute_s": re.compile(r"proof took (\d+)\.(\d+)"),
    "verify_compute_s": re.compile(r"verify took (\d+)\.(\d+)"),
}
_PK_LOAD = re.compile(r"loaded proving key in ([\d.]+)(ms|s|µs|us)")


def parse_log(text: str) -> dict:
    """Compute timings (seconds) from ezkl's log; the last match of each wins."""
    out: dict = {}
    for key, pattern in _LOG_TIMINGS.items():
        matches = pattern.findall(text)
        if matches:
            secs, millis = matches[-1]
            out[key] = int(secs) + int(millis) / 1000.0
    m = _PK_LOAD.findall(text)
    if m:
        value, unit = m[-1]
        out["pk_load_s"] = float(value) * {"ms": 1e-3, "s": 1.0, "µs": 1e-6, "us": 1e-6}[unit]
    return out
