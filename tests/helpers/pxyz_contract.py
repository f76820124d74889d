"""The pxyz contract: pxyz-swagger.json's response schemas (OpenAPI 3.0, turned into JSON Schema)
and seed 000's field list, as checks over real responses.

Deviations, each decided and documented in docs/pxyz.md:
- the error body also carries `"status": "error"` (the issue and the compat page say so);
- a session's embedded `signInAttempt.oauthProvider` carries seed 000's `authenticatable`,
  `autoConnectAccounts` and `config` (the seed wins over the document where they differ);
- `rotate-secret-key` also answers the new `secretKey`, or rotating would lock the tenant out.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

SPEC = Path(__file__).resolve().parents[1] / "api" / "pxyz" / "spec"
# The operations this door implements, extracted unchanged from compat/pxyz-swagger.json.
SWAGGER_PATH = SPEC / "pxyz-swagger.json"
SEED_PATH = SPEC / "seed_000.txt"
RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.IGNORECASE
)
PXYZ_ID = re.compile(r"^c[^\s-]{8,}$")

_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time")
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # a format constrains strings only
    if not RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00")))
    return True


@_FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+", value) is not None


def _load_swagger() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SWAGGER_PATH.read_text())
    return data


SWAGGER = _load_swagger()
OPERATIONS = {
    op["operationId"]: (method.upper(), path, op)
    for path, methods in SWAGGER["paths"].items()
    for method, op in methods.items()
}


def json_schema(openapi: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema's `null` type; everything else as it is."""
    if isinstance(openapi, list):
        return [json_schema(item) for item in openapi]
    if not isinstance(openapi, dict):
        return openapi
    schema = {k: json_schema(v) for k, v in openapi.items() if k != "nullable"}
    if openapi.get("nullable"):
        if "type" in schema:
            schema["type"] = [schema["type"], "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        if "anyOf" in schema:
            schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
    return schema


def _error_schema() -> dict[str, Any]:
    error = SWAGGER["components"]["responses"]["error"]["content"]["application/json"]
    schema = copy.deepcopy(error["schema"])
    schema["properties"]["status"] = {"type": "string", "enum": ["error"]}
    schema["required"] = [*schema["required"], "status"]
    return schema


def _session_item(schema: dict[str, Any]) -> dict[str, Any]:
    """The session in a session operation's answer: the answer itself, or its list's item."""
    properties = schema.get("properties", {})
    item: dict[str, Any] = properties["data"]["items"] if "data" in properties else schema
    return item


def _with_seed_provider(session: dict[str, Any]) -> None:
    provider = session["properties"]["signInAttempt"]["properties"]["oauthProvider"]
    provider["properties"].update(
        authenticatable={"type": "boolean"}, autoConnectAccounts={"type": "boolean"}, config={}
    )


def response_schema(operation_id: str, status: int) -> Any:
    _, _, op = OPERATIONS[operation_id]
    if status >= 400:
        return json_schema(_error_schema())
    content = op["responses"][str(status)]["content"]["application/json"]
    schema = copy.deepcopy(content["schema"])
    if operation_id in SESSION_OPERATIONS:
        _with_seed_provider(_session_item(schema))
    if operation_id == "tenants-rotateSecretKey":
        schema["properties"]["secretKey"] = {"type": "string"}
    return json_schema(schema)


SESSION_OPERATIONS = {
    "auth-sessions-list",
    "auth-sessions-listByUserId",
    "auth-sessions-get",
}


def check(operation_id: str, status: int, body: Any) -> None:
    """Raises unless `body` is a valid `status` answer of the operation."""
    validator = jsonschema.Draft7Validator(
        response_schema(operation_id, status), format_checker=_FORMATS
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{operation_id} {status}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


def session_schema() -> Any:
    """The session item of the seed's operation, for shapes the document does not cover."""
    schema = copy.deepcopy(
        OPERATIONS["auth-sessions-get"][2]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    )
    _with_seed_provider(schema)
    return schema


def check_session(item: Any, *, extra: tuple[str, ...] = ()) -> None:
    schema = session_schema()
    for name in extra:
        schema["properties"][name] = {}
    validator = jsonschema.Draft7Validator(json_schema(schema), format_checker=_FORMATS)
    errors = list(validator.iter_errors(item))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def _seed_example() -> dict[str, Any]:
    text = SEED_PATH.read_text()
    start = text.index("{\n")
    end = text.index("\n}\n", start) + 2
    example: dict[str, Any] = json.loads(text[start:end])
    return example


SEED = _seed_example()


def check_seed_shape(body: Any) -> None:
    """Seed 000's fields, in its order, with its types (`<string>` may be null: the document
    makes those nullable; `<any>` is anything)."""
    assert list(body) == list(SEED)
    assert list(body["meta"]) == list(SEED["meta"])
    for item in body["data"]:
        _same_shape(SEED["data"][0], item, "data[]")


def _same_shape(seed: Any, ours: Any, where: str) -> None:
    if seed == "<any>":
        return
    if isinstance(seed, dict):
        if ours is None:
            return
        assert isinstance(ours, dict), where
        assert list(ours) == list(seed), (where, list(ours))
        for key, value in seed.items():
            _same_shape(value, ours[key], f"{where}.{key}")
    elif isinstance(seed, bool):
        assert isinstance(ours, bool), where
    elif seed == "<string>":
        assert ours is None or isinstance(ours, str), where
    elif isinstance(seed, str) and RFC3339.fullmatch(seed):
        assert isinstance(ours, str), where
        assert RFC3339.fullmatch(ours), where
    elif isinstance(seed, str):
        assert ours is None or isinstance(ours, str), where
    elif isinstance(seed, int):
        assert isinstance(ours, int), where
        assert not isinstance(ours, bool), where


def contract_document() -> dict[str, Any]:
    """pxyz-swagger.json with the deviations above written into it, for tools that read a whole
    OpenAPI document (Schemathesis)."""
    document = copy.deepcopy(SWAGGER)
    error = document["components"]["responses"]["error"]["content"]["application/json"]
    error["schema"] = _error_schema()
    for operation_id in SESSION_OPERATIONS:
        _with_seed_provider(_session_item(_ok_schema(document, operation_id)))
    _ok_schema(document, "tenants-rotateSecretKey")["properties"]["secretKey"] = {"type": "string"}
    return document


def _ok_schema(document: dict[str, Any], operation_id: str) -> Any:
    method, path, _ = OPERATIONS[operation_id]
    ok = document["paths"][path][method.lower()]["responses"]["200"]
    return ok["content"]["application/json"]["schema"]
