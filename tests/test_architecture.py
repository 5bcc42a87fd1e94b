"""The package's shape: stages import only the stages before them, no cycles, small modules, public
names declared, only ``experiments`` touches torch or a prover, and a test module for every module.

The rules are read from the source (``ast``, the same reader the book's extension uses,
:func:`chasm.site.sphinxext.package_imports`), so they hold for imports inside functions too, and each
check is shown to fail on a planted violation in a copy of the package.
"""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chasm.core import paths
from chasm.site.sphinxext import package_imports

ROOT = paths.repo_root()
TESTS = ROOT / "tests"

#: The stages in dependency order: a module may import its own stage and the stages before it.
STAGES = ("core", "experiments", "costmodel", "laws", "economics", "report", "site")
#: Top-level modules outside the stages (the command line may reach every stage, lazily).
TOP_LEVEL = {"chasm", "chasm.cli", "chasm.__main__"}
#: Third-party packages that only the experiments stage may import.
HEAVY = {"torch", "ezkl", "onnx", "jstprove"}
#: Stages that must not import the experiments stage at all (they work from committed data).
DATA_ONLY = ("costmodel", "laws", "economics", "report")
MAX_LINES = 700


def modules(root: Path) -> dict[str, Path]:
    """Module name -> source file of every module of the package under ``root/code``."""
    out = {}
    for path in sorted((root / "code" / "chasm").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(root / "code").with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def stage_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def heavy_imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
        out += [f"{n} (line {node.lineno})" for n in names if n.split(".")[0] in HEAVY]
    return out


def graph(root: Path) -> dict[str, set[str]]:
    mods = modules(root)
    edges = {name: package_imports(root, path) - {name} for name, path in mods.items()}
    # a package's __init__ importing its own submodules is not a cycle of meaning
    return {n: {t for t in e if not (mods[n].name == "__init__.py" and t.startswith(n + "."))} for n, e in edges.items()}


def stage_violations(root: Path) -> list[str]:
    order = {s: i for i, s in enumerate(STAGES)}
    wrong = []
    for name, targets in graph(root).items():
        stage = stage_of(name)
        if stage is None:
            if name not in TOP_LEVEL:
                wrong.append(f"{name} is in no stage")
            continue
        for target in targets:
            other = stage_of(target)
            if other is not None and order[other] > order[stage]:
                wrong.append(f"{name} ({stage}) imports {target} ({other})")
            if stage in DATA_ONLY and other == "experiments":
                wrong.append(f"{name} ({stage}) imports the experiments stage ({target})")
    return wrong


def find_cycles(edges: dict[str, set[str]]) -> list[str]:
    """Every import cycle found by a depth-first search of ``edges`` (module -> imported modules)."""
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    return cycles


def test_every_module_of_the_package_imports():
    names = [n for n in modules(ROOT) if not n.endswith("__main__")]
    assert {"chasm.core.data", "chasm.report.charts", "chasm.site.sphinxext", "chasm.laws.predict"} <= set(names)
    for name in names:
        importlib.import_module(name)


def test_stages_import_only_earlier_stages():
    assert stage_violations(ROOT) == []


def test_only_experiments_imports_torch_or_a_prover():
    wrong = {name: heavy_imports(path) for name, path in modules(ROOT).items()
             if stage_of(name) != "experiments" and heavy_imports(path)}
    assert wrong == {}


def test_no_import_cycles():
    assert find_cycles(graph(ROOT)) == []


def test_every_imported_name_counts_as_an_edge():
    """``from chasm.laws import a, b, c`` makes an edge to each of the modules a, b and c."""
    edges = graph(ROOT)["chasm.report.scaling"]
    assert {"chasm.laws.coverage", "chasm.laws.estimation", "chasm.laws.choice", "chasm.laws.selection"} <= edges


def test_the_checks_find_planted_violations(tmp_path):
    """In a copy of the package: a cycle between two core modules, a cost-model module importing the
    experiments stage inside a function, and a report module importing torch are all found."""
    root = tmp_path
    shutil.copytree(ROOT / "code", root / "code", ignore=shutil.ignore_patterns("__pycache__"))
    with open(root / "code/chasm/core/paths.py", "a") as fh:
        fh.write("\n\ndef _planted():\n    from chasm.core import claims  # noqa: F401\n")
    with open(root / "code/chasm/costmodel/symbols.py", "a") as fh:
        fh.write("\n\ndef _planted():\n    from chasm.experiments import prove  # noqa: F401\n")
    with open(root / "code/chasm/report/tables.py", "a") as fh:
        fh.write("\n\ndef _planted():\n    import torch  # noqa: F401\n")
    assert any("chasm.core.paths" in c and "chasm.core.claims" in c for c in find_cycles(graph(root)))
    assert any("chasm.costmodel.symbols" in v and "experiments" in v for v in stage_violations(root))
    assert heavy_imports(root / "code/chasm/report/tables.py")


def test_modules_are_small_enough_to_read():
    long = {name: len(path.read_text().splitlines()) for name, path in modules(ROOT).items()}
    assert {n: k for n, k in long.items() if k > MAX_LINES} == {}


def test_public_modules_declare_their_names():
    """Every module but packages and entry points has an ``__all__`` whose names exist."""
    for name, path in modules(ROOT).items():
        if path.name in ("__init__.py", "__main__.py"):
            continue
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), name
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert missing == [], f"{name}.__all__ names {missing}"


def test_no_private_name_is_used_across_modules():
    """Neither ``from chasm.x import _y`` nor ``chasm_module._y`` from another module."""
    wrong = []
    for name, path in modules(ROOT).items():
        tree = ast.parse(path.read_text())
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "chasm":
                wrong += [f"{name}:{node.lineno} imports {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_")]
                aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
            elif isinstance(node, ast.Import):
                aliases.update({a.asname or a.name: a.name for a in node.names if a.name.startswith("chasm")})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases):
                wrong.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    assert wrong == []


def test_every_module_has_a_test_module():
    """tests/ mirrors the package: code/chasm/<stage>/<module>.py is tested in tests/<stage>/test_<module>.py."""
    missing = []
    for path in modules(ROOT).values():
        if path.name in ("__init__.py", "__main__.py"):
            continue
        rel = path.relative_to(ROOT / "code" / "chasm")
        expected = TESTS / rel.parent / f"test_{rel.name}"
        if not expected.exists():
            missing.append(str(expected.relative_to(TESTS)))
    assert missing == []


@pytest.mark.slow
def test_predict_does_not_load_torch():
    """``python -m chasm predict`` answers from committed data without importing torch or a prover."""
    code = ("import sys\n"
            "from chasm import cli\n"
            "rc = cli.main(['predict', '--rows', '2^18', '--family', 'mlp'])\n"
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'ezkl', 'onnx'))\n"
            "print('HEAVY', heavy)\n"
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout
