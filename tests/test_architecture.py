"""The code's shape, checked: layers that point one way, no private names across modules, no backend branches in the
front ends, files and functions of a readable size, and an install that adds only the `boardpapers` package."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted(
    [*ROOT.glob("*.py"), *ROOT.glob("commands/*.py"), *ROOT.glob("ingest/*.py"), *ROOT.glob("index/*.py"), *ROOT.glob("ui/*.py")]
)
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
WHY_LONG = "# long because"  # a function over MAX_FUNCTION_LINES says why with a comment starting like this


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _module_name(p: Path) -> str:
    parts = p.relative_to(ROOT).with_suffix("").parts
    return ".".join(("boardpapers", *parts)).removesuffix(".__init__")


def _imports(p: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, names imported from it, line) for every import in ``p``."""
    tree = ast.parse(p.read_text(encoding="utf-8"))
    package = _module_name(p).rsplit(".", 1)[0] if p.name != "__init__.py" else _module_name(p)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, mod] if mod else base)
            out.append((mod, [a.name for a in node.names], node.lineno))
    return out


def test_the_library_files_are_the_ones_checked():
    names = {_rel(p) for p in LIBRARY}
    assert {"cli.py", "app.py", "ingest/structure.py", "index/search.py", "index/backend.py"} <= names


def test_ingest_imports_nothing_from_index_or_the_front_ends():
    bad = [
        f"{_rel(p)}:{line} imports {mod}"
        for p in ROOT.glob("ingest/*.py")
        for mod, _, line in _imports(p)
        if re.match(r"(boardpapers\.)?(index|ui|commands|cli|app)\b", mod)
    ]
    assert not bad, "\n".join(bad)


def test_index_does_not_import_the_front_ends():
    bad = [
        f"{_rel(p)}:{line} imports {mod}"
        for p in ROOT.glob("index/*.py")
        for mod, _, line in _imports(p)
        if re.match(r"(boardpapers\.)?(ui|commands|cli|app)\b", mod)
    ]
    assert not bad, "\n".join(bad)


def test_no_module_imports_a_private_name_from_another():
    bad = []
    for p in [*LIBRARY, *ROOT.glob("tests/*.py"), *ROOT.glob("bench/*.py"), *ROOT.glob("scripts/*.py")]:
        for mod, names, line in _imports(p):
            if mod.startswith("boardpapers") or mod.split(".")[0] in ("ingest", "index"):
                bad += [f"{_rel(p)}:{line} imports {mod}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert not bad, "\n".join(bad)


FRONT_ENDS = [ROOT / "cli.py", ROOT / "app.py", *ROOT.glob("commands/*.py"), *ROOT.glob("ui/*.py")]
# what a backend branch looks like: naming the PostgreSQL modules or classes, or testing which kind of location it is
BACKEND_BRANCH = re.compile(
    r"\b(pgstore|pgindex|pgwriter|pgtransfer|PgStore|PgIndex|ingest_pg|is_pg_url|STORE_URL)\b"
    r"|\bif\s+(not\s+)?a\.store\b|\.kind\s*[=!]="
)


def test_front_ends_never_branch_on_the_backend():
    bad = [
        f"{_rel(p)}:{i}: {line.strip()}"
        for p in FRONT_ENDS
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if BACKEND_BRANCH.search(line)
    ]
    assert not bad, "\n".join(bad)


def test_files_and_functions_are_short_or_say_why():
    bad = []
    for p in LIBRARY:
        src = p.read_text(encoding="utf-8")
        lines = src.splitlines()
        if len(lines) > MAX_FILE_LINES:
            bad.append(f"{_rel(p)}: {len(lines)} lines (> {MAX_FILE_LINES})")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                body = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                if n > MAX_FUNCTION_LINES and WHY_LONG not in body:
                    bad.append(f"{_rel(p)}:{node.lineno} {node.name}: {n} lines (> {MAX_FUNCTION_LINES}) with no '{WHY_LONG}' comment")
    assert not bad, "\n".join(bad)


@pytest.mark.slow
def test_a_built_wheel_installs_only_the_boardpapers_package(tmp_path):
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            (src / f).write_bytes((ROOT / f).read_bytes())
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("boardpapers-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"boardpapers", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}, top
    assert "boardpapers/index/judge_model.json" in names and "boardpapers/cli.py" in names and "boardpapers/app.py" in names
    assert not [n for n in names if n.startswith(("boardpapers/tests/", "boardpapers/bench/", "boardpapers/scripts/"))]
    entry = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/entry_points.txt").decode()
    assert "boardpapers = boardpapers.cli:main" in entry


def test_importing_the_command_line_loads_no_search_stack():
    """`boardpapers --help` / argument errors stay instant: the commands' modules load only when they run."""
    code = (
        "import sys, boardpapers.cli\n"
        "loaded = [m for m in ('numpy', 'torch', 'boardpapers.index.search', 'boardpapers.ingest.structure') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert r.returncode == 0, r.stderr[-1500:]
