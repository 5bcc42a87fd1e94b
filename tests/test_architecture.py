"""The package's shape: stages import only the stages before them, no cycles, small modules, public
names declared, only ``experiments`` touches torch or a prover, and a test module for every module.

The rules are read from the source (``ast``), so they hold for imports inside functions too.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from chasm.core import paths

CODE = paths.repo_root() / "code"
PACKAGE = CODE / "chasm"
TESTS = paths.repo_root() / "tests"

#: The stages in dependency order: a module may import its own stage and the stages before it.
STAGES = ("core", "experiments", "costmodel", "laws", "economics", "report", "site")
#: Top-level modules outside the stages (the command line may reach every stage, lazily).
TOP_LEVEL = {"chasm", "chasm.cli", "chasm.__main__"}
#: Third-party packages that only the experiments stage may import.
HEAVY = {"torch", "ezkl", "onnx", "jstprove"}
#: Stages that must not import the experiments stage at all (they work from committed data).
DATA_ONLY = ("costmodel", "laws", "economics", "report")
MAX_LINES = 700


def module_name(path: Path) -> str:
    rel = path.relative_to(CODE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def stage_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def imports_of(path: Path) -> list[tuple[str, list[str], int]]:
    """``(module, imported names, line)`` of every import statement in ``path``, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names], node.lineno))
    return out


def package_edges(name: str) -> set[str]:
    """Modules of the package that ``name`` imports (``from chasm.x import y`` counts y when it is a module)."""
    edges = set()
    for module, names, _ in imports_of(MODULES[name]):
        if module.split(".")[0] != "chasm":
            continue
        for candidate in [f"{module}.{n}" for n in names] + [module]:
            if candidate in MODULES:
                edges.add(candidate)
                break
    return edges - {name}


def test_every_module_of_the_package_imports():
    names = [n for n in MODULES if not n.endswith("__main__")]
    assert {"chasm.core.data", "chasm.report.charts", "chasm.site.sphinxext", "chasm.laws.predict"} <= set(names)
    for name in names:
        importlib.import_module(name)


def test_stages_import_only_earlier_stages():
    order = {s: i for i, s in enumerate(STAGES)}
    wrong = []
    for name in MODULES:
        stage = stage_of(name)
        if stage is None:
            assert name in TOP_LEVEL, f"{name} is in no stage"
            continue
        for target in package_edges(name):
            other = stage_of(target)
            if other is not None and order[other] > order[stage]:
                wrong.append(f"{name} ({stage}) imports {target} ({other})")
            if stage in DATA_ONLY and other == "experiments":
                wrong.append(f"{name} ({stage}) imports the experiments stage ({target})")
    assert wrong == []


def test_only_experiments_imports_torch_or_a_prover():
    wrong = [f"{name}:{line} imports {module}"
             for name, path in MODULES.items() if stage_of(name) != "experiments"
             for module, _, line in imports_of(path) if module.split(".")[0] in HEAVY]
    assert wrong == []


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle found by a depth-first search of ``graph`` (module -> imported modules)."""
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_import_cycles():
    graph = {name: package_edges(name) for name in MODULES}
    # a package's __init__ importing its own submodules is not a cycle of meaning
    for name in graph:
        graph[name] = {t for t in graph[name] if not (MODULES[name].name == "__init__.py" and t.startswith(name + "."))}
    assert find_cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == ["a -> b -> c -> a"]
    assert "chasm.laws.choice" in package_edges("chasm.laws.checks")  # edges are read, not assumed


def test_modules_are_small_enough_to_read():
    long = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {n: k for n, k in long.items() if k > MAX_LINES} == {}


def test_public_modules_declare_their_names():
    missing = [name for name, path in MODULES.items()
               if path.name not in ("__init__.py", "__main__.py") and "__all__" not in path.read_text()]
    assert missing == []


def test_no_private_name_is_imported_across_modules():
    wrong = [f"{name}:{line} imports {module}.{n}"
             for name, path in MODULES.items()
             for module, names, line in imports_of(path) if module.split(".")[0] == "chasm"
             for n in names if n.startswith("_")]
    assert wrong == []


def test_every_module_has_a_test_module():
    """tests/ mirrors the package: code/chasm/<stage>/<module>.py is tested in tests/<stage>/test_<module>.py."""
    missing = []
    for name, path in MODULES.items():
        if path.name in ("__init__.py", "__main__.py"):
            continue
        rel = path.relative_to(PACKAGE)
        expected = TESTS / rel.parent / f"test_{rel.name}"
        if not expected.exists():
            missing.append(str(expected.relative_to(TESTS)))
    assert missing == []


@pytest.mark.slow
def test_predict_does_not_load_torch():
    """``python -m chasm predict`` answers from committed data without importing torch or a prover."""
    code = ("import sys, runpy; sys.argv=['chasm','predict','--rows','2^18','--family','mlp']\n"
            "from chasm import cli\n"
            "rc = cli.main(sys.argv[1:])\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch','ezkl','onnx'))\n"
            "print('HEAVY', heavy)\n"
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout
