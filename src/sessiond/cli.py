"""The `sessiond` command. Commands that create things print JSON with `--json`."""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm  # type: ignore[import-untyped]  # no stubs installed

from sessiond.cli_kit import run_command, settings_of, with_services
from sessiond.cli_table import render_table, session_payload
from sessiond.cli_webhooks import webhooks
from sessiond.compose import migrate
from sessiond.domain.errors import InvalidInput, SessiondError
from sessiond.domain.ids import parse_id, render_canonical
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionState
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import LimitPolicy, SessionSettings, Tenant
from sessiond.domain.user import Email, User, UserState
from sessiond.infra.logs import log_config
from sessiond.infra.metrics import shared_metrics_dir
from sessiond.services.container import Services
from sessiond.services.seeding import Seeder, SeedPlan
from sessiond.services.users import NewUser
from sessiond.settings import CONFIG_ENV, Settings

DEADLINE_PROTOCOL = "sessiond.infra.http_deadlines:DeadlineH11Protocol"


def _password_argument(value: str) -> str:
    return sys.stdin.readline().rstrip("\n") if value == "-" else value


def _emit(as_json: bool, payload: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(payload) if as_json else text)


def _lines(fields: dict[str, Any]) -> str:
    """`name: value` lines, how commands print a record without `--json`."""
    return "\n".join(f"{name}: {value}" for name, value in fields.items())


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=CONFIG_ENV,
    help="A TOML file of settings (or SESSIOND_CONFIG); SESSIOND_* variables override it.",
)
@click.pass_context
def main(ctx: click.Context, config_file: Path | None) -> None:
    """Self-hosted session and device management."""
    try:
        ctx.obj = Settings.load(os.environ, config_file)
    except SessiondError as exc:
        raise click.ClickException(exc.message) from exc
    if config_file is not None:
        os.environ[CONFIG_ENV] = str(config_file.resolve())


main.add_command(webhooks)


@main.command("migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Upgrade the database schema to the newest version."""
    run_command(migrate(settings_of(ctx)))
    click.echo("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--http",
    "http_parser",
    default="h11",
    show_default=True,
    type=click.Choice(["h11", "httptools"]),
    help="HTTP/1.1 implementation. httptools is faster but sends header names in lower case, "
    "which the official Kratos SDK cannot read from list answers (Link, X-Total-Count).",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="Log a line per request (uvicorn's format); off by default, as a busy server's log would "
    "hold little else.",
)
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int, http_parser: str, access_log: bool
) -> None:
    """Migrate, then serve HTTP (on uvloop where it is installed)."""
    import uvicorn

    settings = settings_of(ctx)
    run_command(migrate(settings))
    # Several workers count in files of one directory, so that a scrape adds them all up.
    counting: AbstractContextManager[object] = nullcontext()
    if workers > 1 and settings.metrics_enabled:
        counting = shared_metrics_dir(os.environ)
    try:
        with counting:
            uvicorn.run(
                "sessiond.app:app_from_environment",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                loop="auto",  # uvloop when importable
                # h11 with deadlines for reading a request (http_head_timeout, http_body_timeout)
                http=DEADLINE_PROTOCOL if http_parser == "h11" else http_parser,
                proxy_headers=False,
                server_header=False,
                access_log=access_log,
                log_config=log_config(settings.log_format),
            )
    except SessiondError as exc:
        raise click.ClickException(exc.message) from exc


@main.group()
def tenants() -> None:
    """Tenants."""


@tenants.command("create")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--json", "as_json", is_flag=True)
@with_services
async def tenants_create(services: Services, slug: str, name: str | None, as_json: bool) -> None:
    """Create a tenant and its first secret key (shown only once)."""
    created = await services.tenants.create(slug=slug, name=name)
    payload = {
        "id": render_canonical(created.tenant.id),
        "slug": created.tenant.slug,
        "publicKey": created.tenant.public_key,
        "secretKey": created.secret_key.raw,
    }
    _emit(as_json, payload, _lines(payload))


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
OFF = "off"
_UNSET: Any = object()  # an option not given, where None (`off`) is a value of its own


def _duration(text: str) -> timedelta:
    """`90`, `90s`, `15m`, `24h` or `30d`."""
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS else (text, "s")
    if not number.isdigit():
        raise click.BadParameter(f"{text!r} is not a duration such as 90s, 15m, 24h or 30d")
    return timedelta(seconds=int(number) * _UNITS[unit])


def _duration_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """A duration, `off` (None) where the option allows it, or UNSET when not given."""
    if value is None:
        return _UNSET
    return None if value == OFF else _duration(value)


def _count_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return _UNSET
    if value == OFF:
        return None
    if not value.isdigit():
        raise click.BadParameter(f"{value!r} is not a whole number or {OFF}")
    return int(value)


def _text_duration(value: timedelta | None) -> str:
    if value is None:
        return OFF
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _tenant_payload(tenant: Tenant) -> dict[str, Any]:
    settings = tenant.settings
    return {
        "id": render_canonical(tenant.id),
        "slug": tenant.slug,
        "name": tenant.name,
        "publicKey": tenant.public_key,
        "maxLifetimeSeconds": _seconds(settings.max_lifetime),
        "inactivityTimeoutSeconds": _seconds(settings.inactivity_timeout),
        "earliestExtendSeconds": _seconds(settings.earliest_possible_extend),
        "maxLiveSessions": settings.max_live_sessions,
        "limitPolicy": settings.limit_policy.value,
        "endedRetentionSeconds": _seconds(settings.ended_retention),
        "guessWindowSeconds": _seconds(settings.guesses.window),
        "accountFailures": settings.guesses.account_failures,
        "ipFailures": settings.guesses.ip_failures,
        "guessDelaySeconds": _seconds(settings.guesses.first_delay),
    }


def _tenant_text(tenant: Tenant) -> str:
    settings = tenant.settings
    lines = {
        "id": render_canonical(tenant.id),
        "slug": tenant.slug,
        "name": tenant.name,
        "public key": tenant.public_key,
        "max lifetime": _text_duration(settings.max_lifetime),
        "inactivity timeout": _text_duration(settings.inactivity_timeout),
        "earliest extend": _text_duration(settings.earliest_possible_extend),
        "max live sessions": OFF
        if settings.max_live_sessions is None
        else settings.max_live_sessions,
        "limit policy": settings.limit_policy.value,
        "ended retention": _text_duration(settings.ended_retention),
        "wrong passwords": f"{settings.guesses.account_failures} per account, "
        f"{settings.guesses.ip_failures} per IP in {_text_duration(settings.guesses.window)}, "
        f"then {_text_duration(settings.guesses.first_delay)} doubling",
    }
    return _lines(lines)


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def tenants_list(services: Services, as_json: bool) -> None:
    """Every tenant by slug: slug, id and name (`--json`: one object per line, as `show` prints
    it)."""
    for tenant in sorted(await services.tenants.list_all(), key=lambda t: t.slug):
        if as_json:
            click.echo(json.dumps(_tenant_payload(tenant)))
        else:
            click.echo(f"{tenant.slug}\t{render_canonical(tenant.id)}\t{tenant.name}")


@tenants.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def tenants_show(services: Services, slug: str, as_json: bool) -> None:
    """A tenant and its session settings."""
    tenant = await services.tenants.get_by_slug(slug)
    _emit(as_json, _tenant_payload(tenant), _tenant_text(tenant))


@tenants.command("set")
@click.argument("slug")
@click.option("--max-lifetime", callback=_duration_option, help="e.g. 24h; off is not allowed.")
@click.option("--inactivity-timeout", callback=_duration_option, help="A duration, or off.")
@click.option("--earliest-extend", callback=_duration_option, help="A duration, or off.")
@click.option("--max-live-sessions", callback=_count_option, help="Per user: a number, or off.")
@click.option("--limit-policy", type=click.Choice([p.value for p in LimitPolicy]), default=None)
@click.option("--ended-retention", callback=_duration_option, help="e.g. 30d; 0 deletes at once.")
@click.option("--account-failures", callback=_count_option, help="Wrong passwords per account.")
@click.option("--ip-failures", callback=_count_option, help="Wrong passwords per client IP.")
@click.option("--guess-window", callback=_duration_option, help="Their window, e.g. 15m.")
@click.option("--guess-delay", callback=_duration_option, help="The first wait once spent.")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def tenants_set(services: Services, slug: str, as_json: bool, **given: Any) -> None:
    """Change a tenant's session settings and wrong-password budgets; what is not given stays as
    it is. A shorter maximum lifetime cuts down live sessions at once, and every node sees the
    change within 100 ms."""
    changes = {
        "max_lifetime": given["max_lifetime"],
        "inactivity_timeout": given["inactivity_timeout"],
        "earliest_possible_extend": given["earliest_extend"],
        "max_live_sessions": given["max_live_sessions"],
        "limit_policy": _UNSET
        if given["limit_policy"] is None
        else LimitPolicy(given["limit_policy"]),
        "ended_retention": given["ended_retention"],
    }
    guesses = {
        "account_failures": given["account_failures"],
        "ip_failures": given["ip_failures"],
        "window": given["guess_window"],
        "first_delay": given["guess_delay"],
    }
    changes = {name: value for name, value in changes.items() if value is not _UNSET}
    guesses = {name: value for name, value in guesses.items() if value is not _UNSET}
    if not changes and not guesses:
        raise click.UsageError("give at least one setting to change")
    required = {"max_lifetime": "max-lifetime", "ended_retention": "ended-retention"}
    for name, option in required.items():
        if name in changes and changes[name] is None:
            raise click.BadParameter(f"--{option} cannot be {OFF}")
    if None in guesses.values():
        raise click.BadParameter(f"the wrong-password budgets cannot be {OFF}")

    def changed(settings: SessionSettings) -> SessionSettings:
        return replace(settings, **changes, guesses=replace(settings.guesses, **guesses))

    tenant = await services.tenants.get_by_slug(slug)
    updated = await services.tenants.change_settings(tenant.id, changed)
    _emit(as_json, _tenant_payload(updated), _tenant_text(updated))


@main.group()
def keys() -> None:
    """Secret keys."""


@keys.command("create")
@click.option("--tenant", "tenant_slug", default=None, help="The tenant the key belongs to.")
@click.option("--platform", is_flag=True, help="A platform key, for creating and listing tenants.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def keys_create(ctx: click.Context, tenant_slug: str | None, platform: bool, as_json: bool) -> None:
    """Create a secret key for a tenant, or a platform key; the key is shown only once."""
    if platform == (tenant_slug is not None):
        raise click.UsageError("give exactly one of --tenant SLUG or --platform")
    ctx.invoke(_keys_create, tenant_slug=tenant_slug, as_json=as_json)


@click.command()
@with_services
async def _keys_create(services: Services, tenant_slug: str | None, as_json: bool) -> None:
    if tenant_slug is None:
        new = await services.tenants.create_platform_key()
    else:
        tenant = await services.tenants.get_by_slug(tenant_slug)
        new = await services.tenants.create_secret_key(tenant.id)
    payload = {"id": render_canonical(new.key.id), "secretKey": new.raw}
    _emit(as_json, payload, new.raw)


@keys.command("list")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--json", "as_json", is_flag=True)
@with_services
async def keys_list(services: Services, tenant_slug: str, as_json: bool) -> None:
    """A tenant's secret keys, oldest first: id, created, revoked (only digests are stored, so
    no key is shown)."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    for key in await services.tenants.list_keys(tenant.id):
        revoked = None if key.revoked_at is None else key.revoked_at.isoformat()
        key_id, created = render_canonical(key.id), key.created_at.isoformat()
        payload = {"id": key_id, "createdAt": created, "revokedAt": revoked}
        click.echo(json.dumps(payload) if as_json else f"{key_id}\t{created}\t{revoked or 'live'}")


@keys.command("revoke")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("key_id")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def keys_revoke(services: Services, tenant_slug: str, key_id: str, as_json: bool) -> None:
    """Revoke one of a tenant's secret keys now: every request with it is refused from then on."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    parsed = parse_id(key_id, what="key id")
    if not await services.tenants.revoke_key(tenant.id, parsed):
        raise click.ClickException(f"tenant {tenant.slug!r} has no live key {key_id}")
    shown = render_canonical(parsed)
    _emit(as_json, {"id": shown, "revoked": True}, f"key {shown} revoked")


@main.group()
def users() -> None:
    """Users."""


@users.command("create")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--username", required=True)
@click.option(
    "--password",
    required=True,
    callback=lambda _ctx, _param, value: _password_argument(value),
    help="The password, or - to read it from stdin.",
)
@click.option("--email", default=None)
@click.option("--email-verified", is_flag=True, help="Mark --email as verified.")
@click.option("--name", default="")
@click.option("--role", "roles", multiple=True, help="Repeat for several roles (default: user).")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def users_create(
    services: Services,
    tenant_slug: str,
    username: str,
    password: str,
    email: str | None,
    email_verified: bool,
    name: str,
    roles: tuple[str, ...],
    as_json: bool,
) -> None:
    """Create a user with a password (argon2id-hashed; `--password -` reads stdin)."""
    if email_verified and not email:
        raise click.UsageError("--email-verified needs --email")
    tenant = await services.tenants.get_by_slug(tenant_slug)
    user = await services.users.create(
        tenant.id,
        NewUser(
            username=username,
            password=password,
            emails=(Email(email, verified=email_verified),) if email else (),
            name=name,
            roles=roles or ("user",),
        ),
    )
    _emit(as_json, _user_payload(user), render_canonical(user.id))


def _user_payload(user: User) -> dict[str, Any]:
    return {
        "id": render_canonical(user.id),
        "tenantId": render_canonical(user.tenant_id),
        "username": user.username,
        "name": user.name,
        "email": user.primary_email,
        "roles": list(user.roles),
        "state": user.state.value,
        "createdAt": user.created_at.isoformat(),
    }


async def _user(services: Services, tenant_slug: str, named: str) -> User:
    """The user `named` (an id, a username or an e-mail address) in the tenant."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    try:
        user_id = parse_id(named, what="user id")
    except InvalidInput:
        return await services.users.find(tenant.id, named)
    return await services.users.get(tenant.id, user_id)


@users.command("list")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True)
@with_services
async def users_list(services: Services, tenant_slug: str, limit: int, as_json: bool) -> None:
    """A tenant's users, newest first: id, username, state, e-mail (`--json`: one per line)."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    listed, total = await services.users.list_offset(tenant.id, offset=0, limit=limit)
    for user in listed:
        if as_json:
            click.echo(json.dumps(_user_payload(user)))
        else:
            fields = (render_canonical(user.id), user.username or "", user.state.value)
            click.echo("\t".join((*fields, user.primary_email or "")))
    if not as_json:
        click.echo(f"{len(listed)} of {total} users")


@users.command("show")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def users_show(services: Services, tenant_slug: str, user: str, as_json: bool) -> None:
    """One user, named by id, username or e-mail address."""
    payload = _user_payload(await _user(services, tenant_slug, user))
    _emit(as_json, payload, _lines(payload))


@users.command("suspend")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the user as `users show --json`.")
@with_services
async def users_suspend(services: Services, tenant_slug: str, user: str, as_json: bool) -> None:
    """Suspend a user: its sessions end now and it cannot sign in until unsuspended."""
    said = "suspended; its sessions are ended"
    await _set_state(services, tenant_slug, user, UserState.SUSPENDED, as_json, said)


@users.command("unsuspend")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the user as `users show --json`.")
@with_services
async def users_unsuspend(services: Services, tenant_slug: str, user: str, as_json: bool) -> None:
    """Let a suspended user sign in again (no ended session comes back)."""
    await _set_state(services, tenant_slug, user, UserState.ACTIVE, as_json, "is active")


async def _set_state(
    services: Services, tenant_slug: str, user: str, state: UserState, as_json: bool, said: str
) -> None:
    found = await _user(services, tenant_slug, user)
    changed = await services.users.set_state(found.tenant_id, found.id, state, by="cli")
    _emit(as_json, _user_payload(changed), f"user {render_canonical(found.id)} {said}")


@users.command("reset-2fa")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option("--json", "as_json", is_flag=True, help="Print the user as `users show --json`.")
@with_services
async def users_reset_2fa(services: Services, tenant_slug: str, user: str, as_json: bool) -> None:
    """Turn off a user's second factors (TOTP, backup codes, e-mailed codes) without a code, for
    one who lost them; the password alone signs them in until they set one up again."""
    found = await _user(services, tenant_slug, user)
    changed = await services.users.reset_second_factors(found.tenant_id, found.id)
    text = f"user {render_canonical(found.id)} has no second factor now"
    _emit(as_json, _user_payload(changed), text)


@users.command("unlock")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option(
    "--ip",
    "ips",
    multiple=True,
    callback=lambda _ctx, _param, values: tuple(_address(v) for v in values),
    help="Also clear this client address's budget (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
@with_services
async def users_unlock(
    services: Services, tenant_slug: str, user: str, ips: tuple[str, ...], as_json: bool
) -> None:
    """Clear the wrong-password counters of a user's username and e-mail addresses (and of the
    client addresses given), so that the next sign-in is checked at once."""
    found = await _user(services, tenant_slug, user)
    identifiers = [e.address for e in found.emails]
    if found.username is not None:
        identifiers.append(found.username)
    cleared = await services.sign_ins.guesses.unlock(
        found.tenant_id, identifiers=identifiers, ips=ips
    )
    user_id = render_canonical(found.id)
    payload = {"id": user_id, "failuresCleared": cleared}
    _emit(as_json, payload, f"user {user_id} unlocked; {cleared} failed attempts cleared")


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an IP address") from None


@users.command("delete")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option("--yes", is_flag=True, help="Confirm: the user and its sessions are deleted.")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def users_delete(
    services: Services, tenant_slug: str, user: str, yes: bool, as_json: bool
) -> None:
    """Delete a user with its sessions, for good."""
    if not yes:
        raise click.UsageError("deleting a user cannot be undone: add --yes")
    found = await _user(services, tenant_slug, user)
    await services.users.delete(found.tenant_id, found.id)
    user_id = render_canonical(found.id)
    _emit(as_json, {"id": user_id, "deleted": True}, f"user {user_id} deleted")


@users.command("set-password")
@click.option("--tenant", "tenant_slug", required=True)
@click.argument("user")
@click.option(
    "--password",
    required=True,
    callback=lambda _ctx, _param, value: _password_argument(value),
    help="The new password, or - to read it from stdin.",
)
@click.option("--end-sessions", is_flag=True, help="Also end every session the user has.")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def users_set_password(
    services: Services,
    tenant_slug: str,
    user: str,
    password: str,
    end_sessions: bool,
    as_json: bool,
) -> None:
    """Give a user a new password (argon2id-hashed; `--password -` reads stdin)."""
    found = await _user(services, tenant_slug, user)
    await services.users.change_password(
        found.tenant_id, found.id, password, end_sessions=end_sessions, by="cli"
    )
    user_id = render_canonical(found.id)
    ended = "; its sessions are ended" if end_sessions else ""
    payload = {"id": user_id, "sessionsEnded": end_sessions}
    _emit(as_json, payload, f"user {user_id} has a new password{ended}")


@main.group()
def audit() -> None:
    """The audit trail of administrative actions."""


@audit.command("list")
@click.option("--tenant", "tenant_slug", default=None, help="Only this tenant's actions.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True)
@with_services
async def audit_list(
    services: Services, tenant_slug: str | None, limit: int, as_json: bool
) -> None:
    """Administrative actions, newest first: when, who (cli, key or user, with the address it
    came from), what and its target (`--json`: one object per line)."""
    tenant_id = None
    if tenant_slug is not None:
        tenant_id = (await services.tenants.get_by_slug(tenant_slug)).id
    for entry in await services.audit.newest(tenant_id=tenant_id, limit=limit):
        payload = {
            "at": entry.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "actor": f"{entry.actor.kind.value}:{entry.actor.id}",
            "ip": entry.actor.ip,
            "action": entry.action,
            "tenantId": None if entry.tenant_id is None else render_canonical(entry.tenant_id),
            "target": entry.target,
        }
        if as_json:
            click.echo(json.dumps(payload))
        else:
            click.echo("\t".join(str(v) if v is not None else "-" for v in payload.values()))


@main.group()
def sessions() -> None:
    """Sessions."""


@sessions.command("list")
@click.option("--tenant", "tenant_slug", required=True)
@click.option("--user", "username", default=None)
@click.option("--all", "include_ended", is_flag=True, help="Include ended and expired sessions.")
@click.option("--filter", "text_filter", default=None, help="A regular expression on the device.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="One object per line, no table.")
@with_services
async def sessions_list(
    services: Services,
    tenant_slug: str,
    username: str | None,
    include_ended: bool,
    text_filter: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List a tenant's live sessions (or all with --all), newest first; --filter matches the
    browser, OS, device type or IP as the doors' session filters do."""
    tenant = await services.tenants.get_by_slug(tenant_slug)
    user_id = None
    if username is not None:
        user_id = (await services.users.find(tenant.id, username)).id
    query = SessionQuery(
        tenant_id=tenant.id,
        user_id=user_id,
        state=SessionState.ALL if include_ended else SessionState.LIVE,
        text_filter=text_filter,
    )
    page = await services.sessions.list_offset(query, OffsetPage(offset=0, limit=limit))
    now = services.deps.clock.now()
    if as_json:
        for record in page.items:
            click.echo(json.dumps(session_payload(record, now=now, settings=tenant.settings)))
        return
    click.echo(render_table(page.items, now=now, settings=tenant.settings))
    click.echo(f"{len(page.items)} of {page.total} sessions")


@sessions.command("revoke")
@click.argument("session_id", required=False)
@click.option("--tenant", "tenant_slug", default=None, help="Default: whichever tenant owns it.")
@click.option("--user", "user", default=None, help="Every live session of this user (--tenant).")
@click.option(
    "--filter",
    "text_filter",
    default=None,
    help="Every live session whose device matches this regular expression (--tenant).",
)
@click.option("--yes", is_flag=True, help="Confirm revoking every session of --user or --filter.")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def sessions_revoke(
    services: Services,
    session_id: str | None,
    tenant_slug: str | None,
    user: str | None,
    text_filter: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """End a session now; with --user every live session of a user; with --filter every live
    session of the tenant whose device matches (without --yes, only counts them). The rows are
    kept until the tenant's retention has passed."""
    if [session_id, user, text_filter].count(None) != 2:
        raise click.UsageError("give one of SESSION_ID, --user or --filter")
    if text_filter is not None:
        if tenant_slug is None:
            raise click.UsageError("--filter needs --tenant")
        await _revoke_matching(services, tenant_slug, text_filter, yes=yes, as_json=as_json)
        return
    if user is not None:
        if tenant_slug is None or not yes:
            raise click.UsageError("--user needs --tenant, and --yes to confirm")
        found = await _user(services, tenant_slug, user)
        count = await services.sessions.end_for_user(
            found.tenant_id, found.id, reason=EndReason.ADMIN_REVOKED, by="cli"
        )
        user_id = render_canonical(found.id)
        text = f"{count} sessions of user {user_id} revoked"
        _emit(as_json, {"userId": user_id, "revoked": count}, text)
        return
    assert session_id is not None
    sid = parse_id(session_id, what="session id")
    if tenant_slug is not None:
        tenant = await services.tenants.get_by_slug(tenant_slug)
        record = await services.sessions.get(tenant.id, sid)
    else:
        record = await services.sessions.locate(sid)
    ended = await services.sessions.end(
        record.session.tenant_id, sid, reason=EndReason.ADMIN_REVOKED, by="cli"
    )
    state = "revoked" if ended else "was already ended"
    shown = render_canonical(record.session.id)
    _emit(as_json, {"id": shown, "revoked": bool(ended)}, f"session {shown} {state}")


async def _revoke_matching(
    services: Services, tenant_slug: str, text_filter: str, *, yes: bool, as_json: bool
) -> None:
    tenant = await services.tenants.get_by_slug(tenant_slug)
    query = SessionQuery(tenant_id=tenant.id, text_filter=text_filter)
    matching = (await services.sessions.list_offset(query, OffsetPage(offset=0, limit=1))).total
    if not yes:
        text = f"{matching} live sessions match; add --yes to revoke them"
        _emit(as_json, {"matching": matching, "revoked": 0}, text)
        return
    with _progress(matching) as bar:
        count = await services.sessions.end_matching(
            query, reason=EndReason.ADMIN_REVOKED, by="cli", progress=bar.update
        )
    _emit(as_json, {"matching": matching, "revoked": count}, f"{count} sessions revoked")


def _progress(total: int | None, unit: str = " sessions") -> tqdm[None]:
    """A progress bar on stderr, shown only on a terminal."""
    return tqdm(
        total=total,
        unit=unit,
        unit_scale=True,
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )


@sessions.command("purge")
@click.option("--json", "as_json", is_flag=True)
@with_services
async def sessions_purge(services: Services, as_json: bool) -> None:
    """Delete sessions ended or expired longer ago than each tenant's retention (a progress bar
    on a terminal)."""
    with _progress(None) as bar:
        count = await services.sessions.purge(progress=bar.update)
    _emit(as_json, {"purged": count}, f"purged {count} sessions")


@main.command("seed")
@click.option("--tenant", "tenant_slug", required=True, help="The tenant (created when missing).")
@click.option("--users", "user_count", required=True, type=click.IntRange(min=0))
@click.option("--sessions", "session_count", required=True, type=click.IntRange(min=0))
@click.option("--ended-fraction", default=0.1, show_default=True, type=click.FloatRange(0, 1))
@click.option("--random-seed", default=1, show_default=True, type=int)
@click.option(
    "--days",
    default=28,
    show_default=True,
    type=click.IntRange(1, 3650),
    help="Sign-ins are spread over this many days, up to now.",
)
@click.option(
    "--password",
    default=None,
    callback=lambda _ctx, _param, value: None if value is None else _password_argument(value),
    help="Every seeded user's password (- reads stdin); by default one nobody knows.",
)
@click.option("--json", "as_json", is_flag=True)
@with_services
async def seed(
    services: Services,
    tenant_slug: str,
    user_count: int,
    session_count: int,
    ended_fraction: float,
    random_seed: int,
    days: int,
    password: str | None,
    as_json: bool,
) -> None:
    """Fill a tenant with synthetic users and sessions on realistic devices, for trials and
    benchmarks. A tenant made here keeps sessions for 30 days."""
    plan = SeedPlan(
        users=user_count,
        sessions=session_count,
        ended_fraction=ended_fraction,
        random_seed=random_seed,
        days=days,
        password=password,
    )
    seeder = Seeder(deps=services.deps, tenants=services.tenants)
    with _progress(user_count + session_count, unit=" rows") as bar:
        result = await seeder.seed(tenant_slug, plan, progress=bar.update)
    payload: dict[str, Any] = {
        "tenant": result.tenant.slug,
        "tenantId": render_canonical(result.tenant.id),
        "users": result.users,
        "sessions": result.sessions,
        "ended": result.ended,
        "expired": result.expired,
        "seconds": round(result.seconds, 3),
    }
    if result.secret_key is not None:
        payload["secretKey"] = result.secret_key
    text = (
        f"seeded tenant {result.tenant.slug}: {result.users} users, {result.sessions} sessions "
        f"({result.ended} ended, {result.expired} expired) in {result.seconds:.1f} s"
    )
    if result.secret_key is not None:
        text += f"\nnew tenant's secret key (shown once): {result.secret_key}"
    _emit(as_json, payload, text)
