"""The Kratos contract: the answers the official `ory-kratos-client` SDK's models describe, written
into the Kratos door's own OpenAPI document (which says what may be sent and what the door's
errors look like, but not what its answers hold)."""

from __future__ import annotations

import copy
from typing import Any

import ory_kratos_client as ory
from pydantic import BaseModel

# (method, path, status) of each answer the SDK parses, and the model it parses it with; a list
# stands for a JSON array of that model.
ANSWERS: dict[tuple[str, str, str], type[BaseModel] | list[type[BaseModel]]] = {
    ("get", "/sessions/whoami", "200"): ory.Session,
    ("get", "/sessions", "200"): [ory.Session],
    ("delete", "/sessions", "200"): ory.DeleteMySessionsCount,
    ("get", "/admin/sessions", "200"): [ory.Session],
    ("get", "/admin/sessions/{session_id}", "200"): ory.Session,
    ("patch", "/admin/sessions/{session_id}/extend", "200"): ory.Session,
    ("get", "/admin/identities/{identity_id}/sessions", "200"): [ory.Session],
    ("post", "/admin/identities", "201"): ory.Identity,
    ("get", "/admin/identities", "200"): [ory.Identity],
    ("get", "/admin/identities/{identity_id}", "200"): ory.Identity,
    ("patch", "/admin/identities/{identity_id}", "200"): ory.Identity,
    ("get", "/self-service/login/api", "200"): ory.LoginFlow,
    ("get", "/self-service/login/flows", "200"): ory.LoginFlow,
    ("post", "/self-service/login", "200"): ory.SuccessfulNativeLogin,
    ("get", "/self-service/registration/api", "200"): ory.RegistrationFlow,
    ("get", "/self-service/registration/flows", "200"): ory.RegistrationFlow,
    ("post", "/self-service/registration", "200"): ory.SuccessfulNativeRegistration,
    ("get", "/schemas", "200"): [ory.IdentitySchemaContainer],
}
REF = "#/components/schemas/{model}"


def with_sdk_answers(served: dict[str, Any]) -> dict[str, Any]:
    """A copy of the door's document whose successful answers are the SDK's models."""
    document = copy.deepcopy(served)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for (method, path, status), model in ANSWERS.items():
        answer = document["paths"][path][method]["responses"][status]
        schema = _schema(model[0] if isinstance(model, list) else model, components)
        if isinstance(model, list):
            schema = {"type": "array", "items": schema}
        answer["content"] = {"application/json": {"schema": schema}}
    return document


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, ref_template=REF)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}
