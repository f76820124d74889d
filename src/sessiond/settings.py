"""Settings, read once in the composition root: `SESSIOND_*` variables over a TOML file."""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sessiond.domain.errors import InvalidInput
from sessiond.infra.client_ip import DEFAULT_TRUSTED_PROXIES, TrustedProxies

PREFIX = "SESSIOND_"
LOG_FORMATS = ("text", "json")
CONFIG_ENV = "SESSIOND_CONFIG"


@dataclass(frozen=True, slots=True)
class Settings:
    # URLs may carry passwords and the platform key is a secret: none of them is in the repr.
    database_url: str = field(default="sqlite:///sessiond.db", repr=False)
    redis_url: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    trusted_proxies: str = DEFAULT_TRUSTED_PROXIES
    platform_key: str | None = field(default=None, repr=False)
    kratos_tenant: str = "default"
    rocketchat_tenant: str = "default"
    db_pool_size: int = 10
    token_cache_size: int = 100_000
    password_time_cost: int = 2
    password_memory_cost: int = 19456
    # Seconds a client has to send a request's head, and then its body, before it is cut off.
    http_head_timeout: int = 10
    http_body_timeout: int = 30
    log_format: str = "text"  # or "json": one object per line, with the request id
    metrics_enabled: bool = True  # serves GET /metrics
    # When set, /metrics asks for `Authorization: Bearer <metrics_token>`.
    metrics_token: str | None = field(default=None, repr=False)
    # Webhooks (docs/events.md): whether this node delivers them, and how. Times in seconds.
    webhooks_deliver: bool = True
    webhook_timeout: float = 10.0
    webhook_concurrency: int = 8
    webhook_first_retry: float = 5.0
    webhook_retry_for: float = 3 * 24 * 3600.0
    # A delivery a node took is tried again this long after, if that node died sending it.
    webhook_lease: float = 60.0
    webhook_poll: float = 1.0

    @classmethod
    def load(cls, env: Mapping[str, str], config_file: Path | None = None) -> Settings:
        values: dict[str, Any] = {}
        if config_file is not None:
            values.update(_read_toml(config_file))
        known = {f.name: f for f in fields(cls)}
        for name in known:
            raw = env.get(PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        unknown = set(values) - set(known)
        if unknown:
            raise InvalidInput(f"unknown settings: {', '.join(sorted(unknown))}")
        for name in (
            "db_pool_size",
            "password_time_cost",
            "password_memory_cost",
            "http_head_timeout",
            "http_body_timeout",
            "webhook_concurrency",
        ):
            if name in values:
                values[name] = _int_at_least(name, values[name], 1)
        if "token_cache_size" in values:
            values["token_cache_size"] = _int_at_least(
                "token_cache_size", values["token_cache_size"], 0
            )
        for name in ("metrics_enabled", "webhooks_deliver"):
            if name in values:
                values[name] = _flag(name, values[name])
        for name in _SECONDS:
            if name in values:
                values[name] = _seconds(name, values[name])
        loaded = cls(**values)
        loaded.proxies()
        if loaded.log_format not in LOG_FORMATS:
            raise InvalidInput(f"log_format must be {' or '.join(LOG_FORMATS)}", field="log_format")
        return loaded

    def proxies(self) -> TrustedProxies:
        """The parsed `trusted_proxies`; `InvalidInput` names the bad CIDR."""
        return TrustedProxies.parse(self.trusted_proxies)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"cannot read the config file {path}: {exc}") from exc


_SECONDS = (
    "webhook_timeout",
    "webhook_first_retry",
    "webhook_retry_for",
    "webhook_lease",
    "webhook_poll",
)


def _seconds(name: str, value: object) -> float:
    try:
        number = float(str(value))
    except ValueError as exc:
        raise InvalidInput(f"setting {name} must be a number of seconds") from exc
    if not 0 < number < math.inf:
        raise InvalidInput(f"setting {name} must be more than 0 and finite")
    return number


def _int_at_least(name: str, value: object, least: int) -> int:
    try:
        number = int(str(value))
    except ValueError as exc:
        raise InvalidInput(f"setting {name} must be a whole number") from exc
    if number < least:
        raise InvalidInput(f"setting {name} must be at least {least}")
    return number


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise InvalidInput(f"setting {name} must be true or false")
    return text in _TRUE


def settings_from_environment() -> Settings:
    """The settings `sessiond serve` read, as its workers find them: `SESSIOND_*` variables over
    the file `SESSIOND_CONFIG` names."""
    config = os.environ.get(CONFIG_ENV)
    return Settings.load(os.environ, Path(config) if config else None)
