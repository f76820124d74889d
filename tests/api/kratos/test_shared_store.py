"""One store behind every door: sessions issued elsewhere are served here and the other way round,
and a Kratos token is kept only as its digest."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from sessiond.domain.errors import SessionNotLive
from sessiond.domain.session import EndReason
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.store.tables import sessions
from tests.helpers.kratos import PASSWORD, Door


async def test_sessions_cross_doors_both_ways(door: Door) -> None:
    user = await door.user()
    elsewhere = await door.services.sign_ins.password(
        PasswordSignIn(
            door.tenant.id, identifier="ada", password=PASSWORD, client=Client(user_agent="pxyz-js")
        )
    )
    assert elsewhere.issued is not None
    other_token, other_id = elsewhere.issued.token, str(elsewhere.issued.record.session.id)
    whoami = await door.http.get("/sessions/whoami", headers={"X-Session-Token": other_token})
    assert whoami.status_code == 200
    assert whoami.json()["id"] == other_id

    here = await door.login()
    listed = await door.http.get(f"/admin/identities/{user}/sessions", headers=door.admin)
    assert {s["id"] for s in listed.json()} == {other_id, here["session"]["id"]}

    await door.services.sessions.end(
        door.tenant.id, uuid.UUID(here["session"]["id"]), reason=EndReason.REVOKED, by="elsewhere"
    )
    mine = await door.http.get(
        "/sessions/whoami", headers={"X-Session-Token": here["session_token"]}
    )
    assert mine.status_code == 401

    ended = await door.http.delete(f"/admin/sessions/{other_id}", headers=door.admin)
    assert ended.status_code == 204
    with pytest.raises(SessionNotLive):
        await door.services.sessions.authenticate(door.tenant.id, other_token)


async def test_tokens_are_stored_as_digests_only(door: Door) -> None:
    await door.user()
    done = await door.login()
    token = done["session_token"]
    query = select(sessions).where(sessions.c.id == uuid.UUID(done["session"]["id"]))
    async with door.services.deps.store.engine.connect() as conn:
        row = (await conn.execute(query)).mappings().one()
    assert row["token_digest"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row.values())
