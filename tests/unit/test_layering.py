"""The package layout is the architecture: these tests fail on an import that breaks it.

Every ``import`` statement of ``regen/`` is read with ``ast`` (function-level ones too, so a
lazy import cannot hide a cycle); imports under ``if TYPE_CHECKING:`` are types only and are
skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "regen"
CONTRACT_FOLDERS = ("generators", "representations", "renderers", "modules", "losses")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path) -> set[str]:
    """The regen modules a file imports (``from a.b import c`` counts a.b, and a.b.c when
    that is a module)."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("regen"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("regen"):
            found.add(node.module)
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if candidate in MODULES:
                    found.add(candidate)
    return found


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}
GRAPH = {name: imports_of(path) & set(MODULES) for name, path in MODULES.items()}


def test_no_stage_imports_another_contract() -> None:
    """Stages meet only at the Y' spec: generators import neither renderers nor
    representations, representations no renderers; shared code lives in modules/ or losses/."""
    forbidden = {
        "regen.generators": ("regen.renderers", "regen.representations"),
        "regen.representations": ("regen.renderers",),
    }
    edges = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for folder, banned in forbidden.items()
        if name.startswith(folder + ".")
        for target in targets
        if target.startswith(banned)
    ]
    assert not edges, "imports across contracts:\n" + "\n".join(sorted(edges))


def test_reusable_code_imports_no_task() -> None:
    """Models by contract (and modules, losses) run without any task package."""
    edges = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if name.startswith(tuple(f"regen.{f}." for f in CONTRACT_FOLDERS))
        for target in targets
        if target.startswith("regen.tasks.")
    ]
    assert not edges, "reusable code importing a task:\n" + "\n".join(sorted(edges))


@pytest.mark.parametrize("task", ["tts", "asr", "melody", "video"])
def test_tasks_do_not_import_each_other(task: str) -> None:
    edges = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if name.startswith(f"regen.tasks.{task}")
        for target in targets
        if target.startswith("regen.tasks.") and not target.startswith(f"regen.tasks.{task}")
    ]
    # the TTS report measures intelligibility with the recognizer a user trained
    allowed = {"regen.tasks.tts.evaluate -> regen.tasks.asr.recognize"}
    assert set(edges) <= allowed, "\n".join(sorted(set(edges) - allowed))


def test_no_import_cycles() -> None:
    """Including function-level imports, so none exists only to break a cycle."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
    # a package imports its own submodules through its __init__; that is not a cycle
    cycles = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c)]
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_walk_sees_the_package() -> None:
    """Guards the tests above against passing because they read nothing."""
    assert "regen.pipeline" in GRAPH["regen.runs"]
    assert len(MODULES) > 80
