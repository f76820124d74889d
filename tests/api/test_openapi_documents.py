"""Each door serves its OpenAPI document, and the document names the query parameters and the
body of the endpoints that read their own request."""

from __future__ import annotations

from typing import Any

import httpx

from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client


async def _document(http: httpx.AsyncClient, path: str) -> dict[str, Any]:
    answer = await http.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    document: dict[str, Any] = answer.json()
    return document


def _query(operation: dict[str, Any]) -> dict[str, bool]:
    return {p["name"]: p["required"] for p in operation["parameters"] if p["in"] == "query"}


async def test_every_door_serves_its_openapi_document(
    settings: Settings, services: Services
) -> None:
    async with app_client(settings, services) as http:
        pxyz = await _document(http, "/api/v0/openapi.json")
        kratos = await _document(http, "/.well-known/ory/openapi.json")
        rocketchat = await _document(http, "/api/v1/openapi.json")

    assert "/api/v0/auth/sessions/{id}" in pxyz["paths"]
    assert {"/sessions/whoami", "/admin/sessions", "/self-service/login"} <= set(kratos["paths"])
    assert all(path.startswith(("/api/v1/", "/api/info")) for path in rocketchat["paths"])


async def test_documents_name_what_an_endpoint_reads_itself(
    settings: Settings, services: Services
) -> None:
    async with app_client(settings, services) as http:
        kratos = (await _document(http, "/.well-known/ory/openapi.json"))["paths"]
        rocketchat = (await _document(http, "/api/v1/openapi.json"))["paths"]

    assert _query(kratos["/admin/sessions"]["get"]) == {
        "page_size": False,
        "page_token": False,
        "active": False,
        "expand": False,
    }
    login = kratos["/self-service/login"]["post"]
    assert _query(login) == {"flow": True}
    body = login["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["method"]

    assert _query(rocketchat["/api/v1/sessions/info"]["get"]) == {"sessionId": True}
    logout = rocketchat["/api/v1/sessions/logout.me"]["post"]["requestBody"]
    schema = logout["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["sessionId"]


async def test_documents_give_errors_in_the_door_shape_and_no_422(
    settings: Settings, services: Services
) -> None:
    async with app_client(settings, services) as http:
        documents = {
            path: await _document(http, path)
            for path in (
                "/api/v0/openapi.json",
                "/.well-known/ory/openapi.json",
                "/api/v1/openapi.json",
            )
        }

    for path, document in documents.items():
        assert "HTTPValidationError" not in document.get("components", {}).get("schemas", {})
        for item in document["paths"].values():
            for operation in item.values():
                assert "422" not in operation["responses"], path
                assert "default" in operation["responses"], path
    pxyz = documents["/api/v0/openapi.json"]["paths"]["/api/v0/auth/sessions/{id}"]["get"]
    error = pxyz["responses"]["default"]["content"]["application/json"]["schema"]
    assert error["required"] == ["status", "message", "code"]
