"""JSON Patch (RFC 6902: add, replace, remove, test) over an identity document."""

from __future__ import annotations

import copy
from typing import Any

from sessiond.api.kratos.errors import KratosError

PATCHABLE = ("/state", "/traits", "/metadata_public", "/metadata_admin")


def _pointer(path: object) -> list[str]:
    if not isinstance(path, str) or not path.startswith(PATCHABLE):
        raise KratosError(400, reason=f"only {', '.join(PATCHABLE)} may be patched")
    parts = path[1:].split("/")
    return [part.replace("~1", "/").replace("~0", "~") for part in parts]


def _parent(doc: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    node: Any = doc
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            raise KratosError(400, reason=f"the path /{'/'.join(parts)} does not exist")
    if not isinstance(node, dict):
        raise KratosError(400, reason=f"the path /{'/'.join(parts)} does not exist")
    return node


def _apply(doc: dict[str, Any], operation: object) -> None:
    if not isinstance(operation, dict):
        raise KratosError(400, reason="a patch is a list of operation objects")
    op, parts = operation.get("op"), _pointer(operation.get("path"))
    parent, key = _parent(doc, parts), parts[-1]
    if op in ("add", "replace"):
        if "value" not in operation:
            raise KratosError(400, reason=f"{op} needs a value")
        if op == "replace" and key not in parent:
            raise KratosError(400, reason=f"the path /{'/'.join(parts)} does not exist")
        parent[key] = operation["value"]
    elif op == "remove":
        if parent.pop(key, KeyError) is KeyError:
            raise KratosError(400, reason=f"the path /{'/'.join(parts)} does not exist")
    elif op == "test":
        if parent.get(key) != operation.get("value"):
            raise KratosError(400, reason=f"test failed at /{'/'.join(parts)}")
    else:
        raise KratosError(400, reason="op must be add, replace, remove or test")


def apply_patch(document: dict[str, Any], operations: object) -> dict[str, Any]:
    if not isinstance(operations, list):
        raise KratosError(400, reason="a patch is a list of operation objects")
    patched = copy.deepcopy(document)
    for operation in operations:
        _apply(patched, operation)
    return patched
