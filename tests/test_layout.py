"""The house rules that keep the code changeable: packages import downward only (no cycle),
the retrieval core imports nothing above it, and no private name crosses a package."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("ragqa", "index", "service", "eval")  # installed as ragqa, ragqa.index...


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts if parts[0] == "ragqa" else ["ragqa", *parts])


def _unit(module: str) -> str:
    """The layer a module belongs to: ``ragqa.index``, ``ragqa.service``, ``ragqa.eval``, or
    one module of the top (``ragqa.cli``, ``ragqa.wiring``...)."""
    return ".".join(module.split(".")[:2])


def _imports() -> list[tuple[str, str, str]]:
    """``(importing module, imported module, imported name or "")`` for every import of our
    own code, at any depth (imports inside functions count too)."""
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            module = _module(path)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found += [(module, a.name, "") for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = node.module or ""
                    if node.level:
                        anchor = module.split(".")
                        if path.name != "__init__.py":
                            anchor = anchor[:-1]
                        anchor = anchor[: len(anchor) - node.level + 1]
                        base = ".".join([*anchor, base] if base else anchor)
                    found += [(module, base, a.name) for a in node.names]
    return [(m, t, n) for m, t, n in found if t.split(".")[0] == "ragqa"]


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, target, name in _imports():
        # `from ragqa import wiring` imports the module ragqa.wiring.
        dest = _unit(f"{target}.{name}" if target == "ragqa" else target)
        if _unit(module) != dest:
            graph.setdefault(_unit(module), set()).add(dest)
    return graph


def test_the_package_graph_has_no_cycle():
    graph = _edges()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join(
                path[path.index(nxt):] + [nxt])
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert graph  # the walk found our imports at all


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` (as a path that returns to its start), or [] if none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_no_module_of_the_retrieval_core_imports_itself_back():
    """Module by module, lazy imports (inside functions) included: no cycle in index/."""
    graph: dict[str, set[str]] = {}
    for module, target, name in _imports():
        if not module.startswith("ragqa.index"):
            continue
        # `from ragqa.index.pg import store` imports the module ragqa.index.pg.store.
        full = f"{target}.{name}"
        dest = full if (ROOT / (full.replace("ragqa.", "", 1).replace(".", "/") + ".py")
                        ).is_file() else target
        if dest != module:
            graph.setdefault(module, set()).add(dest)
    assert len(graph) > 20  # the walk found our modules at all
    assert _cycle(graph) == [], "import cycle: " + " -> ".join(_cycle(graph))


def test_the_retrieval_core_imports_nothing_above_it():
    above = [(m, t) for m, t, _ in _imports()
             if _unit(m) == "ragqa.index" and _unit(t) != "ragqa.index"]
    assert above == []


def test_the_cli_is_the_top():
    graph = _edges()
    assert {"ragqa.service", "ragqa.eval"} <= graph["ragqa.cli"]
    users = [source for source, targets in graph.items() if "ragqa.cli" in targets]
    assert users == ["ragqa.__main__"]  # `python -m ragqa`


def test_no_private_name_crosses_a_package():
    crossing = [(m, f"{t}.{n}") for m, t, n in _imports()
                if n.startswith("_") and not n.startswith("__") and _unit(m) != _unit(t)]
    assert crossing == []


def test_the_files_store_needs_no_postgres_package():
    """The quick start (files store) imports nothing of the optional `postgres` extra."""
    import subprocess
    import sys

    code = ("import sys; sys.modules.update(dict.fromkeys(('psycopg', 'psycopg_pool', "
            "'pgvector'))); import ragqa.cli, ragqa.service.app, ragqa.wiring, "
            "ragqa.index.search.retriever, ragqa.index.files.builder; "
            "from ragqa.service.app import create_app; from ragqa.settings import Settings; "
            "create_app(Settings(_env_file=None)); print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
