from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson: UTC datetimes, UUIDs and dataclasses without a detour."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
