"""No secret in a repr, a rendered response or an error message."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sessiond.api.responses import OrjsonResponse
from sessiond.compose import open_services
from sessiond.domain.apikey import ApiKey
from sessiond.domain.errors import InvalidInput, StorageUnavailable
from sessiond.domain.oauth import OAuthProvider, ProviderKey
from sessiond.domain.tokens import new_secret_key, new_token
from sessiond.domain.user import User, UserState
from sessiond.services.tenants import NewKey
from sessiond.settings import Settings
from sessiond.store.engine import create_engine
from sessiond.store.errors import storage_errors
from tests.helpers.backends import PG_ENV

NOW = datetime(2026, 7, 31, tzinfo=UTC)


def test_reprs_show_no_raw_token_key_or_url_password() -> None:
    token = new_token()
    key = new_secret_key()
    settings = Settings(
        database_url="postgresql://app:s3cr3t@db.internal/sessiond",
        redis_url="redis://:r3d1s@cache/0",
        platform_key="pk_platform_topsecret",
        metrics_token="scrape-topsecret",
    )
    new_key = NewKey(
        ApiKey(id=uuid.uuid4(), tenant_id=None, digest=key.digest, created_at=NOW), key.raw
    )

    assert token.raw not in repr(token)
    assert key.raw not in repr(new_key)
    for secret in ("s3cr3t", "r3d1s", "topsecret", "scrape-topsecret"):
        assert secret not in repr(settings)


def test_domain_objects_are_never_rendered_as_json() -> None:
    provider = OAuthProvider(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        provider_key=ProviderKey.GITHUB,
        enabled=True,
        use_custom_credentials=True,
        client_id="client",
        redirect_uri=None,
        authenticatable=True,
        auto_connect_accounts=False,
        created_at=NOW,
        updated_at=NOW,
        client_secret="GH-CLIENT-SECRET",
    )
    user = User(
        id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        username="alice",
        name="Alice",
        emails=(),
        state=UserState.ACTIVE,
        roles=("user",),
        created_at=NOW,
        updated_at=NOW,
        password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
    )
    for domain_object in (provider, user):
        with pytest.raises(TypeError):
            OrjsonResponse(domain_object)
    assert OrjsonResponse({"ok": True}).body == b'{"ok":true}'


def test_an_unreachable_database_is_storage_unavailable_without_its_url() -> None:
    url = "postgresql://sessiond:pw-in-url@127.0.0.1:1/nowhere"
    with pytest.raises(StorageUnavailable) as caught:
        asyncio.run(open_services(Settings(database_url=url)))
    assert "pw-in-url" not in str(caught.value)


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set")
def test_a_missing_postgresql_database_is_storage_unavailable() -> None:
    base = make_url(os.environ[PG_ENV]).set(drivername="postgresql")
    url = base.set(database=f"missing_{uuid.uuid4().hex[:8]}").render_as_string(False)
    with pytest.raises(StorageUnavailable, match="database failed"):
        asyncio.run(open_services(Settings(database_url=url)))


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"{PG_ENV} is not set")
def test_a_value_postgresql_cannot_hold_is_bad_input_not_an_outage() -> None:
    async def store_an_escaped_nul() -> None:
        engine = create_engine(os.environ[PG_ENV])
        try:
            async with storage_errors("testing"), engine.connect() as conn:
                await conn.execute(text("SELECT CAST(:v AS jsonb)"), {"v": '"\\u0000"'})
        finally:
            await engine.dispose()

    with pytest.raises(InvalidInput, match="cannot store a value"):
        asyncio.run(store_an_escaped_nul())
