"""Recording the SQL a list issues, and reading PostgreSQL's JSON plans of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event

from sessiond.services.container import Services

Case = tuple[str, Callable[[], Awaitable[Any]]]


def seq_scans_on_sessions(plan: Any) -> bool:
    if isinstance(plan, list):
        return any(seq_scans_on_sessions(item) for item in plan)
    if not isinstance(plan, dict):
        return False
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") == "sessions":
        return True
    return any(seq_scans_on_sessions(value) for value in plan.values())


def index_names(plan: Any) -> set[str]:
    if isinstance(plan, list):
        return set().union(*(index_names(item) for item in plan))
    if not isinstance(plan, dict):
        return set()
    own = {plan["Index Name"]} if "Index Name" in plan else set()
    return own.union(*(index_names(value) for value in plan.values()))


def scans_of_sessions(plan: Any) -> set[tuple[str, str | None]]:
    """(node type, index) of every node that reads `sessions`, its heap or one of its indexes."""
    if isinstance(plan, list):
        return set().union(*(scans_of_sessions(item) for item in plan))
    if not isinstance(plan, dict):
        return set()
    own = set()
    if plan.get("Relation Name") == "sessions" or plan.get("Index Name", "").startswith(
        "ix_sessions_"
    ):
        own.add((plan["Node Type"], plan.get("Index Name")))
    return own.union(*(scans_of_sessions(value) for value in plan.values()))


async def recorded_queries(services: Services, cases: list[Case]) -> list[tuple[str, str, Any]]:
    recorded: list[tuple[str, str, Any]] = []
    current = [""]

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "sessions" in statement:
            recorded.append((current[0], statement, params))

    engine = services.deps.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for name, run in cases:
            current[0] = name
            await run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return recorded
