from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson. Dataclasses are refused, not dumped field by field: domain objects
    carry secrets (password hashes, client secrets), so every door renders its own wire shape."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_PASSTHROUGH_DATACLASS)
