"""The `sessiond` command, driven through Click against a real SQLite file.

Sessions are made by signing in through the services, the way a front door will."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import shlex
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pyotp
import pytest
from click.testing import CliRunner, Result

from sessiond.cli import main
from sessiond.compose import open_services
from sessiond.domain.errors import AuthenticationFailed, TooManyGuesses
from sessiond.domain.ids import parse_id, render_canonical, render_pxyz
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.settings import Settings

T = TypeVar("T")
Env = dict[str, str | None]

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:128.0) Gecko/20100101 Firefox/128.0"
ALICE_PASSWORD = "pw-long-enough"
BOB_PASSWORD = "bobs-password-1"
UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TABLE_HEADER = ["SESSION", "USER", "BROWSER", "OS", "IP", "SIGNED", "IN", "LAST", "SEEN", "STATE"]

# No setting leaks in from the developer's shell; hashing is cheap so the tests stay fast.
ISOLATED: Env = {
    "SESSIOND_CONFIG": None,
    **{f"SESSIOND_{field.name.upper()}": None for field in dataclasses.fields(Settings)},
    "SESSIOND_PASSWORD_TIME_COST": "1",
    "SESSIOND_PASSWORD_MEMORY_COST": "1024",
}


class Invoke(Protocol):
    def __call__(self, line: str, *, input: str | None = None, env: Env | None = None) -> Result:
        """Runs `sessiond <line>`, the line split as a POSIX shell would."""


def with_services(url: str, use: Callable[[Services], Coroutine[Any, Any, T]]) -> T:
    async def run() -> T:
        settings = Settings(database_url=url, password_time_cost=1, password_memory_cost=1024)
        services = await open_services(settings)
        try:
            return await use(services)
        finally:
            await services.close()

    return asyncio.run(run())


def sign_in(
    url: str, *, tenant: str, username: str, password: str, ua: str = "", ip: str = "192.0.2.1"
) -> str:
    """Signs in through the services; returns the new session's id in canonical form."""

    async def use(services: Services) -> str:
        found = await services.tenants.get_by_slug(tenant)
        result = await services.sign_ins.password(
            PasswordSignIn(
                found.id,
                identifier=username,
                password=password,
                client=Client(user_agent=ua, ip=ip),
            )
        )
        assert result.issued is not None
        return render_canonical(result.issued.record.session.id)

    return with_services(url, use)


def assert_clean_failure(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert result.stdout == ""


def assert_usage_error(result: Result, message: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Usage:" in result.stderr
    assert message in result.stderr


def table_rows(output: str) -> list[list[str]]:
    """The rows of `sessions list`, each split on whitespace."""
    lines = output.splitlines()
    assert lines[0].split() == TABLE_HEADER
    assert re.fullmatch(r"\d+ of \d+ sessions", lines[-1])
    return [line.split() for line in lines[1:-1]]


def row_for(output: str, session_id: str) -> list[str]:
    matches = [row for row in table_rows(output) if row[0] == session_id]
    assert len(matches) == 1, output
    return matches[0]


def ids_in(output: str) -> list[str]:
    return [row[0] for row in table_rows(output)]


def summary(output: str) -> str:
    return output.splitlines()[-1]


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "x.db"


@pytest.fixture
def url(database_file: Path) -> str:
    return f"sqlite:///{database_file}"


@pytest.fixture
def cli(url: str) -> Invoke:
    runner = CliRunner()

    def invoke(line: str, *, input: str | None = None, env: Env | None = None) -> Result:
        merged: Env = {**ISOLATED, "SESSIOND_DATABASE_URL": url, **(env or {})}
        return runner.invoke(main, shlex.split(line), input=input, env=merged)

    return invoke


@pytest.fixture
def ok(cli: Invoke) -> Invoke:
    """`cli` that also asserts the command succeeded."""

    def invoke(line: str, *, input: str | None = None, env: Env | None = None) -> Result:
        result = cli(line, input=input, env=env)
        assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


@dataclasses.dataclass(frozen=True)
class Acme:
    tenant: dict[str, str]
    alice: dict[str, Any]


@pytest.fixture
def acme(ok: Invoke) -> Acme:
    """A migrated database with the tenant `acme` and its users alice and bob."""
    ok("migrate")
    tenant = json.loads(ok("tenants create acme --json").stdout)
    alice = json.loads(
        ok(
            f"users create --tenant acme --username alice --password '{ALICE_PASSWORD}' "
            "--email a@x.io --name Alice --role admin --role user --json"
        ).stdout
    )
    ok(f"users create --tenant acme --username bob --password '{BOB_PASSWORD}'")
    return Acme(tenant, alice)


# migrate


def test_migrate_twice_on_a_fresh_file(ok: Invoke, url: str, database_file: Path) -> None:
    assert not database_file.exists()
    assert ok("migrate").stdout == "database is up to date\n"
    assert ok("migrate").stdout == "database is up to date\n"
    assert database_file.exists()

    assert summary(ok("sessions list --tenant default").stdout) == "0 of 0 sessions"

    async def slugs(services: Services) -> list[str]:
        return [tenant.slug for tenant in await services.tenants.list_all()]

    assert with_services(url, slugs) == ["default"]


def test_migrate_keeps_existing_tenants(ok: Invoke, url: str) -> None:
    ok("migrate")
    ok("tenants create acme")
    ok("migrate")

    async def slugs(services: Services) -> list[str]:
        return sorted(tenant.slug for tenant in await services.tenants.list_all())

    assert with_services(url, slugs) == ["acme", "default"]


def test_an_unsupported_database_url_is_a_clean_error(cli: Invoke) -> None:
    result = cli("migrate", env={"SESSIOND_DATABASE_URL": "mysql://db/sessiond"})
    assert_clean_failure(result, "unsupported database 'mysql': use sqlite:/// or postgresql://")


def test_a_bad_setting_is_a_clean_error(cli: Invoke) -> None:
    result = cli("migrate", env={"SESSIOND_DB_POOL_SIZE": "lots"})
    assert_clean_failure(result, "setting db_pool_size must be a whole number")


# tenants


def test_tenants_create_prints_exactly_the_documented_keys(ok: Invoke, url: str) -> None:
    ok("migrate")
    created = json.loads(ok("tenants create acme --name 'Acme Inc' --json").stdout)
    assert set(created) == {"id", "slug", "publicKey", "secretKey"}
    assert UUID7.fullmatch(created["id"])
    assert created["slug"] == "acme"
    assert created["publicKey"].startswith("pk_")
    assert created["secretKey"].startswith("sk_")

    async def check(services: Services) -> None:
        tenant = await services.tenants.get_by_slug("acme")
        assert render_canonical(tenant.id) == created["id"]
        assert tenant.name == "Acme Inc"
        assert tenant.public_key == created["publicKey"]
        key = await services.tenants.authenticate_key(created["secretKey"])
        assert key.tenant_id == tenant.id

    with_services(url, check)


def test_tenants_create_without_json_prints_readable_lines(ok: Invoke) -> None:
    ok("migrate")
    lines = ok("tenants create acme").stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == ["id", "slug", "publicKey", "secretKey"]
    assert "slug: acme" in lines


def test_a_duplicate_slug_fails_cleanly(ok: Invoke, cli: Invoke) -> None:
    ok("migrate")
    ok("tenants create acme --json")
    assert_clean_failure(cli("tenants create acme --json"), "tenant 'acme' already exists")


@pytest.mark.parametrize("slug", ["Acme", "'acme corp'", "acme-", "a" * 65, "acme_", "''"])
def test_a_malformed_slug_fails_cleanly(ok: Invoke, cli: Invoke, slug: str) -> None:
    ok("migrate")
    assert_clean_failure(cli(f"tenants create {slug}"), "must be 1-64 lower-case letters")


def test_tenants_show_prints_the_session_settings(acme: Acme, ok: Invoke) -> None:
    shown = json.loads(ok("tenants show acme --json").stdout)
    assert shown == {
        "id": acme.tenant["id"],
        "slug": "acme",
        "name": "acme",
        "publicKey": acme.tenant["publicKey"],
        "maxLifetimeSeconds": 86400,
        "inactivityTimeoutSeconds": None,
        "earliestExtendSeconds": None,
        "maxLiveSessions": None,
        "limitPolicy": "evict_oldest",
        "endedRetentionSeconds": 30 * 86400,
        "guessWindowSeconds": 900,
        "accountFailures": 10,
        "ipFailures": 100,
        "guessDelaySeconds": 30,
    }
    lines = ok("tenants show acme").stdout.splitlines()
    assert "max lifetime: 1d" in lines
    assert "inactivity timeout: off" in lines


def test_tenants_list_names_every_tenant(acme: Acme, ok: Invoke) -> None:
    rows = [line.split("\t") for line in ok("tenants list").stdout.splitlines()]
    assert [row[0] for row in rows] == ["acme", "default"]
    assert rows[0][1] == acme.tenant["id"]
    listed = [json.loads(line) for line in ok("tenants list --json").stdout.splitlines()]
    assert [tenant["slug"] for tenant in listed] == ["acme", "default"]


def test_tenants_set_changes_only_what_is_given(acme: Acme, ok: Invoke, url: str) -> None:
    line = "tenants set acme --max-lifetime 2h --inactivity-timeout 30m --max-live-sessions 3"
    changed = json.loads(ok(f"{line} --limit-policy deny --json").stdout)
    assert changed["maxLifetimeSeconds"] == 7200
    assert changed["inactivityTimeoutSeconds"] == 1800
    assert changed["maxLiveSessions"] == 3
    assert changed["limitPolicy"] == "deny"
    assert changed["endedRetentionSeconds"] == 30 * 86400

    ok("tenants set acme --inactivity-timeout off --max-live-sessions off")
    shown = json.loads(ok("tenants show acme --json").stdout)
    assert (shown["inactivityTimeoutSeconds"], shown["maxLiveSessions"]) == (None, None)
    assert (shown["maxLifetimeSeconds"], shown["limitPolicy"]) == (7200, "deny")

    async def stored(services: Services) -> timedelta:
        return (await services.tenants.get_by_slug("acme")).settings.max_lifetime

    assert with_services(url, stored) == timedelta(hours=2)


def test_tenants_set_changes_the_wrong_password_budgets(acme: Acme, ok: Invoke) -> None:
    line = "tenants set acme --account-failures 5 --ip-failures 50 --guess-window 1h"
    changed = json.loads(ok(f"{line} --guess-delay 1m --json").stdout)
    assert changed["accountFailures"] == 5
    assert changed["ipFailures"] == 50
    assert (changed["guessWindowSeconds"], changed["guessDelaySeconds"]) == (3600, 60)
    assert changed["maxLifetimeSeconds"] == 24 * 3600
    shown = ok("tenants show acme").stdout
    assert "wrong passwords: 5 per account, 50 per IP in 1h, then 1m doubling" in shown


def test_users_unlock_lets_a_throttled_user_sign_in_at_once(
    acme: Acme, ok: Invoke, cli: Invoke, url: str
) -> None:
    ok("tenants set acme --account-failures 2")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            sign_in(url, tenant="acme", username="a@x.io", password="wrong", ip="192.0.2.9")
    with pytest.raises(TooManyGuesses):
        sign_in(url, tenant="acme", username="a@x.io", password=ALICE_PASSWORD, ip="192.0.2.9")

    unlocked = json.loads(ok("users unlock --tenant acme alice --ip 192.0.2.9 --json").stdout)
    assert unlocked == {"id": acme.alice["id"], "failuresCleared": 4}
    sign_in(url, tenant="acme", username="a@x.io", password=ALICE_PASSWORD, ip="192.0.2.9")
    assert "0 failed attempts cleared" in ok("users unlock --tenant acme alice").stdout
    assert "is not an IP address" in cli("users unlock --tenant acme alice --ip nope").stderr


def test_tenants_set_cuts_live_sessions_down_to_a_shorter_lifetime(
    acme: Acme, ok: Invoke, url: str
) -> None:
    session_id = sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    ok("tenants set acme --max-lifetime 1h")

    async def lifetime(services: Services) -> timedelta:
        tenant = await services.tenants.get_by_slug("acme")
        session = (await services.sessions.get(tenant.id, parse_id(session_id))).session
        return session.expires_at - session.created_at

    assert with_services(url, lifetime) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("", "give at least one setting to change"),
        ("--max-lifetime soon", "is not a duration such as 90s, 15m, 24h or 30d"),
        ("--max-lifetime off", "--max-lifetime cannot be off"),
        ("--max-lifetime 0", "max_lifetime must be positive"),
        ("--max-live-sessions many", "is not a whole number or off"),
        ("--max-live-sessions 0", "the live-session limit must be between 1"),
        ("--limit-policy never", "Invalid value for '--limit-policy'"),
        ("--account-failures off", "the wrong-password budgets cannot be off"),
        ("--ip-failures 0", "ip_failures must be between 1"),
        ("--guess-window 0", "window must be a whole number of seconds"),
    ],
)
def test_tenants_set_refuses_bad_values_cleanly(
    acme: Acme, cli: Invoke, options: str, message: str
) -> None:
    answer = cli(f"tenants set acme {options}")
    assert answer.exit_code in (1, 2)
    assert message in answer.stderr


def test_tenants_set_of_an_unknown_tenant_fails_cleanly(ok: Invoke, cli: Invoke) -> None:
    ok("migrate")
    assert_clean_failure(cli("tenants set nope --max-lifetime 1h"), "tenant 'nope' does not exist")


def test_users_list_and_show(acme: Acme, ok: Invoke) -> None:
    listed = ok("users list --tenant acme").stdout.splitlines()
    assert [line.split("\t")[1] for line in listed[:-1]] == ["bob", "alice"]
    assert listed[-1] == "2 of 2 users"
    as_json = [
        json.loads(line) for line in ok("users list --tenant acme --json").stdout.splitlines()
    ]
    assert [user["username"] for user in as_json] == ["bob", "alice"]
    for named in ("alice", "a@x.io", acme.alice["id"]):
        assert json.loads(ok(f"users show --tenant acme {named} --json").stdout) == acme.alice


def test_users_suspend_ends_the_sessions_and_unsuspend_lets_the_user_in(
    acme: Acme, ok: Invoke, cli: Invoke, url: str
) -> None:
    session_id = sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    assert "suspended" in ok("users suspend --tenant acme alice").stdout
    assert row_for(ok("sessions list --tenant acme --all").stdout, session_id)[-2:] == [
        "ended",
        "(user_suspended)",
    ]
    with pytest.raises(AuthenticationFailed):
        sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    active = json.loads(ok("users unsuspend --tenant acme a@x.io --json").stdout)
    assert active == {**acme.alice, "state": "active"}
    sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    suspended = json.loads(ok("users suspend --tenant acme alice --json").stdout)
    assert suspended["state"] == "suspended"


def test_sessions_revoke_filter_counts_first_then_revokes_every_match(
    acme: Acme, ok: Invoke, cli: Invoke, url: str
) -> None:
    firefox = [
        sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD, ua=FIREFOX_MAC)
        for _ in range(3)
    ]
    chrome = sign_in(url, tenant="acme", username="bob", password=BOB_PASSWORD, ua=CHROME_WINDOWS)
    counted = json.loads(ok("sessions revoke --tenant acme --filter firefox --json").stdout)
    assert counted == {"matching": 3, "revoked": 0}
    done = json.loads(ok("sessions revoke --tenant acme --filter firefox --yes --json").stdout)
    assert done == {"matching": 3, "revoked": 3}
    listed = [
        json.loads(line)
        for line in ok("sessions list --tenant acme --all --json").stdout.splitlines()
    ]
    states = {entry["id"]: entry["state"] for entry in listed}
    assert {states[i] for i in firefox} == {"ended (admin_revoked)"}
    assert states[chrome] == "live"
    [bob] = [entry for entry in listed if entry["id"] == chrome]
    assert (bob["username"], bob["browser"], bob["ip"]) == ("bob", "Chrome 126.0.0.0", "192.0.2.1")
    assert "give one of SESSION_ID, --user or --filter" in cli("sessions revoke").stderr
    assert "--filter needs --tenant" in cli("sessions revoke --filter x --yes").stderr
    assert_clean_failure(cli("sessions revoke --tenant acme --filter '(' --yes"), "missing )")


def test_audit_list_shows_what_operators_did_newest_first(acme: Acme, ok: Invoke) -> None:
    ok("users suspend --tenant acme alice")
    ok("tenants set acme --max-live-sessions 5")
    listed = [
        json.loads(line) for line in ok("audit list --tenant acme --json").stdout.splitlines()
    ]
    assert [(e["action"], e["target"]) for e in listed[:2]] == [
        ("tenants.settings", None),
        ("users.suspend", parse_id(acme.alice["id"]).hex),
    ]
    assert {e["actor"].split(":")[0] for e in listed} == {"cli"}
    assert listed[0]["tenantId"] == json.loads(ok("tenants show acme --json").stdout)["id"]
    assert "users.suspend" in ok("audit list --limit 5").stdout


def test_users_set_password_and_delete(acme: Acme, ok: Invoke, cli: Invoke, url: str) -> None:
    sign_in(url, tenant="acme", username="bob", password=BOB_PASSWORD)
    out = ok(
        "users set-password --tenant acme bob --password - --end-sessions", input="n3w-pass!\n"
    )
    assert "has a new password; its sessions are ended" in out.stdout
    assert table_rows(ok("sessions list --tenant acme --user bob").stdout) == []
    with pytest.raises(AuthenticationFailed):
        sign_in(url, tenant="acme", username="bob", password=BOB_PASSWORD)
    sign_in(url, tenant="acme", username="bob", password="n3w-pass!")

    refused = cli("users delete --tenant acme bob")
    assert refused.exit_code == 2
    assert "add --yes" in refused.stderr
    deleted = json.loads(ok("users delete --tenant acme bob --yes --json").stdout)
    assert deleted["deleted"] is True
    assert_clean_failure(cli("users show --tenant acme bob"), "no user has that username")


def test_users_reset_2fa_turns_the_second_factor_off(acme: Acme, ok: Invoke, url: str) -> None:
    async def enrol(services: Services) -> bool:
        tenant = await services.tenants.get_by_slug("acme")
        user = await services.users.find(tenant.id, "alice")
        pending = await services.totp_enrolment.begin(tenant.id, user.id, issuer="test")
        code = pyotp.TOTP(pending.secret).now()
        await services.totp_enrolment.confirm(tenant.id, user.id, code)
        return (await services.users.get(tenant.id, user.id)).has_second_factor

    assert with_services(url, enrol)
    out = ok("users reset-2fa --tenant acme alice").stdout
    assert out == f"user {acme.alice['id']} has no second factor now\n"

    async def factor(services: Services) -> bool:
        tenant = await services.tenants.get_by_slug("acme")
        return (await services.users.find(tenant.id, "alice")).has_second_factor

    assert not with_services(url, factor)
    sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)


def test_users_create_with_a_verified_email(ok: Invoke, cli: Invoke, url: str) -> None:
    ok("migrate")
    ok(
        f"users create --tenant default --username vera --password '{ALICE_PASSWORD}' "
        "--email v@x.io --email-verified"
    )

    async def verified(services: Services) -> list[bool]:
        tenant = await services.tenants.get_by_slug("default")
        return [e.verified for e in (await services.users.find(tenant.id, "vera")).emails]

    assert with_services(url, verified) == [True]
    lone = cli(
        f"users create --tenant default --username x --password '{ALICE_PASSWORD}' --email-verified"
    )
    assert lone.exit_code == 2
    assert "--email-verified needs --email" in lone.stderr


def test_sessions_revoke_every_session_of_a_user(
    acme: Acme, ok: Invoke, cli: Invoke, url: str
) -> None:
    for _ in range(2):
        sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    kept = sign_in(url, tenant="acme", username="bob", password=BOB_PASSWORD)
    assert cli("sessions revoke --tenant acme --user alice").exit_code == 2
    assert cli(f"sessions revoke {kept} --tenant acme --user alice --yes").exit_code == 2
    out = ok("sessions revoke --tenant acme --user alice --yes").stdout
    assert out == f"2 sessions of user {acme.alice['id']} revoked\n"
    assert ids_in(ok("sessions list --tenant acme").stdout) == [kept]
    again = json.loads(ok("sessions revoke --tenant acme --user alice --yes --json").stdout)
    assert again == {"userId": acme.alice["id"], "revoked": 0}
    one = json.loads(ok(f"sessions revoke {kept} --json").stdout)
    assert one == {"id": kept, "revoked": True}
    assert json.loads(ok("sessions purge --json").stdout) == {"purged": 0}


def test_keys_list_and_revoke(acme: Acme, ok: Invoke, cli: Invoke, url: str) -> None:
    second = json.loads(ok("keys create --tenant acme --json").stdout)
    rows = [line.split("\t") for line in ok("keys list --tenant acme").stdout.splitlines()]
    assert [row[2] for row in rows] == ["live", "live"]
    assert rows[1][0] == second["id"]

    assert ok(f"keys revoke --tenant acme {second['id']}").stdout == f"key {second['id']} revoked\n"
    listed = [json.loads(line) for line in ok("keys list --tenant acme --json").stdout.splitlines()]
    assert listed[0]["revokedAt"] is None
    assert listed[1]["revokedAt"] is not None
    assert_clean_failure(cli(f"keys revoke --tenant acme {second['id']}"), "has no live key")
    assert_clean_failure(cli(f"keys revoke --tenant default {listed[0]['id']}"), "has no live key")

    async def refused(services: Services) -> None:
        with pytest.raises(AuthenticationFailed):
            await services.tenants.authenticate_key(second["secretKey"])

    with_services(url, refused)


# keys


def test_keys_create_for_a_tenant(acme: Acme, ok: Invoke, url: str) -> None:
    created = json.loads(ok("keys create --tenant acme --json").stdout)
    assert set(created) == {"id", "secretKey"}
    assert created["secretKey"].startswith("sk_")
    assert created["secretKey"] != acme.tenant["secretKey"]

    async def check(services: Services) -> None:
        key = await services.tenants.authenticate_key(created["secretKey"])
        assert render_canonical(key.id) == created["id"]
        assert key.tenant_id is not None
        assert render_canonical(key.tenant_id) == acme.tenant["id"]
        # The tenant's first key still works beside the new one.
        await services.tenants.authenticate_key(acme.tenant["secretKey"])

    with_services(url, check)


def test_keys_create_for_the_platform(ok: Invoke, url: str) -> None:
    ok("migrate")
    created = json.loads(ok("keys create --platform --json").stdout)
    assert set(created) == {"id", "secretKey"}
    assert created["secretKey"].startswith("pk_platform_")

    async def check(services: Services) -> None:
        key = await services.tenants.authenticate_key(created["secretKey"])
        assert key.tenant_id is None

    with_services(url, check)


def test_keys_create_without_json_prints_only_the_key(ok: Invoke) -> None:
    ok("migrate")
    assert re.fullmatch(r"sk_[A-Za-z0-9_-]{43}\n", ok("keys create --tenant default").stdout)


@pytest.mark.parametrize("flags", ["", "--tenant default --platform"], ids=["neither", "both"])
def test_keys_create_needs_exactly_one_of_tenant_or_platform(
    ok: Invoke, cli: Invoke, flags: str
) -> None:
    ok("migrate")
    result = cli(f"keys create {flags} --json")
    assert_usage_error(result, "give exactly one of --tenant SLUG or --platform")
    assert result.stdout == ""


def test_keys_create_for_an_unknown_tenant_fails_cleanly(ok: Invoke, cli: Invoke) -> None:
    ok("migrate")
    assert_clean_failure(cli("keys create --tenant nope"), "tenant 'nope' does not exist")


def test_raw_secret_keys_are_not_stored(acme: Acme, ok: Invoke, database_file: Path) -> None:
    platform = json.loads(ok("keys create --platform --json").stdout)["secretKey"]
    stored = b"".join(
        path.read_bytes() for path in database_file.parent.iterdir() if path.name.startswith("x.db")
    )
    assert acme.tenant["publicKey"].encode() in stored
    assert acme.tenant["secretKey"].encode() not in stored
    assert platform.encode() not in stored


# users


def test_users_create_prints_the_user(acme: Acme, url: str) -> None:
    assert acme.alice == {
        "id": acme.alice["id"],
        "tenantId": acme.tenant["id"],
        "username": "alice",
        "name": "Alice",
        "email": "a@x.io",
        "roles": ["admin", "user"],
        "state": "active",
        "createdAt": acme.alice["createdAt"],
    }
    assert UUID7.fullmatch(acme.alice["id"])

    async def check(services: Services) -> None:
        tenant = await services.tenants.get_by_slug("acme")
        user = await services.users.find(tenant.id, "alice")
        assert render_canonical(user.id) == acme.alice["id"]
        assert user.roles == ("admin", "user")
        assert [(e.address, e.verified) for e in user.emails] == [("a@x.io", False)]
        assert user.password_hash is not None
        assert user.password_hash.startswith("sha256:$argon2id$")

    with_services(url, check)
    sign_in(url, tenant="acme", username="a@x.io", password=ALICE_PASSWORD)


def test_users_create_defaults(ok: Invoke) -> None:
    ok("migrate")
    created = json.loads(
        ok(
            "users create --tenant default --username carol --password carols-password --json"
        ).stdout
    )
    assert created["roles"] == ["user"]
    assert created["email"] is None
    assert created["name"] == ""


def test_users_create_without_json_prints_the_id(ok: Invoke) -> None:
    ok("migrate")
    printed = ok("users create --tenant default --username carol --password carols-password")
    assert UUID7.fullmatch(printed.stdout.rstrip("\n"))


def test_users_create_reads_the_password_from_stdin(ok: Invoke, url: str) -> None:
    ok("migrate")
    ok("users create --tenant default --username dave --password -", input="from stdin, not argv\n")
    sign_in(url, tenant="default", username="dave", password="from stdin, not argv")

    async def dash_is_not_the_password(services: Services) -> None:
        tenant = await services.tenants.get_by_slug("default")
        with pytest.raises(AuthenticationFailed):
            await services.sign_ins.password(
                PasswordSignIn(tenant.id, identifier="dave", password="-", client=Client())
            )

    with_services(url, dash_is_not_the_password)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            "--tenant acme --username eve --password short",
            "the password must be at least 8 characters long",
        ),
        ("--tenant nope --username eve --password long-enough-1", "tenant 'nope' does not exist"),
        ("--tenant acme --username alice --password long-enough-1", "username is already taken"),
        ("--tenant acme --username a@x.io --password long-enough-1", "username is already taken"),
        ("--tenant acme --username eve --password long-enough-1 --email x", "'x' is not an email"),
        ("--tenant acme --username ' eve' --password long-enough-1", "a username is 1-128"),
    ],
    ids=[
        "weak-password",
        "unknown-tenant",
        "duplicate-username",
        "username-is-an-email",
        "bad-email",
        "bad-username",
    ],
)
def test_users_create_fails_cleanly(acme: Acme, cli: Invoke, options: str, message: str) -> None:
    assert_clean_failure(cli(f"users create {options} --json"), message)


def test_users_create_requires_tenant_username_and_password(ok: Invoke, cli: Invoke) -> None:
    ok("migrate")
    assert_usage_error(cli("users create --username x --password y"), "'--tenant'")
    assert_usage_error(cli("users create --tenant default --password y"), "'--username'")
    assert_usage_error(cli("users create --tenant default --username x"), "'--password'")


# sessions


def test_sessions_list_of_a_new_tenant_is_an_empty_table(acme: Acme, ok: Invoke) -> None:
    listed = ok("sessions list --tenant acme").stdout
    assert table_rows(listed) == []
    assert summary(listed) == "0 of 0 sessions"


def test_sessions_list_shows_the_device_and_filters_by_user(
    acme: Acme, ok: Invoke, url: str
) -> None:
    alice = sign_in(
        url,
        tenant="acme",
        username="alice",
        password=ALICE_PASSWORD,
        ua=CHROME_WINDOWS,
        ip="203.0.113.7",
    )
    bob = sign_in(
        url,
        tenant="acme",
        username="bob",
        password=BOB_PASSWORD,
        ua=FIREFOX_MAC,
        ip="2001:db8::5",
    )

    listed = ok("sessions list --tenant acme").stdout
    assert summary(listed) == "2 of 2 sessions"
    assert ids_in(listed) == [bob, alice]  # newest first
    alice_row = row_for(listed, alice)
    assert alice_row[1:3] == ["alice", "Chrome"]
    assert "Windows" in alice_row
    assert "203.0.113.7" in alice_row
    assert alice_row[-1] == "live"
    bob_row = row_for(listed, bob)
    assert bob_row[1:3] == ["bob", "Firefox"]
    assert "2001:db8::5" in bob_row

    only_alice = ok("sessions list --tenant acme --user alice").stdout
    assert ids_in(only_alice) == [alice]
    assert summary(only_alice) == "1 of 1 sessions"
    assert ids_in(ok("sessions list --tenant acme --user a@x.io").stdout) == [alice]

    limited = ok("sessions list --tenant acme --limit 1").stdout
    assert ids_in(limited) == [bob]
    assert summary(limited) == "1 of 2 sessions"


def test_sessions_list_keeps_tenants_apart(acme: Acme, ok: Invoke, url: str) -> None:
    sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    assert summary(ok("sessions list --tenant default").stdout) == "0 of 0 sessions"


def test_sessions_list_fails_cleanly(acme: Acme, cli: Invoke) -> None:
    assert_clean_failure(cli("sessions list --tenant nope"), "tenant 'nope' does not exist")
    assert_clean_failure(
        cli("sessions list --tenant acme --user nobody"),
        "no user has that username or email address",
    )
    assert_usage_error(cli("sessions list"), "'--tenant'")
    assert_usage_error(cli("sessions list --tenant acme --limit 0"), "'--limit'")


def test_sessions_revoke_ends_the_session(acme: Acme, ok: Invoke, url: str) -> None:
    session_id = sign_in(
        url,
        tenant="acme",
        username="alice",
        password=ALICE_PASSWORD,
        ua=CHROME_WINDOWS,
        ip="203.0.113.7",
    )

    assert ok(f"sessions revoke {session_id}").stdout == f"session {session_id} revoked\n"

    live = ok("sessions list --tenant acme").stdout
    assert table_rows(live) == []
    assert summary(live) == "0 of 0 sessions"

    everything = ok("sessions list --tenant acme --all").stdout
    assert row_for(everything, session_id)[-2:] == ["ended", "(admin_revoked)"]
    assert summary(everything) == "1 of 1 sessions"

    again = ok(f"sessions revoke {session_id} --tenant acme").stdout
    assert again == f"session {session_id} was already ended\n"

    async def how_it_ended(services: Services) -> tuple[str | None, str | None]:
        tenant = await services.tenants.get_by_slug("acme")
        session = (await services.sessions.get(tenant.id, parse_id(session_id))).session
        return (session.end_reason and session.end_reason.value, session.ended_by)

    assert with_services(url, how_it_ended) == ("admin_revoked", "cli")


def test_sessions_revoke_accepts_every_rendered_id_form(acme: Acme, ok: Invoke, url: str) -> None:
    first, second = (
        sign_in(url, tenant="acme", username="bob", password=BOB_PASSWORD) for _ in range(2)
    )
    pxyz_form = render_pxyz(parse_id(first))
    hex_form = parse_id(second).hex
    assert ok(f"sessions revoke {pxyz_form}").stdout == f"session {first} revoked\n"
    assert ok(f"sessions revoke {hex_form}").stdout == f"session {second} revoked\n"
    assert summary(ok("sessions list --tenant acme").stdout) == "0 of 0 sessions"


@pytest.mark.parametrize("bad", ["not-an-id", "123", "c" + "z" * 32, "''", "x" * 500])
def test_sessions_revoke_of_a_malformed_id_fails_cleanly(acme: Acme, cli: Invoke, bad: str) -> None:
    result = cli(f"sessions revoke {bad}")
    assert_clean_failure(result, "is not a valid id")
    assert result.stderr.startswith("Error: session id ")
    assert len(result.stderr) < 200


def test_sessions_revoke_of_an_unknown_session_fails_cleanly(
    acme: Acme, cli: Invoke, url: str
) -> None:
    unknown = "01890a5d-ac96-774b-bcce-b302099a8057"
    assert_clean_failure(cli(f"sessions revoke {unknown}"), f"session {unknown} does not exist")
    theirs = sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    assert_clean_failure(
        cli(f"sessions revoke {theirs} --tenant default"), f"session {theirs} does not exist"
    )
    assert_clean_failure(cli(f"sessions revoke {theirs} --tenant nope"), "tenant 'nope'")


def test_sessions_purge_deletes_only_past_retention(acme: Acme, ok: Invoke, url: str) -> None:
    assert ok("sessions purge").stdout == "purged 0 sessions\n"
    session_id = sign_in(url, tenant="acme", username="alice", password=ALICE_PASSWORD)
    live_one = sign_in(url, tenant="acme", username="bob", password=BOB_PASSWORD)
    ok(f"sessions revoke {session_id}")
    # The default retention is 30 days, so the ended session stays for now.
    assert ok("sessions purge").stdout == "purged 0 sessions\n"
    assert summary(ok("sessions list --tenant acme --all").stdout) == "2 of 2 sessions"

    ok("tenants set acme --ended-retention 0")
    assert ok("sessions purge").stdout == "purged 1 sessions\n"
    assert ids_in(ok("sessions list --tenant acme --all").stdout) == [live_one]


# --config


def test_config_file_gives_the_database_url(
    cli: Invoke, tmp_path: Path, database_file: Path
) -> None:
    from_file = tmp_path / "from-file.db"
    config = tmp_path / "sessiond.toml"
    config.write_text(f'database_url = "sqlite:///{from_file}"\n', encoding="utf-8")
    without_env: Env = {"SESSIOND_DATABASE_URL": None}
    quoted = shlex.quote(str(config))

    assert cli(f"--config {quoted} migrate", env=without_env).exit_code == 0
    assert cli(f"--config {quoted} tenants create filed", env=without_env).exit_code == 0
    assert from_file.exists()
    assert not database_file.exists()

    listed = cli(
        "sessions list --tenant filed", env={"SESSIOND_DATABASE_URL": f"sqlite:///{from_file}"}
    )
    assert listed.exit_code == 0, listed.output


def test_environment_overrides_the_config_file(
    ok: Invoke, tmp_path: Path, database_file: Path
) -> None:
    from_file = tmp_path / "from-file.db"
    config = tmp_path / "sessiond.toml"
    config.write_text(f'database_url = "sqlite:///{from_file}"\n', encoding="utf-8")
    quoted = shlex.quote(str(config))

    ok(f"--config {quoted} migrate")
    ok(f"--config {quoted} tenants create via-env")
    assert database_file.exists()
    assert not from_file.exists()
    ok("sessions list --tenant via-env")


def test_a_bad_config_file_fails_cleanly(cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert_clean_failure(cli(f"--config {missing} migrate"), "cannot read the config file")

    unknown = tmp_path / "unknown.toml"
    unknown.write_text('database = "sqlite:///x.db"\n', encoding="utf-8")
    assert_clean_failure(cli(f"--config {unknown} migrate"), "unknown settings: database")


def test_help_lists_every_command(cli: Invoke) -> None:
    commands = re.compile(r"^  ([a-z]+)\b", re.MULTILINE)
    top = cli("--help")
    assert top.exit_code == 0
    assert commands.findall(top.stdout.split("Commands:")[1]) == [
        "audit",
        "keys",
        "migrate",
        "seed",
        "serve",
        "sessions",
        "tenants",
        "users",
        "webhooks",
    ]
    sessions = cli("sessions --help").stdout.split("Commands:")[1]
    assert commands.findall(sessions) == ["list", "purge", "revoke"]
    hooks = cli("webhooks --help").stdout.split("Commands:")[1]
    assert re.findall(r"^  ([a-z-]+)\b", hooks, re.MULTILINE) == [
        "create",
        "delete",
        "list",
        "list-deliveries",
        "replay",
    ]


def test_webhooks_commands_refuse_what_they_cannot_do(cli: Invoke, ok: Invoke) -> None:
    unknown = "01927d3e-0000-7000-8000-000000000000"
    ok("migrate")
    assert cli("webhooks replay").exit_code == 2
    assert cli(f"webhooks replay {unknown} --failed").exit_code == 2
    bad_type = cli("webhooks create --tenant default --url https://h.example --event user.hacked")
    assert bad_type.exit_code == 2
    bad_url = cli("webhooks create --tenant default --url h.example --event user.created")
    assert bad_url.exit_code == 1
    assert "http or https" in bad_url.output
    for line in (f"webhooks delete --tenant default {unknown}", f"webhooks replay {unknown}"):
        missing = cli(line)
        assert missing.exit_code == 1
        assert "does not exist" in missing.output
    assert ok("webhooks replay --failed --json").stdout == '{"replayed": 0}\n'
