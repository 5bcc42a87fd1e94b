"""The script run inside JSTprove's environment: its checksum, its tampering, its artefact format."""

import json
import subprocess

import pytest

from chasm.experiments import jstprove_child as child
from chasm.experiments import jstprove_gateway as jg


def test_crc32c_matches_the_standard_check_value():
    # The CRC-32C (Castagnoli) check value of "123456789" (RFC 3720, appendix B.4).
    assert child._crc32c(b"123456789") == 0xE3069283
    assert child._crc32c(b"") == 0


def test_nudging_changes_exactly_one_leaf_by_one():
    value = [[], {"a": [7, 8]}, 9]
    new, done = child._nudge_first_leaf(value)
    assert done and new == [[], {"a": [6, 8]}, 9] and value == [[], {"a": [7, 8]}, 9]
    assert child._nudge_first_leaf([b"\x10\x20"]) == ([b"\x11\x20"], True)
    assert child._nudge_first_leaf([[], {}]) == ([[], {}], False)


@pytest.mark.skipif(not jg.available(), reason="JSTprove's environment .venv-jstprove (CPython 3.12) is missing")
def test_an_artefact_written_is_read_back_and_its_checksum_is_the_one_jstprove_checks(tmp_path):
    code = f"""
import json, runpy, sys
mod = runpy.run_path({str(child.__file__)!r})
path = {str(tmp_path / "a.bin")!r}
mod["_write_artifact"](path, b"JST\\x01\\x01\\x00\\x00\\x00" + bytes(12), {{"x": [1, 2, 3], "y": "z"}})
raw = open(path, "rb").read()
body = raw[20:]
print(json.dumps({{"obj": mod["read_artifact"](path), "length": int.from_bytes(raw[8:16], "little"),
                   "crc_ok": int.from_bytes(raw[16:20], "little") == mod["_crc32c"](body), "n": len(body)}}))
"""
    out = subprocess.run([str(jg.interpreter()), "-c", code], capture_output=True, text=True, check=True)
    got = json.loads(out.stdout)
    assert got["obj"] == {"x": [1, 2, 3], "y": "z"} and got["crc_ok"] and got["length"] == got["n"]
    (tmp_path / "b.bin").write_bytes(b"NOPE" + bytes(30))
    bad = subprocess.run([str(jg.interpreter()), "-c", f"import runpy; runpy.run_path({str(child.__file__)!r})"
                          f"['read_artifact']({str(tmp_path / 'b.bin')!r})"], capture_output=True, text=True)
    assert bad.returncode != 0 and "not a JSTprove artefact" in bad.stderr
