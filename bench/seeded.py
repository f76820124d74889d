"""Lists at scale: a tenant filled by `sessiond seed`, a first page against a deep keyset page
(pxyz's cursor, Kratos's admin page token), and Rocket.Chat's `sessions/list.all` with a filter.

The seeded database is kept between runs, because seeding a million sessions takes minutes: it is
reused when its comment says the same seed finished, and made again otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pg
import sessiond_http as sd
import wrk_load
from procs import BenchError, Server
from wrk_load import Target

SLUG = "bench-seed"
ADMIN = "bench-admin"
PAGE = 100
_NEXT = re.compile(r'<([^>]*)>;\s*rel="next"')


@dataclass(frozen=True, slots=True)
class SeedSpec:
    users: int
    sessions: int
    random_seed: int = 1
    fresh: bool = False
    database_name: str | None = None

    @property
    def database(self) -> str:
        return self.database_name or f"sessiond_bench_seed_{self.sessions}"

    @property
    def marker(self) -> str:
        return (
            f"sessiond bench seed complete: tenant={SLUG} users={self.users} "
            f"sessions={self.sessions} random-seed={self.random_seed}"
        )


def seed_available(env: dict[str, str]) -> bool:
    return sd.has_command(env, "seed")


def prepare(
    spec: SeedSpec, *, server_url: str, redis_url: str | None
) -> tuple[dict[str, str], bool]:
    """The environment of a sessiond serving the seeded tenant through every door, seeding first
    unless a finished seed of the same size is there (then the flag says it was reused)."""
    url = pg.database_url(server_url, spec.database)
    env = {
        "SESSIOND_DATABASE_URL": url,
        "SESSIOND_KRATOS_TENANT": SLUG,
        "SESSIOND_ROCKETCHAT_TENANT": SLUG,
    }
    if redis_url:
        env["SESSIOND_REDIS_URL"] = redis_url
    if not spec.fresh and pg.comment(server_url, spec.database) == spec.marker:
        print(f"reusing the seeded database {spec.database} ({spec.marker.split(': ')[1]})")
        sd.cli(env, "migrate")  # a newer sessiond may add indexes: build them before serving
        return env, True
    pg.recreate(server_url, spec.database)
    sd.cli(env, "migrate")
    print(f"seeding {spec.sessions} sessions for {spec.users} users into {spec.database} ...")
    sd.cli(
        env,
        *("seed", "--tenant", SLUG, "--users", str(spec.users)),
        *("--sessions", str(spec.sessions), "--random-seed", str(spec.random_seed)),
    )
    sd.create_user(env, tenant=SLUG, username=ADMIN, roles=("admin", "user"))
    pg.set_comment(server_url, spec.database, spec.marker)
    return env, False


def list_targets(
    server: Server, env: dict[str, str], *, depth: int, filter_: str
) -> dict[str, Target]:
    """First and deep pages (`depth` rows in, `PAGE` rows each) and list.all with `filter_`."""
    key = sd.secret_key(env, tenant=SLUG)
    admin = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=server.base, headers={"User-Agent": sd.UA}, timeout=120) as http:
        tenant_id = _ok(http.get(f"/api/v0/tenants/slug/{SLUG}", headers=admin)).json()["id"]
        pxyz_path = f"/api/v0/tenants/{tenant_id}/auth/sessions?perPage={PAGE}"
        kratos_path = f"/admin/sessions?page_size={PAGE}"
        pxyz_deep = _walk_pxyz(http, pxyz_path, admin, depth)
        kratos_deep = _walk_kratos(http, kratos_path, admin, depth)
        rc = _rocketchat_admin(http)
    list_all = "/api/v1/sessions/list.all?" + urlencode({"count": 50, "filter": filter_})
    targets = {
        "pxyz first page": wrk_load.get(server.base + pxyz_path, admin),
        "pxyz deep page": wrk_load.get(server.base + pxyz_deep, admin),
        "kratos first page": wrk_load.get(server.base + kratos_path, admin),
        "kratos deep page": wrk_load.get(server.base + kratos_deep, admin),
        "rocketchat list.all filter": wrk_load.get(server.base + list_all, rc),
    }
    for target in targets.values():
        sd.check(target)
    return targets


def _walk_pxyz(http: httpx.Client, first: str, headers: dict[str, str], depth: int) -> str:
    path = first
    for _ in range(depth // PAGE):
        answer = http.get(path, headers=headers)
        cursor = _ok(answer).json()["meta"]["next"]
        if cursor is None:
            raise BenchError(f"the pxyz list ended before {depth} rows: seed more sessions")
        path = f"{first}&{urlencode({'cursor': cursor})}"
    return path


def _walk_kratos(http: httpx.Client, first: str, headers: dict[str, str], depth: int) -> str:
    path = first
    for _ in range(depth // PAGE):
        found = _NEXT.search(_ok(http.get(path, headers=headers)).headers.get("link", ""))
        if found is None:
            raise BenchError(f"the Kratos list ended before {depth} rows: seed more sessions")
        path = found.group(1)
    return path


def _rocketchat_admin(http: httpx.Client) -> dict[str, str]:
    """The admin's headers, after one REST second factor (the password's SHA-256), which sessiond
    then trusts for 30 minutes from the same session, user agent and address."""
    user, token = sd.rocketchat_sign_in(http, ADMIN)
    headers = {"X-User-Id": user, "X-Auth-Token": token, "User-Agent": sd.UA}
    proof = {"x-2fa-method": "password", "x-2fa-code": sd.password_sha256()}
    _ok(http.get("/api/v1/sessions/list.all?count=1", headers={**headers, **proof}))
    return headers


def _ok(answer: httpx.Response) -> httpx.Response:
    if answer.status_code != 200:
        raise BenchError(f"{answer.request.url.path}: {answer.status_code} {answer.text[:300]}")
    return answer
