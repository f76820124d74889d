"""sessiond over HTTP against the framework's limit and against Better Auth, as ratios.

    .venv/bin/python bench/bench_http.py [--rounds N] [--seconds S] [--seed-sessions N] ...

Starts, on one PostgreSQL and this machine: `sessiond serve` on PostgreSQL with Redis, `sessiond
serve` on a SQLite file without Redis, a bare Starlette endpoint under the same uvicorn stack, and
Better Auth (npm, into a temporary folder); drives each with wrk in alternating rounds; then, when
`sessiond seed` exists, lists at scale on a seeded tenant. Prints the figures and writes
docs/benchmarks.md and docs/benchmarks.png. Every server it starts is stopped on exit, error or
Ctrl-C; its databases are dropped, except the seeded one (see bench/seeded.py).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import betterauth
import pg
import redis
import seeded
import sessiond_http as sd
import wrk_load
from argon2_rate import best_rate, thread_counts
from bench_options import Options, method, parse
from bench_report import (
    Section,
    git_head,
    print_sections,
    write_chart,
    write_markdown,
    wrk_version,
)
from procs import BenchError, Server, free_port, serving, terminated_on_sigterm
from ratios import interleave
from sections import (
    ARGON2,
    BARE,
    BETTER_AUTH,
    PG_SETUP,
    SQLITE_SETUP,
    list_section,
    sign_in_section,
    token_section,
)
from wrk_load import Load, Result, Target

from sessiond.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def redis_reachable(url: str) -> bool:
    if not url:
        return False
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def rounds_of(
    targets: Mapping[str, Target | Callable[[], Result]], load: Load, rounds: int
) -> dict[str, list[Result]]:
    """Warms every target up with one short run, then measures them in alternating rounds."""

    def once(name: str, seconds: int) -> Result:
        target = targets[name]
        if isinstance(target, Target):
            return wrk_load.run(target, Load(load.connections, load.threads, seconds))
        return target()

    for name, target in targets.items():
        if isinstance(target, Target):
            once(name, max(1, load.seconds // 2))

    def measured(name: str) -> Result:
        print(f"  {name} ...", end="", flush=True)
        result = once(name, load.seconds)
        print(f" {result.per_second:,.1f}/s p99 {result.p99_ms:.1f} ms")
        return result

    return interleave(targets, measured, rounds=rounds)


@dataclass(frozen=True, slots=True)
class Sessiond:
    server: Server
    caller: sd.Caller
    public_key: str


@dataclass(frozen=True, slots=True)
class Servers:
    bare: Server
    peer: Server
    peer_cookie: str
    postgresql: Sessiond
    sqlite: Sessiond


class Bench:
    def __init__(self, options: Options, stack: contextlib.ExitStack, tmp: Path) -> None:
        self.o = options
        self.stack = stack
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.load = Load(options.connections, options.threads, options.seconds)
        self.sections: list[Section] = []
        self.notes: list[str] = []

    def database(self, name: str) -> str:
        url = pg.recreate(self.o.postgres, name)
        self.stack.callback(pg.drop, self.o.postgres, name)
        return url

    def start_sessiond(self, name: str, env: dict[str, str]) -> Sessiond:
        sd.cli(env, "migrate")
        sd.create_user(env, tenant="default", username="bench")
        sd.create_user(env, tenant="default", username="signer")
        key = sd.secret_key(env, tenant="default")
        server = self.stack.enter_context(sd.sessiond(name, env=env, logs=self.logs))
        public_key = sd.public_key(server, tenant="default", key=key)
        caller = sd.sign_in_everywhere(server, username="bench", public_key=public_key)
        return Sessiond(server=server, caller=caller, public_key=public_key)

    def run(self) -> None:
        stages = self.o.stages
        if "tokens" in stages or "sign-ins" in stages:
            servers = self.start_servers()
            if "tokens" in stages:
                self.token_checks(servers)
            if "sign-ins" in stages:
                self.sign_ins(servers)
        if "lists" in stages:
            self.stack.close()  # stops the servers above and drops their databases
            try:
                self.lists()
            except BenchError as exc:
                _show_logs(self.logs)
                self.notes.append(f"Lists at scale failed: {exc}")

    def start_servers(self) -> Servers:
        o = self.o
        pg_env = {"SESSIOND_DATABASE_URL": self.database("sessiond_bench")}
        if redis_reachable(o.redis):
            pg_env["SESSIOND_REDIS_URL"] = o.redis
        else:
            self.notes.append("Redis was not reachable: the PostgreSQL run had no Redis.")
        sqlite_env = {"SESSIOND_DATABASE_URL": f"sqlite:///{self.tmp / 'sessiond.db'}"}
        ba_url = self.database("betterauth_bench")
        print("installing Better Auth from npm into a temporary folder ...")
        folder = betterauth.install(self.tmp / "better-auth")
        print("starting the servers ...")
        peer = self.stack.enter_context(
            betterauth.better_auth(folder, database_url=ba_url, logs=self.logs)
        )
        port = free_port()
        argv = [sys.executable, str(Path(__file__).with_name("bare_app.py")), str(port)]
        bare = self.stack.enter_context(
            serving("bare", argv, port=port, ready_path="/", logs=self.logs)
        )
        return Servers(
            bare=bare,
            peer=peer,
            peer_cookie=betterauth.sign_up(peer, email="bench@example.com", password=sd.PASSWORD),
            postgresql=self.start_sessiond("sessiond-postgresql", pg_env),
            sqlite=self.start_sessiond("sessiond-sqlite", sqlite_env),
        )

    def token_checks(self, servers: Servers) -> None:
        o = self.o
        targets: dict[str, Target] = {
            BARE: wrk_load.get(servers.bare.base + "/"),
            BETTER_AUTH: wrk_load.get(
                servers.peer.base + "/api/auth/get-session", {"Cookie": servers.peer_cookie}
            ),
        }
        sd.check(targets[BETTER_AUTH])
        setups: dict[str, str] = {}
        for door, setup in ((servers.postgresql, PG_SETUP), (servers.sqlite, SQLITE_SETUP)):
            for name, target in sd.token_checks(door.server, door.caller).items():
                targets[f"{name} @ {setup}"] = target
                setups[f"{name} @ {setup}"] = setup
        print(f"token checks: {o.rounds} rounds of {o.seconds} s, {o.connections} connections")
        self.sections.append(token_section(rounds_of(targets, self.load, o.rounds), setups))

    def sign_ins(self, servers: Servers) -> None:
        o = self.o
        settings = Settings()
        load = Load(o.sign_in_connections, o.threads, 2 * o.seconds)

        def argon2_run() -> Result:
            rate = best_rate(settings, seconds=load.seconds)
            done = round(rate * load.seconds)
            return Result(done=done, requests=0, seconds=load.seconds, p50_ms=0, p99_ms=0)

        door = servers.postgresql
        sign_ins: dict[str, Target | Callable[[], Result]] = {ARGON2: argon2_run}
        sign_ins.update(sd.sign_ins(door.server, username="signer", public_key=door.public_key))
        print(f"sign-ins: {o.rounds} rounds of {load.seconds} s, {load.connections} connections")
        self.sections.append(sign_in_section(rounds_of(sign_ins, load, o.rounds), thread_counts()))

    def lists(self) -> None:
        o = self.o
        if o.seed.sessions <= 0:
            self.notes.append("Lists at scale were skipped (--seed-sessions 0).")
            return
        env = {"SESSIOND_DATABASE_URL": pg.database_url(o.postgres, "postgres")}
        if not seeded.seed_available(env):
            message = (
                "Lists at scale were skipped: this sessiond has no `sessiond seed` command yet "
                "(issue 9, item 3)."
            )
            print(message)
            self.notes.append(message)
            return
        redis_url = o.redis if redis_reachable(o.redis) else None
        started = time.monotonic()
        serve_env, reused = seeded.prepare(o.seed, server_url=o.postgres, redis_url=redis_url)
        if reused:
            self.notes.append(f"The seeded database {o.seed.database} was reused.")
        else:
            took = time.monotonic() - started
            self.notes.append(f"`sessiond seed` of {o.seed.sessions:,} sessions took {took:.0f} s.")
        server = self.stack.enter_context(
            sd.sessiond("sessiond-seeded", env=serve_env, logs=self.logs)
        )
        targets = seeded.list_targets(server, serve_env, depth=o.depth, filter_=o.filter)
        load = Load(o.list_connections, 1, 2 * o.seconds)
        print(f"lists: {o.rounds} rounds of {load.seconds} s, {load.connections} connection(s)")
        self.sections.append(list_section(rounds_of(targets, load, o.rounds), o.seed, o.depth))


def main(argv: list[str] | None = None) -> None:
    o = parse(argv)
    wrk_load.require_wrk()
    if not pg.reachable(o.postgres):
        raise SystemExit(f"PostgreSQL is not reachable at {o.postgres}")
    started = datetime.now(UTC)
    with (
        terminated_on_sigterm(),
        tempfile.TemporaryDirectory(prefix="sessiond-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        bench = Bench(o, stack, Path(tmp))
        try:
            bench.run()
        except BenchError as exc:
            _show_logs(bench.logs)
            raise SystemExit(f"bench failed: {exc}") from exc
        except KeyboardInterrupt:
            print("\ninterrupted: stopping the servers and dropping the databases", file=sys.stderr)
            raise SystemExit(130) from None
    print_sections(bench.sections)
    for note in bench.notes:
        print(note)
    if bench.sections:
        _write_docs(o, bench, started)


def _show_logs(logs: Path) -> None:
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(errors="replace").strip().splitlines()[-15:]
        if tail:
            print(f"--- {log.name} (last lines)", *tail, sep="\n", file=sys.stderr)


def _write_docs(o: Options, bench: Bench, started: datetime) -> None:
    if o.docs is None:
        return
    chart = o.docs / "benchmarks.png"
    write_chart(chart, bench.sections)
    facts = [
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Command: `{o.command}`",
        f"- sessiond commit: `{git_head(ROOT)}`",
        f"- wrk: {wrk_version()}",
        *(f"- {note}" for note in bench.notes),
    ]
    write_markdown(
        o.docs / "benchmarks.md",
        sections=bench.sections,
        facts=facts,
        method=method(o, thread_counts()),
        chart=chart,
    )
    print(f"wrote {o.docs / 'benchmarks.md'} and {chart}")


if __name__ == "__main__":
    main()
