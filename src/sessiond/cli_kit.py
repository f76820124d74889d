"""What every `sessiond` command shares: the settings, running a coroutine, the services."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any, TypeVar

import click

from sessiond.compose import open_services
from sessiond.domain.audit import Actor, ActorKind
from sessiond.domain.errors import SessiondError
from sessiond.services.audit import act_as
from sessiond.settings import Settings

T = TypeVar("T")


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def run_command(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except SessiondError as exc:
        raise click.ClickException(exc.message) from exc


def with_services(
    func: Callable[..., Awaitable[None]],
) -> Callable[..., None]:
    """Opens the services for one command, runs it, closes them; domain errors print cleanly."""

    @click.pass_context
    @wraps(func)
    def wrapper(ctx: click.Context, /, *args: Any, **kwargs: Any) -> None:
        async def main() -> None:
            services = await open_services(settings_of(ctx))
            act_as(Actor(ActorKind.CLI, operator_name()))
            try:
                await func(services, *args, **kwargs)
            finally:
                await services.close()

        run_command(main())

    return wrapper


def operator_name() -> str:
    """Who runs the command, as the audit trail names them: the login name, or the uid."""
    try:
        return getpass.getuser()[:128]
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
