"""Schemathesis over an OpenAPI document, sent to the real ASGI app in process.

Each operation gets its own Hypothesis run of `SESSIOND_FUZZ_EXAMPLES` cases, valid and invalid
(a few by default, and then always the same few; random ones when the variable is set). No answer
may be a 5xx, and every answer must match the document: its status, content type and body. The
cases are generated in a worker thread, while the test's event loop, which owns the app and its
services, stays free to serve them: each request is handed to that loop and awaited there.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_ENV = "SESSIOND_FUZZ_EXAMPLES"
DEFAULT_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BASE_URL = "http://sessiond.test"

# The headers an operation is sent with: a door's key or a fresh session's token.
Credentials = Callable[[APIOperation], Awaitable[dict[str, str]]]
# Values some parameters of an operation take in a share of the valid cases (ids of what exists),
# by name, so that those cases get past "not found" to the code behind it.
Known = Callable[[APIOperation], Awaitable[dict[str, str]]]


async def nothing_known(operation: APIOperation) -> dict[str, str]:
    return {}


def examples() -> int:
    return int(os.environ.get(EXAMPLES_ENV) or DEFAULT_EXAMPLES)


def _settings() -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples(),
        # A bounded run is the same run every time; a longer one explores.
        derandomize=not os.environ.get(EXAMPLES_ENV),
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


async def fuzz(
    http: httpx.AsyncClient,
    document: dict[str, Any],
    *,
    credentials: Credentials,
    known: Known = nothing_known,
    base_url: str = BASE_URL,
) -> None:
    """Runs every operation of `document` against the app behind `http`; fails naming each
    operation that failed, with Schemathesis's report of the smallest case it found."""
    schema = schemathesis.openapi.from_dict(document)
    loop = asyncio.get_running_loop()

    def send(request: requests.PreparedRequest) -> httpx.Response:
        method, url = str(request.method), str(request.url)
        outgoing = httpx.Request(method, url, headers=dict(request.headers), content=request.body)
        return asyncio.run_coroutine_threadsafe(http.send(outgoing), loop).result(timeout=60)

    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = await credentials(operation)
        cases = _cases(operation, await known(operation))
        failure = await asyncio.to_thread(_explore, operation, cases, headers, base_url, send)
        if failure is not None:
            failures.append(failure)
    assert not failures, "\n\n".join(failures)


def _cases(operation: APIOperation, known: dict[str, str]) -> st.SearchStrategy[Case]:
    strategies = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    fixed: dict[str, dict[str, str]] = {"path": {}, "query": {}}
    for parameter in operation.iter_parameters():
        if parameter.name in known and parameter.location in fixed:
            fixed[parameter.location][parameter.name] = known[parameter.name]
    if any(fixed.values()):
        strategies.append(
            operation.as_strategy(
                generation_mode=GenerationMode.POSITIVE,
                path_parameters=fixed["path"] or None,
                query=fixed["query"] or None,
            )
        )
    return st.one_of(strategies)


def _explore(
    operation: APIOperation,
    cases: st.SearchStrategy[Case],
    headers: dict[str, str],
    base_url: str,
    send: Callable[[requests.PreparedRequest], httpx.Response],
) -> str | None:

    @_settings()
    @hypothesis.given(cases)
    def explore(case: Case) -> None:
        sent = case.as_transport_kwargs(base_url=base_url, headers=headers)
        request = requests.Request(
            method=sent["method"],
            url=sent["url"],
            headers=sent.get("headers"),
            params=sent.get("params"),
            cookies=sent.get("cookies"),
            data=sent.get("data"),
            json=sent.get("json"),
            files=sent.get("files"),
        ).prepare()
        case.validate_response(send(request), checks=CHECKS, headers=headers)

    try:
        explore()
    except (Exception, BaseExceptionGroup) as exc:  # Schemathesis's FailureGroup is the latter
        return f"{operation.label}: {exc}"
    return None
