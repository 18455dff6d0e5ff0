"""The import graph of ``src/escalator`` respects the layers and has no cycles.

Layers, lowest first; a module may import its own layer and the ones below, never above:

    errors, task, registry,         plain data, and the project's files
    workspace, languages,           confinement, redaction, reaping (no escalator imports)
    confine, redact, reaper
    config, live_config             the configuration (builds the registry)
    pricing, guard, plan            prices and strength, budgets and approval, the plan
    providers, store, sandbox       model endpoints, the task log, the sandbox
    work, validate, classify,       the pure steps of one task; the learned policy the
    apply, learn                    engine consults (it reads the task log, not the engine)
    engine, review                  the escalation loop; the review queue
    analytics, scored, experiments, what the task log says (a bench's scores too), A/B arms;
    bench,                          benchmarks;
    batch                           many tasks from one file
    cli, mcpserver, escalator       the user interfaces and the public API

Every import counts: at module level, inside functions, and under ``TYPE_CHECKING``.
CLI commands do not import each other: a module that defines a click command is imported
only by ``cli.main``; what commands share lives in helper modules (``cli.common``, ...).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "escalator"

LAYERS: list[set[str]] = [
    {"errors", "task", "registry", "languages", "workspace", "confine", "redact", "reaper"},
    {"config", "config_template", "live_config"},
    {"pricing", "guard", "plan"},
    {"providers", "store", "sandbox"},
    {"work", "validate", "classify", "apply", "learn"},
    {"engine", "review"},
    {"analytics", "scored", "experiments", "bench", "batch"},
    {"cli", "mcpserver", "__init__", "__main__"},
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported escalator module, line) for every import in the module's source."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield (sub if sub in MODULES else base), node.lineno


def _edges() -> dict[str, list[tuple[str, int]]]:
    return {
        name: sorted({(t, line) for t, line in _imports(name, path) if t in MODULES})
        for name, path in MODULES.items()
    }


def _layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    for index, layer in enumerate(LAYERS):
        if top in layer:
            return index
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS in {__file__}")


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = [
        f"{MODULES[source].relative_to(SRC)}:{line}: {source} (layer {_layer(source)}) "
        f"imports {target} (layer {_layer(target)})"
        for source, targets in _edges().items()
        for target, line in targets
        if _layer(target) > _layer(source)
    ]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def _defines_a_command(path: Path) -> bool:
    """Whether the module defines a click command or group (``@click.command(...)``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
                    return True
    return False


def test_cli_commands_do_not_import_each_other() -> None:
    commands = {
        m for m in MODULES if m.startswith("escalator.cli.") and _defines_a_command(MODULES[m])
    }
    crossing = [
        f"{MODULES[source].relative_to(SRC)}:{line}: {source} imports the command module {target}"
        for source, targets in _edges().items()
        if source.startswith("escalator.cli.") and source != "escalator.cli.main"
        for target, line in targets
        if target in commands and target != source
    ]
    assert not crossing, "CLI commands importing each other:\n" + "\n".join(crossing)


def test_the_import_graph_has_no_cycle() -> None:
    edges = {source: sorted({t for t, _ in targets}) for source, targets in _edges().items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in edges[module]:
            if target == module:
                continue
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (cycle := visit(module)) is not None:
            raise AssertionError("import cycle: " + " -> ".join(cycle))
