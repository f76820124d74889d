"""The layering in DESIGN.md: imports point down only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "sessiond"
FOREIGN = ("sqlalchemy", "fastapi", "starlette", "redis", "alembic", "asyncpg", "aiosqlite")

FORBIDDEN = {
    "domain": (
        *FOREIGN,
        "ua_parser",
        "sessiond.store",
        "sessiond.services",
        "sessiond.infra",
        "sessiond.api",
    ),
    "infra": ("sessiond.store", "sessiond.services", "sessiond.api", "fastapi", "sqlalchemy"),
    "store": ("sessiond.services", "sessiond.api", "fastapi"),
    "services": ("sessiond.api", "fastapi", "starlette", "sqlalchemy"),
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_down(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules under {layer}/"
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in files
        for name in _imports(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer])
    ]
    assert offenders == []


# What the doors may use of the layers below services: the proxy rules that say who the client is,
# and the log context that names the request being served.
API_MAY_IMPORT = frozenset({"sessiond.infra.client_ip", "sessiond.infra.logs"})
API_FORBIDDEN = ("sessiond.store", "sessiond.infra", "sqlalchemy", "asyncpg", "aiosqlite", "redis")


@pytest.mark.parametrize("layer", ["api", "web"])
def test_doors_reach_storage_only_through_services(layer: str) -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in _imports(path)
        if name not in API_MAY_IMPORT
        and any(name == bad or name.startswith(bad + ".") for bad in API_FORBIDDEN)
    ]
    assert offenders == []


# Where services are built: the composition root, the app and the CLI (through `Services.build`).
WIRING = frozenset({"compose.py", "app.py", "cli.py", "services/container.py"})


def _service_classes() -> set[str]:
    """Classes of the services layer that take their dependencies (`deps`) when built."""
    names: set[str] = set()
    for path in (PACKAGE / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.FunctionDef)
                        and item.name == "__init__"
                        and any(arg.arg == "deps" for arg in item.args.kwonlyargs)
                    ):
                        names.add(node.name)
    return names


def test_only_the_wiring_builds_services() -> None:
    services = _service_classes()
    assert {"SignInPipeline", "TwoFactorService", "SessionService"} <= services
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        if where in WIRING:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                called = node.func
                name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
                if name in services:
                    offenders.append(f"{where} builds {name}")
    assert offenders == []
