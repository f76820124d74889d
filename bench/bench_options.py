"""`make bench`'s command line, and how the run it describes measures (for docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import betterauth
import seeded

DOCS = Path(__file__).resolve().parent.parent / "docs"
STAGES = ("tokens", "sign-ins", "lists")


@dataclass(frozen=True, slots=True)
class Options:
    rounds: int
    seconds: int
    connections: int
    threads: int
    list_connections: int
    sign_in_connections: int
    postgres: str
    redis: str
    seed: seeded.SeedSpec
    depth: int
    filter: str
    docs: Path | None
    command: str
    stages: frozenset[str]


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description="sessiond over HTTP against bare Starlette and Better Auth (make bench)."
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--sign-in-connections", type=int, default=8, help="connections for sign-ins"
    )
    parser.add_argument(
        "--list-connections", type=int, default=1, help="connections for the list stage"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="'' for none")
    parser.add_argument("--seed-sessions", type=int, default=1_000_000, help="0 skips lists")
    parser.add_argument("--seed-users", type=int, default=10_000)
    parser.add_argument("--random-seed", type=int, default=1)
    parser.add_argument("--fresh-seed", action="store_true", help="seed again even if kept")
    parser.add_argument(
        "--seed-database", default=None, help="the seeded database (default: by its size)"
    )
    parser.add_argument("--depth", type=int, default=10_000, help="rows before the deep page")
    parser.add_argument("--filter", default="firefox", help="list.all's text filter")
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"comma-separated, of {', '.join(STAGES)} (default: all)",
    )
    parser.add_argument("--docs", default=str(DOCS), help="where to write; '' writes nothing")
    parser.add_argument("--command", default=None, help="the command to record in the docs")
    args = parser.parse_args(argv)
    return Options(
        rounds=args.rounds,
        seconds=args.seconds,
        connections=args.connections,
        threads=args.threads,
        list_connections=args.list_connections,
        sign_in_connections=args.sign_in_connections,
        postgres=args.postgres,
        redis=args.redis,
        seed=seeded.SeedSpec(
            users=args.seed_users,
            sessions=args.seed_sessions,
            random_seed=args.random_seed,
            fresh=args.fresh_seed,
            database_name=args.seed_database,
        ),
        depth=args.depth,
        filter=args.filter,
        docs=Path(args.docs) if args.docs else None,
        stages=_stages(parser, args.stages),
        command=(args.command or " ".join(["python", *sys.argv])).strip(),
    )


def _stages(parser: argparse.ArgumentParser, given: str) -> frozenset[str]:
    stages = frozenset(part.strip() for part in given.split(",") if part.strip())
    if not stages or not stages <= set(STAGES):
        parser.error(f"--stages takes a comma-separated list of {', '.join(STAGES)}")
    return stages


def method(o: Options, thread_counts: tuple[int, ...]) -> list[str]:
    return [
        f"- Load: wrk {o.connections} connections, {min(o.threads, o.connections)} threads, "
        f"{o.seconds} s a run, {o.rounds} alternating rounds after a short warm-up run of each "
        "target; the figures are medians over the rounds and each ratio is the median of the "
        "per-round ratios (both sides measured back to back, so the noise of a shared machine "
        f"cancels). Sign-ins run {2 * o.seconds} s with {o.sign_in_connections} connections (more "
        "than sessiond's hashing threads, few enough that the sign-ins still in flight when a run "
        f"stops are a small share); lists run {2 * o.seconds} s with {o.list_connections} "
        "connection(s), so p50 is the answer time of one request rather than a queue.",
        "- sessiond: `sessiond serve` (one worker, default settings: argon2id t=2, 19 MiB) on "
        "PostgreSQL with `SESSIOND_REDIS_URL`, and on a SQLite file without Redis. One user signs "
        "in through each door; the checks are Kratos `GET /sessions/whoami` (`X-Session-Token`), "
        "Rocket.Chat `GET /api/v1/me` (`X-User-Id`, `X-Auth-Token`) and pxyz "
        "`GET /api/user/sessions` (`x-public-key`, bearer token).",
        '- Bare: one Starlette route answering `{"status":"ok"}` under `uvicorn.run(loop="auto", '
        'http="h11")` (uvloop) with the options `sessiond serve` passes by default.',
        f"- Better Auth {betterauth.PACKAGES['better-auth']} with pg {betterauth.PACKAGES['pg']} "
        "(installed from npm at bench time), Node's http server and `toNodeHandler`, "
        "emailAndPassword on, default session settings, rate limiting off (sessiond has none on "
        "token checks), `NODE_ENV=production`, its schema made by `getMigrations`; "
        "`GET /api/auth/get-session` with the session cookie from a sign-up.",
        "- Raw argon2: argon2-cffi verifying an argon2id hash with sessiond's parameters in "
        f"{' and in '.join(map(str, thread_counts))} threads of one process, the faster kept: "
        "sessiond hashes on one thread per core, Python's default executor has min(32, nproc + 4), "
        "and argon2-cffi releases the GIL, so this is the most one sessiond worker could verify "
        "whichever it used. Sign-ins go to a user of their own "
        "(Kratos: a login flow, then the password, two requests; Rocket.Chat: `POST "
        "/api/v1/login`; pxyz: `POST /api/sign-ins`), and each makes a session.",
        f"- Lists: `sessiond seed --tenant {seeded.SLUG} --users {o.seed.users} --sessions "
        f"{o.seed.sessions} --random-seed {o.seed.random_seed}` into the database "
        f"`{o.seed.database}`, which is kept for the next run while its comment names the same "
        "seed (`--fresh-seed` seeds again), served with Redis by a `sessiond serve` whose Kratos "
        f"and Rocket.Chat doors serve that tenant. pxyz `GET /api/v0/tenants/{{id}}/auth/sessions"
        f"?perPage={seeded.PAGE}` and Kratos `GET /admin/sessions?page_size={seeded.PAGE}` with a "
        f"secret key; Rocket.Chat `GET /api/v1/sessions/list.all?count=50&filter={o.filter}` as "
        "an `admin` after one password second factor (trusted for 30 minutes).",
    ]
