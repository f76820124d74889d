"""The tables each stage of `make bench` fills, with the goals issue 9 sets on their ratios."""

from __future__ import annotations

from collections.abc import Mapping

import seeded
from bench_report import Ratio, Row, Section
from ratios import paired_ratio
from wrk_load import Result

BARE = "bare starlette"
BETTER_AUTH = "better-auth get-session"
ARGON2 = "raw argon2id verify"
PG_SETUP = "PostgreSQL + Redis"
SQLITE_SETUP = "SQLite file, no Redis"


def rps(results: list[Result]) -> list[float]:
    return [r.per_second for r in results]


def token_section(samples: dict[str, list[Result]], setups: Mapping[str, str]) -> Section:
    bare, peer = rps(samples[BARE]), rps(samples[BETTER_AUTH])
    rows = [
        Row(BARE, "uvicorn + uvloop + h11", samples[BARE]),
        Row(BETTER_AUTH, "Node 20, PostgreSQL", samples[BETTER_AUTH]),
    ]
    for key, setup in setups.items():
        name = key.split(" @ ")[0]
        mine = rps(samples[key])
        to_bare, to_peer = paired_ratio(mine, bare), paired_ratio(mine, peer)
        if name not in ("kratos whoami", "rocketchat me"):
            ratios = (Ratio("bare", to_bare), Ratio("Better Auth", to_peer))
            rows.append(Row(name, setup, samples[key], ratios))
        elif setup == PG_SETUP:
            ratios = (Ratio("bare", to_bare, 0.5), Ratio("Better Auth", to_peer, 3))
            rows.append(Row(name, setup, samples[key], ratios, p99_under_ms=30))
        else:
            ratios = (Ratio("bare", to_bare, 0.4), Ratio("Better Auth", to_peer))
            rows.append(Row(name, setup, samples[key], ratios))
    return Section("Token checks", "req/s", rows)


def sign_in_section(samples: dict[str, list[Result]], thread_counts: tuple[int, ...]) -> Section:
    raw = rps(samples[ARGON2])
    tried = " or ".join(map(str, thread_counts))
    rows = [Row(ARGON2, f"best of {tried} threads, 1 process", samples[ARGON2])]
    for name, results in samples.items():
        if name != ARGON2:
            ratio = paired_ratio(rps(results), raw)
            rows.append(Row(name, PG_SETUP, results, (Ratio("raw argon2", ratio, 0.8),)))
    note = (
        "Sign-ins per second (completed, each a new session) against raw argon2id verifications "
        "per second at the same parameters; Kratos's p50/p99 cover both requests of its flow."
    )
    return Section("Password sign-in", "sign-ins/s", rows, note)


def list_section(samples: dict[str, list[Result]], spec: seeded.SeedSpec, depth: int) -> Section:
    setup = f"PostgreSQL + Redis, {spec.sessions:,} sessions, {spec.users:,} users"
    rows: list[Row] = []
    for door in ("pxyz", "kratos"):
        first = samples[f"{door} first page"]
        deep = samples[f"{door} deep page"]
        cost = Ratio("first page", paired_ratio(rps(first), rps(deep)), at_most=1.5)
        rows.append(Row(f"{door} first page", setup, first))
        rows.append(Row(f"{door} deep page", setup, deep, (cost,)))
    list_all = samples["rocketchat list.all filter"]
    rows.append(Row("rocketchat list.all filter", setup, list_all, p50_under_ms=250))
    note = (
        f"A deep page starts {depth:,} rows in (walked with each list's own next cursor or page "
        f"token); pages hold {seeded.PAGE} rows. A deep page's ratio is its time per request over "
        "the first page's."
    )
    return Section("Lists at scale", "req/s", rows, note)
