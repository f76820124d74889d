"""Tenant rules without a database: slugs made from names, and lifetime switches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessiond.domain.errors import InvalidInput
from sessiond.domain.tenant import (
    MAX_DURATION,
    LifetimeChange,
    SessionSettings,
    check_slug,
    slug_from_name,
)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Dev tenant", "dev-tenant"),
        ("  Acme, Inc.  ", "acme-inc"),
        ("éééé", "tenant"),
        ("a" * 63 + " b", "a" * 63),
    ],
)
def test_a_slug_from_a_name_is_always_a_valid_slug(name: str, slug: str) -> None:
    assert slug_from_name(name) == slug
    assert check_slug(slug_from_name(name)) == slug


def test_lifetime_switches() -> None:
    base = SessionSettings(max_lifetime=timedelta(hours=8), inactivity_timeout=timedelta(hours=1))
    assert LifetimeChange().applied_to(base) == base
    off = LifetimeChange(max_lifetime_enabled=False, inactivity_timeout_enabled=False)
    assert off.applied_to(base).max_lifetime == MAX_DURATION
    assert off.applied_to(base).inactivity_timeout is None
    on = LifetimeChange(max_lifetime=timedelta(minutes=5), inactivity_timeout=timedelta(minutes=2))
    assert on.applied_to(base).max_lifetime == timedelta(minutes=5)
    assert on.applied_to(base).inactivity_timeout == timedelta(minutes=2)
    keep_on = LifetimeChange(inactivity_timeout_enabled=True)
    assert keep_on.applied_to(base).inactivity_timeout == timedelta(hours=1)
    with pytest.raises(InvalidInput):
        keep_on.applied_to(SessionSettings())
