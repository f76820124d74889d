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
