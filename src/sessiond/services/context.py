"""What every service shares, and what a caller says about the client in front of it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sessiond.domain.device import UserAgentInfo
from sessiond.domain.tenant import Tenant
from sessiond.infra.client_ip import LOCATION_MAX_LENGTH
from sessiond.infra.clock import Clock
from sessiond.infra.metrics import Metrics
from sessiond.infra.pagetoken import PageTokenCodec
from sessiond.infra.passwords import PasswordHasher
from sessiond.infra.token_cache import TokenCache
from sessiond.infra.useragent import UserAgentParser
from sessiond.store.uow import Store

if TYPE_CHECKING:
    from sessiond.services.sessions import Authenticated

HOST_MAX_LENGTH = 256
IP_MAX_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Client:
    """The client behind a request, as its front door saw it (IP already resolved via proxies).

    What a client sends is stored as far as it fits, never refused: a long Host header must not
    turn a sign-in into an error. The user agent is cut where it is parsed.
    """

    user_agent: str = ""
    ip: str | None = None
    location: str = ""
    host: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "ip", _bounded(self.ip, IP_MAX_LENGTH))
        object.__setattr__(self, "host", _bounded(self.host, HOST_MAX_LENGTH))
        object.__setattr__(self, "location", _bounded(self.location, LOCATION_MAX_LENGTH) or "")


def _bounded(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    return value.replace("\x00", "")[:limit] or None


@dataclass(frozen=True, slots=True)
class TokenFormat:
    """How a front door wants its session tokens to look (Kratos: `ory_st_` + 32 alphanumerics)."""

    prefix: str = ""
    alphanumeric_length: int | None = None


DEFAULT_TOKEN_FORMAT = TokenFormat()


@dataclass(frozen=True, slots=True)
class Deps:
    store: Store
    clock: Clock
    passwords: PasswordHasher
    agents: UserAgentParser
    page_tokens: PageTokenCodec
    token_cache: TokenCache[Authenticated]
    tenant_cache: TokenCache[Tenant]
    metrics: Metrics

    async def parse_agent(self, raw: str) -> UserAgentInfo:
        """Parsing a new user agent costs about a millisecond, so it runs off the event loop; one
        parsed lately is answered at once."""
        known = self.agents.parsed(raw)
        return known if known is not None else await asyncio.to_thread(self.agents.parse, raw)
