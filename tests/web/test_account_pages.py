"""The end-user pages through the real ASGI app, on every backend: signing in (with a second
factor), the sessions made through the other doors listed with their device, ending them so that
every door refuses their tokens, and the guards (CSRF, cookie flags, headers)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pyotp
import pytest

from sessiond.domain.ids import render_hex
from sessiond.domain.user import UserState
from sessiond.infra.clock import FrozenClock
from sessiond.services.container import Services
from sessiond.settings import Settings
from tests.helpers.asgi import app_client
from tests.helpers.tenants import unique_slug
from tests.helpers.users import enable_totp
from tests.helpers.web import (
    EMAIL,
    FIREFOX_LINUX,
    PASSWORD,
    SAFARI_IPHONE,
    Site,
    csrf_of,
    kratos_token,
    signed_in,
    whoami,
)

CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


async def _rocketchat_token(site: Site, user_agent: str) -> str:
    answer = await site.http.post(
        "/api/v1/login",
        headers={"user-agent": user_agent},
        json={"user": EMAIL, "password": PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["data"]["authToken"]
    return token


async def test_signing_in_with_a_password_opens_the_account_with_this_device(site: Site) -> None:
    pages = site.pages()
    answer = await pages.sign_in(EMAIL, PASSWORD)
    assert answer.status_code == 303, answer.text
    shown = await pages.get()
    assert shown.status_code == 200
    assert "<h1>Where you're signed in</h1>" in shown.text
    assert shown.text.count("This device") == 1
    assert "Chrome 126.0.0.0 on Windows 10" in shown.text, shown.text


async def test_the_session_cookie_is_http_only_lax_and_scoped_to_the_tenant(site: Site) -> None:
    answer = await site.pages().sign_in("ada", PASSWORD)
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("sessiond_web_session=")
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert f"path=/t/{site.tenant.slug}/" in flags
    assert "secure" not in flags


async def test_cookies_are_secure_when_the_page_is_served_over_https(site: Site) -> None:
    url = f"https://sessiond.test/t/{site.tenant.slug}/account/sign-in"
    shown = await site.http.get(url)
    assert all("secure" in c.lower() for c in shown.headers.get_list("set-cookie"))
    answer = await site.http.post(
        url, data={"csrf_token": csrf_of(shown.text), "identifier": "ada", "password": PASSWORD}
    )
    assert answer.status_code == 303
    cookies = answer.headers.get_list("set-cookie")
    assert cookies
    assert all("; secure" in c.lower() for c in cookies)


@pytest.mark.parametrize("identifier", ["ada", "nobody"])
async def test_a_wrong_password_or_unknown_user_gets_one_generic_message(
    site: Site, identifier: str
) -> None:
    answer = await site.pages().sign_in(identifier, "wrong password")
    assert answer.status_code == 401
    assert "The username, email or password is wrong." in answer.text
    assert "sessiond_web_session=" not in answer.headers.get("set-cookie", "")


async def test_too_many_guesses_show_the_wait_in_the_page(site: Site, clock: FrozenClock) -> None:
    await site.services.tenants.change_settings(
        site.tenant.id,
        lambda s: replace(
            s,
            guesses=replace(s.guesses, account_failures=2, first_delay=timedelta(seconds=20)),
        ),
    )
    pages = site.pages()
    for _ in range(2):
        assert (await pages.sign_in("ada", "wrong password")).status_code == 401
    refused = await pages.sign_in("ada", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert "Too many failed sign-in attempts. Try again in 20 seconds." in refused.text
    clock.advance(timedelta(seconds=20))
    assert (await pages.sign_in("ada", PASSWORD)).status_code == 303


async def test_a_user_with_totp_signs_in_in_two_steps(site: Site, clock: FrozenClock) -> None:
    secret = await enable_totp(site.services, site.tenant, site.user, backup_codes=["abcd-1234"])
    pages = site.pages()
    first = await pages.sign_in("ada", PASSWORD)
    assert first.status_code == 303
    assert first.headers["location"] == f"{pages.base}/second-factor"
    assert (await pages.get()).status_code == 303  # no session yet

    wrong = await pages.submit("/second-factor", "/second-factor", {"code": "000000"})
    if pyotp.TOTP(secret).verify("000000", for_time=clock.now(), valid_window=2):
        pytest.skip("the random secret made 000000 a right code")
    assert wrong.status_code == 401
    assert "The code is wrong or was already used." in wrong.text

    code = pyotp.TOTP(secret).at(clock.now())
    done = await pages.submit("/second-factor", "/second-factor", {"code": code})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == pages.base
    assert "This device" in (await pages.get()).text


async def test_a_backup_code_also_completes_the_second_step(site: Site) -> None:
    await enable_totp(site.services, site.tenant, site.user, backup_codes=["abcd-1234"])
    pages = site.pages()
    assert (await pages.sign_in("ada", PASSWORD)).status_code == 303
    done = await pages.submit("/second-factor", "/second-factor", {"code": "abcd-1234"})
    assert done.status_code == 303, done.text
    assert "This device" in (await pages.get()).text


async def test_the_second_step_belongs_to_the_browser_that_proved_the_password(
    site: Site,
) -> None:
    await enable_totp(site.services, site.tenant, site.user, backup_codes=["abcd-1234"])
    pages = site.pages()
    assert (await pages.sign_in("ada", PASSWORD)).status_code == 303
    stolen = site.http.cookies.get("sessiond_web_attempt")
    assert stolen
    site.http.cookies.clear()  # another browser, holding the first one's attempt cookie
    token = csrf_of((await pages.get("/sign-in")).text)
    site.http.cookies.set(
        "sessiond_web_attempt", stolen, domain="sessiond.test", path=f"/t/{site.tenant.slug}/"
    )
    tried = await pages.post("/second-factor", {"csrf_token": token, "code": "abcd-1234"})
    assert tried.status_code == 303
    assert tried.headers["location"] == f"{pages.base}/sign-in"
    assert (await pages.get()).headers["location"].endswith("/sign-in")


async def test_a_user_suspended_before_the_code_arrives_is_sent_back_to_sign_in(
    site: Site,
) -> None:
    await enable_totp(site.services, site.tenant, site.user, backup_codes=["abcd-1234"])
    pages = site.pages()
    assert (await pages.sign_in("ada", PASSWORD)).status_code == 303
    await site.services.users.set_state(
        site.tenant.id, site.user.id, UserState.SUSPENDED, by="test"
    )
    refused = await pages.submit("/second-factor", "/second-factor", {"code": "abcd-1234"})
    assert refused.status_code == 401
    assert "The username, email or password is wrong." in refused.text


async def test_a_password_change_ends_a_sign_in_waiting_for_its_code(site: Site) -> None:
    await enable_totp(site.services, site.tenant, site.user, backup_codes=["abcd-1234"])
    pages = site.pages()
    assert (await pages.sign_in("ada", PASSWORD)).status_code == 303
    await site.services.users.change_password(site.tenant.id, site.user.id, "a new passphrase")
    refused = await pages.submit("/second-factor", "/second-factor", {"code": "abcd-1234"})
    assert refused.status_code == 401
    assert "The sign-in has expired." in refused.text


async def test_sessions_from_the_other_doors_are_listed_with_their_device(site: Site) -> None:
    await kratos_token(site, FIREFOX_LINUX)
    await _rocketchat_token(site, SAFARI_IPHONE)
    pages = await signed_in(site)
    shown = (await pages.get()).text
    assert "Firefox 128.0 on Linux" in shown
    assert "Mobile Safari 17.5 on iOS 17.5" in shown
    assert 'aria-label="Phone"' in shown
    assert 'aria-label="Computer"' in shown
    assert shown.count("data-session=") == 3


async def test_ending_a_session_in_the_page_makes_the_kratos_door_refuse_it(site: Site) -> None:
    token = await kratos_token(site, FIREFOX_LINUX)
    found = await site.http.get("/sessions/whoami", headers={"X-Session-Token": token})
    session_id = render_hex(uuid.UUID(found.json()["id"]))
    pages = await signed_in(site)

    ended = await pages.submit("", f"/sessions/{session_id}/end", {})
    assert ended.status_code == 303
    assert ended.headers["location"] == f"{pages.base}?done=ended"
    assert await whoami(site, token) == 401
    shown = (await site.http.get(ended.headers["location"])).text
    assert "That session has been signed out." in shown
    assert "Signed out from another device" in shown
    assert shown.count("This device") == 1


async def test_signing_out_of_all_others_keeps_only_this_one(site: Site) -> None:
    kratos = await kratos_token(site, FIREFOX_LINUX)
    rocketchat = await _rocketchat_token(site, SAFARI_IPHONE)
    pages = await signed_in(site)

    ended = await pages.submit("", "/sessions/end-others", {})
    assert ended.status_code == 303
    assert await whoami(site, kratos) == 401
    me = await site.http.get(
        "/api/v1/me", headers={"X-User-Id": site.user.id.hex, "X-Auth-Token": rocketchat}
    )
    assert me.status_code == 401
    shown = (await pages.get()).text
    assert shown.count("This device") == 1
    assert shown.count("all others") == 2


async def test_signing_out_ends_the_session_and_the_cookie_then_leads_to_sign_in(
    site: Site,
) -> None:
    pages = await signed_in(site)
    out = await pages.submit("", "/sign-out", {})
    assert out.status_code == 303
    assert out.headers["location"] == f"{pages.base}/sign-in"
    assert (await pages.get()).headers["location"] == f"{pages.base}/sign-in"


async def test_an_ended_session_cookie_leads_back_to_sign_in(site: Site) -> None:
    pages = await signed_in(site)
    await site.services.sessions.end_for_user(
        site.tenant.id,
        site.user.id,
        reason=__import__("sessiond").domain.session.EndReason.REVOKED_ALL,
        by=None,
    )
    answer = await pages.get()
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{pages.base}/sign-in"


@pytest.mark.parametrize("token", [None, "0" * 64])
async def test_a_post_without_the_right_csrf_token_is_refused(
    site: Site, token: str | None
) -> None:
    other = await kratos_token(site, FIREFOX_LINUX)
    pages = await signed_in(site)
    form = {} if token is None else {"csrf_token": token}
    for action in ("/sessions/end-others", "/sign-out"):
        refused = await pages.post(action, form)
        assert refused.status_code == 403
        assert "did not come from this site" in refused.text
    assert await whoami(site, other) == 200
    assert (await pages.get()).status_code == 200


async def test_a_post_from_another_origin_is_refused_even_with_the_right_token(
    site: Site,
) -> None:
    pages = site.pages()
    token = csrf_of((await pages.get("/sign-in")).text)
    form = {"csrf_token": token, "identifier": "ada", "password": PASSWORD}
    sibling = {"origin": "http://evil.sessiond.test"}
    refused = await site.http.post(f"{pages.base}/sign-in", data=form, headers=sibling)
    assert refused.status_code == 403
    ours = {"origin": "http://sessiond.test"}
    signed = await site.http.post(f"{pages.base}/sign-in", data=form, headers=ours)
    assert signed.status_code == 303
    assert signed.headers["location"] == pages.base


async def test_a_sign_in_post_without_the_pre_session_token_is_refused(site: Site) -> None:
    pages = site.pages()
    refused = await pages.post("/sign-in", {"identifier": "ada", "password": PASSWORD})
    assert refused.status_code == 403
    shown = await pages.get("/sign-in")
    stolen = csrf_of(shown.text)
    site.http.cookies.clear()
    refused = await pages.post(
        "/sign-in", {"csrf_token": stolen, "identifier": "ada", "password": PASSWORD}
    )
    assert refused.status_code == 403


async def test_every_answer_carries_the_security_headers(site: Site) -> None:
    pages = site.pages()
    answers = [
        await pages.get("/sign-in"),
        await pages.post("/sign-in", {}),
        await site.http.get("/t/no-such-tenant/account"),
        await site.http.get("/t/_static/web.css"),
    ]
    assert [a.status_code for a in answers] == [200, 403, 404, 200]
    for answer in answers:
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["cache-control"] == "no-store"
    assert "<script" not in answers[0].text
    assert 'name="viewport"' in answers[0].text
    assert '<label for="identifier">' in answers[0].text


async def test_an_unknown_tenant_gets_a_not_found_page(site: Site) -> None:
    answer = await site.http.get("/t/no-such-tenant/account/sign-in")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "There is no page here." in answer.text


@pytest.mark.parametrize(("trusted", "secure"), [("203.0.113.0/24", True), ("", False)])
async def test_cookies_are_secure_behind_a_trusted_proxy_that_says_https(
    settings: Settings, services: Services, trusted: str, secure: bool
) -> None:
    tenant = (await services.tenants.create(slug=unique_slug("web"))).tenant
    async with app_client(replace(settings, trusted_proxies=trusted), services) as http:
        shown = await http.get(
            f"/t/{tenant.slug}/account/sign-in", headers={"x-forwarded-proto": "https"}
        )
    [cookie] = shown.headers.get_list("set-cookie")
    assert ("; secure" in cookie.lower()) is secure


async def test_an_expired_session_cookie_leads_back_to_sign_in(
    site: Site, clock: FrozenClock
) -> None:
    pages = await signed_in(site)
    clock.advance(site.tenant.settings.max_lifetime)
    answer = await pages.get()
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{pages.base}/sign-in"
