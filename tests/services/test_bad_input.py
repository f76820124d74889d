"""Bad input to every service raises a typed domain error with a clear message, never a crash.

Where a value is refused is the code's choice, but the refusal must be a `SessiondError` that says
what was wrong: never a raw SQLAlchemy or Python error, and never `StorageUnavailable` (which tells
the caller the database is down) for something the caller sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import pytest

from sessiond.domain.errors import (
    AttemptNotFound,
    AuthenticationFailed,
    Conflict,
    InvalidFilter,
    InvalidId,
    InvalidInput,
    InvalidPageToken,
    InvalidSort,
    SessiondError,
    SessionNotFound,
    TenantNotFound,
    UserNotFound,
    WeakPassword,
)
from sessiond.domain.ids import parse_id
from sessiond.domain.listing import (
    OffsetPage,
    SessionQuery,
    SessionState,
    SortField,
    SortKey,
)
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import MAX_DURATION, SessionSettings, Tenant
from sessiond.domain.user import Email, User, UserState
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.issuing import IssuedSession
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from tests.helpers.tenants import unique_slug

PASSWORD = "correct horse battery"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
CLIENT = Client(user_agent=CHROME, ip="192.0.2.10", host="bad.example.test")
T = TypeVar("T")


def assert_clear(error: SessiondError) -> None:
    assert isinstance(error, SessiondError)
    assert error.message
    assert str(error) == error.message
    assert "sqlalchemy" not in error.message.lower()
    assert "Traceback" not in error.message


async def refused_or_done(call: Awaitable[T]) -> T | None:
    """The call's result, or None when it refused the input with `InvalidInput`.

    Anything else raised (a crash, a driver error, `StorageUnavailable`) fails the test.
    """
    try:
        return await call
    except InvalidInput as exc:
        assert_clear(exc)
        return None


async def add_user(services: Services, tenant: Tenant, username: str = "alice") -> User:
    return await services.users.create(tenant.id, NewUser(username=username, password=PASSWORD))


async def sign_in(services: Services, tenant: Tenant, username: str = "alice") -> IssuedSession:
    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier=username, password=PASSWORD, client=CLIENT)
    )
    assert result.issued is not None
    return result.issued


# Unknown tenant


@dataclass(frozen=True, slots=True)
class Known:
    """Real objects of a real tenant, named together with a tenant id that does not exist."""

    tenant: Tenant
    user: User
    issued: IssuedSession


TenantCall = Callable[[Services, uuid.UUID, Known], Awaitable[object]]

UNKNOWN_TENANT_CALLS: dict[str, TenantCall] = {
    "tenants.get": lambda s, t, k: s.tenants.get(t),
    "tenants.change_settings": lambda s, t, k: s.tenants.change_settings(t, lambda x: x),
    "tenants.create_secret_key": lambda s, t, k: s.tenants.create_secret_key(t),
    "users.create": lambda s, t, k: s.users.create(t, NewUser("zed", PASSWORD)),
    "users.get": lambda s, t, k: s.users.get(t, k.user.id),
    "users.find": lambda s, t, k: s.users.find(t, "alice"),
    "users.set_state": lambda s, t, k: s.users.set_state(
        t, k.user.id, UserState.SUSPENDED, by="admin"
    ),
    "users.delete": lambda s, t, k: s.users.delete(t, k.user.id),
    "users.change_password": lambda s, t, k: s.users.change_password(
        t, k.user.id, "brand new password", end_sessions=True
    ),
    "sign_ins.password": lambda s, t, k: s.sign_ins.password(
        PasswordSignIn(t, identifier="alice", password=PASSWORD, client=CLIENT)
    ),
    "sign_ins.second_factor": lambda s, t, k: s.sign_ins.second_factor(
        t, k.issued.record.session.sign_in_attempt_id or uuid.uuid4(), code="123456", client=CLIENT
    ),
    "sign_ups.sign_up_password": lambda s, t, k: s.sign_ups.sign_up_password(
        t, NewUser("zed", PASSWORD), client=CLIENT
    ),
    "sessions.authenticate": lambda s, t, k: s.sessions.authenticate(t, k.issued.token),
    "sessions.get": lambda s, t, k: s.sessions.get(t, k.issued.record.session.id),
    "sessions.end": lambda s, t, k: s.sessions.end(
        t, k.issued.record.session.id, reason=EndReason.ADMIN_REVOKED, by="admin"
    ),
    "sessions.end_for_user": lambda s, t, k: s.sessions.end_for_user(
        t, k.user.id, reason=EndReason.REVOKED_ALL, by="admin"
    ),
    "sessions.extend": lambda s, t, k: s.sessions.extend(t, k.issued.record.session.id),
    "sessions.list_offset": lambda s, t, k: s.sessions.list_offset(SessionQuery(t), OffsetPage()),
    "sessions.list_keyset": lambda s, t, k: s.sessions.list_keyset(SessionQuery(t), size=10),
}


@pytest.mark.parametrize("name", list(UNKNOWN_TENANT_CALLS))
async def test_an_unknown_tenant_is_tenant_not_found_and_changes_nothing(
    services: Services, tenant: Tenant, name: str
) -> None:
    user = await add_user(services, tenant)
    issued = await sign_in(services, tenant)
    unknown = uuid.uuid4()

    with pytest.raises(TenantNotFound) as caught:
        await UNKNOWN_TENANT_CALLS[name](services, unknown, Known(tenant, user, issued))

    assert_clear(caught.value)
    assert str(unknown) in caught.value.message
    found = await services.sessions.authenticate(tenant.id, issued.token)
    assert found.record.user.id == user.id
    assert found.record.user.is_active
    assert await services.users.find(tenant.id, "alice") == found.record.user


async def test_other_unknown_things_are_not_found(services: Services, tenant: Tenant) -> None:
    user = await add_user(services, tenant)
    missing = uuid.uuid4()

    with pytest.raises(UserNotFound) as user_error:
        await services.users.get(tenant.id, missing)
    with pytest.raises(UserNotFound):
        await services.users.find(tenant.id, "nobody")
    with pytest.raises(UserNotFound):
        await services.users.set_state(tenant.id, missing, UserState.SUSPENDED, by=None)
    with pytest.raises(SessionNotFound) as session_error:
        await services.sessions.get(tenant.id, missing)
    with pytest.raises(SessionNotFound):
        await services.sessions.extend(tenant.id, missing)
    with pytest.raises(AttemptNotFound) as attempt_error:
        await services.sign_ins.second_factor(tenant.id, missing, code="123456", client=CLIENT)
    with pytest.raises(TenantNotFound) as slug_error:
        await services.tenants.get_by_slug("no-such-tenant")
    with pytest.raises(TenantNotFound):
        await services.tenants.get_by_public_key("pk_nope")

    for error in (user_error, session_error, attempt_error, slug_error):
        assert_clear(error.value)
    assert str(missing) in user_error.value.message
    assert str(missing) in session_error.value.message
    assert "no-such-tenant" in slug_error.value.message
    assert (await services.users.get(tenant.id, user.id)).username == "alice"


# Credentials


async def test_a_wrong_password_is_authentication_failed(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)

    with pytest.raises(AuthenticationFailed) as caught:
        await services.sign_ins.password(
            PasswordSignIn(
                tenant.id, identifier="alice", password="not the password", client=CLIENT
            )
        )

    assert_clear(caught.value)
    assert caught.value.message == "the identifier or the password is wrong"


async def test_a_wrong_secret_key_is_authentication_failed(services: Services) -> None:
    with pytest.raises(AuthenticationFailed) as caught:
        await services.tenants.authenticate_key("sk_not-a-key")
    assert_clear(caught.value)


@pytest.mark.parametrize(
    ("identifier", "strategy"),
    [("", "username_password"), ("   ", "username_password"), ("a" * 321, "username_password")],
)
async def test_a_bad_identifier_is_invalid_input(
    services: Services, tenant: Tenant, identifier: str, strategy: str
) -> None:
    with pytest.raises(InvalidInput, match="identifier") as caught:
        await services.sign_ins.password(
            PasswordSignIn(tenant.id, identifier=identifier, password=PASSWORD, client=CLIENT)
        )
    assert caught.value.field == "identifier"


async def test_a_strategy_without_a_password_is_invalid_input(
    services: Services, tenant: Tenant
) -> None:
    from sessiond.domain.attempts import Strategy

    with pytest.raises(InvalidInput, match="not a password strategy"):
        await services.sign_ins.password(
            PasswordSignIn(
                tenant.id,
                identifier="alice",
                password=PASSWORD,
                client=CLIENT,
                strategy=Strategy.OAUTH,
            )
        )


async def test_a_nul_character_in_an_identifier_is_refused_clearly(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)

    with pytest.raises(SessiondError) as caught:
        await services.sign_ins.password(
            PasswordSignIn(tenant.id, identifier="ali\x00ce", password=PASSWORD, client=CLIENT)
        )

    assert isinstance(caught.value, AuthenticationFailed | InvalidInput), caught.value
    assert_clear(caught.value)


# Ids


@pytest.mark.parametrize(
    "text", ["", "xyz", "c123", "0123456789abcdef0123456789abcdef01234567", "c" + "g" * 32]
)
def test_malformed_ids_are_invalid_id(text: str) -> None:
    with pytest.raises(InvalidId) as caught:
        parse_id(text, what="session")
    assert_clear(caught.value)
    assert caught.value.message == f"session {text!r} is not a valid id"
    assert caught.value.field == "session"


# Text filters

BAD_FILTERS = {
    "unclosed group": ("(", "missing )"),
    "backreference": ("(a)\\1", "backreferences are not supported"),
    "lookahead": ("(?=x)", "lookaround"),
    "huge": ("a" * 10_000, "too long"),
    "just over the cap": ("b" * 257, "too long"),
    "bad class": ("[z-a]", "invalid filter"),
}


async def test_a_bad_filter_is_invalid_filter(services: Services, tenant: Tenant) -> None:
    for case, (pattern, reason) in BAD_FILTERS.items():
        query = SessionQuery(tenant.id, text_filter=pattern)
        listings: list[Awaitable[object]] = [
            services.sessions.list_offset(query, OffsetPage()),
            services.sessions.list_keyset(query, size=10),
        ]
        for listed in listings:
            with pytest.raises(InvalidFilter) as caught:
                await listed

            assert_clear(caught.value)
            assert "filter" in caught.value.message, case
            assert reason in caught.value.message, case
            assert len(caught.value.message) < 200, case


async def test_a_filter_only_re2_reads_is_refused_on_every_backend(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)
    await sign_in(services, tenant)
    query = SessionQuery(tenant.id, text_filter=r"\p{Lu}")

    with pytest.raises(InvalidFilter) as caught:
        await services.sessions.list_offset(query, OffsetPage())
    assert_clear(caught.value)
    assert "invalid filter" in caught.value.message
    with pytest.raises(InvalidFilter):
        await services.sessions.list_keyset(query, size=10)


async def test_a_nul_character_in_a_filter_is_refused_or_matches_nothing(
    services: Services, tenant: Tenant
) -> None:
    await add_user(services, tenant)
    await sign_in(services, tenant)

    page = await refused_or_done(
        services.sessions.list_offset(SessionQuery(tenant.id, text_filter="a\x00b"), OffsetPage())
    )

    assert page is None or (page.items, page.total) == ((), 0)


# Pages


@dataclass(frozen=True, slots=True)
class Paged:
    tenant: Tenant
    user: User
    query: SessionQuery
    token: str


@pytest.fixture
async def paged(services: Services, tenant: Tenant) -> Paged:
    user = await add_user(services, tenant)
    for _ in range(5):
        await sign_in(services, tenant)
    query = SessionQuery(tenant.id)
    page = await services.sessions.list_keyset(query, size=2)
    assert page.next_token is not None
    return Paged(tenant, user, query, page.next_token)


def _flipped(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


async def test_every_tampered_page_token_is_refused(services: Services, paged: Paged) -> None:
    good = await services.sessions.list_keyset(paged.query, size=2, token=paged.token)
    assert len(good.items) == 2

    for index in range(len(paged.token)):
        with pytest.raises(InvalidPageToken) as caught:
            await services.sessions.list_keyset(
                paged.query, size=2, token=_flipped(paged.token, index)
            )
        assert caught.value.message == (
            "The page token is invalid, do not craft your own page tokens"
        )


GARBAGE_TOKENS = (
    "",
    "abc",
    "!!!!",
    "a" * 2000,
    "eyJ0IjoxfQ",
    "null",
    "eyJ0IjoxLCJpIjoiMDAiLCJiIjowLCJxIjoiMDAifQAAAAAAAAAAAAAAAAAAAAA",
    "tok en",
    "токен",
)


async def test_garbage_page_tokens_are_refused(services: Services, paged: Paged) -> None:
    for token in GARBAGE_TOKENS:
        with pytest.raises(InvalidPageToken) as caught:
            await services.sessions.list_keyset(paged.query, size=2, token=token)
        assert_clear(caught.value)


async def test_a_page_token_only_pages_the_list_it_came_from(
    services: Services, paged: Paged
) -> None:
    other_tenant = (await services.tenants.create(slug=unique_slug())).tenant
    others = [
        SessionQuery(other_tenant.id),
        SessionQuery(paged.tenant.id, text_filter="chrome"),
        SessionQuery(paged.tenant.id, state=SessionState.ALL),
        SessionQuery(paged.tenant.id, user_id=paged.user.id),
        SessionQuery(paged.tenant.id, filter_user_fields=True),
        SessionQuery(paged.tenant.id, sort=(SortKey(SortField.CREATED_AT, descending=False),)),
    ]

    for query in others:
        with pytest.raises(InvalidPageToken) as caught:
            await services.sessions.list_keyset(query, size=2, token=paged.token)
        assert_clear(caught.value)


@pytest.mark.parametrize("with_token", [True, False])
async def test_page_tokens_walk_one_sort_key(
    services: Services, paged: Paged, with_token: bool
) -> None:
    two_keys = (SortKey(SortField.BROWSER), SortKey(SortField.CREATED_AT))
    query = SessionQuery(paged.tenant.id, sort=two_keys)

    with pytest.raises(InvalidSort, match="one sort key"):
        await services.sessions.list_keyset(
            query, size=2, token=paged.token if with_token else None
        )


@pytest.mark.parametrize("size", [0, -1, 1001])
async def test_a_bad_keyset_page_size_is_invalid_input(
    services: Services, tenant: Tenant, size: int
) -> None:
    await add_user(services, tenant)
    await sign_in(services, tenant)

    with pytest.raises(InvalidInput, match="page size") as caught:
        await services.sessions.list_keyset(SessionQuery(tenant.id), size=size)

    assert caught.value.field == "size"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"limit": 0}, "size"), ({"limit": 1001}, "size"), ({"offset": -1}, "offset")],
)
def test_a_bad_offset_page_is_invalid_input(changes: dict[str, int], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        OffsetPage(**changes)
    assert_clear(caught.value)
    assert caught.value.field == field


def test_bad_sorts_are_invalid_sort() -> None:
    tenant_id = uuid.uuid4()
    with pytest.raises(InvalidSort):
        SessionQuery(tenant_id, sort=())
    with pytest.raises(InvalidSort, match="twice"):
        SessionQuery(tenant_id, sort=(SortKey(SortField.BROWSER), SortKey(SortField.BROWSER)))


async def test_a_naive_start_after_is_refused_clearly(services: Services, tenant: Tenant) -> None:
    await add_user(services, tenant)
    await sign_in(services, tenant)
    naive = datetime(2026, 1, 1, 12, 0, 0)

    page = await refused_or_done(
        services.sessions.list_keyset(SessionQuery(tenant.id), size=10, start_after=naive)
    )

    assert page is None or [r.session.created_at for r in page.items] == []


# Users


@pytest.mark.parametrize("password", ["", "short", "1234567", "x" * 1025])
async def test_a_weak_password_is_refused_everywhere(
    services: Services, tenant: Tenant, password: str
) -> None:
    user = await add_user(services, tenant)

    with pytest.raises(WeakPassword) as created:
        await services.users.create(tenant.id, NewUser(username="bob", password=password))
    with pytest.raises(WeakPassword):
        await services.sign_ups.sign_up_password(
            tenant.id, NewUser(username="bob", password=password), client=CLIENT
        )
    with pytest.raises(WeakPassword):
        await services.users.change_password(tenant.id, user.id, password)

    assert_clear(created.value)
    assert created.value.field == "password"
    assert "characters long" in created.value.message
    with pytest.raises(UserNotFound):
        await services.users.find(tenant.id, "bob")
    issued = await sign_in(services, tenant)
    assert issued.record.user.id == user.id


@pytest.mark.parametrize(
    ("new", "field"),
    [
        (NewUser(username="", password=PASSWORD), "username"),
        (NewUser(username="-bob", password=PASSWORD), "username"),
        (NewUser(username="bob smith", password=PASSWORD), "username"),
        (NewUser(username="b" * 129, password=PASSWORD), "username"),
        (NewUser(username="bob\n", password=PASSWORD), "username"),
        (NewUser(username="bob", password=PASSWORD, emails=(Email("not-an-email"),)), "email"),
        (NewUser(username="bob", password=PASSWORD, emails=(Email("a@b@c"),)), "email"),
        (NewUser(username="bob", password=PASSWORD, emails=(Email("bob@example.com\n"),)), "email"),
        (NewUser(username=None, password=PASSWORD), "username"),
    ],
)
async def test_bad_usernames_and_emails_are_invalid_input(
    services: Services, tenant: Tenant, new: NewUser, field: str
) -> None:
    with pytest.raises(InvalidInput) as created:
        await services.users.create(tenant.id, new)
    with pytest.raises(InvalidInput):
        await services.sign_ups.sign_up_password(tenant.id, new, client=CLIENT)

    assert_clear(created.value)
    assert created.value.field == field
    async with services.deps.store.unit_of_work(write=False) as uow:
        _, total = await uow.users.list_page(tenant.id, offset=0, limit=10)
    assert total == 0


async def test_sign_up_without_a_password_is_invalid_input(
    services: Services, tenant: Tenant
) -> None:
    with pytest.raises(InvalidInput, match="password is required"):
        await services.sign_ups.sign_up_password(tenant.id, NewUser(username="bob"), client=CLIENT)


@pytest.mark.parametrize(
    "new",
    [
        NewUser(username="bob", password=PASSWORD, emails=(Email("b\x00b@example.com"),)),
        NewUser(username="bob", password=PASSWORD, name="Bob\x00"),
        NewUser(username="bob", password=PASSWORD, name="B" * 201),
        NewUser(username="bob", password=PASSWORD, name="B" * 5000),
    ],
    ids=["nul-in-email", "nul-in-name", "name-201", "name-5000"],
)
async def test_unstorable_user_values_are_refused_or_kept_intact(
    services: Services, tenant: Tenant, new: NewUser
) -> None:
    created = await refused_or_done(services.users.create(tenant.id, new))

    if created is not None:
        stored = await services.users.get(tenant.id, created.id)
        assert (stored.name, stored.emails) == (new.name, new.emails)


# Tenants and settings


async def test_a_duplicate_tenant_slug_is_conflict(services: Services, tenant: Tenant) -> None:
    with pytest.raises(Conflict) as caught:
        await services.tenants.create(slug=tenant.slug, name="Another")

    assert_clear(caught.value)
    assert caught.value.field == "slug"
    assert tenant.slug in caught.value.message
    assert (await services.tenants.get_by_slug(tenant.slug)).name == tenant.name


@pytest.mark.parametrize("slug", ["", "Acme", "acme_eu", "-acme", "acme-", "a" * 65, "acme\n"])
async def test_a_bad_tenant_slug_is_invalid_input(services: Services, slug: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        await services.tenants.create(slug=slug)

    assert_clear(caught.value)
    assert caught.value.field == "slug"
    assert all(t.slug != slug for t in await services.tenants.list_all())


@pytest.mark.parametrize(
    "changes",
    [
        {"max_lifetime": timedelta(hours=-1)},
        {"inactivity_timeout": timedelta(seconds=-1)},
        {"earliest_possible_extend": timedelta(minutes=-1)},
        {"max_live_sessions": -1},
        {"ended_retention": timedelta(days=-30)},
    ],
)
def test_negative_session_settings_are_invalid_input(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        SessionSettings(**changes)
    assert_clear(caught.value)
    assert caught.value.field == next(iter(changes))


@pytest.mark.parametrize(
    "changes",
    [
        {"max_lifetime": timedelta(milliseconds=500)},
        {"inactivity_timeout": timedelta(seconds=90.5)},
        {"earliest_possible_extend": timedelta(seconds=0.25)},
        {"max_lifetime": timedelta(days=365 * 100)},
        {"max_live_sessions": 2**31},
    ],
    ids=[
        "half-second-lifetime",
        "fractional-timeout",
        "fractional-window",
        "century-lifetime",
        "limit-past-int32",
    ],
)
def test_session_settings_that_no_backend_stores_exactly_are_refused(
    changes: dict[str, Any],
) -> None:
    with pytest.raises(InvalidInput) as caught:
        SessionSettings(**changes)
    assert_clear(caught.value)
    assert caught.value.field == next(iter(changes))


async def test_the_longest_allowed_settings_round_trip(services: Services) -> None:
    longest = SessionSettings(
        max_lifetime=MAX_DURATION,
        inactivity_timeout=MAX_DURATION,
        earliest_possible_extend=MAX_DURATION,
        max_live_sessions=2**31 - 1,
        ended_retention=MAX_DURATION,
    )
    created = await services.tenants.create(slug=unique_slug(), settings=longest)
    try:
        assert (await services.tenants.get(created.tenant.id)).settings == longest
    finally:
        await _delete_tenant(services, created.tenant.id)


async def _delete_tenant(services: Services, tenant_id: uuid.UUID) -> None:
    """A tenant whose row no longer reads back would break every later tenant listing."""
    async with services.deps.store.unit_of_work() as uow:
        await uow.tenants.delete(tenant_id)
        await uow.commit()


async def test_a_lifetime_past_the_calendar_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput) as caught:
        SessionSettings(max_lifetime=timedelta(days=3_000_000))
    assert_clear(caught.value)


@pytest.mark.parametrize("name", ["N" * 201, "Acme\x00Corp"], ids=["name-201", "nul-in-name"])
async def test_unstorable_tenant_names_are_refused_or_kept_intact(
    services: Services, name: str
) -> None:
    created = await refused_or_done(services.tenants.create(slug=unique_slug(), name=name))

    if created is not None:
        assert (await services.tenants.get(created.tenant.id)).name == name


@pytest.mark.parametrize(
    "client",
    [
        Client(user_agent=CHROME, host="h" * 300),
        Client(user_agent=CHROME, location="L" * 300),
        Client(user_agent=CHROME, host="bad\x00host"),
    ],
    ids=["host-300", "location-300", "nul-in-host"],
)
async def test_unstorable_client_values_are_stored_as_far_as_they_fit(
    services: Services, tenant: Tenant, client: Client
) -> None:
    await add_user(services, tenant)

    result = await services.sign_ins.password(
        PasswordSignIn(tenant.id, identifier="alice", password=PASSWORD, client=client)
    )

    if result is not None:
        assert result.issued is not None
        stored = await services.sessions.get(tenant.id, result.issued.record.session.id)
        expected_host = None if client.host is None else client.host.replace("\x00", "")[:256]
        assert stored.session.host == expected_host
        assert stored.device is not None
        assert stored.device.location == client.location.replace("\x00", "")[:256]
