"""Tenant slugs and session settings, usernames and email addresses, and the user's own rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sessiond.domain.errors import InvalidInput
from sessiond.domain.tenant import LimitPolicy, SessionSettings, check_slug
from sessiond.domain.user import (
    Email,
    Totp,
    User,
    UserState,
    check_email,
    check_username,
    normalise_identifier,
)

NOW = datetime(2026, 7, 31, 10, 11, 12, tzinfo=UTC)


@pytest.mark.parametrize("slug", ["a", "0", "default", "acme-eu-1", "a-b-c", "x" * 64])
def test_good_slugs_are_kept(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    ["", "A", "Acme", "-acme", "acme-", "a_b", "a b", "a.b", "é", "x" * 65, "acme\n", " acme"],
)
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidInput, match="tenant slug") as caught:
        check_slug(slug)
    assert caught.value.field == "slug"


@pytest.mark.parametrize(
    "username", ["alice", "A", "9lives", "alice.smith", "a_b-c+d@e", "x" * 128, "Bob"]
)
def test_good_usernames_are_kept(username: str) -> None:
    assert check_username(username) == username


@pytest.mark.parametrize(
    "username",
    ["", ".alice", "_alice", "-alice", "al ice", "alice\n", "al\x00ice", "ålice", "x" * 129],
)
def test_bad_usernames_are_refused(username: str) -> None:
    with pytest.raises(InvalidInput, match="a username is 1-128") as caught:
        check_username(username)
    assert caught.value.field == "username"


@pytest.mark.parametrize(
    "address", ["a@b", "alice@example.com", "Alice.Smith+tag@Example.COM", "x" * 64 + "@y"]
)
def test_good_emails_are_kept(address: str) -> None:
    assert check_email(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "alice",
        "@example.com",
        "alice@",
        "a@b@c",
        "al ice@example.com",
        "x" * 65 + "@y",
        "alice@example.com\n",
    ],
)
def test_bad_emails_are_refused(address: str) -> None:
    with pytest.raises(InvalidInput, match="is not an email address") as caught:
        check_email(address)
    assert caught.value.field == "email"


def test_identifiers_are_normalised_by_trimming_and_lower_casing() -> None:
    assert normalise_identifier("  Alice@Example.COM \t") == "alice@example.com"
    assert normalise_identifier("BOB") == "bob"


def test_default_session_settings() -> None:
    settings = SessionSettings()
    assert settings.max_lifetime == timedelta(hours=24)
    assert settings.inactivity_timeout is None
    assert settings.earliest_possible_extend is None
    assert settings.max_live_sessions is None
    assert settings.limit_policy is LimitPolicy.EVICT_OLDEST
    assert settings.ended_retention == timedelta(days=30)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"max_lifetime": timedelta(0)}, "max_lifetime"),
        ({"max_lifetime": timedelta(seconds=-1)}, "max_lifetime"),
        ({"inactivity_timeout": timedelta(0)}, "inactivity_timeout"),
        ({"inactivity_timeout": timedelta(minutes=-5)}, "inactivity_timeout"),
        ({"earliest_possible_extend": timedelta(seconds=-1)}, "earliest_possible_extend"),
        ({"max_live_sessions": 0}, "max_live_sessions"),
        ({"max_live_sessions": -3}, "max_live_sessions"),
        ({"ended_retention": timedelta(days=-1)}, "ended_retention"),
    ],
)
def test_bad_session_settings_are_refused(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        SessionSettings(**changes)
    assert caught.value.field == field
    assert caught.value.message


def test_boundary_session_settings_are_accepted() -> None:
    settings = SessionSettings(
        max_lifetime=timedelta(seconds=1),
        inactivity_timeout=timedelta(seconds=1),
        earliest_possible_extend=timedelta(0),
        max_live_sessions=1,
        limit_policy=LimitPolicy.DENY,
        ended_retention=timedelta(0),
    )
    assert settings.max_live_sessions == 1
    assert settings.earliest_possible_extend == timedelta(0)
    assert settings.ended_retention == timedelta(0)


def _user(**changes: Any) -> User:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "tenant_id": uuid.uuid4(),
        "username": "alice",
        "name": "Alice",
        "emails": (Email("alice@example.com", verified=True), Email("a@example.org")),
        "state": UserState.ACTIVE,
        "roles": ("user",),
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(changes)
    return User(**values)


def test_user_is_active_only_when_its_state_is_active() -> None:
    assert _user().is_active
    assert not _user(state=UserState.SUSPENDED).is_active


def test_second_factor_needs_an_enabled_totp() -> None:
    assert not _user().has_second_factor
    assert not _user(totp=Totp(secret="JBSWY3DPEHPK3PXP", enabled=False)).has_second_factor
    assert _user(totp=Totp(secret="JBSWY3DPEHPK3PXP", enabled=True)).has_second_factor


def test_primary_email_is_the_first_one() -> None:
    assert _user().primary_email == "alice@example.com"
    assert _user(emails=()).primary_email is None


def test_secrets_stay_out_of_repr() -> None:
    user = _user(password_hash="$argon2id$secret-hash", totp=Totp("JBSWY3DPEHPK3PXP", True))
    assert "secret-hash" not in repr(user)
    assert "JBSWY3DPEHPK3PXP" not in repr(user)
