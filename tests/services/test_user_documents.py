"""A user's JSON documents (traits, public and admin metadata) are checked on every path that
writes them, so no backend silently rewrites a value or refuses it as a storage failure."""

from __future__ import annotations

from typing import Any

import pytest

from sessiond.domain.errors import InvalidInput
from sessiond.domain.tenant import Tenant
from sessiond.services.container import Services
from sessiond.services.users import NewUser, ProfileChange, UserChanges

BAD: list[Any] = [
    {"a": float("nan")},
    {"a": [1, float("inf")]},
    {"a": {"b": -float("inf")}},
    {"a": "x\x00y"},
    {"n": 1e20},  # PostgreSQL would read it back as an integer past 64 bits
    {"n": [2**64]},
    {"n": {"m": -(2**63) - 1}},
    {"big": "a" * (64 * 1024)},
    {"deep": __import__("functools").reduce(lambda inner, _: {"a": inner}, range(40), {})},
]


@pytest.mark.parametrize("document", BAD)
async def test_every_user_write_refuses_a_bad_document(
    services: Services, tenant: Tenant, document: Any
) -> None:
    users = services.users
    for new in (
        NewUser(username="fresh", metadata_public=document),
        NewUser(username="fresh", metadata_admin=document),
        NewUser(username="fresh", traits=document),
    ):
        with pytest.raises(InvalidInput):
            await users.create(tenant.id, new)
    user = await users.create(tenant.id, NewUser(username="kept", metadata_public={"k": 1}))
    with pytest.raises(InvalidInput):
        await users.update(tenant.id, user.id, UserChanges(metadata_public=document))
    with pytest.raises(InvalidInput):
        await users.update(tenant.id, user.id, UserChanges(metadata_admin=document))
    for change in (
        ProfileChange(username="kept", traits=document),
        ProfileChange(username="kept", metadata_public=document),
    ):
        with pytest.raises(InvalidInput):
            await users.patch_profile(tenant.id, user.id, lambda _, change=change: change)
    assert (await users.get(tenant.id, user.id)).metadata_public == {"k": 1}


async def test_a_document_just_inside_the_limits_is_stored_as_sent(
    services: Services, tenant: Tenant
) -> None:
    nested: dict[str, Any] = {"n": 1.5}
    for _ in range(30):
        nested = {"a": nested}
    document = {
        "nested": nested,
        "text": "é" * 1000,
        "list": [True, None, 2, -0.5, 2**63 - 1, -(2**63), 1e18, 1e-300],
    }
    user = await services.users.create(
        tenant.id, NewUser(username="fits", metadata_public=document, traits=document)
    )
    stored = await services.users.get(tenant.id, user.id)
    assert stored.metadata_public == document
    assert stored.traits == document
