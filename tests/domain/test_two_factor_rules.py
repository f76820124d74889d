"""The REST second factor's rules and the role permissions, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sessiond.domain.ids import new_id
from sessiond.domain.permissions import Permission, has_permission, permissions_of
from sessiond.domain.two_factor import (
    EMAIL_CODE_MAX_TRIES,
    EmailCode,
    Method,
    choose_method,
    client_fingerprint,
    email_code_digits,
)

NOW = datetime(2026, 7, 31, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("named", "available", "chosen"),
    [
        (None, (), Method.PASSWORD),
        ("totp", (), Method.PASSWORD),
        ("password", (Method.TOTP,), Method.TOTP),
        (None, (Method.TOTP, Method.EMAIL), Method.TOTP),
        ("email", (Method.TOTP, Method.EMAIL), Method.EMAIL),
        ("email", (Method.TOTP,), Method.TOTP),
        ("sms", (Method.EMAIL,), Method.EMAIL),
    ],
)
def test_choose_method(named: str | None, available: tuple[Method, ...], chosen: Method) -> None:
    assert choose_method(named, available) is chosen


def test_the_fingerprint_binds_agent_and_address() -> None:
    base = client_fingerprint(user_agent="a", ip="192.0.2.1")
    assert base == client_fingerprint(user_agent="a", ip="192.0.2.1")
    assert base != client_fingerprint(user_agent="b", ip="192.0.2.1")
    assert base != client_fingerprint(user_agent="a", ip="192.0.2.2")
    assert base != client_fingerprint(user_agent="a", ip=None)


def test_email_codes_keep_only_digits() -> None:
    assert email_code_digits(" 123-456 ") == "123456"
    assert email_code_digits("١٢٣") == ""


def test_an_email_code_is_usable_until_it_expires_or_runs_out_of_tries() -> None:
    code = EmailCode(new_id(), new_id(), "d", 0, NOW + timedelta(hours=1), NOW)
    assert code.usable(now=NOW)
    assert not code.usable(now=NOW + timedelta(hours=1))
    spent = EmailCode(code.user_id, code.code_id, "d", EMAIL_CODE_MAX_TRIES, code.expires_at, NOW)
    assert not spent.usable(now=NOW)


def test_roles_grant_permissions() -> None:
    assert permissions_of(["admin"]) == frozenset(Permission)
    assert permissions_of(["user"]) == frozenset()
    assert permissions_of(["unknown", "user"]) == frozenset()
    assert has_permission(("user", "admin"), Permission.LOGOUT_DEVICE_MANAGEMENT)
    assert not has_permission(("user",), Permission.VIEW_DEVICE_MANAGEMENT)


def test_the_try_budget_locks_at_the_limit_and_restarts_after_the_window() -> None:
    from sessiond.domain.two_factor import (
        FACTOR_TRY_LIMIT,
        FACTOR_TRY_WINDOW,
        FactorTries,
        reserve_factor_try,
    )

    tries: FactorTries | None = None
    for n in range(1, FACTOR_TRY_LIMIT + 1):
        tries = reserve_factor_try(tries, now=NOW)
        assert tries is not None
        assert tries.tries == n
    assert tries.locked_until == NOW + FACTOR_TRY_WINDOW
    assert reserve_factor_try(tries, now=NOW + FACTOR_TRY_WINDOW - timedelta(seconds=1)) is None
    fresh = reserve_factor_try(tries, now=NOW + FACTOR_TRY_WINDOW)
    assert fresh == FactorTries(1, NOW + FACTOR_TRY_WINDOW, None)
    stale = FactorTries(FACTOR_TRY_LIMIT - 1, NOW, None)
    assert reserve_factor_try(stale, now=NOW + FACTOR_TRY_WINDOW) == FactorTries(
        1, NOW + FACTOR_TRY_WINDOW, None
    )


def test_a_pending_code_is_never_replaced_and_mails_are_a_minute_apart() -> None:
    from sessiond.domain.two_factor import EMAIL_MAIL_INTERVAL, may_mint_email_code

    spent = EmailCode(new_id(), new_id(), "d", EMAIL_CODE_MAX_TRIES, NOW + timedelta(hours=1), NOW)
    assert spent.used_up(now=NOW)
    assert not spent.usable(now=NOW)
    assert not may_mint_email_code(spent, None, now=NOW + timedelta(minutes=59))
    assert may_mint_email_code(spent, NOW, now=NOW + timedelta(hours=1))
    assert not may_mint_email_code(None, NOW, now=NOW + EMAIL_MAIL_INTERVAL - timedelta(seconds=1))
    assert may_mint_email_code(None, NOW, now=NOW + EMAIL_MAIL_INTERVAL)


def test_a_password_sign_in_names_its_user_by_address_or_username() -> None:
    from sessiond.domain.attempts import Strategy, password_strategy

    assert password_strategy("a@example.test") is Strategy.EMAIL_PASSWORD
    assert password_strategy("alice") is Strategy.USERNAME_PASSWORD
