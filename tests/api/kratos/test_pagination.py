"""Offset and keyset pages on the wire: Link rels, X-Total-Count, and that `next` moves on."""

from __future__ import annotations

import re

import pytest

from sessiond.api.kratos.pagination import decode_offset, encode_offset
from tests.helpers.kratos import Door

_LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def rels(header: str) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(header)}


def test_offset_token_is_kratos_format() -> None:
    assert encode_offset(250) == "eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ"
    assert decode_offset("eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ") == 250


@pytest.fixture
async def five(door: Door) -> tuple[Door, str, list[str]]:
    user = await door.user()
    ids = [(await door.login())["session"]["id"] for _ in range(5)]
    return door, user, ids[::-1]


async def test_offset_links_walk_every_page_once(five: tuple[Door, str, list[str]]) -> None:
    door, user, newest_first = five
    path = f"/admin/identities/{user}/sessions"
    first = await door.http.get(path, params={"page_size": 2, "active": "true"}, headers=door.admin)
    assert first.headers["X-Total-Count"] == "5"
    assert [s["id"] for s in first.json()] == newest_first[:2]
    links = rels(first.headers["Link"])
    assert set(links) == {"next", "last"}
    assert links["next"] == (
        f"{path}?active=true&page=1&page_size=2&page_token={encode_offset(2)}&per_page=2"
    )
    middle = await door.http.get(links["next"], headers=door.admin)
    assert [s["id"] for s in middle.json()] == newest_first[2:4]
    assert set(rels(middle.headers["Link"])) == {"first", "next", "prev", "last"}
    last = await door.http.get(rels(middle.headers["Link"])["last"], headers=door.admin)
    assert [s["id"] for s in last.json()] == newest_first[4:]
    assert set(rels(last.headers["Link"])) == {"first", "prev"}
    assert rels(last.headers["Link"])["prev"].endswith("per_page=2")
    assert "page=1&" in rels(last.headers["Link"])["prev"]


async def test_raw_headers_keep_their_case(five: tuple[Door, str, list[str]]) -> None:
    door, user, _ = five
    response = await door.http.get(f"/admin/identities/{user}/sessions", headers=door.admin)
    names = [name for name, _ in response.headers.raw]
    assert b"Link" in names
    assert b"X-Total-Count" in names
    assert names.count(b"Link") == 1
    assert set(rels(response.headers["Link"])) == {"first"}


async def test_legacy_page_and_per_page(five: tuple[Door, str, list[str]]) -> None:
    door, user, newest_first = five
    response = await door.http.get(
        f"/admin/identities/{user}/sessions", params={"page": 1, "per_page": 3}, headers=door.admin
    )
    assert [s["id"] for s in response.json()] == newest_first[3:]
    assert set(rels(response.headers["Link"])) == {"first", "prev"}


async def test_my_sessions_are_the_others(five: tuple[Door, str, list[str]]) -> None:
    door, _, newest_first = five
    current = await door.login()
    response = await door.http.get(
        "/sessions", params={"page_size": 2}, headers={"X-Session-Token": current["session_token"]}
    )
    assert response.headers["X-Total-Count"] == "5"
    assert [s["id"] for s in response.json()] == newest_first[:2]
    assert response.json()[0]["identity"]["id"]
    assert "metadata_admin" not in response.json()[0]["identity"]


async def test_keyset_walks_all_and_respects_expand(five: tuple[Door, str, list[str]]) -> None:
    door, _, newest_first = five
    seen: list[str] = []
    url: str | None = "/admin/sessions?page_size=2&expand=identity"
    while url is not None:
        response = await door.http.get(url, headers=door.admin)
        assert "X-Total-Count" not in response.headers
        page = response.json()
        assert all("identity" in s and "devices" not in s for s in page)
        seen += [s["id"] for s in page]
        links = rels(response.headers["Link"])
        assert "first" in links
        url = links.get("next")
    assert seen == newest_first
    bare = (await door.http.get("/admin/sessions", headers=door.admin)).json()
    assert all("identity" not in s and "devices" not in s for s in bare)
    bad = await door.http.get("/admin/sessions?expand=credentials", headers=door.admin)
    assert bad.status_code == 400
