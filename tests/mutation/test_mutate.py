"""tests/mutation/mutate.py: the scratch copy mutmut runs in isolates every mutant from the caches of the others."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

MUTATE = Path(__file__).with_name("mutate.py")


def _mutate():
    spec = importlib.util.spec_from_file_location("chasm_mutate", MUTATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scratch_copy_uses_the_fork_server_and_its_tests_an_empty_cache_per_session(tmp_path):
    mutate = _mutate()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("import pytest\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "tests" / "test_a.py").write_text("")
    chosen = {"laws/frontier": {"source": "code/chasm/laws/frontier.py", "tests": ["tests/test_a.py", "tests/gone.py"]}}
    mutate.configure(tmp_path, chosen, ["tests/test_a.py::test_slow"])
    cfg = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert cfg["process_isolation"] == "forkserver"
    assert cfg["only_mutate"] == ["src/chasm/laws/frontier.py"]
    assert cfg["pytest_add_cli_args_test_selection"] == ["tests/test_a.py"]  # a listed file that is missing is left out
    assert cfg["pytest_add_cli_args"] == ["-m", "not slow", "-p", "no:cacheprovider", "--deselect",
                                          "tests/test_a.py::test_slow"]
    # the appended fixture gives each test session a CHASM_CACHE of its own, with the user's SRS files linked in
    user = tmp_path / "user-cache"
    (user / "srs").mkdir(parents=True)
    (user / "laws").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text("")  # the fixture brings its own import of pytest
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    mutate.configure(tmp_path, chosen, [])
    (tmp_path / "tests" / "test_a.py").write_text(
        "import os\nfrom pathlib import Path\n\n"
        "def test_cache():\n"
        "    cache = Path(os.environ['CHASM_CACHE'])\n"
        f"    assert cache != Path({str(user)!r}) and sorted(p.name for p in cache.iterdir()) == ['srs']\n"
        f"    assert (cache / 'srs').resolve() == Path({str(user / 'srs')!r})\n"
        "    (cache / 'laws').mkdir()  # what this session leaves, the next one must not see\n")
    for _ in range(2):  # two sessions (two mutants): each starts from an empty cache
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "tests")],
                              cwd=tmp_path, capture_output=True, text=True, env={"CHASM_CACHE": str(user), "PATH": ""})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in user.iterdir()) == ["laws", "srs"]  # the user's own cache is untouched
