"""Text filters mean the same on every backend.

SQLite runs them on RE2, PostgreSQL on its own engine. Each portable pattern must find what RE2
finds (case-insensitive, on the pattern as written), on both; every other pattern is refused on
both.
"""

from __future__ import annotations

import pytest
import re2
from sqlalchemy import String, literal, select

from sessiond.domain.device import UserAgentInfo
from sessiond.domain.errors import InvalidFilter
from sessiond.domain.listing import OffsetPage, SessionQuery, SessionRecord, SessionState
from sessiond.domain.session import EndReason
from sessiond.domain.tenant import Tenant
from sessiond.infra.regex import compile_filter, for_database
from sessiond.services.container import Services
from sessiond.services.context import Client
from sessiond.services.sign_in import PasswordSignIn
from sessiond.services.users import NewUser
from sessiond.store.repositories import listing

PASSWORD = "correct horse battery"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.5 Mobile/15E148 Safari/604.1"
)
RC_MOBILE = "RC Mobile; iOS 12.2; v3.4.0 (250)"

# user agent, username, name: the names carry what ASCII-only or locale-bound engines get wrong.
SIGN_INS = (
    (CHROME_WINDOWS, "alice", "Alice Smith"),
    (FIREFOX_LINUX, "bob.k", "José Ñúñez"),
    (SAFARI_IOS, "carol", "ZOË \u212aELVIN"),
    (RC_MOBILE, "dave_99", "Straße \u017fam \N{GREEK SMALL LETTER SIGMA}ς"),
    ("", "erin", "tab\there"),
)

PORTABLE = (
    "chrome",
    "CHROME",
    "^chrome$",
    "fire(fox|bird)",
    "win(dows)?",
    "lin|win",
    r"\bmobile\b",
    r"\bsafari$",
    r"^rc\b",
    r"\bios\b",
    r"\bjos\b",
    r"\bñ",
    r"ez\b",
    "^[a-z]+$",
    "^[[:alpha:]]+$",
    "[[:upper:]]{4}",
    r"^\w+$",
    r"^\w+\W\w+$",
    r"\d{3}",
    r"^[0-9a-f]{32}$",
    r"^\D+$",
    r"\s",
    r"^\S+\s\S+$",
    r"\t",
    "[[:space:]]",
    "[[:punct:]]",
    "é",
    "josé",
    "JOSÉ",
    "ñúñez",
    "[à-ÿ]",
    "k",
    "kelvin",
    "\u212a",
    "\N{LATIN SMALL LETTER LONG S}",
    "strasse",
    "straße",
    "STRAẞE",
    "\N{GREEK SMALL LETTER SIGMA}",
    "Σ",
    "ς",
    "zoë",
    "a.c",
    "^.{4}$",
    "^.{2,4}$",
    "^(?:.)+$",
    "(?:x|y)+",
    "in*?d",
    "o{2}",
    "e{1,}?",
    "s??",
    "[^a-z0-9 ]",
    "[]a]",
    "[^]a-z]",
    r"[\w.]+",
    r"\.",
    r"\-",
    "[-.]",
    r"bob\.k",
    "()",
)

UNPORTABLE = (
    r"chrome\z",
    r"\Achrome",
    r"\pL+",
    r"\p{Lu}",
    r"\PL",
    r"\Qa.b\E",
    r"\x41",
    r"\C",
    r"\v",
    r"\0",
    r"a\B",
    r"(a)\1",
    "(?i)chrome",
    "(?i:CHROME)",
    "(?s:.)",
    "(?U)x",
    "(?P<name>x)",
    "(?<name>x)",
    "(?=x)",
    "(?<!x)y",
    "[[.a.]]",
    "[[=a=]]",
    "[[:^alpha:]]",
    r"[\D]",
    "[a-z-9]",
    r"[\d-z]",
    "a{,2}",
    "a{256}",
    "x{",
    "a}",
    "^*",
    r"\b+",
    "$?",
)

SUBJECTS = (
    "Chrome",
    "chrome 113",
    "Mobile Safari",
    "RC Mobile",
    "mobile-app",
    "José",
    "JOSÉ",
    "jos!",
    "\u212a",
    "\u017f",
    "ß",
    "ẞ",
    "ς",
    "a\nb",
    "ab\n",
    "a\tb c",
    "a\u00a0b",
    "a\vb",
    "x_y",
    "日本語",
    "0123456789abcdef0123456789abcdef",
    "",
)


async def sign_in_everyone(services: Services, tenant: Tenant) -> list[SessionRecord]:
    for user_agent, username, name in SIGN_INS:
        await services.users.create(
            tenant.id, NewUser(username=username, password=PASSWORD, name=name)
        )
        await services.sign_ins.password(
            PasswordSignIn(
                tenant.id,
                identifier=username,
                password=PASSWORD,
                client=Client(user_agent=user_agent, ip="203.0.113.7"),
            )
        )
    query = SessionQuery(tenant.id, state=SessionState.ALL)
    page = await services.sessions.list_offset(query, OffsetPage(limit=100))
    assert page.total == len(SIGN_INS)
    return list(page.items)


def filtered_fields(record: SessionRecord, *, user_fields: bool) -> list[str | None]:
    agent = record.device.agent if record.device else UserAgentInfo(raw="")
    fields = [
        agent.browser_name,
        agent.app_name,
        agent.device_type,
        agent.app_kind,
        agent.os_name,
        record.session.id.hex,
        record.user.id.hex,
    ]
    if user_fields:
        fields += [record.user.username, record.user.name]
    return fields


def re2_finds(pattern: str, values: list[str | None]) -> bool:
    options = re2.Options()
    options.case_sensitive = False
    regexp = re2.compile(pattern, options)
    return any(value is not None and regexp.search(value) for value in values)


# With 0, every filter matches "many" sessions and its page is walked row by row; otherwise its
# few matches are read through the indexes first. Both must select what RE2 selects.
@pytest.mark.parametrize("sparse_matches", [listing.SPARSE_MATCHES, 0])
async def test_portable_filters_find_what_re2_finds(
    services: Services, tenant: Tenant, sparse_matches: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "SPARSE_MATCHES", sparse_matches)
    records = await sign_in_everyone(services, tenant)
    match_counts = set()
    for pattern in PORTABLE:
        for user_fields in (False, True):
            expected = {
                r.session.id
                for r in records
                if re2_finds(pattern, filtered_fields(r, user_fields=user_fields))
            }
            query = SessionQuery(
                tenant.id,
                state=SessionState.ALL,
                text_filter=pattern,
                filter_user_fields=user_fields,
            )

            page = await services.sessions.list_offset(query, OffsetPage(limit=100))

            assert {r.session.id for r in page.items} == expected, (pattern, user_fields)
            assert page.total == len(expected), (pattern, user_fields)
            match_counts.add(len(expected))
    assert len(match_counts) >= 4  # the table tells sessions apart, not all or nothing


async def test_a_session_matched_by_its_device_and_its_user_counts_once_in_every_state(
    services: Services, tenant: Tenant
) -> None:
    records = await sign_in_everyone(services, tenant)
    by_user = {r.user.username: r.session for r in records}
    await services.sessions.end(
        tenant.id, by_user["carol"].id, reason=EndReason.ADMIN_REVOKED, by="test"
    )
    # bob.k signed in with Firefox: matched by both; carol by her username only, and ended.
    expected = {
        SessionState.ALL: {by_user["bob.k"].id, by_user["carol"].id},
        SessionState.LIVE: {by_user["bob.k"].id},
        SessionState.ENDED: {by_user["carol"].id},
    }
    for state, sessions in expected.items():
        query = SessionQuery(
            tenant.id, state=state, text_filter="fire|bob|carol", filter_user_fields=True
        )
        offset = await services.sessions.list_offset(query, OffsetPage(limit=100))
        keyset = await services.sessions.list_keyset(query, size=100)

        assert {r.session.id for r in offset.items} == sessions, state
        assert {r.session.id for r in keyset.items} == sessions, state
        assert offset.total == keyset.total == len(sessions), state


async def test_portable_filters_match_the_same_strings(services: Services) -> None:
    dialect = services.deps.store.engine.dialect.name
    async with services.deps.store.engine.connect() as conn:
        for pattern in PORTABLE:
            database_pattern = for_database(compile_filter(pattern), dialect)
            row = (
                await conn.execute(
                    select(*[literal(s, String).regexp_match(database_pattern) for s in SUBJECTS])
                )
            ).one()

            matched = {s for s, found in zip(SUBJECTS, row, strict=True) if found}
            assert matched == {s for s in SUBJECTS if re2_finds(pattern, [s])}, pattern


async def test_unportable_filters_are_refused(services: Services, tenant: Tenant) -> None:
    await sign_in_everyone(services, tenant)
    for pattern in UNPORTABLE:
        query = SessionQuery(tenant.id, text_filter=pattern, filter_user_fields=True)
        with pytest.raises(InvalidFilter) as offset:
            await services.sessions.list_offset(query, OffsetPage())
        with pytest.raises(InvalidFilter) as keyset:
            await services.sessions.list_keyset(query, size=10)
        assert offset.value.message == keyset.value.message, pattern
        assert offset.value.message.startswith("invalid filter: "), pattern


def test_the_tables_hold_each_pattern_once() -> None:
    assert len(set(PORTABLE)) == len(PORTABLE)
    assert len(set(UNPORTABLE)) == len(UNPORTABLE)
    assert not set(PORTABLE) & set(UNPORTABLE)
