"""The end-user pages in a real browser: Playwright driving Debian's chromium against a real
`sessiond serve` on loopback, on SQLite and PostgreSQL. Screenshots of each page, at desktop and
phone width, go to docs/screenshots/. Skipped without chromium, except under CI (a failure)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from sessiond.compose import open_services
from sessiond.domain.user import Totp
from sessiond.infra.totp import new_totp_secret
from sessiond.settings import Settings
from tests.helpers.live import LiveServer, live_server
from tests.helpers.web import FIREFOX_LINUX, SAFARI_IPHONE

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
# `make screenshots` sets this to docs/screenshots; otherwise they go to the test's tmp_path, so a
# test run never rewrites files the repository keeps.
SCREENSHOTS_ENV = "SESSIOND_SCREENSHOTS"
PASSWORD = "correct horse battery staple"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def browser(account: Account) -> Iterator[Browser]:
    """Launched after the server and its database are up and closed before they go: Playwright's
    sync API keeps an event loop running in this thread, where those fixtures call asyncio.run."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


@dataclass(frozen=True)
class Account:
    live: LiveServer
    user_id: str

    @property
    def pages(self) -> str:
        return f"{self.live.url}/t/default/account"

    def enable_totp(self) -> pyotp.TOTP:
        """TOTP on straight in the database (the security page's own flow has a test of its
        own), in a thread of its own: Playwright's sync API keeps an event loop running in this
        one."""
        with ThreadPoolExecutor(1) as pool:
            secret = pool.submit(asyncio.run, _enable_totp(self.live.database_url, self.user_id))
            return pyotp.TOTP(secret.result())


@pytest.fixture
def account(fresh_database: str, tmp_path: Path) -> Iterator[Account]:
    with live_server(fresh_database, tmp_path / "serve.log") as live:
        created = live.cli_json(
            "users", "create", "--tenant", "default", "--username", "ada",
            "--email", "ada@example.com", "--email-verified", "--password", PASSWORD,
        )  # fmt: skip
        yield Account(live, created.get("id") or created["user"]["id"])


async def _enable_totp(database_url: str, user_id: str) -> str:
    secret = new_totp_secret()
    services = await open_services(Settings(database_url=database_url))
    try:
        tenant = await services.tenants.get_by_slug("default")
        async with services.deps.store.unit_of_work() as uow:
            user = await uow.users.get_for_update(tenant.id, uuid.UUID(user_id))
            assert user is not None
            await uow.users.update(replace(user, totp=Totp(secret=secret, enabled=True)))
            await uow.commit()
    finally:
        await services.close()
    return secret


def _kratos_token(account: Account) -> str:
    with httpx.Client(base_url=account.live.url, headers={"user-agent": FIREFOX_LINUX}) as http:
        flow = http.get("/self-service/login/api").json()
        body = {"method": "password", "identifier": "ada", "password": PASSWORD}
        answer = http.post(f"/self-service/login?flow={flow['id']}", json=body)
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["session_token"]
        return token


def _rocketchat_login(account: Account) -> None:
    with httpx.Client(base_url=account.live.url, headers={"user-agent": SAFARI_IPHONE}) as http:
        answer = http.post("/api/v1/login", json={"user": "ada", "password": PASSWORD})
        assert answer.status_code == 200, answer.text


def _whoami(account: Account, token: str) -> int:
    answer = httpx.get(f"{account.live.url}/sessions/whoami", headers={"X-Session-Token": token})
    return answer.status_code


def _sign_in(page: Page, identifier: str) -> None:
    """Fills and posts the sign-in form the page shows."""
    page.get_by_label("Username or email").fill(identifier)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shoot(page: Page, name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(WIDTHS["desktop"])


def test_a_user_signs_in_with_totp_sees_the_other_doors_devices_and_ends_them(
    browser: Browser, account: Account, fresh_database: str, tmp_path: Path
) -> None:
    kratos = _kratos_token(account)
    _rocketchat_login(account)
    assert _whoami(account, kratos) == 200
    totp = account.enable_totp()
    shoot = fresh_database.startswith("sqlite")  # one set of screenshots is enough
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    page = browser.new_page(viewport=WIDTHS["desktop"])

    page.goto(account.pages)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username or email").fill("ada")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The username, email or password is wrong.")
    page.get_by_label("Password").fill(PASSWORD)
    if shoot:
        _shoot(page, "sign-in", folder)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    page.get_by_label("Code").fill(totp.now())
    if shoot:
        _shoot(page, "second-factor", folder)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Where you're signed in")).to_be_visible()
    sessions = page.locator("ul.sessions:not(.ended) > li")
    expect(sessions).to_have_count(3)
    expect(sessions.filter(has_text="This device")).to_have_count(1)
    firefox = sessions.filter(has_text="Firefox 128.0 on Linux")
    expect(firefox).to_have_count(1)
    expect(sessions.filter(has_text="Mobile Safari 17.5 on iOS 17.5")).to_have_count(1)
    if shoot:
        _shoot(page, "account", folder)

    firefox.get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("That session has been signed out.")
    expect(sessions).to_have_count(2)
    assert _whoami(account, kratos) == 401

    page.get_by_role("button", name="Sign out of all other sessions").click()
    expect(sessions).to_have_count(1)
    expect(page.locator("ul.ended > li")).to_have_count(2)
    if shoot:
        _shoot(page, "account-after", folder)

    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_user_signs_in_turns_totp_on_in_the_security_page_and_then_needs_a_code(
    browser: Browser, account: Account, fresh_database: str, tmp_path: Path
) -> None:
    kratos = _kratos_token(account)
    shoot = fresh_database.startswith("sqlite")
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    page = browser.new_page(viewport=WIDTHS["desktop"])
    page.goto(account.pages)
    page.get_by_label("Username or email").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Security").click()

    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    page.get_by_role("button", name="Set up two-step sign-in").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    if shoot:
        _shoot(page, "security", folder)
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("The 6-digit code your app shows now").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.get_by_role("list", name="Backup codes").locator("code").all_inner_texts()
    assert len(codes) == 12
    if shoot:
        _shoot(page, "backup-codes", folder)
    page.reload()  # shown once
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    expect(page.get_by_text("Signing in asks for a code")).to_be_visible()

    page.get_by_label("Current password", exact=True).fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("Repeat the new password").fill("a brand new passphrase")
    expect(page.get_by_label("Sign out everywhere else")).to_be_checked()
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("signed out everywhere else")
    assert _whoami(account, kratos) == 401

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username or email").fill("ada")
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Where you're signed in")).to_be_visible()


def test_a_form_posted_without_its_csrf_token_is_refused_in_the_browser(
    browser: Browser, account: Account
) -> None:
    page = browser.new_page()
    page.goto(f"{account.pages}/sign-in")
    page.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    page.get_by_label("Username or email").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Refused")).to_be_visible()


@pytest.fixture
def console(account: Account) -> str:
    """An admin (no second factor of their own: the console asks for the password) and 130
    seeded sessions of six users, signed in over the last day; the console's address."""
    account.live.cli_json(
        "users", "create", "--tenant", "default", "--username", "root",
        "--email", "root@example.com", "--password", PASSWORD, "--role", "admin",
    )  # fmt: skip
    account.live.cli_json(
        "seed", "--tenant", "default", "--users", "6", "--sessions", "130",
        "--days", "1", "--ended-fraction", "0", "--password", PASSWORD,
    )  # fmt: skip
    return f"{account.live.url}/t/default/admin"


def test_an_admin_proves_a_factor_filters_sorts_pages_and_ends_all_matching(
    browser: Browser, account: Account, console: str, fresh_database: str, tmp_path: Path
) -> None:
    shoot = fresh_database.startswith("sqlite")
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path / "screenshots")
    page = browser.new_page(viewport=WIDTHS["desktop"])
    page.goto(console)
    _sign_in(page, "root")
    page.goto(console)
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    if shoot:
        _shoot(page, "admin-gate", folder)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    rows = page.locator("table.sessions-table tbody tr[data-session]")
    expect(rows).to_have_count(50)
    if shoot:
        _shoot(page, "admin-sessions", folder)
    first_ids = rows.evaluate_all("rows => rows.map(row => row.dataset.session)")
    page.get_by_role("link", name="Next page").click()
    expect(rows).to_have_count(50)
    second_ids = rows.evaluate_all("rows => rows.map(row => row.dataset.session)")
    assert not set(first_ids) & set(second_ids)
    page.get_by_role("link", name="Previous page").click()
    expect(rows).to_have_count(50)
    assert rows.evaluate_all("rows => rows.map(row => row.dataset.session)") == first_ids

    page.get_by_role("link", name="Last active").click()
    expect(page.locator('th[aria-sort="descending"]')).to_have_text("Last active ↓")
    page.get_by_label("Browser").select_option("Chrome")
    page.get_by_role("button", name="Filter").click()
    total = int(page.locator("[data-total]").inner_text())
    assert 0 < total < 131
    expect(rows.filter(has_not_text="Chrome")).to_have_count(0)

    page.get_by_role("link", name="End all matching…").click()
    expect(page.get_by_role("heading", name="End matching sessions")).to_be_visible()
    expect(page.locator("[data-count]")).to_have_text(f"{total} live sessions")
    if shoot:
        _shoot(page, "admin-confirm", folder)
    page.get_by_role("button", name=f"End {total} sessions").click()
    expect(page.get_by_role("status").first).to_have_text(f"{total} sessions ended.")
    expect(page.locator("[data-total]")).to_have_text("0")

    page.get_by_role("link", name="Clear").click()
    rows.locator("td:nth-child(2) a").filter(has_not_text="root").first.click()
    expect(page.get_by_role("heading", name="Sign-in attempts")).to_be_visible()
    if shoot:
        _shoot(page, "admin-user", folder)
    page.get_by_role("link", name="Charts").click()
    expect(page.get_by_role("heading", name="Charts")).to_be_visible()
    expect(page.locator("figure.chart")).to_have_count(5)
    if shoot:
        _shoot(page, "admin-charts", folder)


def test_a_user_who_is_no_admin_gets_no_console_in_the_browser(
    browser: Browser, account: Account
) -> None:
    page = browser.new_page()
    page.goto(f"{account.pages}/sign-in")
    _sign_in(page, "ada")
    expect(page.get_by_role("heading", name="Where you're signed in")).to_be_visible()
    page.goto(f"{account.live.url}/t/default/admin")
    expect(page.get_by_role("heading", name="Refused")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
