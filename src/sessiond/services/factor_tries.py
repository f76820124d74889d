"""Each user's second-factor tries across every method and door path that checks a code (REST
two-factor, Rocket.Chat login's code, TOTP set-up): counted in the database before the code is
checked, so nodes and concurrent requests share one budget, and forgotten on a success."""

from __future__ import annotations

from datetime import datetime

from sessiond.domain.errors import LockedOut
from sessiond.domain.two_factor import FactorTries, reserve_factor_try
from sessiond.domain.user import User
from sessiond.services.context import Deps
from sessiond.services.users import require_user
from sessiond.store.uow import UnitOfWork


async def reserve_try(uow: UnitOfWork, user: User, *, now: datetime) -> FactorTries:
    """Counts one try; the caller holds the user's row lock and commits. Raises `LockedOut`."""
    reserved = reserve_factor_try(await uow.two_factor.factor_tries(user.id), now=now)
    if reserved is None:
        raise LockedOut()
    await uow.two_factor.put_factor_tries(user.tenant_id, user.id, reserved)
    return reserved


async def reserve_try_now(deps: Deps, user: User, *, now: datetime) -> FactorTries:
    """`reserve_try` in a transaction of its own, committed before any code is checked."""
    async with deps.store.unit_of_work() as uow:
        locked = await require_user(uow, user.tenant_id, user.id, lock=True)
        reserved = await reserve_try(uow, locked, now=now)
        await uow.commit()
    return reserved


async def forget_tries(deps: Deps, user: User) -> None:
    async with deps.store.unit_of_work() as uow:
        await uow.two_factor.clear_factor_tries(user.id)
        await uow.commit()
