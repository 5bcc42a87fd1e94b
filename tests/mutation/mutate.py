"""Mutation testing of the scientific core with mutmut: ``make mutation`` (not part of ``make test``).

Each module of ``tests/mutation/modules.toml`` is broken on purpose, one small change at a time, by
mutmut (pinned in ``requirements-dev.txt``), and the module's fast targeted tests are run against each
broken copy: a mutant is *killed* when some test fails. The kill rate per module is printed as a
Markdown table; ``tests/mutation/REPORT.md`` records it, with every surviving mutant killed or
justified as equivalent.

Everything happens in a scratch copy (``--workdir``, default a fresh folder under ``/tmp``): the package
is copied to ``src/chasm`` there (the layout mutmut imports from), with ``tests/``, ``data/`` and
``pyproject.toml``; the working tree is never modified. ``--rev REV`` takes the package, the tests and the
data from a git revision instead of the working tree (to measure the suite as it was).

Usage::

    python tests/mutation/mutate.py                      # the priority modules
    python tests/mutation/mutate.py laws/estimation core/data --workers 1
    python tests/mutation/mutate.py all --rev HEAD --survivors /tmp/survivors.txt
    python tests/mutation/mutate.py laws/selection --tests tests/laws/test_selection.py   # narrower, cheaper
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("modules.toml")
KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def modules() -> dict[str, dict]:
    return tomllib.loads(CONFIG.read_text())["modules"]


def deselected() -> list[str]:
    """Tests left out of every mutation run (too slow to run once per mutant), from modules.toml; a module's
    own ``deselect`` list adds tests left out of that module's run only."""
    return tomllib.loads(CONFIG.read_text()).get("deselect", [])


#: Files of the repository root that tests read besides pyproject.toml (JSTprove's pins), copied when present.
ROOT_FILES = ("requirements-jstprove.txt",)


def populate(work: Path, rev: str | None) -> None:
    """``work`` gets src/chasm, tests/, data/, pyproject.toml and :data:`ROOT_FILES` from the working tree or
    ``rev``."""
    if rev:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "code/chasm", "tests", "data", "pyproject.toml"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
        for name in ROOT_FILES:
            shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"], capture_output=True)
            if shown.returncode == 0:
                (work / name).write_bytes(shown.stdout)
    else:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
        shutil.copytree(ROOT / "code" / "chasm", work / "code" / "chasm", ignore=ignore)
        for name in ("tests", "data"):
            shutil.copytree(ROOT / name, work / name, ignore=ignore)
        shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
        for name in ROOT_FILES:
            if (ROOT / name).exists():
                shutil.copy(ROOT / name, work / name)
    (work / "src").mkdir()
    os.replace(work / "code" / "chasm", work / "src" / "chasm")
    shutil.rmtree(work / "code")


def configure(work: Path, chosen: dict[str, dict], deselect: list[str]) -> None:
    sources = [spec["source"].replace("code/", "src/", 1) for spec in chosen.values()]
    tests = sorted({t for spec in chosen.values() for t in spec["tests"] if (work / t).exists()})
    extra = ["-m", "not slow", "-p", "no:cacheprovider"] + [a for d in deselect for a in ("--deselect", d)]
    also = ["data"] + [name for name in ROOT_FILES if (work / name).exists()]
    # forkserver: each mutant's tests run in a process forked from one that has imported the tests but run none
    # of them. With mutmut's default (fork), every mutant inherits the caches (functools.lru_cache) its parent
    # filled while running the whole suite once for its statistics, so mutated code behind a cached loader
    # never runs and its mutant "survives" (kill rates measured that way are lower bounds).
    lines = ["", "[tool.mutmut]", 'source_paths = ["src"]', 'process_isolation = "forkserver"',
             f"only_mutate = {sources!r}", f"also_copy = {also!r}",
             f"pytest_add_cli_args = {extra!r}", f"pytest_add_cli_args_test_selection = {tests!r}"]
    with open(work / "pyproject.toml", "a") as fh:
        fh.write("\n".join(lines).replace("'", '"') + "\n")
    with open(work / "tests" / "conftest.py", "a") as fh:
        fh.write(COLD_DISK_CACHE)


#: Appended to the scratch copy's tests/conftest.py. chasm.laws.frontier keeps its fitted laws on disk under
#: ``CHASM_CACHE``, keyed by a digest of the source; mutmut's mutated source holds every mutant at once, so the
#: key is the same for all of them and the laws the clean run fitted would be read back by every mutant, hiding
#: mutants of the fitting code (a disk cache behaves like the lru_cache that fork isolation leaks). Each test
#: session, i.e. each mutant, gets an empty cache folder; only the SRS files (no mutated code makes them) are
#: linked in from the user's cache.
COLD_DISK_CACHE = '''

import pytest  # noqa: E402  (appended by tests/mutation/mutate.py)


@pytest.fixture(autouse=True, scope="session")
def _mutation_cold_disk_cache(tmp_path_factory):
    """Mutation runs only (tests/mutation/mutate.py): a fresh CHASM_CACHE per test session (per mutant)."""
    import os as _os
    from pathlib import Path as _Path

    user = _Path(_os.environ.get("CHASM_CACHE") or _Path.home() / ".cache" / "chasm")
    fresh = tmp_path_factory.mktemp("chasm-cache")
    if (user / "srs").is_dir():
        (fresh / "srs").symlink_to(user / "srs", target_is_directory=True)
    before = _os.environ.get("CHASM_CACHE")
    _os.environ["CHASM_CACHE"] = str(fresh)
    yield
    if before is None:
        _os.environ.pop("CHASM_CACHE", None)
    else:
        _os.environ["CHASM_CACHE"] = before
'''


def tally(work: Path, chosen: dict[str, dict], env: dict) -> tuple[dict, dict]:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=work, env=env,
                         check=True, capture_output=True, text=True).stdout
    by_module = {name: collections.Counter() for name in chosen}
    survivors = collections.defaultdict(list)
    prefix = {spec["source"].removeprefix("code/").removesuffix(".py").replace("/", "."): name
              for name, spec in chosen.items()}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if not m:
            continue
        key, status = m.groups()
        module = next((name for p, name in prefix.items() if key.startswith(p + ".")), None)
        if module is None:
            continue
        by_module[module][status] += 1
        if status not in KILLED:
            survivors[module].append((key, status))
    return by_module, survivors


def table(by_module: dict) -> str:
    rows = ["| module | mutants | killed | survived | no tests | not checked | kill rate |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name, c in by_module.items():
        total = sum(c.values())
        killed = sum(v for k, v in c.items() if k in KILLED)
        rate = f"{100 * killed / total:.0f}%" if total else "-"
        rows.append(f"| {name} | {total} | {killed} | {c.get('survived', 0)} | {c.get('no tests', 0)} "
                    f"| {c.get('not checked', 0)} | {rate} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules of modules.toml (default: the priority ones; 'all')")
    parser.add_argument("--workers", type=int, default=1, help="mutmut's --max-children (default 1)")
    parser.add_argument("--rev", default=None, help="take code, tests and data from this git revision")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="scratch folder, one subfolder per module (default: a new one in /tmp)")
    parser.add_argument("--survivors", type=Path, default=None, help="write each surviving mutant's diff here")
    parser.add_argument("--only", nargs="+", default=[], metavar="GLOB",
                        help="mutate only these mutmut names, e.g. 'chasm.laws.checks.x_held_out_check*'")
    parser.add_argument("--tests", nargs="+", default=None, metavar="TEST",
                        help="run these tests instead of the module's list in modules.toml (a cheaper, "
                             "narrower run: its kill rate is a lower bound for the module's)")
    parser.add_argument("--deselect", nargs="+", default=[], metavar="NODEID",
                        help="leave these tests out too (pytest node ids; a cheaper, narrower run)")
    args = parser.parse_args(argv)
    known = modules()
    names = (list(known) if args.modules == ["all"] else args.modules
             or [n for n, spec in known.items() if spec.get("priority")])
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown modules {unknown}; known: {', '.join(known)}")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="chasm-mutation-"))
    env = {k: v for k, v in os.environ.items() if k != "CHASM_ROOT"}
    article = ROOT.parent / "shared" / "article" / "000_014e28a54d8c4a5b.txt"  # chasm.core.paths.article_path
    if "CHASM_ARTICLE" not in env and article.exists():  # the scratch copy has no ../shared beside it
        env["CHASM_ARTICLE"] = str(article)
    jstprove = ROOT / ".venv-jstprove" / "bin" / "python"  # chasm.experiments.jstprove_gateway's default
    if "CHASM_JSTPROVE_PYTHON" not in env and jstprove.exists():  # nor a .venv-jstprove
        env["CHASM_JSTPROVE_PYTHON"] = str(jstprove)
    by_module, survivors = {}, {}
    for name in names:  # one mutmut session per module: its own targeted tests only
        chosen = {name: known[name] if args.tests is None else {**known[name], "tests": args.tests}}
        work = root / name.replace("/", "-")
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "src").exists():  # a scratch copy made by an older mutate.py lacks COLD_DISK_CACHE: start afresh
            populate(work, args.rev)
            configure(work, chosen, deselected() + chosen[name].get("deselect", []) + args.deselect)
        print(f"mutation: {name} in {work}", file=sys.stderr, flush=True)
        with open(work / "mutmut-run.log", "w") as log:  # mutmut's progress display, kept out of the terminal
            subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(args.workers), *args.only],
                           cwd=work, env=env, check=False, stdout=log, stderr=subprocess.STDOUT)
        counts, left = tally(work, chosen, env)
        by_module.update(counts)
        survivors[name] = (work, left.get(name, []))
        print(table({name: counts[name]}).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(by_module))
    if args.survivors:
        with open(args.survivors, "w") as fh:
            for module, (work, keys) in survivors.items():
                for key, status in keys:
                    if status == "not checked":
                        continue
                    diff = subprocess.run([sys.executable, "-m", "mutmut", "show", key], cwd=work, env=env,
                                          capture_output=True, text=True).stdout
                    fh.write(f"## {module} {key} ({status})\n{diff}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
