"""What every service shares, and what a caller says about the client in front of it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sessiond.domain.device import UserAgentInfo
from sessiond.infra.clock import Clock
from sessiond.infra.pagetoken import PageTokenCodec
from sessiond.infra.passwords import PasswordHasher
from sessiond.infra.useragent import UserAgentParser
from sessiond.store.uow import Store


@dataclass(frozen=True, slots=True)
class Client:
    """The client behind a request, as its front door saw it (IP already resolved via proxies)."""

    user_agent: str = ""
    ip: str | None = None
    location: str = ""
    host: str | None = None


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

    async def parse_agent(self, raw: str) -> UserAgentInfo:
        """Parsing a new user agent costs about a millisecond, so it runs off the event loop."""
        return await asyncio.to_thread(self.agents.parse, raw)
