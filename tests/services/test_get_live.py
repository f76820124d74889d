"""SessionService.get_live, on every backend: a session that is not live, or not the owner's,
is simply not found."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessiond.domain.errors import SessionNotFound
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Tenant
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from tests.helpers.two_factor import signed_in


async def test_only_a_live_session_of_the_owner_is_found(
    services: Services, tenant: Tenant, clock: FrozenClock
) -> None:
    alice = await signed_in(services, tenant, "alice")
    bob = await signed_in(services, tenant, "bob")
    session_id = alice.record.session.id

    found = await services.sessions.get_live(tenant.id, session_id, owner=alice.record.user.id)
    assert found.session.id == session_id
    assert (await services.sessions.get_live(tenant.id, session_id)).session.id == session_id
    with pytest.raises(SessionNotFound):
        await services.sessions.get_live(tenant.id, session_id, owner=bob.record.user.id)

    await services.sessions.end(tenant.id, session_id, reason=EndReason.REVOKED, by=None)
    with pytest.raises(SessionNotFound):
        await services.sessions.get_live(tenant.id, session_id)
    clock.advance(timedelta(days=3650))
    with pytest.raises(SessionNotFound):
        await services.sessions.get_live(tenant.id, bob.record.session.id)
