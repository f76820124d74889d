"""The framework's limit: one Starlette JSON endpoint under the server stack `sessiond serve` uses
by default (uvicorn on uvloop, h11, no access log: the same options), with nothing behind it.

    .venv/bin/python bench/bare_app.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def status(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def main() -> None:
    app = Starlette(routes=[Route("/", status)])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        loop="auto",
        http="h11",
        proxy_headers=False,
        server_header=False,
        access_log=False,
    )


if __name__ == "__main__":
    main()
