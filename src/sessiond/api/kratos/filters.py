"""Query parameters Kratos parses its own way."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from sessiond.api.kratos.errors import KratosError
from sessiond.api.openapi import BOOLEAN, Schema, array, strings
from sessiond.domain.listing import SessionState

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
EXPANDABLE = frozenset({"identity", "devices"})
ACTIVE_QUERY: dict[str, Schema] = {"active": BOOLEAN}
EXPAND_QUERY: dict[str, Schema] = {"expand": array(strings(*sorted(EXPANDABLE)))}


def active_state(query: QueryParams) -> SessionState:
    """`active` read like Go's strconv.ParseBool; absent or empty means every session."""
    raw = query.get("active", "")
    if raw == "":
        return SessionState.ALL
    if raw in _TRUE:
        return SessionState.LIVE
    if raw in _FALSE:
        return SessionState.ENDED
    raise KratosError(400, message="could not parse parameter active")


def expanded(query: QueryParams) -> frozenset[str]:
    wanted = frozenset(query.getlist("expand"))
    unknown = wanted - EXPANDABLE
    if unknown:
        raise KratosError(
            400, reason=f"expand accepts identity and devices, not {sorted(unknown)[0][:32]!r}"
        )
    return wanted
