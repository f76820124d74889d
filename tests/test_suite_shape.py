"""The shape of the test suite itself: test modules share code only through `tests/helpers/` and
conftest fixtures, never by importing one another (nor a conftest), and are named for the
behaviour they check rather than for how a problem was found."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHARED = "tests.helpers"
NOT_A_BEHAVIOUR = ("hardening", "review", "regression", "misc", "findings", "fixes")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)


def _imported(source: str, module: str) -> set[str]:
    """Every module that `module` (with this source) imports, relative imports resolved; `from pkg
    import name` counts as an import of `pkg.name` too, since the name may be a module."""
    package = module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def _shared(name: str) -> bool:
    return name == SHARED or name.startswith(SHARED + ".")


def test_test_modules_import_only_the_shared_helpers() -> None:
    modules = {_module_name(path): path for path in sorted(TESTS.rglob("*.py"))}
    assert len(modules) > 50
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for module, path in modules.items()
        for name in sorted(_imported(path.read_text(encoding="utf-8"), module))
        if (name in modules or name == "tests") and not _shared(name)
    ]
    assert offenders == []


def test_the_rule_resolves_every_form_of_import() -> None:
    source = (
        "import tests.api.test_cross_door\n"
        "from tests.services.test_auth import add_user\n"
        "from . import test_flows\n"
        "from .test_races import anything\n"
        "from ..conftest import START\n"
        "from tests.helpers.users import add_user as shared\n"
    )
    names = _imported(source, "tests.services.test_probe")
    assert {
        "tests.api.test_cross_door",
        "tests.services.test_auth",
        "tests.services.test_flows",
        "tests.services.test_races",
        "tests.conftest",
        "tests.helpers.users",
    } <= names
    assert not _shared("tests.services.test_auth")
    assert _shared("tests.helpers.users")


def test_test_modules_are_named_for_a_behaviour() -> None:
    misnamed = [
        str(path.relative_to(TESTS.parent))
        for path in TESTS.rglob("test_*.py")
        if any(word in path.stem for word in NOT_A_BEHAVIOUR)
    ]
    assert misnamed == []
