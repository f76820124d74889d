"""Log lines as an operator reads them: uvicorn's text lines by default, one JSON object per line
with `SESSIOND_LOG_FORMAT=json`. A line written while a request is served names the request's id
(the one its answer carries in `X-Request-Id`). Nothing here adds a request's headers or body to
a line, so no token, password, code or key reaches the log."""

from __future__ import annotations

import copy
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from uvicorn.config import LOGGING_CONFIG

REQUEST_ID: ContextVar[str | None] = ContextVar("sessiond_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Gives each record the id of the request being served when it was written (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, "exception"?}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = getattr(record, "request_id", None)
        if request is not None:
            line["request_id"] = request
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's `log_config` for `log_format`; sessiond's own loggers write beside uvicorn's."""
    if log_format == "text":
        config = copy.deepcopy(LOGGING_CONFIG)
        config["loggers"]["sessiond"] = {
            "handlers": ["default"],
            "level": "INFO",
            "propagate": False,
        }
        return config
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    quiet = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": quiet,
            "sessiond": quiet,
        },
    }
