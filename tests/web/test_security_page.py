"""The security page through the real ASGI app, on every backend: turning TOTP on (QR code, key,
first code, backup codes shown once) and off, wrong codes, changing the password with and
without signing out everywhere else, and the CSRF guard on each of its forms."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest

from sessiond.domain.two_factor import FACTOR_TRY_LIMIT
from sessiond.infra.clock import FrozenClock
from tests.helpers.users import enable_totp, wrong_code
from tests.helpers.web import (
    PASSWORD,
    Pages,
    Site,
    csrf_of,
    kratos_token,
    signed_in,
    whoami,
)

SECURITY = "/security"
KEY = re.compile(r'id="totp-key">([A-Z2-7 ]+)</code>')
CODE = re.compile(r"<li><code>([a-z0-9]{4}-[a-z0-9]{4})</code></li>")
NEW_PASSWORD = "a brand new passphrase"


async def _start_totp(pages: Pages) -> str:
    """Sets TOTP up as far as the QR code; returns the key read off the page."""
    begun = await pages.submit(SECURITY, f"{SECURITY}/totp/begin", {})
    assert begun.status_code == 303
    assert begun.headers["location"] == pages.base + SECURITY
    shown = (await pages.get(SECURITY)).text
    assert '<svg viewBox="0 0 ' in shown
    assert 'class="qr"' in shown
    key = KEY.search(shown)
    assert key is not None, shown
    return key[1].replace(" ", "")


async def _turn_totp_on(pages: Pages, clock: FrozenClock) -> tuple[str, list[str]]:
    key = await _start_totp(pages)
    code = pyotp.TOTP(key).at(clock.now())
    confirmed = await pages.submit(SECURITY, f"{SECURITY}/totp/confirm", {"code": code})
    assert confirmed.status_code == 303, confirmed.text
    assert confirmed.headers["location"] == f"{pages.base}{SECURITY}/backup-codes"
    shown = await pages.get(f"{SECURITY}/backup-codes")
    assert shown.status_code == 200
    return key, CODE.findall(shown.text)


async def test_the_account_page_links_to_the_security_page(site: Site) -> None:
    pages = await signed_in(site)
    assert f'href="{pages.base}/security"' in (await pages.get()).text
    shown = await pages.get(SECURITY)
    assert shown.status_code == 200
    assert "<h1>Security</h1>" in shown.text
    assert '<label class="check" for="end-others">' in shown.text
    assert re.search(r'id="end-others" name="end_others" type="checkbox" checked>', shown.text)
    assert "<script" not in shown.text


async def test_turning_totp_on_shows_the_backup_codes_once_then_sign_in_asks_for_a_code(
    site: Site, clock: FrozenClock
) -> None:
    pages = await signed_in(site)
    _, codes = await _turn_totp_on(pages, clock)
    assert len(codes) == 12
    again = await pages.get(f"{SECURITY}/backup-codes")
    assert again.status_code == 303
    assert again.headers["location"] == pages.base + SECURITY
    assert "Signing in asks for a code" in (await pages.get(SECURITY)).text

    site.http.cookies.clear()
    first = await pages.sign_in("ada", PASSWORD)
    assert first.headers["location"] == f"{pages.base}/second-factor"
    done = await pages.submit("/second-factor", "/second-factor", {"code": codes[0]})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == pages.base


async def test_a_wrong_first_code_is_refused_and_totp_stays_off(
    site: Site, clock: FrozenClock
) -> None:
    pages = await signed_in(site)
    key = await _start_totp(pages)
    refused = await pages.submit(
        SECURITY, f"{SECURITY}/totp/confirm", {"code": wrong_code(key, clock)}
    )
    assert refused.status_code == 401
    assert '<p class="error" role="alert">The code is wrong or was already used.</p>' in (
        refused.text
    )
    assert 'id="totp-key"' in refused.text  # still waiting for a right code
    user = await site.services.users.get(site.tenant.id, site.user.id)
    assert not user.has_second_factor


async def test_wrong_codes_count_against_the_users_second_factor_tries(
    site: Site, clock: FrozenClock
) -> None:
    pages = await signed_in(site)
    secret = await enable_totp(site.services, site.tenant, site.user)
    wrong = {"code": wrong_code(secret, clock)}
    for _ in range(FACTOR_TRY_LIMIT - 1):
        refused = await pages.submit(SECURITY, f"{SECURITY}/totp/disable", wrong)
        assert refused.status_code == 401
    locked = await pages.submit(SECURITY, f"{SECURITY}/totp/disable", wrong)
    assert locked.status_code == 429
    assert "Too many wrong codes." in locked.text
    right = {"code": pyotp.TOTP(secret).at(clock.now())}
    assert (await pages.submit(SECURITY, f"{SECURITY}/totp/disable", right)).status_code == 429


@pytest.mark.parametrize("backup", [False, True])
async def test_turning_totp_off_takes_a_current_code(
    site: Site, clock: FrozenClock, backup: bool
) -> None:
    pages = await signed_in(site)
    secret = await enable_totp(site.services, site.tenant, site.user, backup_codes=["abcd-1234"])
    code = "abcd-1234" if backup else pyotp.TOTP(secret).at(clock.now())
    off = await pages.submit(SECURITY, f"{SECURITY}/totp/disable", {"code": code})
    assert off.status_code == 303, off.text
    assert off.headers["location"] == f"{pages.base}{SECURITY}?done=totp-off"
    shown = (await site.http.get(off.headers["location"])).text
    assert "Two-step sign-in is off" in shown
    assert "Set up two-step sign-in" in shown
    site.http.cookies.clear()
    await signed_in(site)  # the password alone again


@pytest.mark.parametrize("end_others", [True, False])
async def test_changing_the_password_ends_the_other_sessions_only_when_ticked(
    site: Site, end_others: bool
) -> None:
    other = await kratos_token(site)
    pages = await signed_in(site)
    fields = {
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
    }
    if end_others:
        fields["end_others"] = "on"
    changed = await pages.submit(SECURITY, f"{SECURITY}/password", fields)
    assert changed.status_code == 303, changed.text
    done = "password-others" if end_others else "password"
    assert changed.headers["location"] == f"{pages.base}{SECURITY}?done={done}"
    assert await whoami(site, other) == (401 if end_others else 200)
    assert (
        "Your password has been changed" in (await site.http.get(changed.headers["location"])).text
    )
    assert "This device" in (await pages.get()).text  # this session stays
    site.http.cookies.clear()
    await signed_in(site, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("current", "again", "status", "message"),
    [
        ("wrong password", NEW_PASSWORD, 401, "The current password is wrong."),
        (PASSWORD, "another passphrase", 400, "The new passwords do not match."),
    ],
)
async def test_a_password_change_is_refused_with_a_message(
    site: Site, current: str, again: str, status: int, message: str
) -> None:
    other = await kratos_token(site)
    pages = await signed_in(site)
    fields = {"current_password": current, "new_password": NEW_PASSWORD}
    refused = await pages.submit(
        SECURITY, f"{SECURITY}/password", {**fields, "new_password_again": again}
    )
    assert refused.status_code == status
    assert f'<p class="error" role="alert">{message}</p>' in refused.text
    assert 'type="checkbox">' in refused.text  # left unticked, as posted
    assert await whoami(site, other) == 200
    site.http.cookies.clear()
    await signed_in(site, PASSWORD)


async def test_guessing_the_current_password_is_throttled_like_signing_in(
    site: Site, clock: FrozenClock
) -> None:
    await site.services.tenants.change_settings(
        site.tenant.id,
        lambda s: replace(
            s,
            guesses=replace(s.guesses, account_failures=2, first_delay=timedelta(seconds=20)),
        ),
    )
    pages = await signed_in(site)
    fields = {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    for current in ("wrong password", "wrong again"):
        wrong = await pages.submit(
            SECURITY, f"{SECURITY}/password", {**fields, "current_password": current}
        )
        assert wrong.status_code == 401
    right = {**fields, "current_password": PASSWORD}
    refused = await pages.submit(SECURITY, f"{SECURITY}/password", right)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert "Too many wrong passwords. Try again in 20 seconds." in refused.text
    clock.advance(timedelta(seconds=20))
    assert (await pages.submit(SECURITY, f"{SECURITY}/password", right)).status_code == 303


async def test_a_too_short_new_password_is_refused_before_the_current_one_is_checked(
    site: Site,
) -> None:
    pages = await signed_in(site)
    fields = {"current_password": "wrong", "new_password": "short", "new_password_again": "short"}
    refused = await pages.submit(SECURITY, f"{SECURITY}/password", fields)
    assert refused.status_code == 400
    assert "The new password is not allowed: the password must be at least" in refused.text


@pytest.mark.parametrize("token", [None, "0" * 64])
async def test_a_security_form_posted_without_its_csrf_token_is_refused(
    site: Site, token: str | None
) -> None:
    other = await kratos_token(site)
    pages = await signed_in(site)
    csrf = {} if token is None else {"csrf_token": token}
    fields = {
        "/totp/begin": {},
        "/totp/confirm": {"code": "123456"},
        "/totp/disable": {"code": "123456"},
        "/password": {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "end_others": "on",
        },
    }
    for action, form in fields.items():
        refused = await pages.post(SECURITY + action, {**csrf, **form})
        assert refused.status_code == 403, action
        assert "did not come from this site" in refused.text
    assert await whoami(site, other) == 200
    assert 'id="totp-key"' not in (await pages.get(SECURITY)).text  # no set-up was begun
    site.http.cookies.clear()
    await signed_in(site, PASSWORD)


async def test_the_security_page_sends_a_signed_out_visitor_to_sign_in(site: Site) -> None:
    pages = site.pages()
    shown = await pages.get(SECURITY)
    assert shown.status_code == 303
    assert shown.headers["location"] == f"{pages.base}/sign-in"
    token = csrf_of((await pages.get("/sign-in")).text)
    posted = await pages.post(f"{SECURITY}/totp/begin", {"csrf_token": token})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{pages.base}/sign-in"
